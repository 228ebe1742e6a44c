"""Balance Transfer Service: transferBalances, moving one account's wallet balances to another's.

The vendor documents the parameters and ``success`` / ``failure``, not the error codes nor which
wallets move; the sandbox's rules, **ASSUMED** in docs/wire-notes.md:

* a source wallet moves when the destination's account has a wallet of the same code (a Rewards
  account takes every wallet of another Rewards account; a Gift Card account, which has only
  stored value, takes only the stored value); ``mustTransferAllWalletBalances`` refuses the
  transfer when a balance would be left behind;
* the source card may be ACTIVE or DISABLED (a lost card is usually disabled first), never
  EXCHANGED or unactivated; both accounts must be ACTIVE; the destination card ACTIVE;
* when nothing is left on the source account it is TERMINATED ("may be moved to a TERMINATED
  state and cannot be used again"); both histories get a "Balance Transfer" transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import ACTIVE, DISABLED, TERMINATED, Account, Detail, Model

#: The history's word for both sides of a transfer (ASSUMED: the vendor's is not readable).
TRANSACTION_TYPE = "Balance Transfer"
#: Sandbox error codes and messages (the vendor's errors page has no Balance Transfer section).
MESSAGES: dict[str, str] = {
    "balance_transfer.invalid_card": "Could not load card",
    "balance_transfer.invalid_from_card": "Could not load the card to transfer from",
    "balance_transfer.same_account": "Cannot transfer balances within one account",
    "balance_transfer.account_not_active": "Account not active",
    "balance_transfer.card_not_active": "Card not active",
    "balance_transfer.from_account_not_active": "The account to transfer from is not active",
    "balance_transfer.from_card_not_active": "The card to transfer from cannot be used",
    "balance_transfer.invalid_reg_code": (
        "Registration code of the card to transfer from is invalid"
    ),
    "balance_transfer.no_balance": "There is no balance to transfer",
    "balance_transfer.not_all_transferable": (
        "Not every wallet balance can be transferred to the receiving card"
    ),
}


def _refuse(code: str) -> Failure:
    return Failure(code, MESSAGES[code])


def _movable(source: Account, destination: Account) -> tuple[list[int], list[int]]:
    """Codes of the source's non-zero wallets the destination can take, and those it cannot."""
    moves: list[int] = []
    stays: list[int] = []
    for wallet in source.wallets:
        if wallet.balance <= 0:
            continue
        (moves if destination.wallet(wallet.code) is not None else stays).append(wallet.code)
    return moves, stays


def _plan(
    model: Model, number: str, from_number: str, registration_code: str, must_all: bool
) -> tuple[Account, Account, list[int]]:
    destination, card = lookups.account_by_card(model, number, "balance_transfer.invalid_card")
    source, from_card = lookups.account_by_card(
        model, from_number, "balance_transfer.invalid_from_card"
    )
    if source is destination:
        raise _refuse("balance_transfer.same_account")
    if destination.status != ACTIVE:
        raise _refuse("balance_transfer.account_not_active")
    if card.status != ACTIVE:
        raise _refuse("balance_transfer.card_not_active")
    if source.status != ACTIVE:
        raise _refuse("balance_transfer.from_account_not_active")
    if from_card.status not in (ACTIVE, DISABLED):
        raise _refuse("balance_transfer.from_card_not_active")
    if registration_code and registration_code != from_card.registration_code:
        raise _refuse("balance_transfer.invalid_reg_code")
    moves, stays = _movable(source, destination)
    if stays and must_all:
        raise _refuse("balance_transfer.not_all_transferable")
    if not moves:
        raise _refuse("balance_transfer.no_balance")
    return destination, source, moves


def _record(
    model: Model, account: Account, details: list[Detail], comment: str, moment: datetime
) -> None:
    model.add_transaction(
        account,
        transaction_type=TRANSACTION_TYPE,
        moment=moment,
        details=tuple(details),
        store_code="",
        store_name="Customer Service",
        sender="CSR",
        request_event="BT100",
        system_comment=comment,
    )


def _transfer(
    model: Model, destination: Account, source: Account, moves: list[int], moment: datetime
) -> None:
    into, out_of = [], []
    for code in moves:
        wallet, target = source.wallet(code), destination.wallet(code)
        assert wallet is not None
        assert target is not None
        amount = wallet.balance
        target.balance += amount
        target.expirations = [*target.expirations, *wallet.expirations]
        wallet.balance, wallet.expirations = Decimal("0"), []
        into.append(Detail(code, amount, Decimal("0"), target.balance))
        out_of.append(Detail(code, Decimal("0"), amount, Decimal("0")))
    to_card = model.cards[destination.primary_card].masked
    from_card = model.cards[source.primary_card].masked
    _record(model, destination, into, f"Balances transferred from card ending {from_card}.", moment)
    _record(model, source, out_of, f"Balances transferred to card ending {to_card}.", moment)
    if all(w.balance <= 0 for w in source.wallets):
        source.status = TERMINATED


@endpoint("balancetransfer/transferBalances", "POST")
def transfer_balances(request: Request) -> Json:
    number = request.text("printedCardNumber")
    from_number = request.text("fromPrintedCardNumber")
    registration_code = request.optional_text("fromRegCode")
    must_all = request.boolean("mustTransferAllWalletBalances")

    def write(model: Model, moment: datetime) -> Json:
        destination, source, moves = _plan(model, number, from_number, registration_code, must_all)
        _transfer(model, destination, source, moves, moment)
        return {"result": "success"}

    return request.state.write(write)
