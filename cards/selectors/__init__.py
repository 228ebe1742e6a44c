"""Reads for the card screens: a card of an account by its masked number, whether a card can be
combined, and what the balances would be after a combine.

A card is always named by the account it shows on and its masked number (the last six digits,
as Paytronix masks it); the full printed number is looked up here, on the server, and never
travels in a URL. An account's cards are its primary card and its ``additionalCards``. A card
attached to the guest keeps its own account (one of the user's ``accountIds``) until a combine
moves that account into the guest's main account of the same program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from cards.bulk_file import mask_card_number
from cards.models import BulkUpload
from guests.selectors import guest_account, reads, scope_of
from guests.selectors.accounts import user_accounts
from guests.selectors.page import UserAccount
from guests.selectors.scope import Viewer
from portal.audit.models import SURVIVING_ACCOUNT
from portal.audit.scrub import card_hash
from portal.audit.selectors import latest_outcome
from portal.jobs.models import Job, JobItem, JobStatus
from portal.jobs.selectors import job_of_owner
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, PaytronixError
from portal.paytronix.replies import AccountInformation, BalanceInformation, UserInformation
from portal.sentences import (
    ACCOUNT_STATUS_WORDS,
    CARD_STATUS_WORDS,
    NotShownError,
    explain,
    words,
)
from portal.staff.models import User

CARD_JOB_KINDS = frozenset({"cards.combine"})


#: What the attach screens say when upstream's reply names no primary card for the account.
NO_PRIMARY_CARD = (
    "This account has no primary card in the loyalty system, so no card can be attached to "
    "it here. Ask a supervisor to check the account in the loyalty system."
)


def primary_card_number(guest: GuestCards) -> str:
    """The printed number of the guest's primary card, which attaching is done from.

    Raises ``ValidationError`` (``NO_PRIMARY_CARD``) when the account has none.
    """
    primary = guest.primary_card
    if primary is None:
        raise ValidationError(NO_PRIMARY_CARD)
    return primary.full_number


class CardNotFoundError(NotShownError):
    """No card with that masked number on the account (or it matches more than one)."""

    @property
    def sentence(self) -> str:
        return "This account has no card with that number."


@dataclass(frozen=True)
class AccountCard:
    """A card as the card screens show it. ``printed_card_number`` stays on the server, and is
    empty when the account came from the cache (which keeps ``card_hash`` instead): a change
    reads the account from upstream (``guest_cards(fresh=True)``) and takes ``full_number``."""

    account_id: int
    masked_card_number: str
    status: str
    is_primary: bool
    printed_card_number: str = field(default="", repr=False)
    card_hash: str = field(default="", repr=False)

    @property
    def full_number(self) -> str:
        """The printed number; a card read from the cache has none to give, and a write must
        never be sent with a masked one."""
        if not self.printed_card_number:
            raise RuntimeError("a card read from the cache has no full number: read it fresh")
        return self.printed_card_number


@dataclass(frozen=True)
class GuestCards:
    """An account, its guest and their cards."""

    account_id: int
    account: AccountInformation = field(repr=False)
    user: UserInformation | None = field(repr=False)
    cards: list[AccountCard]

    @property
    def guest_name(self) -> str:
        fields = self.user.fields if self.user else None
        if fields is None:
            return ""
        return " ".join(part for part in (fields.first_name, fields.last_name) if part)

    @property
    def username(self) -> str:
        return self.account.username or ""

    @property
    def primary_card(self) -> AccountCard | None:
        """The account's primary card; None when upstream's reply names none (nothing can be
        attached to such an account)."""
        return next((card for card in self.cards if card.is_primary), None)

    @property
    def additional_cards(self) -> list[AccountCard]:
        return [card for card in self.cards if not card.is_primary]

    def find(self, masked_card_number: str) -> AccountCard:
        """The card of this account with that masked number; ``CardNotFoundError`` if none."""
        matches = [c for c in self.cards if c.masked_card_number == masked_card_number]
        if len(matches) != 1:
            raise CardNotFoundError(masked_card_number)
        return matches[0]


def _own_cards(account_id: int, account: AccountInformation) -> list[AccountCard]:
    cards = []
    listed = [(account.primary_card, True)] + [(c, False) for c in account.additional_cards]
    for info, is_primary in listed:
        if info is None or not (info.printed_card_number or info.masked_card_number):
            continue
        number = info.printed_card_number or ""
        cards.append(
            AccountCard(
                account_id=account_id,
                masked_card_number=info.masked_card_number or mask_card_number(number),
                status=info.status or "",
                is_primary=is_primary,
                printed_card_number=number,
                card_hash=card_hash(number) if number else info.card_hash or "",
            )
        )
    return cards


def _user_or_none(account: AccountInformation, *, fresh: bool) -> UserInformation | None:
    if account.account_id is None or not account.username:
        return None
    try:
        return reads.user_of_account(account_id=account.account_id, fresh=fresh)
    except FailureError:
        # A card registered but whose user record cannot be read still has cards to manage.
        return None


def guest_cards(*, viewer: Viewer, account_id: int, fresh: bool = False) -> GuestCards:
    """The account as ``viewer`` may see it, its registered user (if any) and their cards.

    Reads through the guest page's cache (``guests.selectors.reads``), limited to a store
    manager's store group. ``fresh=True`` reads the account from upstream (and caches it): a
    submitted change acts on the cards as they are now, not as a cached copy shows them.

    Raises ``GuestNotFoundError`` (unknown, or outside the viewer's store group),
    ``GuestUnavailableError`` (a closed account...) or the client's ``PaytronixError``.
    """
    account = guest_account(viewer=viewer, account_id=account_id, fresh=fresh)
    user = _user_or_none(account, fresh=False)
    return GuestCards(
        account_id=account_id, account=account, user=user, cards=_own_cards(account_id, account)
    )


@dataclass(frozen=True)
class WalletLine:
    """One wallet across the two accounts of a combine, matched by wallet code."""

    wallet_code: int | None
    name: str
    this_account: Decimal
    other_account: Decimal

    @property
    def after(self) -> Decimal:
        return self.this_account + self.other_account


@dataclass(frozen=True)
class CombinePreview:
    """What a combine would do: this account (an attached one) goes into the guest's main
    account of its program, with the balances of both and their sums."""

    guest: GuestCards
    card: AccountCard
    #: The main account it would go into: the guest's other account of the same program that
    #: isCardCombinable says is not combinable itself. None when no such account was read.
    main_account: AccountInformation | None = field(repr=False)
    combinable: bool
    wallets: list[WalletLine]
    #: Why this account cannot be combined, when it cannot.
    why_not: str = ""

    @property
    def main_account_id(self) -> int | None:
        return self.main_account.account_id if self.main_account is not None else None

    @property
    def main_card_count(self) -> int:
        """How many cards the main account holds now (each combine adds the combined ones):
        what the warning before a combine names, the suspension being upstream's guard
        against too many cards in one account."""
        if self.main_account is None:
            return 0
        primary = 1 if self.main_account.primary_card is not None else 0
        return primary + len(self.main_account.additional_cards)


def wallets_of(account: AccountInformation) -> list[BalanceInformation]:
    """Every wallet of an account, in the order the guest page shows them."""
    return account.wallets


def combined_wallets(
    first: AccountInformation, second: AccountInformation | None
) -> list[WalletLine]:
    """Per wallet (by code, then name), each account's balance and their sum."""
    lines: dict[tuple[int | None, str], list[Decimal]] = {}
    names: dict[tuple[int | None, str], str] = {}
    for index, account in enumerate((first, second)):
        if account is None:
            continue
        for wallet in wallets_of(account):
            key = (wallet.wallet_code, "" if wallet.wallet_code is not None else wallet.name or "")
            names.setdefault(key, wallet.name or f"Wallet {wallet.wallet_code}")
            amounts = lines.setdefault(key, [Decimal(0), Decimal(0)])
            amounts[index] += wallet.balance or Decimal(0)
    return [
        WalletLine(
            wallet_code=key[0], name=names[key], this_account=amounts[0], other_account=amounts[1]
        )
        for key, amounts in lines.items()
    ]


def combine_preview(
    *, viewer: Viewer, account_id: int, masked_card_number: str, fresh: bool = True
) -> CombinePreview:
    """The preview of combining the account ``account_id`` (through its card
    ``masked_card_number``) into the guest's main account of its program.

    Everything is read now, past the cache: the figures a supervisor confirms are upstream's
    current ones, also right after another combine. The guest's accounts and whether each is
    combinable are read at the same time (``guests.selectors.accounts``); the main account is
    the one of the same program upstream does not call combinable. ``fresh=False`` takes them
    from the cache (a form shown again with its errors: nothing is combined on them). Raises
    ``CardNotFoundError`` for a card not on the account, and as ``guest_cards`` does.
    """
    account = guest_account(viewer=viewer, account_id=account_id, fresh=fresh)
    cards = _own_cards(account_id, account)
    card = GuestCards(account_id=account_id, account=account, user=None, cards=cards).find(
        masked_card_number
    )
    user = _user_or_none(account, fresh=fresh)
    listed = user_accounts(
        account=account,
        account_id=account_id,
        user=lambda: user,
        scope=scope_of(viewer),
        fresh=fresh,
    )
    this = next((a for a in listed if a.account_id == account_id), None)
    main = next(
        (
            a.account
            for a in listed
            if a.account_id != account_id
            and a.account is not None
            and a.template_code == account.card_template_code
            and a.combinable is False
        ),
        None,
    )
    why_not = _why_not_combined(user=user, this=this, card=card, main=main)
    combinable = not why_not
    return CombinePreview(
        guest=GuestCards(account_id=account_id, account=account, user=user, cards=cards),
        card=card,
        main_account=main,
        combinable=combinable,
        wallets=combined_wallets(main, account) if main is not None else [],
        why_not=why_not,
    )


def _why_not_combined(
    *,
    user: UserInformation | None,
    this: UserAccount | None,
    card: AccountCard,
    main: AccountInformation | None,
) -> str:
    """Why this combine cannot be made, as precisely as the reads tell (empty: it can). About
    the account itself, what the guest page says (``guests.selectors.page.why_not_combinable``:
    not combinable, or not active, or its primary card not); here what the page does not know:
    the card chosen and the main account. A combine upstream would refuse (an account suspended
    by an earlier combine...) is said so before, with no balances "after" that will never be."""
    if user is None or this is None:
        return (
            "This card is not attached to a registered guest: attach it to the guest's "
            "account first."
        )
    if this.why_not_combinable:
        return this.why_not_combinable
    if not this.combinable:
        return (
            "Whether this account can be combined could not be read from the loyalty system "
            "just now. Reload the page in a moment to try again."
        )
    if card.status not in ("", "ACTIVE"):
        return (
            f"Card ending {card.masked_card_number} is {words(CARD_STATUS_WORDS, card.status)}; "
            "only an active card can be combined. Enable it first if the guest still has it."
        )
    if main is not None and main.account_status not in (None, "ACTIVE"):
        return (
            f"The main account {main.account_id} it would go into is "
            f"{words(ACCOUNT_STATUS_WORDS, main.account_status)}, so nothing can be combined "
            "into it until it is active again (a supervisor has it reviewed in the loyalty "
            "system)."
        )
    return ""


def account_balances(*, account_id: int) -> list[BalanceInformation]:
    """The wallets of an account as upstream shows them now (after a combine)."""
    account = client_from_settings().guest.account_information_by_id(account_id=account_id)
    return wallets_of(account)


@dataclass(frozen=True)
class CardJobOutcome:
    """A combine or attach-and-combine job as its page shows it."""

    job: Job
    item: JobItem | None
    #: The account the combine was asked from (the guest page it started on).
    account_id: int | None
    #: The account holding the balances now (``survivingAccountId``, or the guest's account).
    surviving_account_id: int | None
    #: Its wallets as upstream shows them now; empty until the job succeeded.
    balances: list[BalanceInformation]
    #: Upstream could not be read for the balances: say so rather than show none.
    balances_error: str = ""


def _recorded_detail(item: JobItem | None) -> dict[str, Any]:
    if item is None or item.intent is None:
        return {}
    latest = latest_outcome(item.intent)
    return dict(latest.upstream_detail) if latest is not None else {}


def card_job_outcome(*, owner: User, job_id: int) -> CardJobOutcome | None:
    """The owner's combine or attach-and-combine job, and once it succeeded the surviving
    account's balances read now. None for another person's job or another kind of job."""
    job = job_of_owner(owner=owner, job_id=job_id)
    if job is None or job.kind not in CARD_JOB_KINDS:
        return None
    item = job.items.select_related("intent").order_by("position").first()
    account_id = job.params.get("account_id")
    account_id = int(account_id) if isinstance(account_id, int) else None
    surviving = _recorded_detail(item).get(SURVIVING_ACCOUNT) or account_id
    balances: list[BalanceInformation] = []
    error = ""
    if job.status == JobStatus.SUCCEEDED and isinstance(surviving, int):
        try:
            balances = account_balances(account_id=surviving)
        except PaytronixError as trouble:
            error = explain(trouble)
    return CardJobOutcome(
        job=job,
        item=item,
        account_id=account_id,
        surviving_account_id=surviving if isinstance(surviving, int) else None,
        balances=balances,
        balances_error=error,
    )


def bulk_upload_of_owner(*, owner: User, upload_id: int) -> BulkUpload | None:
    """The upload if ``owner`` made it: other people's uploads do not exist for them."""
    return BulkUpload.objects.filter(pk=upload_id, owner=owner).select_related("job").first()
