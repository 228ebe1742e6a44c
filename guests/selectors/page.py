"""What the guest page shows, as the templates read it: ``GuestPage`` and its rows.

A ``GuestPage`` holds the account (always loaded: it is the gate) and an ``ReadResult`` for each
other source a render loaded (``None`` when it did not need it); its properties turn upstream
codes into words and pick what each panel lists. Loading lives in ``guest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from guests import labels
from guests.labels import Choice
from guests.selectors import optional
from guests.selectors.fanout import ReadResult
from guests.selectors.history import HistoryPage, HistoryQuery
from portal.paytronix.replies import (
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
    UserFields,
    UserInformation,
)
from portal.sentences import ACCOUNT_STATUS_WORDS, CARD_STATUS_WORDS, explain, words


@dataclass(frozen=True)
class GuestCard:
    """A card of the account as the page shows it: masked, never the full number."""

    masked_card_number: str
    status: str
    is_primary: bool

    @property
    def status_words(self) -> str:
        return words(CARD_STATUS_WORDS, self.status)


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


@dataclass(frozen=True)
class ReferralRow:
    """A referral as the page lists it: who, the status in words, the reward."""

    who: str
    status: str
    words: str
    reward: str


def is_registered(account: AccountInformation) -> bool:
    """The account has a user: it names one, or says REGISTERED (eClub replies name none)."""
    return bool(account.username) or account.registration_status == "REGISTERED"


def _error_sentence(outcome: ReadResult[Any] | None) -> str:
    if outcome is None or outcome.error is None:
        return ""
    return explain(outcome.error)


@dataclass
class GuestPage:
    """What the guest page (or one of its panels) shows. A source a render did not load is
    ``None``; a source that failed is an ``ReadResult`` with an error."""

    account_id: int
    account: AccountInformation
    history_query: HistoryQuery = field(default_factory=HistoryQuery)
    user: ReadResult[UserInformation | None] | None = None
    history: ReadResult[HistoryPage] | None = None
    referrals: ReadResult[ReferralList] | None = None
    pending_rewards: ReadResult[list[PendingEventReward]] | None = None
    notes: ReadResult[list[AccountComment] | None] | None = None

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
    def notes_unavailable(self) -> str:
        """Why there are no notes to show or add: the integration has no CSR service."""
        if self.notes is not None and self.notes.ok and self.notes.value is None:
            return optional.NOTES.sentence
        return ""

    @property
    def registered(self) -> bool:
        return is_registered(self.account) or self.user_fields is not None

    @property
    def username(self) -> str:
        """The guest's username: from the account, or (an eClub account's reply has none)
        from the user."""
        fields = self.user_fields
        return self.account.username or (fields.username if fields else None) or ""

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
        return words(labels.REGISTRATION_STATUS_WORDS, self.account.registration_status)

    @property
    def account_status_words(self) -> str:
        return words(ACCOUNT_STATUS_WORDS, self.account.account_status)

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
                words=words(labels.REFERRAL_STATUS_WORDS, r.status),
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
                words=words(labels.REFERRAL_STATUS_WORDS, r.status),
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
