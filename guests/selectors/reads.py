"""The upstream reads of one guest, each cached for a short time per account.

Every read is keyed by the account id through ``portal.guestcache.guest_cache_key``, so the
audit door's invalidation after any change to that guest (``Target(account_id=...)``) drops
them all. ``fresh=True`` skips the cached copy (and stores the new one): the pending-change poll
uses it to see upstream's latest state.

Account information is cached per store-group scope: a store manager's copy was fetched with
``accessFilterStoreGroupCode`` and is never served to, or taken from, another scope.

A read answers what upstream just sent when it had to ask, and otherwise the cached copy, whose
card numbers are masked (``masked_card_number`` and ``card_hash`` only, see
``portal.guestcache.codec``). What needs a full number takes it from ``with_card_numbers``,
which reads the account from upstream when the copy in hand is a cached one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, cast

from guests.selectors.fanout import run_reads
from portal.audit.scrub import card_hash
from portal.guestcache import (
    MISSING,
    failure_memory,
    guest_cache_get,
    guest_cache_key,
    guest_cache_set,
)
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError
from portal.paytronix.replies import (
    AccountComment,
    AccountInformation,
    CardInformation,
    PendingEventReward,
    ReferralList,
    TransactionHistory,
    UserInformation,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HistoryFilter:
    """The history panel's filters, as transactionHistoryByAccount takes them."""

    date_start: date | None = None
    date_end: date | None = None
    balance_affecting_only: bool = False
    exclude_identify: bool = False

    def key(self) -> str:
        return ":".join(
            (
                self.date_start.isoformat() if self.date_start else "",
                self.date_end.isoformat() if self.date_end else "",
                "b" if self.balance_affecting_only else "",
                "x" if self.exclude_identify else "",
            )
        )


def cached[T](
    account_id: int, kind: str, load: Callable[[], T], *, fresh: bool = False, **params: Any
) -> T:
    """``load()`` through the guest cache of ``account_id``. A failure is remembered in this
    process for ``GUEST_FAILURE_SECONDS`` (``failure_memory``) and raised again without a
    call; a change to the guest (a new cache version) or ``fresh`` asks again."""
    key = guest_cache_key(kind, account_id=account_id, **params)
    if not fresh:
        found = guest_cache_get(key)
        if found is not MISSING:
            return cast(T, found)
        failure_memory.raise_if_failed(key)
    try:
        value = load()
    except PaytronixError as error:
        failure_memory.remember(key, error)
        raise
    guest_cache_set(key, value)
    return value


#: The cache kind of each guest page source (the accounts panel starts from the user).
_SOURCE_KINDS = {
    "user": "user",
    "accounts": "user",
    "referrals": "referrals",
    "pending_rewards": "pending-rewards",
    "notes": "notes",
}


def _account_params(scope: int | None) -> dict[str, Any]:
    """What an account read's cache key holds besides the account: the store group it was
    read for."""
    return {"scope": scope}


def history_params(filters: HistoryFilter, limit: int) -> dict[str, Any]:
    """What a history read's cache key holds besides the account: its filters and size."""
    return {"filters": filters.key(), "limit": limit}


def page_cache_keys(
    *,
    account_id: int,
    scope: int | None,
    sources: set[str],
    history: tuple[HistoryFilter, int],
) -> list[str]:
    """The cache keys a guest page with these sources looks up (``history``: its filters and
    how many transactions it asks for), for ``guest_cache_prefetch``: each made from the same
    parameters as the read that looks it up."""
    keys = [
        guest_cache_key("account", account_id=account_id, **_account_params(scope)),
        guest_cache_key("combinable", account_id=account_id),
    ]
    kinds = {_SOURCE_KINDS[source] for source in sources if source in _SOURCE_KINDS}
    keys += [guest_cache_key(kind, account_id=account_id) for kind in sorted(kinds)]
    if "history" in sources:
        keys.append(guest_cache_key("history", account_id=account_id, **history_params(*history)))
    return keys


def is_cached(account_id: int, kind: str, **params: Any) -> bool:
    """Whether ``cached`` would answer this read without asking upstream."""
    key = guest_cache_key(kind, account_id=account_id, **params)
    return guest_cache_get(key) is not MISSING


def account_by_id(*, account_id: int, scope: int | None, fresh: bool = False) -> AccountInformation:
    """Account information (balance inquiry), limited to store group ``scope`` if given."""
    return cached(
        account_id,
        "account",
        lambda: client_from_settings().guest.account_information_by_id(
            account_id=account_id, access_filter_store_group_code=scope
        ),
        fresh=fresh,
        **_account_params(scope),
    )


def account_by_card(*, printed_card_number: str, scope: int | None) -> AccountInformation:
    """Account information of a card; the reply is cached under its account id, so opening the
    guest page right after a card search costs no second round trip for it."""
    account = client_from_settings().guest.account_information(
        printed_card_number=printed_card_number, access_filter_store_group_code=scope
    )
    remember_account(account, scope=scope)
    return account


def remember_account(account: AccountInformation, *, scope: int | None) -> None:
    """Cache an account reply fetched some other way (by card, by eClub email)."""
    if account.account_id is not None:
        remember(account.account_id, "account", account, **_account_params(scope))


def account_cards(account: AccountInformation) -> list[CardInformation]:
    """The primary card (if any), then the additional cards."""
    cards = [account.primary_card] if account.primary_card is not None else []
    return cards + list(account.additional_cards)


def card_is(card: CardInformation, number: str) -> bool:
    """Whether ``card`` (fresh, or a cached copy with only its hash) is the card ``number``."""
    if card.printed_card_number:
        return card.printed_card_number == number
    return bool(card.card_hash) and card.card_hash == card_hash(number)


def card_account_id(
    number: str,
    *,
    read: Callable[[int], AccountInformation],
    card_user: Callable[[], UserInformation] | None = None,
) -> int | None:
    """The account card ``number`` is on, when a reply by card did not say (the spec's
    accountInformation reply has no ``accountId``; only the sandbox sends one): the card's user
    (userInformationByPrintedCardNumber: ``card_user()`` when the caller has it under way,
    otherwise read from upstream) names their accounts, and of several, the one whose cards
    hold ``number`` (each read by ``read``, at the same time).

    None for a card with no user (an anonymous card), or when not exactly one of the user's
    accounts that can be read holds it. Upstream out of reach is raised (``PaytronixError``).
    """
    if card_user is None:
        guest = client_from_settings().guest
        card_user = partial(
            guest.user_information_by_printed_card_number, printed_card_number=number
        )
    try:
        user = card_user()
    except FailureError:
        return None
    ids = list(dict.fromkeys(user.account_ids))
    if len(ids) <= 1:
        return ids[0] if ids else None
    found = run_reads({str(account_id): partial(read, account_id) for account_id in ids})
    holding = []
    for account_id in ids:
        outcome = found[str(account_id)]
        if isinstance(outcome.error, FailureError | InvalidStatusError):
            continue  # closed, or not shown to this reader: not the card's account to name
        if any(card_is(card, number) for card in account_cards(outcome.get())):
            holding.append(account_id)
    return holding[0] if len(holding) == 1 else None


def with_card_numbers(account: AccountInformation, *, scope: int | None) -> AccountInformation:
    """``account`` with its cards' full numbers: itself when it was just read from upstream,
    else the account read afresh (a cached copy has masked numbers only)."""
    if account.account_id is None or all(c.printed_card_number for c in account_cards(account)):
        return account
    return account_by_id(account_id=account.account_id, scope=scope, fresh=True)


def remember(
    account_id: int, kind: str, value: Any, *, text: str | None = None, **params: Any
) -> None:
    """Cache a read of the account fetched some other way (by card number, for the page a
    search opens), under the key ``cached`` looks it up by (``text``: its cache text, if
    made already)."""
    guest_cache_set(guest_cache_key(kind, account_id=account_id, **params), value, text=text)


def user_of_account(*, account_id: int, fresh: bool = False) -> UserInformation:
    return cached(
        account_id,
        "user",
        lambda: client_from_settings().guest.user_information_by_account_id(account_id=account_id),
        fresh=fresh,
    )


def history_of_account(
    *, account_id: int, filters: HistoryFilter, limit: int, fresh: bool = False
) -> TransactionHistory:
    """The newest ``limit`` transactions matching ``filters``."""

    def load() -> TransactionHistory:
        return client_from_settings().guest.transaction_history_by_account_id(
            account_id=account_id,
            date_start=filters.date_start,
            date_end=filters.date_end,
            max_number_of_results=limit,
            limit_to_balance_affecting_transactions=filters.balance_affecting_only or None,
            exclude_non_balance_affecting_identify_customer_transactions=(
                filters.exclude_identify or None
            ),
        )

    return cached(account_id, "history", load, fresh=fresh, **history_params(filters, limit))


def referrals_of_account(*, account_id: int, fresh: bool = False) -> ReferralList:
    return cached(
        account_id,
        "referrals",
        lambda: client_from_settings().guest.referrals_by_account_id(account_id=account_id),
        fresh=fresh,
    )


def pending_rewards_of_account(*, account_id: int, fresh: bool = False) -> list[PendingEventReward]:
    return cached(
        account_id,
        "pending-rewards",
        lambda: client_from_settings().guest.pending_event_rewards_by_account_id(
            account_id=account_id
        ),
        fresh=fresh,
    )


def notes_of_account(
    *, account_id: int, card_number: Callable[[], str], fresh: bool = False
) -> list[AccountComment]:
    """CSR notes on the account. The CSR service finds them by a card of the account:
    ``card_number()`` gives it (empty: the account has no card, so no notes), and is called
    only when the notes are read from upstream."""

    def load() -> list[AccountComment]:
        number = card_number()
        if not number:
            return []
        return client_from_settings().csr.account_comments(printed_card_number=number)

    return cached(account_id, "notes", load, fresh=fresh)
