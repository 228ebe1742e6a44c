"""Settling an ``unknown`` change to the guest's details, addresses or existence by reading the
guest back (the rules of ``portal.audit.settle``: applied when upstream shows it, not applied
only after the grace period, ``None`` when the read cannot tell).

The intent holds no personal data in full (``portal.audit.personal``): a change is recognised by
the keyed digest of its new values, recomputed from what upstream shows now. The password
reset email has no settle function: nothing upstream reads back whether a mail was sent, so an
unknown outcome of it goes to review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.audit.actions import settler_register
from portal.audit.personal import address_digest, field_value, values_digest
from portal.audit.settle import NO_SUCH_USER, applied, not_applied_after_grace
from portal.audit.types import Settlement, Target
from portal.paytronix.errors import FailureError

if TYPE_CHECKING:
    from portal.audit.models import AuditRecord


def _user(client: Any, intent: AuditRecord) -> Any | None:
    """The guest of the intent's account as upstream shows it now; ``None`` without one."""
    if intent.account_id is None:
        return None
    try:
        return client.guest.user_information_by_account_id(account_id=intent.account_id)
    except FailureError as error:
        if error.error_code == NO_SUCH_USER:
            return None
        raise


def _read_back(intent: AuditRecord, fields: Any, what: str) -> Settlement | None:
    """Applied when ``fields`` (a read's fields) give back the intent's digest of the new
    values of its ``fields``; else not applied once the grace period is over."""
    names = [str(n) for n in intent.params.get("fields") or []]
    now = values_digest({n: field_value(fields, n) for n in names})
    if now == intent.params.get("digest"):
        return applied(f"{what} read as sent")
    return not_applied_after_grace(intent, f"{what} do not read as sent")


def _digest_recorded(intent: AuditRecord) -> bool:
    names, digest = intent.params.get("fields"), intent.params.get("digest")
    return isinstance(names, list) and bool(names) and isinstance(digest, str)


def guest_edited_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """guest.edit: do the fields changed now read as the change set them (their digest)?"""
    if not _digest_recorded(intent):
        return None
    user = _user(client, intent)
    if user is None or user.fields is None:
        return None
    return _read_back(intent, user.fields, "the changed fields")


def account_edited_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """guest.edit_account: do the account's changed fields read as sent (their digest)?"""
    if intent.account_id is None or not _digest_recorded(intent):
        return None
    account = client.guest.account_information_by_id(account_id=intent.account_id)
    return _read_back(intent, account.fields, "the account's changed fields")


def address_changed_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """guest.address_add / guest.address_edit: is an address with the new values (by digest)
    on file (under the same ``addressId`` for an edit)? guest.address_delete: is the
    ``addressId`` gone?"""
    user = _user(client, intent)
    if user is None:
        return None
    address_id = str(intent.params.get("addressId") or "")
    if intent.action == "guest.address_delete":
        if not address_id:
            return None
        if all(a.address_id != address_id for a in user.addresses):
            return applied("the address is no longer on file")
        return not_applied_after_grace(intent, "the address is still on file")
    # The digest of the whole address sent (``digest`` covers only the fields an edit changed).
    digest = intent.params.get("addressDigest")
    if not isinstance(digest, str) or not digest:
        return None
    for address in user.addresses:
        if address_id and address.address_id != address_id:
            continue
        if address_digest(address) == digest:
            return applied("the address reads as sent")
    return not_applied_after_grace(intent, "no address reads as sent")


def guest_deleted_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """guest.delete: is the account's guest gone (no user, or the account registered to no
    one)?"""
    if intent.account_id is None:
        return None
    account = client.guest.account_information_by_id(account_id=intent.account_id)
    if not account.username:
        return applied("the account is registered to no one")
    if _user(client, intent) is None:
        return applied("the guest is gone")
    return not_applied_after_grace(intent, "the guest is still registered")


for _action, _settle in (
    ("guest.edit", guest_edited_settle),
    ("guest.edit_account", account_edited_settle),
    ("guest.address_add", address_changed_settle),
    ("guest.address_edit", address_changed_settle),
    ("guest.address_delete", address_changed_settle),
    ("guest.delete", guest_deleted_settle),
):
    settler_register(_action, _settle)
