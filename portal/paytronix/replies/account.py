"""Account replies: balances, cards, account fields, pending rewards (spec "Reply Objects")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._wire import WireModel, enumerated, wire


@dataclass(frozen=True)
class CardInformation(WireModel):
    """A card of an account. ``status``: ACTIVE, DISABLED (EXCHANGED in account replies)."""

    printed_card_number: str | None = field(default=None, repr=False)
    masked_card_number: str | None = None
    status: str | None = field(default=None, metadata=enumerated())
    #: Not on the wire: a cached copy (``portal.guestcache``) has no ``printed_card_number`` and
    #: keeps this keyed hash of it (``portal.audit.scrub.card_hash``) to recognise the card by.
    card_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Expiration(WireModel):
    """Part of a wallet balance that expires on a date."""

    amount: Decimal | None = None
    expiration_date: date | None = None


@dataclass(frozen=True)
class BalanceInformation(WireModel):
    """One wallet of an account ("Points", "Stored Value", "Free Bagels")."""

    wallet_code: int | None = None
    name: str | None = None
    balance: Decimal | None = None
    expirations: list[Expiration] = field(default_factory=list)
    additional_expiring_balance: Decimal | None = None
    hide_expiration_dates: bool | None = None
    description: str | None = None
    image_code: str | None = None
    link: str | None = None
    link_label: str | None = None
    tiny_name: str | None = None
    short_name: str | None = None
    long_name: str | None = None
    reward_type: str | None = None
    reward_value_type: str | None = None


@dataclass(frozen=True)
class Perk(WireModel):
    """A perk on an account, e.g. ``{"code": 123, "label": "Gluten free"}``."""

    code: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class Store(WireModel):
    """A store reference, e.g. a favourite or the enrollment store."""

    code: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class ExternalAccount(WireModel):
    """An association with an account in another system (e.g. social media)."""

    integration: str | None = None
    account_code: str | None = None


@dataclass(frozen=True)
class AccountFields(WireModel):
    """The ``fields`` member of an account reply."""

    customer_number: str | None = None
    perks: list[Perk] = field(default_factory=list)
    perks_modified_date: date | None = None
    favorite_store: Store | None = None
    enroll_date: date | None = None
    external_accounts: list[ExternalAccount] = field(default_factory=list)
    favorite_stores: list[Store] = field(default_factory=list)


@dataclass(frozen=True)
class PendingEventReward(WireModel):
    """A reward of an active ActionToLoad / ClickToLoad event, not yet redeemable."""

    name: str | None = None
    tiny_name: str | None = None
    short_name: str | None = None
    long_name: str | None = None
    amount: Decimal | None = None
    expiration_date: date | None = None
    event_name: str | None = None
    event_code: str | None = field(default=None, metadata=wire("eventCode", "clickToLoadCode"))
    alternate_image_url: str | None = None


@dataclass(frozen=True)
class AccountIdentity(WireModel):
    """Of an accountInformation reply, only whose account it is and the status of the card it
    was asked by: for a caller that needs no more (a bulk row's audit target, and whether its
    card is already as the row asks), which then decodes three fields, not the wallets and
    cards. ``account_id`` is in the spec's eClub example reply only (the sandbox always sends
    it)."""

    account_id: int | None = None
    username: str | None = None
    query_card_status: str | None = field(default=None, metadata=enumerated())


@dataclass(frozen=True)
class AccountInformation(WireModel):
    """Account information (balance inquiry): status, program, tier, cards and wallets.

    ``account_id`` and ``enrollment_store`` appear in the spec's eClub example reply.
    """

    account_id: int | None = None
    username: str | None = None
    account_status: str | None = field(default=None, metadata=enumerated())
    query_card_status: str | None = field(default=None, metadata=enumerated())
    registration_status: str | None = field(default=None, metadata=enumerated())
    card_template_code: int | None = None
    card_template_label: str | None = None
    tier_code: int | None = None
    tier_label: str | None = None
    enrollment_store: Store | None = None
    fields: AccountFields | None = None
    primary_card: CardInformation | None = None
    additional_cards: list[CardInformation] = field(default_factory=list)
    stored_value_balance: BalanceInformation | None = None
    charge_balance: BalanceInformation | None = None
    point_balances: list[BalanceInformation] = field(default_factory=list)
    reward_balances: list[BalanceInformation] = field(default_factory=list)
    pending_event_rewards: list[PendingEventReward] = field(default_factory=list)

    @property
    def wallets(self) -> list[BalanceInformation]:
        """Every wallet: stored value, charge, points, then rewards (the guest page's order)."""
        money = [w for w in (self.stored_value_balance, self.charge_balance) if w is not None]
        return money + list(self.point_balances) + list(self.reward_balances)


@dataclass(frozen=True)
class ExternalAccountCards(WireModel):
    """The cards of the account linked to an external account code."""

    primary_card: CardInformation | None = None
    additional_cards: list[CardInformation] = field(default_factory=list)


@dataclass(frozen=True)
class CombineResult(WireModel):
    """Reply of combineCard: whose card it was and the account that now holds the balances."""

    username: str | None = None
    surviving_account_id: int | None = None
