"""Reads that preview a change about a card's balances: a balance transfer (both cards'
balances before and after) and a card exchange (the new card checked), each saying why the change
cannot go ahead when it cannot (checked here first, so that bad input costs no write).

The destination is the account's primary card (the guest page's account); the source is a card
the CSR types (a lost card, a gift card the guest holds). Which wallets move is the Balance
Transfer Service's rule as docs/wire-notes.md assumes it: a source wallet moves when the
destination's account has a wallet of the same code. With "every balance" chosen
(``mustTransferAllWalletBalances``) a balance that would be left behind refuses the transfer.
When nothing is left on the source account, upstream may close it (TERMINATED): the preview
warns of that.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from cards.bulk_file import mask_card_number
from cards.selectors import AccountCard, GuestCards, guest_cards
from guests.selectors import reads, scope_of
from guests.selectors.optional import TRANSACTIONS
from guests.selectors.scope import Viewer
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.paytronix.replies import AccountInformation
from portal.sentences import CARD_STATUS_WORDS, explain, words

#: The card states a balance can be moved from: a lost card is usually disabled first.
SOURCE_CARD_STATES = frozenset({"ACTIVE", "DISABLED"})


@dataclass(frozen=True)
class TransferLine:
    """One wallet across the two accounts, matched by wallet code."""

    wallet_code: int
    name: str
    source: Decimal
    destination: Decimal
    #: The destination's account has this wallet, so the source's balance moves.
    moves: bool

    @property
    def destination_after(self) -> Decimal:
        return self.destination + (self.source if self.moves else Decimal(0))

    @property
    def source_after(self) -> Decimal:
        return Decimal(0) if self.moves else self.source

    @property
    def left_behind(self) -> bool:
        return not self.moves and self.source > 0


@dataclass(frozen=True)
class TransferPreview:
    """What moving the source card's balances to the destination account would do."""

    guest: GuestCards
    #: The destination card (the account's primary card); None when the account has none.
    destination_card: AccountCard | None
    source: AccountInformation | None = field(repr=False)
    source_masked: str
    source_number: str = field(repr=False)
    must_transfer_all: bool = False
    lines: list[TransferLine] = field(default_factory=list)
    #: Why the transfer cannot go ahead; empty when it can.
    problem: str = ""

    @property
    def possible(self) -> bool:
        return not self.problem

    @property
    def source_account_id(self) -> int | None:
        return self.source.account_id if self.source is not None else None

    @property
    def moving(self) -> list[TransferLine]:
        return [line for line in self.lines if line.moves and line.source > 0]

    @property
    def left_behind(self) -> list[TransferLine]:
        return [line for line in self.lines if line.left_behind]

    @property
    def closes_source(self) -> bool:
        """Nothing stays on the source account: upstream may close it for good."""
        return bool(self.moving) and not self.left_behind


def _lines(source: AccountInformation, destination: AccountInformation) -> list[TransferLine]:
    held = {w.wallet_code: w for w in destination.wallets if w.wallet_code is not None}
    lines: dict[int, TransferLine] = {}
    for wallet in source.wallets:
        code = wallet.wallet_code
        if code is None or code in lines:
            continue
        target = held.get(code)
        lines[code] = TransferLine(
            wallet_code=code,
            name=wallet.name or (target.name if target else None) or f"Wallet {code}",
            source=wallet.balance or Decimal(0),
            destination=(target.balance or Decimal(0)) if target is not None else Decimal(0),
            moves=target is not None,
        )
    for code, wallet in held.items():
        if code not in lines:
            lines[code] = TransferLine(
                code,
                wallet.name or f"Wallet {code}",
                Decimal(0),
                wallet.balance or Decimal(0),
                True,
            )
    return list(lines.values())


def _source_problem(source: AccountInformation, number: str, guest: GuestCards) -> str:
    if source.account_id == guest.account_id:
        return "That card is one of this account's own cards: there is nothing to move."
    if source.account_status != "ACTIVE":
        return (
            f"That card's account is {(source.account_status or 'not active').lower()}, so its "
            "balances cannot be moved."
        )
    card = next((c for c in reads.account_cards(source) if reads.card_is(c, number)), None)
    status = card.status if card is not None else None
    if status not in SOURCE_CARD_STATES:
        return (
            f"That card is {(status or 'in an unknown state').lower()}: balances move only from "
            "an active or disabled card. A replaced (exchanged) card's balances are already on "
            "its new card."
        )
    return ""


def _destination_problem(guest: GuestCards, card: AccountCard | None) -> str:
    if guest.account.account_status != "ACTIVE":
        return "This account is not active, so no balance can be moved to it."
    if card is None:
        return "This account has no primary card to move the balances to."
    if card.status != "ACTIVE":
        return f"This account's primary card is {card.status.lower()}: enable it first."
    return ""


def _balance_problem(lines: list[TransferLine], must_transfer_all: bool) -> str:
    behind = [line for line in lines if line.left_behind]
    if not any(line.moves and line.source > 0 for line in lines):
        if behind:
            return (
                "None of that card's balances can go to this card's program: "
                + ", ".join(line.name for line in behind)
                + " would stay behind."
            )
        return "That card has no balance to move."
    if behind and must_transfer_all:
        return (
            "Not every balance can move to this card's program ("
            + ", ".join(line.name for line in behind)
            + " would stay behind). Choose to move what this card can take, or leave it."
        )
    return ""


def transfer_preview(
    *, viewer: Viewer, account_id: int, from_card_number: str, must_transfer_all: bool
) -> TransferPreview:
    """The preview of moving ``from_card_number``'s balances to ``account_id``'s primary card,
    both accounts read now (past the cache). An unknown or unusable source card is a
    ``problem``, not an error; the destination account raises as ``guest_cards`` does."""
    guest = guest_cards(viewer=viewer, account_id=account_id, fresh=True)
    destination = guest.primary_card
    masked = mask_card_number(from_card_number)
    base = TransferPreview(
        guest=guest,
        destination_card=destination,
        source=None,
        source_masked=masked,
        source_number=from_card_number,
        must_transfer_all=must_transfer_all,
    )
    problem = _destination_problem(guest, destination)
    if problem:
        return replace(base, problem=problem)
    try:
        source = reads.account_by_card(printed_card_number=from_card_number, scope=scope_of(viewer))
    except InvalidStatusError as closed:
        return replace(base, problem=f"That card cannot be used: {explain(closed)}")
    except FailureError as refused:
        return replace(base, problem=explain(refused))
    lines = _lines(source, guest.account)
    problem = _source_problem(source, from_card_number, guest) or _balance_problem(
        lines, must_transfer_all
    )
    return TransferPreview(
        guest=guest,
        destination_card=destination,
        source=source,
        source_masked=masked,
        source_number=from_card_number,
        must_transfer_all=must_transfer_all,
        lines=lines,
        problem=problem,
    )


# -- card exchange ---------------------------------------------------------------------------

#: The card states an exchange replaces (a lost card is usually disabled first).
EXCHANGEABLE_STATES = frozenset({"ACTIVE", "DISABLED"})
#: The account states upstream exchanges a card of.
EXCHANGE_ACCOUNT_STATES = frozenset({"ACTIVE", "SUSPENDED"})


def exchange_offered(card_status: str) -> bool:
    """Whether "Replace" is offered for a card in this state (the service switched on)."""
    return card_status in EXCHANGEABLE_STATES and TRANSACTIONS.available()


@dataclass(frozen=True)
class ExchangeCheck:
    """The card to replace, and what the check of the new card found."""

    guest: GuestCards
    card: AccountCard
    new_masked: str = ""
    new_number: str = field(default="", repr=False)
    #: Why the exchange cannot go ahead; empty when it can.
    problem: str = ""

    @property
    def possible(self) -> bool:
        return bool(self.new_number) and not self.problem


def old_card_problem(guest: GuestCards, card: AccountCard) -> str:
    """Why ``card`` cannot be replaced, or ""."""
    if card.status not in EXCHANGEABLE_STATES:
        return (
            f"This card is {words(CARD_STATUS_WORDS, card.status)}: only an active or disabled "
            "card can be replaced."
        )
    if guest.account.account_status not in EXCHANGE_ACCOUNT_STATES:
        return "This account is not active, so its cards cannot be replaced."
    return ""


def _new_card_problem(guest: GuestCards, number: str, scope: int | None) -> str:
    if any(c.printed_card_number == number for c in guest.cards):
        return "That is one of this account's own cards: the new card must be a new one."
    try:
        used = reads.account_by_card(printed_card_number=number, scope=scope)
    except InvalidStatusError as unreadable:
        if unreadable.card_status == "EXISTS":
            # Never activated: the only state a new card may be in. Its program cannot be read
            # before activation; upstream refuses another program's card itself.
            return ""
        return (
            "That card cannot be the new card: it is "
            f"{words(CARD_STATUS_WORDS, unreadable.card_status)}. Use a new card that was never "
            "used."
        )
    except FailureError:
        return (
            "We could not find that card in this program. Check the number printed on the new card."
        )
    program = used.card_template_label or "another program"
    if used.card_template_code != guest.account.card_template_code:
        return (
            f"That card is of another program ({program}) and already in use: the new card must "
            f"be an unused {guest.account.card_template_label or 'card of this program'}."
        )
    return (
        f"That card is already in use (account {used.account_id}): the new card must be one that "
        "was never used. To move that card's balances here, use Move a balance."
    )


def exchange_check(
    *,
    viewer: Viewer,
    account_id: int,
    masked_card_number: str,
    new_card_number: str = "",
    fresh: bool = True,
) -> ExchangeCheck:
    """The card ``masked_card_number`` of ``account_id`` (read now; from the guests' cache with
    ``fresh`` False, to redraw a refused form) and, when given, the check of
    ``new_card_number``: not one of the account's cards, and unused (never activated) as
    upstream shows it. Raises as ``guest_cards`` does, and ``CardNotFoundError``."""
    guest = guest_cards(viewer=viewer, account_id=account_id, fresh=fresh)
    card = guest.find(masked_card_number)
    check = ExchangeCheck(guest=guest, card=card, problem=old_card_problem(guest, card))
    if check.problem or not new_card_number:
        return check
    return replace(
        check,
        new_masked=mask_card_number(new_card_number),
        new_number=new_card_number,
        problem=_new_card_problem(guest, new_card_number, scope_of(viewer)),
    )
