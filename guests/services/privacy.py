"""Privacy deletion of a guest (Enrollment Service ``DELETE enrollment/user.json``): asked for by
one person, approved by another (``portal.approvals``), then made through the door as the
approver's action.

The door itself refuses a deletion that is not the approver's run of an approved request (the
action's limit, ``deletion_limit``), so no form or view can make one alone. The audit records
of a deletion hold no personal data: the account id, the kinds of data there were (field names)
and how many addresses. What the log keeps about a deleted guest is said in the README ("The
audit log and personal data").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guests.selectors.optional import ENROLLMENT
from guests.selectors.privacy import DELETE_ACTION, deletion_waiting
from guests.selectors.profile import GuestProfile, guest_profile
from guests.services.account import ChangeRefusedError, account_change, change_target
from portal.approvals.kinds import approval_params
from portal.approvals.models import ApprovalRequest, Status
from portal.approvals.services import REQUEST_SENT, approval_request
from portal.audit.models import Outcome
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission, Target
from portal.paytronix.errors import PaytronixError
from portal.sentences import NotShownError, explain, moment_text
from portal.staff.models import User

NEEDS_APPROVAL = (
    "A privacy deletion needs a second person: ask for it from the guest's deletion screen, "
    "and a supervisor approves it."
)


def deletion_params(profile: GuestProfile) -> dict[str, Any]:
    """What the audit records of the deletion: which kinds of data there were, no values."""
    return {
        "accountId": profile.account_id,
        "fieldsOnFile": sorted(n for n, v in profile.values.items() if v not in (None, "")),
        "addressesOnFile": len(profile.addresses),
    }


def deletion_summary(profile: GuestProfile) -> str:
    addresses = len(profile.addresses)
    return (
        f"Delete the personal data of the guest of account {profile.account_id}: their "
        f"profile ({len(deletion_params(profile)['fieldsOnFile'])} fields on file), "
        f"{addresses} address{'es' if addresses != 1 else ''}, username and password."
    )


def guest_deletion_request(submission: Submission, *, profile: GuestProfile) -> ChangeOutcome:
    """Ask a second person to approve the deletion of the guest's personal data (audited as
    ``approval.request``); nothing is deleted until a supervisor approves it. A deletion of the
    guest already waiting is refused (``ChangeRefusedError``), saying by whom it was asked."""
    waiting = deletion_waiting(account_id=profile.account_id)
    if waiting is not None and waiting.idempotency_key != submission.idempotency_key:
        raise ChangeRefusedError(
            f"A deletion of this guest's data is already waiting for approval (asked by "
            f"{waiting.requester_username} on "
            f"{moment_text(waiting.requested_at)})."
        )
    request = approval_request(
        submission,
        action=DELETE_ACTION,
        target=change_target(submission, profile.account),
        params=deletion_params(profile),
        summary=deletion_summary(profile),
    )
    return ChangeOutcome(
        outcome=Outcome.SUCCEEDED,
        message=f"{REQUEST_SENT} Nothing is deleted until then (request #{request.pk}).",
        value=request.pk,
    )


def guest_delete(
    submission: Submission, *, profile: GuestProfile, approval: Mapping[str, Any]
) -> ChangeOutcome:
    """Delete the guest's personal data upstream (the user: details, addresses, sign-in), as
    the approver of the request ``approval`` names (``approval_params``). ``profile`` is the
    guest read afresh."""
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action=DELETE_ACTION,
        params={**deletion_params(profile), **approval},
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.delete_user(username=username)
        ),
        success="The guest's personal data was deleted.",
    )


def approved_deletion_run(submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
    """The approval kind's ``run``: the deletion, as the approver, of the guest as upstream
    has them now. A guest who cannot be read (gone already, upstream down) is a failed run,
    said in words; nothing was sent, so approving again tries again."""
    if request.account_id is None:
        return ChangeOutcome(outcome=Outcome.FAILED, message="The request names no account.")
    try:
        profile = guest_profile(viewer=submission.actor, account_id=request.account_id, fresh=True)
    except NotShownError as gone:
        return ChangeOutcome(outcome=Outcome.FAILED, message=gone.sentence)
    except PaytronixError as error:
        return ChangeOutcome(
            outcome=Outcome.FAILED,
            message=f"The guest could not be read, so nothing was deleted. {explain(error)}",
        )
    return guest_delete(submission, profile=profile, approval=approval_params(request))


def approved_deletion_describe(request: ApprovalRequest) -> str:
    """What approving does, for the approver."""
    return (
        f"You delete, in the loyalty system, the personal data of the guest of account "
        f"{request.account_id}: their profile (name, email, phones, birthday, postal code, "
        f"marketing choices and the program's own fields), their addresses, and their username "
        f"and password: they can no longer sign in. It cannot be undone from the console. What "
        f"Paytronix keeps of the accounts, cards and balances is not documented; the console "
        f"treats them as kept, registered to no one. It does not remove the account notes left "
        f"by staff, the referrals the guest sent (with their friends' email addresses), links "
        f"to external accounts (a search still finds the account by them), saved payment "
        f"methods and auto-recharge (remove those on the account's stored value and payments "
        f"screen first), nor the history and balances."
    )


def deletion_limit(actor: User, target: Target | None, params: Mapping[str, Any]) -> str:
    """The door's limit of ``guest.delete``: only the approver's run of an approved request
    about the same account, asked for by someone else."""
    request_id = params.get("approval_request")
    if target is None or not isinstance(request_id, int):
        return NEEDS_APPROVAL
    approved = (
        ApprovalRequest.objects.filter(
            pk=request_id,
            action=DELETE_ACTION,
            status=Status.APPROVED,
            account_id=target.account_id,
            decided_by=actor,
        )
        .exclude(requester=actor)
        .exists()
    )
    return "" if approved else NEEDS_APPROVAL
