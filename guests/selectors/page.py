"""What the guest page shows, as the templates read it: ``GuestPage`` and its rows.

A ``GuestPage`` holds the account (always loaded: it is the gate) and an ``ReadResult`` for each
other source a render loaded (``None`` when it did not need it); its properties turn upstream
codes into words and pick what each panel lists. Loading lives in ``guest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from guests import labels
from guests.labels import Choice
from guests.selectors import optional
from guests.selectors.fanout import ReadResult
from guests.selectors.history import (
    HistoryPage,
    HistoryQuery,
    HistoryRow,
    day_text,
    escape_text,
    html_or_escaped,
)
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
from portal.templatetags.amounts import amount

ACTIVE = "ACTIVE"

#: What upstream refuses on an account that is not ACTIVE (the spec's ``account_not_active``
#: codes of card_status, attach_card and combine_card), said to the CSR where the page offers
#: none of them.
NOT_ACTIVE_REFUSES = (
    "Paytronix refuses card status changes, attaching cards and combining on an account "
    "that is not active, so the page offers none of them."
)


@dataclass(frozen=True)
class GuestCard:
    """A card of one of the guest's accounts as the page shows it: masked, never the full
    number. ``combinable``: the card is its account's primary card and upstream says that
    account can be combined into the guest's main account of its program (isCardCombinable)."""

    masked_card_number: str
    status: str
    is_primary: bool
    account_id: int = 0
    combinable: bool = False
    #: The card's account is ACTIVE: upstream refuses status changes, attach and combine on
    #: any other (card_status/attach_card/combine_card ``account_not_active``).
    account_active: bool = True

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

    @cached_property
    def expiration_lines(self) -> list[ExpirationLine]:
        """The expirations as the page says them, judged today (a cached page stays right):
        upstream lists "expiring balances", so a date already gone is said as expired, never
        as upcoming, and never left out."""
        today = timezone.localdate()
        return [
            ExpirationLine(
                amount=item.amount or Decimal(0),
                expiration_date=item.expiration_date,
                past=item.expiration_date is not None and item.expiration_date < today,
            )
            for item in self.expirations
        ]

    def html(self, adjust_link: str = "") -> SafeString:
        """The wallet's row of the balances table; ``adjust_link`` is the cards app's Adjust
        button for it (HTML it drew), when the viewer may adjust it. Built here rather than by
        a template loop, as the history's rows are."""
        if self.hides_expirations:
            expiring = SafeString('<span class="muted">Not shown</span>')
        else:
            lines = [line.html for line in self.expiration_lines]
            if self.additional_expiring:
                lines.append(
                    format_html(
                        "<div>{} more expiring later</div>", amount(self.additional_expiring)
                    )
                )
            expiring = (
                SafeString("".join(lines))
                if lines
                else SafeString('<span class="muted">Nothing expiring</span>')
            )
        # The wallet's kind, unless its name says it already ("Stored Value (stored value)").
        kind = self.group.lower()
        kind_html = (
            ""
            if kind == self.name.lower()
            else f' <span class="muted">({escape_text(kind)})</span>'
        )
        return SafeString(
            f'<tr><th scope="row">{escape_text(self.name)}{kind_html}'
            f"{html_or_escaped(adjust_link)}</th>"
            f'<td class="num">{escape_text(str(amount(self.balance)))}</td><td>{expiring}</td></tr>'
        )


def wallet_rows_html(wallets: list[Wallet], adjust_links: Mapping[int, SafeString]) -> SafeString:
    """The balances table's rows, each wallet with its Adjust button when it has one."""
    return SafeString(
        "\n".join(
            wallet.html(
                adjust_links.get(wallet.wallet_code, "") if wallet.wallet_code is not None else ""
            )
            for wallet in wallets
        )
    )


@dataclass(frozen=True)
class ExpirationLine:
    amount: Decimal
    expiration_date: date | None
    #: The date is before today: the amount expired on it, it is not expiring.
    past: bool

    @property
    def html(self) -> SafeString:
        when = day_text(self.expiration_date) if self.expiration_date else None
        if self.past:
            return format_html(
                '<div class="nowrap"><span class="muted">{} expired on {}</span></div>',
                amount(self.amount),
                when,
            )
        return format_html(
            '<div class="nowrap">{} on {}</div>', amount(self.amount), when or "no date given"
        )


def _expirations_by_date(expirations: list[Expiration]) -> list[Expiration]:
    """One expiration per date, amounts on the same date summed, soonest first (undated last)."""
    summed: dict[date | None, Decimal] = {}
    for item in expirations:
        if item.amount:
            summed[item.expiration_date] = (
                summed.get(item.expiration_date, Decimal(0)) + item.amount
            )
    ordered = sorted(summed.items(), key=lambda pair: (pair[0] is None, pair[0] or date.min))
    return [Expiration(amount=amount, expiration_date=when) for when, amount in ordered]


def _wallet(group: str, info: BalanceInformation) -> Wallet:
    hides = bool(info.hide_expiration_dates)
    return Wallet(
        group=group,
        wallet_code=info.wallet_code,
        name=info.name or info.short_name or "",
        balance=info.balance if info.balance is not None else Decimal(0),
        expirations=[] if hides else _expirations_by_date(info.expirations),
        additional_expiring=None if hides else (info.additional_expiring_balance or None),
        hides_expirations=hides,
    )


def _account_cards(
    account_id: int, account: AccountInformation, combinable: bool
) -> list[GuestCard]:
    listed = [(account.primary_card, True)]
    listed += [(card, False) for card in account.additional_cards]
    return [
        GuestCard(
            masked_card_number=card.masked_card_number or "",
            status=card.status or "",
            is_primary=is_primary,
            account_id=account_id,
            # combineCard refuses an account or card that is not active (account_not_active,
            # card_not_active): Combine is not offered for them.
            combinable=combinable
            and is_primary
            and account.account_status == ACTIVE
            and card.status == ACTIVE,
            account_active=account.account_status == ACTIVE,
        )
        for card, is_primary in listed
        if card is not None
    ]


#: The group of a house charge balance: what the guest owes, not a loyalty balance (the cards
#: app adjusts none of them).
CHARGE_GROUP = "Charge"


def _account_wallets(account: AccountInformation) -> list[Wallet]:
    found: list[Wallet] = []
    if account.stored_value_balance is not None:
        found.append(_wallet("Stored value", account.stored_value_balance))
    if account.charge_balance is not None:
        found.append(_wallet(CHARGE_GROUP, account.charge_balance))
    found += [_wallet("Points", info) for info in account.point_balances]
    found += [_wallet("Rewards", info) for info in account.reward_balances]
    return found


@dataclass(frozen=True)
class UserAccount:
    """One of the guest's accounts (userInformation's ``accountIds``) as the cards panel shows
    it. ``account`` is None when upstream would not show it (``error`` says why: closed, or
    outside a store manager's group); ``combinable`` is None when that could not be read."""

    account_id: int
    account: AccountInformation | None
    combinable: bool | None
    error: str = ""
    #: Why Combine is not offered for this account (empty when it is, or cannot tell).
    why_not_combinable: str = ""

    @property
    def template_code(self) -> int | None:
        return self.account.card_template_code if self.account else None

    @property
    def template_label(self) -> str:
        label = self.account.card_template_label if self.account else ""
        return label or "this program"

    @property
    def status_words(self) -> str:
        return words(ACCOUNT_STATUS_WORDS, self.account.account_status) if self.account else ""

    @cached_property
    def cards(self) -> list[GuestCard]:
        if self.account is None:
            return []
        return _account_cards(self.account_id, self.account, bool(self.combinable))

    @cached_property
    def wallets(self) -> list[Wallet]:
        return _account_wallets(self.account) if self.account else []


def why_not_combinable(account: UserAccount, accounts: list[UserAccount]) -> str:
    """What the page says where it offers no Combine, from what isCardCombinable answered for
    every account of the guest of the same program: the one account answering false among
    others answering true is the main account; every one answering false means the program
    does not combine; alone, there is nothing to combine it with. An account upstream would
    combine but whose account or primary card is not active is refused by combineCard."""
    if account.account is None:
        return ""
    if account.combinable:
        primary = account.account.primary_card
        if account.account.account_status != ACTIVE:
            return f"Combine is not offered: this account is {account.status_words}."
        if primary is not None and primary.status != ACTIVE:
            return (
                "Combine is not offered: the account's primary card is "
                f"{words(CARD_STATUS_WORDS, primary.status)}; Paytronix combines active cards only."
            )
        return ""
    if account.combinable is not False:
        return ""
    label = account.template_label
    same = [
        a for a in accounts if a.account is not None and a.template_code == account.template_code
    ]
    if len(same) == 1:
        return f"The guest's only {label} account: there is nothing to combine it with."
    if any(a.combinable for a in same):
        return (
            f"The guest's main {label} account: the guest's other {label} accounts combine into it."
        )
    return f"Accounts of the {label} program cannot be combined."


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
    ``None``; a source that failed is an ``ReadResult`` with an error. What the template asks
    for again and again (wallets, cards, the user's fields...) is worked out once, so the page
    is complete before anything reads it."""

    account_id: int
    account: AccountInformation
    history_query: HistoryQuery = field(default_factory=HistoryQuery)
    user: ReadResult[UserInformation | None] | None = None
    history: ReadResult[HistoryPage] | None = None
    referrals: ReadResult[ReferralList] | None = None
    pending_rewards: ReadResult[list[PendingEventReward]] | None = None
    notes: ReadResult[list[AccountComment] | None] | None = None
    #: every account of the guest, this one first (see ``UserAccount``).
    accounts: ReadResult[list[UserAccount]] | None = None
    #: Names what the page shows when it was read from the cache alone, every source read
    #: (two pages with the same digest show the same); "" otherwise.
    data_digest: str = ""
    #: Read from Paytronix for this request (not from the cache alone): what it shows was most
    #: likely never drawn, so its drawn parts are not looked up (``guests.templatetags.fragments``).
    read_upstream: bool = False

    # -- who -----------------------------------------------------------------------------

    @cached_property
    def user_information(self) -> UserInformation | None:
        return self.user.value if self.user is not None and self.user.ok else None

    @cached_property
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
    def details_unknown(self) -> bool:
        """A registered guest whose details (the user's read) could not be read: their email,
        messaging, language and addresses are not known, not empty."""
        return self.registered and self.user_information is None

    @property
    def username(self) -> str:
        """The guest's username: from the account, or (an eClub account's reply has none)
        from the user."""
        fields = self.user_fields
        return self.account.username or (fields.username if fields else None) or ""

    @cached_property
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
    def account_active(self) -> bool:
        return self.account.account_status == ACTIVE

    @property
    def state_notice(self) -> str:
        """Why the page offers no card changes, for an account that is not ACTIVE (a
        successful read says ACTIVE or SUSPENDED; anything else is not shown at all)."""
        if self.account_active:
            return ""
        return f"This account is {self.account_status_words}. {NOT_ACTIVE_REFUSES}"

    @cached_property
    def last_transaction(self) -> HistoryRow | None:
        """The newest authorized transaction, when the history shown is the unfiltered first
        page (newest first); None otherwise (the summary then says where to look)."""
        if self.history is None or not self.history.ok:
            return None
        shown = self.history.get()
        if shown.query != HistoryQuery():
            return None
        return next((row for row in shown.rows if row.authorized), None)

    @cached_property
    def expirations_hidden(self) -> list[str]:
        """The wallets whose expiration dates the program hides (said once, under the table)."""
        return [wallet.name for wallet in self.wallets if wallet.hides_expirations]

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
    def accounts_error(self) -> str:
        return _error_sentence(self.accounts)

    @cached_property
    def this_account(self) -> UserAccount | None:
        """This account among the guest's, with whether it can be combined (None when the
        guest's accounts were not read: an anonymous card, or the read failed)."""
        listed = self.accounts.value if self.accounts is not None and self.accounts.ok else None
        return next((a for a in listed or [] if a.account_id == self.account_id), None)

    @cached_property
    def other_accounts(self) -> list[UserAccount]:
        """The guest's other accounts (attached, of any program), each with its cards."""
        if self.accounts is None or not self.accounts.ok:
            return []
        return [a for a in self.accounts.get() if a.account_id != self.account_id]

    @cached_property
    def cards(self) -> list[GuestCard]:
        this = self.this_account
        return _account_cards(self.account_id, self.account, bool(this and this.combinable))

    @cached_property
    def wallets(self) -> list[Wallet]:
        return _account_wallets(self.account)

    # -- referrals -----------------------------------------------------------------------

    @cached_property
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

    @cached_property
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
