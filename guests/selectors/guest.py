"""The guest page: one account, its guest, and everything a CSR needs, panel by panel.

Loading: the account is read first, with the viewer's store-group scope (the gate every other
read waits behind, and the source of the card number the notes are filed under); opened from a
search it is already cached. Then every other read the requested panels need runs at once
(``fanout``), so the page costs one upstream round trip. A read that fails leaves its panels
with an error to explain; the others render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from guests import labels
from guests.labels import Choice
from guests.messages import explain
from guests.selectors import reads
from guests.selectors.fanout import Outcome, run_reads
from guests.selectors.history import HistoryPage, HistoryQuery, history_page
from guests.selectors.scope import GuestNotFoundError, Viewer, note_scope_miss, scope_of
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.paytronix.models import (
    AccountComment,
    AccountInformation,
    AddressInformation,
    BalanceInformation,
    Expiration,
    ExternalAccount,
    PendingEventReward,
    Perk,
    ReferralList,
    RelatedGuest,
    Store,
    TransactionAnnotation,
    UserFields,
    UserInformation,
)

PANELS = ("header", "cards", "wallets", "history", "referrals", "profile", "notes")

#: The reads (besides the account itself) each panel needs.
PANEL_SOURCES: dict[str, tuple[str, ...]] = {
    "header": ("user",),
    "cards": (),
    "wallets": ("pending_rewards",),
    "history": ("history",),
    "referrals": ("referrals",),
    "profile": ("user",),
    "notes": ("notes",),
}


class GuestUnavailableError(Exception):
    """The account exists but upstream will not show it (``invalid_status``): closed, never
    activated... ``sentence`` says so with the account and card status."""

    def __init__(self, *, account_id: int, sentence: str, account_status: str, card_status: str):
        super().__init__(sentence)
        self.account_id = account_id
        self.sentence = sentence
        self.account_status = account_status
        self.card_status = card_status


def guest_account(*, viewer: Viewer, account_id: int, fresh: bool = False) -> AccountInformation:
    """The account as ``viewer`` may see it.

    Raises ``GuestNotFoundError`` (unknown, or outside a store manager's group: the attempt is
    logged), ``GuestUnavailableError`` (``invalid_status``), or the client's ``PaytronixError``.
    """
    scope = scope_of(viewer)
    try:
        return reads.account_by_id(account_id=account_id, scope=scope, fresh=fresh)
    except InvalidStatusError as error:
        raise GuestUnavailableError(
            account_id=account_id,
            sentence=explain(error),
            account_status=error.account_status,
            card_status=error.card_status,
        ) from None
    except FailureError:
        note_scope_miss(
            viewer,
            kind="account_id",
            account_id=account_id,
            exists_unscoped=lambda: client_from_settings().guest.account_information_by_id(
                account_id=account_id
            ),
        )
        raise GuestNotFoundError(account_id) from None


@dataclass(frozen=True)
class GuestCard:
    """A card of the account as the page shows it: masked, never the full number."""

    masked_card_number: str
    status: str
    is_primary: bool

    @property
    def status_words(self) -> str:
        return labels.words(labels.CARD_STATUS_WORDS, self.status)


@dataclass(frozen=True)
class Wallet:
    """A balance of the account, with its expirations unless the program hides them."""

    group: str
    wallet_code: int | None
    name: str
    balance: Decimal
    expirations: list[Expiration]
    additional_expiring: Decimal | None
    hides_expirations: bool


def _wallet(group: str, info: BalanceInformation) -> Wallet:
    hides = bool(info.hide_expiration_dates)
    return Wallet(
        group=group,
        wallet_code=info.wallet_code,
        name=info.name or info.short_name or "",
        balance=info.balance if info.balance is not None else Decimal(0),
        expirations=[] if hides else [e for e in info.expirations if e.amount],
        additional_expiring=None if hides else (info.additional_expiring_balance or None),
        hides_expirations=hides,
    )


def _read_user(account: AccountInformation, fresh: bool) -> UserInformation | None:
    # An anonymous card has no user: nothing to read, and nothing wrong.
    if account.account_id is None or not account.username:
        return None
    try:
        return reads.user_of_account(account_id=account.account_id, fresh=fresh)
    except FailureError as error:
        if error.error_code == "account_info.invalid_user":
            return None
        raise


@dataclass(frozen=True)
class ReferralRow:
    """A referral as the page lists it: who, the status in words, the reward."""

    who: str
    status: str
    words: str
    reward: str


def _error_sentence(outcome: Outcome[Any] | None) -> str:
    if outcome is None or outcome.error is None:
        return ""
    return explain(outcome.error)


@dataclass
class GuestPage:
    """What the guest page (or one of its panels) shows. A source a render did not load is
    ``None``; a source that failed is an ``Outcome`` with an error."""

    account_id: int
    account: AccountInformation
    history_query: HistoryQuery = field(default_factory=HistoryQuery)
    user: Outcome[UserInformation | None] | None = None
    history: Outcome[HistoryPage] | None = None
    referrals: Outcome[ReferralList] | None = None
    pending_rewards: Outcome[list[PendingEventReward]] | None = None
    notes: Outcome[list[AccountComment]] | None = None

    # -- who -----------------------------------------------------------------------------

    @property
    def user_information(self) -> UserInformation | None:
        return self.user.value if self.user is not None and self.user.ok else None

    @property
    def user_fields(self) -> UserFields | None:
        info = self.user_information
        return info.fields if info else None

    @property
    def user_error(self) -> str:
        return _error_sentence(self.user)

    @property
    def history_error(self) -> str:
        return _error_sentence(self.history)

    @property
    def referrals_error(self) -> str:
        return _error_sentence(self.referrals)

    @property
    def pending_rewards_error(self) -> str:
        return _error_sentence(self.pending_rewards)

    @property
    def notes_error(self) -> str:
        return _error_sentence(self.notes)

    @property
    def registered(self) -> bool:
        return bool(self.account.username)

    @property
    def name(self) -> str:
        fields = self.user_fields
        if fields is None:
            return ""
        return " ".join(p for p in (fields.salutation, fields.first_name, fields.last_name) if p)

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return "Registered guest" if self.registered else "Anonymous card"

    @property
    def registration_words(self) -> str:
        return labels.words(labels.REGISTRATION_STATUS_WORDS, self.account.registration_status)

    @property
    def account_status_words(self) -> str:
        return labels.words(labels.ACCOUNT_STATUS_WORDS, self.account.account_status)

    @property
    def enrolled(self) -> date | None:
        return self.account.fields.enroll_date if self.account.fields else None

    @property
    def enrollment_store(self) -> Store | None:
        return self.account.enrollment_store

    @property
    def language(self) -> Choice | None:
        fields = self.user_fields
        return labels.language(fields.user_language_pref) if fields else None

    @property
    def language_code(self) -> str:
        fields = self.user_fields
        return (fields.user_language_pref or "") if fields else ""

    @property
    def message_frequency(self) -> Choice | None:
        fields = self.user_fields
        return labels.message_frequency(fields.message_frequency) if fields else None

    @property
    def message_frequency_code(self) -> str:
        fields = self.user_fields
        return (fields.message_frequency or "") if fields else ""

    @property
    def email(self) -> str:
        fields = self.user_fields
        return (fields.email or "") if fields else ""

    @property
    def email_is_username(self) -> bool:
        return bool(self.email) and self.email.lower() == (self.account.username or "").lower()

    # -- cards and wallets ---------------------------------------------------------------

    @property
    def cards(self) -> list[GuestCard]:
        listed = [(self.account.primary_card, True)]
        listed += [(card, False) for card in self.account.additional_cards]
        return [
            GuestCard(
                masked_card_number=card.masked_card_number or "",
                status=card.status or "",
                is_primary=is_primary,
            )
            for card, is_primary in listed
            if card is not None
        ]

    @property
    def wallets(self) -> list[Wallet]:
        account = self.account
        found: list[Wallet] = []
        if account.stored_value_balance is not None:
            found.append(_wallet("Stored value", account.stored_value_balance))
        if account.charge_balance is not None:
            found.append(_wallet("Charge", account.charge_balance))
        found += [_wallet("Points", info) for info in account.point_balances]
        found += [_wallet("Rewards", info) for info in account.reward_balances]
        return found

    # -- referrals -----------------------------------------------------------------------

    @property
    def referral_rows(self) -> list[ReferralRow]:
        if self.referrals is None or not self.referrals.ok:
            return []
        return [
            ReferralRow(
                who=r.email or "",
                status=r.status or "",
                words=labels.words(labels.REFERRAL_STATUS_WORDS, r.status),
                reward=r.reward or "",
            )
            for r in self.referrals.get().user_referrals
        ]

    @property
    def bulk_referral_rows(self) -> list[ReferralRow]:
        if self.referrals is None or not self.referrals.ok:
            return []
        return [
            ReferralRow(
                who=r.detail or "",
                status=r.status or "",
                words=labels.words(labels.REFERRAL_STATUS_WORDS, r.status),
                reward=r.reward or "",
            )
            for r in self.referrals.get().bulk_referrals
        ]

    # -- profile -------------------------------------------------------------------------

    @property
    def addresses(self) -> list[AddressInformation]:
        info = self.user_information
        return info.addresses if info else []

    @property
    def related_guests(self) -> list[RelatedGuest]:
        info = self.user_information
        if info is None:
            return []
        fields = info.fields
        return info.related_guests or (fields.related_guests if fields else [])

    @property
    def perks(self) -> list[Perk]:
        return self.account.fields.perks if self.account.fields else []

    @property
    def external_accounts(self) -> list[ExternalAccount]:
        return self.account.fields.external_accounts if self.account.fields else []

    @property
    def favorite_stores(self) -> list[Store]:
        fields = self.account.fields
        if fields is None:
            return []
        stores = [fields.favorite_store] if fields.favorite_store else []
        return [s for s in stores + fields.favorite_stores if s.label or s.code]

    @property
    def other_account_ids(self) -> list[int]:
        info = self.user_information
        return [i for i in info.account_ids if i != self.account_id] if info else []


def _panel_reads(
    page: GuestPage, sources: Iterable[str], fresh: frozenset[str]
) -> dict[str, Callable[[], Any]]:
    account = page.account
    account_id = page.account_id
    card_number = account.primary_card.printed_card_number if account.primary_card else None
    available: dict[str, Callable[[], Any]] = {
        "user": lambda: _read_user(account, "user" in fresh),
        "history": lambda: history_page(
            account_id=account_id, query=page.history_query, fresh="history" in fresh
        ),
        "referrals": lambda: reads.referrals_of_account(
            account_id=account_id, fresh="referrals" in fresh
        ),
        "pending_rewards": lambda: reads.pending_rewards_of_account(
            account_id=account_id, fresh="pending_rewards" in fresh
        ),
        "notes": lambda: (
            reads.notes_of_account(
                account_id=account_id,
                printed_card_number=card_number,
                fresh="notes" in fresh,
            )
            if card_number
            else []
        ),
    }
    return {name: available[name] for name in sources}


def guest_page(
    *,
    viewer: Viewer,
    account_id: int,
    panels: Iterable[str] = PANELS,
    history: HistoryQuery | None = None,
    fresh: Iterable[str] = (),
) -> GuestPage:
    """Load what ``panels`` show for ``viewer``; the reads run concurrently.

    ``fresh`` names sources (``account``, ``user``, ``history``, ``referrals``,
    ``pending_rewards``, ``notes``) to read past the cache, for a change that is pending.
    Raises as ``guest_account`` does when the account itself cannot be shown.
    """
    fresh_sources = frozenset(fresh)
    account = guest_account(viewer=viewer, account_id=account_id, fresh="account" in fresh_sources)
    page = GuestPage(
        account_id=account_id, account=account, history_query=history or HistoryQuery()
    )
    sources = {source for panel in panels for source in PANEL_SOURCES[panel]}
    for name, outcome in run_reads(_panel_reads(page, sorted(sources), fresh_sources)).items():
        setattr(page, name, outcome)
    return page


def transaction_comments(
    *, viewer: Viewer, account_id: int, transaction_id: int
) -> TransactionAnnotation:
    """The guest-visible CSR and system comments of one transaction of the account."""
    guest_account(viewer=viewer, account_id=account_id)
    return reads.cached(
        account_id,
        "annotation",
        lambda: client_from_settings().guest.transaction_annotation(
            account_id=account_id, transaction_id=transaction_id
        ),
        transaction_id=transaction_id,
    )


def account_card_number(*, viewer: Viewer, account_id: int) -> str:
    """The printed number of the account's primary card, for calls that need one. Server-side
    only: it never goes into a URL, a page, a log or an audit record."""
    account = guest_account(viewer=viewer, account_id=account_id)
    number = account.primary_card.printed_card_number if account.primary_card else None
    if not number:
        raise GuestNotFoundError(account_id)
    return number
