"""The sandbox's data: merchants' guests, accounts, cards, wallets and their history.

Plain dataclasses, no locking: ``state.State`` owns the lock and decides which copy of the
model (live or the lagging "visible" one) an operation sees. Records that never change once
written (transactions, referrals, comments) are frozen so that ``Model.clone`` can share them
between copies, which keeps a reset to the seed cheap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

#: Paytronix answers date-times in the merchant's zone; the sandbox merchant is on US Eastern
#: standard time all year (a fixed offset keeps seeded data identical on every machine).
MERCHANT_TZ = timezone(timedelta(hours=-5))

ACTIVE = "ACTIVE"
DISABLED = "DISABLED"
EXCHANGED = "EXCHANGED"
#: A printed card that was never activated.
EXISTS = "EXISTS"
SUSPENDED = "SUSPENDED"
TERMINATED = "TERMINATED"
#: The status a combined-away account is left in: its cards and balances live elsewhere now.
ABANDONED = "ABANDONED"

REGISTERED = "REGISTERED"
UNREGISTERED = "UNREGISTERED"
VERIFICATION_PENDING = "VERIFICATION_PENDING"

MASKED_DIGITS = 6


def wire_datetime(moment: datetime) -> str:
    """``yyyy-mm-dd hh:mm:ss ±zzzz`` in the merchant's zone, as Paytronix sends it."""
    return moment.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M:%S %z")


def normalize_visit_code(code: str) -> str:
    """Visit codes are typed with dashes and in any case; they compare bare and upper-case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class Template:
    code: int
    label: str
    combinable: bool
    eclub: bool = False


@dataclass(frozen=True)
class Tier:
    code: int
    label: str


@dataclass(frozen=True)
class Store:
    code: str
    label: str
    group: int


@dataclass
class Card:
    number: str
    template_code: int
    status: str
    account_id: int
    registration_code: str = field(default="", repr=False)

    @property
    def masked(self) -> str:
        return self.number[-MASKED_DIGITS:]


@dataclass(frozen=True)
class Expiration:
    amount: Decimal
    expires: date


@dataclass
class Wallet:
    code: int
    name: str
    #: one of "storedValue", "charge", "points", "reward": where the wallet shows in replies.
    kind: str
    balance: Decimal
    scale: int
    hide_expiration_dates: bool = False
    expirations: list[Expiration] = field(default_factory=list)
    additional_expiring: Decimal = Decimal("0")

    def clone(self) -> Wallet:
        return dataclasses.replace(self, expirations=list(self.expirations))


@dataclass(frozen=True)
class Detail:
    wallet_code: int
    accrued: Decimal
    redeemed: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Transaction:
    transaction_id: int
    transaction_type: str
    moment: datetime
    details: tuple[Detail, ...]
    store_code: str
    store_name: str
    pos_number: str = ""
    terminal_id: str = ""
    operator_id: int = 0
    sender: str = "POS"
    auth_code: str = ""
    request_event: str = ""
    guest_visible: bool = True
    authorized: bool = True
    comment: str = ""
    system_comment: str = ""

    @property
    def balance_affecting(self) -> bool:
        return any(d.accrued or d.redeemed for d in self.details)


@dataclass(frozen=True)
class Referral:
    email: str
    status: str
    reward: str


@dataclass(frozen=True)
class BulkReferral:
    detail: str
    status: str
    reward: str


@dataclass(frozen=True)
class PendingReward:
    name: str
    amount: Decimal
    event_name: str
    event_code: str
    expires: date | None = None


@dataclass(frozen=True)
class AccountComment:
    comment: str
    author: str
    created: datetime


@dataclass(frozen=True)
class PaymentMethod:
    """A payment card saved with the program: the processor keeps the card, the sandbox (like
    Paytronix) only its reference, brand and last four digits."""

    payment_method_id: str
    card_type: str
    last_four: str
    cardholder_name: str
    usages: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutoRecharge:
    """Auto-recharge of a stored-value account: ``amount`` from ``payment_method_id`` whenever
    the balance falls below ``threshold``. Kept when turned off, as the guest's last settings."""

    enabled: bool
    threshold: Decimal
    amount: Decimal
    payment_method_id: str


@dataclass(frozen=True)
class Recharge:
    moment: datetime
    amount: Decimal
    card_type: str
    last_four: str
    state: str = "Succeeded"
    automatic: bool = False


@dataclass
class Account:
    account_id: int
    template_code: int
    tier_code: int
    status: str
    #: printed card numbers, the primary card first.
    cards: list[str]
    enroll_date: date
    store_group: int
    enrollment_store: Store
    username: str = ""
    registration_status: str = UNREGISTERED
    favorite_store: Store | None = None
    customer_number: str = ""
    perks: list[tuple[int, str]] = field(default_factory=list)
    external_accounts: list[tuple[str, str]] = field(default_factory=list)
    wallets: list[Wallet] = field(default_factory=list)
    pending_rewards: list[PendingReward] = field(default_factory=list)
    #: oldest first.
    transactions: list[Transaction] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    bulk_referrals: list[BulkReferral] = field(default_factory=list)
    referrals_available: int = 5
    comments: list[AccountComment] = field(default_factory=list)
    #: Payment Service: saved payment methods, auto-recharge, recharges (oldest first).
    payment_methods: list[PaymentMethod] = field(default_factory=list)
    auto_recharge: AutoRecharge | None = None
    recharges: list[Recharge] = field(default_factory=list)
    #: the surviving account this one was combined into (it is ABANDONED since).
    combined_into: int | None = None
    #: how many accounts were combined into this one: the first key of the main-account rule.
    combine_count: int = 0

    @property
    def primary_card(self) -> str:
        return self.cards[0]

    def wallet(self, code: int) -> Wallet | None:
        return next((w for w in self.wallets if w.code == code), None)

    def clone(self) -> Account:
        return dataclasses.replace(
            self,
            cards=list(self.cards),
            perks=list(self.perks),
            external_accounts=list(self.external_accounts),
            wallets=[w.clone() for w in self.wallets],
            pending_rewards=list(self.pending_rewards),
            transactions=list(self.transactions),
            referrals=list(self.referrals),
            bulk_referrals=list(self.bulk_referrals),
            comments=list(self.comments),
            payment_methods=list(self.payment_methods),
            recharges=list(self.recharges),
        )


@dataclass
class User:
    username: str
    password: str = field(repr=False)
    #: UserFields as sent on the wire (firstName, email, optIn, userLanguagePref...).
    fields: dict[str, Any]
    account_ids: list[int]
    addresses: list[dict[str, Any]] = field(default_factory=list)
    related_guests: list[dict[str, Any]] = field(default_factory=list)
    message_frequency: str = "ALL"
    #: when a password reset email was sent to the user, and to which address.
    password_resets: list[tuple[datetime, str]] = field(default_factory=list)

    def clone(self) -> User:
        return dataclasses.replace(
            self,
            fields=dict(self.fields),
            account_ids=list(self.account_ids),
            addresses=list(self.addresses),
            related_guests=list(self.related_guests),
            password_resets=list(self.password_resets),
        )


@dataclass
class VisitCode:
    code: str
    store_code: str
    check_number: str
    dollar_spent: Decimal
    check_date: date
    expires: date
    used_by: int | None = None


@dataclass(frozen=True)
class ReferralCode:
    code: str
    account_id: int
    template_code: int


@dataclass
class Model:
    templates: dict[int, Template]
    tiers: dict[int, Tier]
    stores: dict[str, Store]
    accounts: dict[int, Account] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    visit_codes: dict[str, VisitCode] = field(default_factory=dict)
    referral_codes: dict[str, ReferralCode] = field(default_factory=dict)
    next_transaction_id: int = 1

    def clone(self) -> Model:
        return dataclasses.replace(
            self,
            accounts={k: a.clone() for k, a in self.accounts.items()},
            cards={k: dataclasses.replace(c) for k, c in self.cards.items()},
            users={k: u.clone() for k, u in self.users.items()},
            visit_codes={k: dataclasses.replace(v) for k, v in self.visit_codes.items()},
            referral_codes=dict(self.referral_codes),
        )

    def card(self, number: str) -> Card | None:
        return self.cards.get(number.strip())

    def account(self, account_id: int) -> Account | None:
        return self.accounts.get(account_id)

    def account_for_card(self, number: str) -> Account | None:
        card = self.card(number)
        return self.accounts.get(card.account_id) if card else None

    def user_of(self, account: Account) -> User | None:
        return self.users.get(account.username) if account.username else None

    def accounts_of(self, user: User, template_code: int) -> list[Account]:
        """The user's accounts of one template (program), in the order the user got them."""
        found = (self.accounts[i] for i in user.account_ids)
        return [a for a in found if a.template_code == template_code]

    def main_account(self, user: User, template_code: int) -> Account | None:
        """The user's main account of a template, by the spec's rule (combineCard): the most
        previously combined cards, then an ACTIVE account, the earliest enrollment, an ACTIVE
        primary card, and the lowest printed card number."""
        candidates = self.accounts_of(user, template_code)
        if not candidates:
            return None

        def rank(account: Account) -> tuple[int, bool, date, bool, str]:
            primary = self.cards[account.primary_card]
            return (
                -account.combine_count,
                account.status != ACTIVE,
                account.enroll_date,
                primary.status != ACTIVE,
                primary.number,
            )

        return min(candidates, key=rank)

    def add_transaction(
        self,
        account: Account,
        *,
        transaction_type: str,
        moment: datetime,
        details: tuple[Detail, ...] = (),
        **extra: Any,
    ) -> Transaction:
        """Append a transaction to ``account``'s history with the next transaction id."""
        transaction = Transaction(
            transaction_id=self.next_transaction_id,
            transaction_type=transaction_type,
            moment=moment,
            details=details,
            **extra,
        )
        self.next_transaction_id += 1
        account.transactions.append(transaction)
        return transaction
