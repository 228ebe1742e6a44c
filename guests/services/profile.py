"""The guest's details and addresses (Enrollment Service), each change through the door.

What the audit records of these changes is masked (``portal.audit.personal``): the fields
touched, each value masked, and a keyed digest of the new values that the settle function and
the page's pending check compare with what upstream reads back. The full values travel only in
the ``call`` closure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from guests.pending import PendingChange
from guests.selectors.optional import ENROLLMENT
from guests.selectors.profile import DetailField, GuestProfile
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
from portal.paytronix.replies import AccountInformation


def changed_values(on_file: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``values`` that differ from what is ``on_file``."""
    return {
        name: value
        for name, value in values.items()
        if normalized(name, value) != normalized(name, on_file.get(name))
    }


@dataclass(frozen=True)
class FieldsChange:
    """A change of the program's fields: which, where the page reads them back, how it is
    said, and the write."""

    action: str
    fields: tuple[DetailField, ...]
    on_file: Mapping[str, Any]
    #: The guest page's source and pending check that read the fields back.
    source: str
    check: str
    said: str
    write: Callable[[EnrollmentService, dict[str, Any]], Any]


def _fields_change(
    submission: Submission,
    *,
    profile: GuestProfile,
    account: AccountInformation,
    change: FieldsChange,
    values: Mapping[str, Any],
) -> ChangeOutcome:
    """Send the fields of ``values`` that differ from ``change.on_file`` with
    ``change.write(enrollment, changed)`` through the door, audited masked (the fields, their
    masked values and the digest of the new ones) and watched for on the page."""
    changed = changed_values(change.on_file, values)
    if not changed:
        raise ChangeRefusedError("Nothing to change: every field is as on file.")
    record = changes_record(change.on_file, changed)
    summary = f"{change.said}: " + ", ".join(f.label for f in change.fields if f.name in changed)
    return account_change(
        submission,
        account_id=profile.account_id,
        account=account,
        action=change.action,
        params=record,
        call=lambda client: ENROLLMENT.write(lambda: change.write(client.enrollment, changed)),
        success=summary + ".",
        watch=PendingChange(
            action=change.action,
            panel="header",
            sources=(change.source,),
            check=change.check,
            expected={"fields": record["fields"], "digest": record["digest"]},
            summary=summary,
        ),
    )


def guest_details_edit(
    submission: Submission, *, profile: GuestProfile, values: Mapping[str, Any]
) -> ChangeOutcome:
    """Change the guest's details (``values``: wire name → new value; only those that differ
    from ``profile`` are sent) with editUser, asking upstream to keep the program's unique
    fields unique. Each field upstream refuses comes back in ``field_errors``.

    ``profile`` is the guest read afresh (``guest_profile(fresh=True)``)."""
    username = profile.username

    def write(enrollment: EnrollmentService, changed: dict[str, Any]) -> None:
        unique = [name for name in profile.unique if changed.get(name)]
        enrollment.edit_user(
            username=username, set_user_fields=changed, enforce_unique_fields=unique
        )

    change = FieldsChange(
        action="guest.edit",
        fields=profile.fields,
        on_file=profile.values,
        source="user",
        check="user_values",
        said="Details changed",
        write=write,
    )
    return _fields_change(
        submission, profile=profile, account=profile.account, change=change, values=values
    )


def account_fields_edit(
    submission: Submission, *, profile: GuestProfile, values: Mapping[str, Any]
) -> ChangeOutcome:
    """Change the account fields the program lists (the customer number) with editAccount, on
    the account's primary card. ``profile`` is the guest read afresh."""
    account = with_card_numbers(profile.account, scope=scope_of(submission.actor))
    number = account.primary_card.printed_card_number if account.primary_card else None
    if not number:
        raise ChangeRefusedError("The account has no primary card to name it by.")
    change = FieldsChange(
        action="guest.edit_account",
        fields=profile.account_fields,
        on_file=profile.account_values,
        source="account",
        check="account_values",
        said="Account fields changed",
        write=lambda enrollment, changed: enrollment.edit_account(
            printed_card_number=number, set_account_fields=changed
        ),
    )
    return _fields_change(
        submission, profile=profile, account=account, change=change, values=values
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
