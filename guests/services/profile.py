"""The guest's details and addresses (Enrollment Service), each change through the door.

What the audit records of these changes is masked (``portal.audit.personal``): the fields
touched, each value masked, and a keyed digest of the new values that the settle function and
the page's pending check compare with what upstream reads back. The full values travel only in
the ``call`` closure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guests.pending import PendingChange
from guests.selectors.optional import ENROLLMENT
from guests.selectors.profile import GuestProfile
from guests.services.account import ChangeRefusedError, account_change
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import (
    ADDRESS_WIRE,
    address_digest,
    address_wire,
    changes_record,
    normalized,
)
from portal.audit.types import Submission
from portal.paytronix.enrollment import AddressFields


def changed_values(profile: GuestProfile, values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``values`` that differ from what the guest has on file."""
    return {
        name: value
        for name, value in values.items()
        if normalized(name, value) != normalized(name, profile.values.get(name))
    }


def guest_details_edit(
    submission: Submission, *, profile: GuestProfile, values: Mapping[str, Any]
) -> ChangeOutcome:
    """Change the guest's details (``values``: wire name → new value; only those that differ
    from ``profile`` are sent) with editUser, asking upstream to keep the program's unique
    fields unique. Each field upstream refuses comes back in ``field_errors``.

    ``profile`` is the guest read afresh (``guest_profile(fresh=True)``)."""
    changed = changed_values(profile, values)
    if not changed:
        raise ChangeRefusedError("Nothing to change: every field is as on file.")
    unique = [name for name in profile.unique if changed.get(name)]
    record = changes_record(profile.values, changed)
    summary = "Details changed: " + ", ".join(f.label for f in profile.fields if f.name in changed)
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action="guest.edit",
        params=record,
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.edit_user(
                username=username, set_user_fields=changed, enforce_unique_fields=unique
            )
        ),
        success=summary + ".",
        watch=PendingChange(
            action="guest.edit",
            panel="header",
            sources=("user",),
            check="user_values",
            expected={"fields": record["fields"], "digest": record["digest"]},
            summary=summary,
        ),
    )


def _address_watch(action: str, summary: str, expected: dict[str, Any]) -> PendingChange:
    return PendingChange(
        action=action,
        panel="header",
        sources=("user",),
        check="address",
        expected=expected,
        summary=summary,
    )


def address_add(
    submission: Submission, *, profile: GuestProfile, address: AddressFields
) -> ChangeOutcome:
    """Add ``address`` to the guest's addresses."""
    after = address_wire(address)
    summary = f"Address added: {address.label or 'address'}"
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action="guest.address_add",
        params={**changes_record({}, after), "addressDigest": address_digest(address)},
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.add_address_for_user(username=username, address=address)
        ),
        success=summary + ".",
        watch=_address_watch(
            "guest.address_add", summary, {"addressId": "", "digest": address_digest(address)}
        ),
    )


def address_edit(
    submission: Submission, *, profile: GuestProfile, address_id: str, address: AddressFields
) -> ChangeOutcome:
    """Replace the address ``address_id`` with ``address``."""
    before = address_wire(profile.address(address_id))
    after = address_wire(address)
    names = [
        name for name in after if normalized(name, after[name]) != normalized(name, before[name])
    ]
    if not names:
        raise ChangeRefusedError("Nothing to change: the address is as on file.")
    summary = f"Address changed: {address.label or 'address'}"
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action="guest.address_edit",
        params={
            "addressId": address_id,
            **changes_record(before, after, names=names),
            "addressDigest": address_digest(address),
        },
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.edit_address_for_user(
                username=username, address_id=address_id, address=address
            )
        ),
        success=summary + ".",
        watch=_address_watch(
            "guest.address_edit",
            summary,
            {"addressId": address_id, "digest": address_digest(address)},
        ),
    )


def address_delete(
    submission: Submission, *, profile: GuestProfile, address_id: str
) -> ChangeOutcome:
    """Remove the address ``address_id`` from the guest's addresses."""
    before = profile.address(address_id)
    summary = f"Address deleted: {before.label or 'address'}"
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action="guest.address_delete",
        params={
            "addressId": address_id,
            **changes_record(address_wire(before), {}, names=list(ADDRESS_WIRE)),
        },
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.delete_address_for_user(
                username=username, address_id=address_id
            )
        ),
        success=summary + ".",
        watch=_address_watch(
            "guest.address_delete", summary, {"addressId": address_id, "digest": ""}
        ),
    )
