"""Settling an ``unknown`` outcome by reading upstream state back.

A write whose transport failed after it may have reached Paytronix is never resent; instead,
one of these functions reads the state the write would have produced and says whether it did.
Each receives the client, the intent record and, when the door settles in the process that
still holds it, the ``Target`` (with the full card number, which the record never has). It
returns a ``Settlement``, or ``None`` when the state cannot tell (the reconciler then tries again
later, and marks the intent for review once it is too old).

The parameter names read here are the ones the door records for each action; see
``portal/audit/actions.py`` and the door's docstring.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.audit.models import Outcome
from portal.audit.scrub import card_hash
from portal.paytronix.errors import PaytronixResultError

if TYPE_CHECKING:
    from portal.audit.models import AuditRecord
    from portal.audit.services import Target


@dataclass(frozen=True)
class Settlement:
    outcome: Outcome
    message: str


def _applied(message: str) -> Settlement:
    return Settlement(Outcome.SUCCEEDED, f"settled by reading back: {message}")


def _not_applied(message: str) -> Settlement:
    return Settlement(Outcome.FAILED, f"settled by reading back: {message}")


def _full_card(target: Target | None) -> str:
    return target.printed_card_number if target is not None else ""


def _account(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    number = _full_card(target)
    if number:
        return client.guest.account_information(printed_card_number=number)
    if intent.account_id is not None:
        return client.guest.account_information_by_id(account_id=intent.account_id)
    return None


def _cards(account: Any) -> Iterable[Any]:
    if account.primary_card is not None:
        yield account.primary_card
    yield from account.additional_cards


def _card_with_hash(account: Any, wanted: str) -> Any | None:
    for card in _cards(account):
        if card.printed_card_number and card_hash(card.printed_card_number) == wanted:
            return card
    return None


def card_status_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """card.disable / card.enable: is the card now in the status asked for?"""
    wanted = "DISABLED" if intent.action == "card.disable" else "ACTIVE"
    account = _account(client, intent, target)
    card = _card_with_hash(account, intent.card_hash) if account is not None else None
    if card is None or not card.status:
        return None
    if card.status == wanted:
        return _applied(f"the card is {card.status}")
    return _not_applied(f"the card is still {card.status}")


def card_attached_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """card.attach: is the other card now one of the account's cards?"""
    other = intent.params.get("otherPrintedCardNumber")
    other_hash = other.get("hash") if isinstance(other, dict) else None
    account = _account(client, intent, target)
    if account is None or not other_hash:
        return None
    if _card_with_hash(account, other_hash) is not None:
        return _applied("the other card is attached to the account")
    return _not_applied("the other card is not attached to the account")


def _user(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    if target is not None and target.username:
        return client.guest.user_information(username=target.username)
    username = intent.params.get("username")
    if isinstance(username, str) and username:
        return client.guest.user_information(username=username)
    if intent.account_id is not None:
        return client.guest.user_information_by_account_id(account_id=intent.account_id)
    number = _full_card(target)
    if number:
        return client.guest.user_information_by_printed_card_number(printed_card_number=number)
    return None


def language_settle(client: Any, intent: AuditRecord, target: Target | None) -> Settlement | None:
    """language.set: does the user's language preference now read as the one asked for?"""
    wanted = intent.params.get("languageCode")
    user = _user(client, intent, target)
    if not wanted or user is None or user.fields is None or not user.fields.user_language_pref:
        return None
    if user.fields.user_language_pref == wanted:
        return _applied(f"the language preference is {wanted}")
    return _not_applied(f"the language preference is still {user.fields.user_language_pref}")


def _referrals(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    username = (target.username if target is not None else "") or intent.params.get("username")
    if isinstance(username, str) and username:
        return client.guest.referrals_by_username(username=username)
    if intent.account_id is not None:
        return client.guest.referrals_by_account_id(account_id=intent.account_id)
    number = _full_card(target)
    if number:
        return client.guest.referrals_by_printed_card_number(printed_card_number=number)
    return None


def referrals_added_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """referrals.add: are all the referred emails now in the guest's referrals (or none)?"""
    emails = {str(email).lower() for email in intent.params.get("emails") or []}
    referrals = _referrals(client, intent, target)
    if not emails or referrals is None:
        return None
    present = {(r.email or "").lower() for r in referrals.user_referrals} & emails
    if present == emails:
        return _applied("every referred email is listed")
    if not present:
        return _not_applied("none of the referred emails is listed")
    return None


def username_migrated_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """username.migrate_email: does the email now work as the user's username?"""
    email = intent.params.get("email")
    if not isinstance(email, str) or not email:
        return None
    try:
        user = client.guest.user_information(username=email)
    except PaytronixResultError:
        return _not_applied("the email is not a username")
    if user.fields is not None and (user.fields.username or "").lower() == email.lower():
        return _applied("the email is the username")
    return None
