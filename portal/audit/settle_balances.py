"""Settling an unknown outcome of a balance transfer (``balance.transfer``) or a card exchange
(``card.exchange``) by reading upstream back: the same rules as ``portal.audit.settle`` (applied
when the state proves it, not applied only after the grace period, ``None`` when the state
cannot tell), kept apart so that module stays one topic (guests and their cards' status).

Registered at the end of this module (imported by ``AuditConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from portal.audit.actions import settler_register
from portal.audit.settle import (
    applied,
    card_with_hash,
    not_applied_after_grace,
    param_hash,
)
from portal.audit.types import Settlement, Target
from portal.paytronix.errors import InvalidStatusError

if TYPE_CHECKING:
    from portal.audit.models import AuditRecord

#: Upstream stamps transactions on its own clock: allow a little before the intent.
_CLOCK_SLACK = timedelta(minutes=2)
#: The history is asked from the day before the intent (its dates are the merchant's).
_HISTORY_DAYS_BEFORE = 1


def _expected_moves(intent: AuditRecord) -> dict[int, Decimal]:
    """``{wallet code: amount}`` the transfer was to move, as the preview recorded them."""
    moves: dict[int, Decimal] = {}
    for line in intent.params.get("moves") or []:
        if not isinstance(line, Mapping):
            continue
        try:
            moves[int(line["wallet_code"])] = Decimal(str(line["amount"]))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            continue
    return moves


def _balances(account: Any) -> dict[int, Decimal]:
    """``{wallet code: balance}`` of every wallet of an account reply."""
    return {
        wallet.wallet_code: wallet.balance or Decimal(0)
        for wallet in account.wallets
        if wallet.wallet_code is not None
    }


def _accrued(transaction: Any) -> dict[int, Decimal]:
    return {
        detail.wallet_code: detail.accrued
        for detail in transaction.details
        if detail.wallet_code is not None and detail.accrued
    }


def _transactions_since(client: Any, account_id: int, intent: AuditRecord) -> Iterable[Any]:
    since = intent.occurred_at - _CLOCK_SLACK
    history = client.guest.transaction_history_by_account_id(
        account_id=account_id,
        date_start=(intent.occurred_at - timedelta(days=_HISTORY_DAYS_BEFORE)).date(),
        limit_to_balance_affecting_transactions=True,
    )
    for transaction in history.transactions:
        moment = transaction.occurred_at
        if moment is None or moment.tzinfo is None or moment >= since:
            yield transaction


def balance_transferred_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """balance.transfer: did the destination (the intent's account) receive the balances?

    Applied: the destination's history has a transaction, no older than the intent, that
    accrues exactly the amounts the preview recorded to move (not a balance difference: other
    activity moves balances too), or the source account is TERMINATED (the vendor: a transfer
    may close it). Not applied, after the grace period: no such transaction, and the source
    account still active with every one of those amounts on it.
    """
    moves = _expected_moves(intent)
    source_id = intent.params.get("fromAccountId")
    if not moves or intent.account_id is None or not isinstance(source_id, int):
        return None
    for transaction in _transactions_since(client, intent.account_id, intent):
        if _accrued(transaction) == moves:
            return applied("the destination's history shows the balances received")
    try:
        source = client.guest.account_information_by_id(account_id=source_id)
    except InvalidStatusError as closed:
        if closed.account_status == "TERMINATED":
            return applied("the source account was closed by the transfer")
        return None
    if source.account_status != "ACTIVE":
        return None
    held = _balances(source)
    if all(held.get(code, Decimal(0)) >= amount for code, amount in moves.items()):
        return not_applied_after_grace(intent, "the source still holds the balances")
    return None


def card_exchanged_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """card.exchange: is the new card on the account (the intent's) and the old one exchanged?

    Applied: the new card is one of the account's cards and the old one (the intent's card)
    reads EXCHANGED. Not applied, after the grace period: the new card is not on the account
    and the old one is still usable (ACTIVE or DISABLED).
    """
    new_hash = param_hash(intent, "newPrintedCardNumber")
    if not new_hash or not intent.card_hash or intent.account_id is None:
        return None
    account = client.guest.account_information_by_id(account_id=intent.account_id)
    new = card_with_hash(account, new_hash)
    old = card_with_hash(account, intent.card_hash)
    if new is not None and (old is None or old.status == "EXCHANGED"):
        return applied("the new card is on the account and the old one exchanged")
    if new is None and old is not None and old.status in ("ACTIVE", "DISABLED"):
        return not_applied_after_grace(intent, f"the old card is still {old.status}")
    return None


settler_register("balance.transfer", balance_transferred_settle)
settler_register("card.exchange", card_exchanged_settle)
