"""Privacy deletion of a guest (Enrollment Service ``DELETE enrollment/user.json``), through
the door.

The audit records of a deletion hold no personal data: the account id, the fields there were
(names only) and how many addresses. What the log keeps about a deleted guest is said in the
README ("The audit log and personal data").
"""

from __future__ import annotations

from guests.selectors.optional import ENROLLMENT
from guests.selectors.profile import GuestProfile
from guests.services.account import account_change
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission

DELETE_ACTION = "guest.delete"


def deletion_params(profile: GuestProfile) -> dict[str, object]:
    """What the audit records of the deletion: which kinds of data there were, no values."""
    return {
        "accountId": profile.account_id,
        "fieldsOnFile": sorted(n for n, v in profile.values.items() if v not in (None, "")),
        "addressesOnFile": len(profile.addresses),
    }


def guest_delete(submission: Submission, *, profile: GuestProfile) -> ChangeOutcome:
    """Delete the guest's personal data upstream (the user: details, addresses, sign-in).

    ``profile`` is the guest read afresh. The caller has made sure a second person approved it.
    """
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action=DELETE_ACTION,
        params=deletion_params(profile),
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.delete_user(username=username)
        ),
        success="The guest's personal data was deleted.",
    )
