"""What a privacy deletion removes, said exactly before it is asked for, and what the guest
page says afterwards (when, by whom), read from the audit log.

What Paytronix erases with ``DELETE enrollment/user.json`` is not in the vendor text we could
read (docs/wire-notes.md): the screen lists the personal data the console sees on file, which
is what the deletion is for, and says plainly what it cannot promise about the accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from guests.selectors.profile import GuestProfile
from portal.approvals.models import ApprovalRequest, Status
from portal.approvals.selectors import LIST_SIZE
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.personal import value_mask

DELETE_ACTION = "guest.delete"


@dataclass(frozen=True)
class DeletionItem:
    """One piece of personal data the deletion removes, as the CSR may see it (masked)."""

    what: str
    shown: str


def deletion_preview(profile: GuestProfile) -> list[DeletionItem]:
    """Every piece of personal data on file for the guest, masked, that the deletion removes."""
    items = [DeletionItem("Username and password (the guest can no longer sign in)", "")]
    for spec in profile.fields:
        value = profile.values.get(spec.name)
        if value not in (None, ""):
            items.append(DeletionItem(spec.label, value_mask(spec.name, value)))
    for address in profile.addresses:
        label = address.label or "Address"
        items.append(DeletionItem(f"Address: {label}", value_mask("address1", address.address1)))
    return items


@dataclass(frozen=True)
class GuestDeletion:
    """A privacy deletion of the guest of an account, as the audit log recorded it."""

    deleted_at: datetime
    deleted_by: str
    requested_by: str = ""


def guest_deletion(*, account_id: int) -> GuestDeletion | None:
    """The latest privacy deletion made for ``account_id``, or ``None``."""
    done = (
        AuditRecord.objects.filter(
            kind=Kind.OUTCOME,
            action=DELETE_ACTION,
            account_id=account_id,
            outcome=Outcome.SUCCEEDED,
        )
        .select_related("intent")
        .order_by("-seq")
        .first()
    )
    if done is None:
        return None
    asked = done.intent.params.get("requested_by") if done.intent is not None else ""
    return GuestDeletion(
        deleted_at=done.occurred_at,
        deleted_by=done.actor_username,
        requested_by=str(asked or ""),
    )


def deletion_waiting_among(
    requests: Iterable[ApprovalRequest], *, account_id: int
) -> ApprovalRequest | None:
    """The oldest open deletion request of account ``account_id``, given its open requests as
    the page reads them anyway (``open_requests_of_account``: newest first, at most
    ``LIST_SIZE``; those that only touch it too act on another account), if any. A full list
    may have left older requests out, the deletion among them: it is then asked for directly
    (one query, only for an account with that many open requests)."""
    listed = list(requests)
    if len(listed) >= LIST_SIZE:
        return deletion_waiting(account_id=account_id)
    waiting = [
        r
        for r in listed
        if r.action == DELETE_ACTION and r.status == Status.OPEN and r.account_id == account_id
    ]
    return min(waiting, key=lambda r: r.requested_at, default=None)


def deletion_waiting(*, account_id: int) -> ApprovalRequest | None:
    """The deletion of the guest of ``account_id`` waiting for a second person, if any."""
    return (
        ApprovalRequest.objects.filter(
            action=DELETE_ACTION, account_id=account_id, status=Status.OPEN
        )
        .order_by("requested_at")
        .first()
    )
