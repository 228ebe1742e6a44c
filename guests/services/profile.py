"""The guest's details and addresses (Enrollment Service), each change through the door.

What the audit records of these changes is masked (``portal.audit.personal``): the fields
touched, each value masked, and a keyed digest of the new values that the settle function and
the page's pending check compare with what upstream reads back. The full values travel only in
the ``call`` closure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guests.pending import PendingChange
from guests.selectors.optional import ENROLLMENT
from guests.selectors.profile import GuestProfile
from guests.selectors.reads import with_card_numbers
from guests.selectors.scope import scope_of
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
from portal.paytronix.enrollment import AddressFields, EnrollmentService


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


def account_fields_edit(
    submission: Submission, *, profile: GuestProfile, values: Mapping[str, Any]
) -> ChangeOutcome:
    """Change the account fields the program lists (the customer number) with editAccount, on
    the account's primary card. ``profile`` is the guest read afresh."""
    changed = {
        name: value
        for name, value in values.items()
        if normalized(name, value) != normalized(name, profile.account_values.get(name))
    }
    if not changed:
        raise ChangeRefusedError("Nothing to change: every field is as on file.")
    account = with_card_numbers(profile.account, scope=scope_of(submission.actor))
    number = account.primary_card.printed_card_number if account.primary_card else None
    if not number:
        raise ChangeRefusedError("The account has no primary card to name it by.")
    record = changes_record(profile.account_values, changed)
    summary = "Account fields changed: " + ", ".join(
        f.label for f in profile.account_fields if f.name in changed
    )
    return account_change(
        submission,
        account_id=profile.account_id,
        account=account,
        action="guest.edit_account",
        params=record,
        call=lambda client: ENROLLMENT.write(
            lambda: client.enrollment.edit_account(
                printed_card_number=number, set_account_fields=changed
            )
        ),
        success=summary + ".",
        watch=PendingChange(
            action="guest.edit_account",
            panel="header",
            sources=("account",),
            check="account_values",
            expected={"fields": record["fields"], "digest": record["digest"]},
            summary=summary,
        ),
    )


def _address_change(
    submission: Submission,
    *,
    profile: GuestProfile,
    action: str,
    params: Mapping[str, Any],
    write: Callable[[EnrollmentService, str], Any],
    summary: str,
    address_id: str = "",
    digest: str = "",
) -> ChangeOutcome:
    """One change to the guest's addresses: ``write(enrollment, username)`` through the door,
    watched for on the page until an address reads back with ``digest`` (under ``address_id``
    when given), or, for a deletion (no digest), until ``address_id`` is gone."""
    username = profile.username
    return account_change(
        submission,
        account_id=profile.account_id,
        account=profile.account,
        action=action,
        params={**params, "addressDigest": digest} if digest else params,
        call=lambda client: ENROLLMENT.write(lambda: write(client.enrollment, username)),
        success=summary + ".",
        watch=PendingChange(
            action=action,
            panel="header",
            sources=("user",),
            check="address",
            expected={"addressId": address_id, "digest": digest},
            summary=summary,
        ),
    )


def address_add(
    submission: Submission, *, profile: GuestProfile, address: AddressFields
) -> ChangeOutcome:
    """Add ``address`` to the guest's addresses."""
    return _address_change(
        submission,
        profile=profile,
        action="guest.address_add",
        params=changes_record({}, address_wire(address)),
        write=lambda enrollment, username: enrollment.add_address_for_user(
            username=username, address=address
        ),
        summary=f"Address added: {address.label or 'address'}",
        digest=address_digest(address),
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
    return _address_change(
        submission,
        profile=profile,
        action="guest.address_edit",
        params={"addressId": address_id, **changes_record(before, after, names=names)},
        write=lambda enrollment, username: enrollment.edit_address_for_user(
            username=username, address_id=address_id, address=address
        ),
        summary=f"Address changed: {address.label or 'address'}",
        address_id=address_id,
        digest=address_digest(address),
    )


def address_delete(
    submission: Submission, *, profile: GuestProfile, address_id: str
) -> ChangeOutcome:
    """Remove the address ``address_id`` from the guest's addresses."""
    before = profile.address(address_id)
    return _address_change(
        submission,
        profile=profile,
        action="guest.address_delete",
        params={
            "addressId": address_id,
            **changes_record(address_wire(before), {}, names=list(ADDRESS_WIRE)),
        },
        write=lambda enrollment, username: enrollment.delete_address_for_user(
            username=username, address_id=address_id
        ),
        summary=f"Address deleted: {before.label or 'address'}",
        address_id=address_id,
    )
