"""Transaction Service: accountQuery (the guest search by phone, email, name, postal code),
the administrative wallet adjustment, addRedeem and its void, and the exchange of a lost card.

It answers in the Transaction Service's own words, as public callers of that service see them:
``authorizedSuccess`` for success and ``userDataError`` with a ``transaction.*`` code for a
request it cannot answer (docs/wire-notes.md "Result words").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.sandbox import wire
from portal.sandbox.catalog import STORED_VALUE
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import (
    ABANDONED,
    ACTIVE,
    DISABLED,
    EXCHANGED,
    EXISTS,
    MERCHANT_TZ,
    SUSPENDED,
    Account,
    Card,
    Detail,
    Expiration,
    Model,
    Transaction,
    User,
    Wallet,
)

CRITERIA = ("phone", "email", "firstName", "lastName", "postalCode")
DEFAULT_PAGE_SIZE = 25
SUCCESS = "authorizedSuccess"
DATA_ERROR = "userDataError"
REPLY_FIELDS = ("firstName", "lastName", "email", "phone", "mobilePhone", "postalCode", "city")


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


def _matches(user: User, query: dict[str, Any]) -> bool:
    """All given criteria match: phone on digits (phone or mobile), the rest case-insensitive."""
    for name in CRITERIA:
        wanted = str(query.get(name) or "").strip()
        if not wanted:
            continue
        if name == "phone":
            phones = {
                _digits(user.fields.get("phone", "")),
                _digits(user.fields.get("mobilePhone", "")),
            }
            if _digits(wanted) not in phones:
                return False
        elif str(user.fields.get(name, "")).strip().lower() != wanted.lower():
            return False
    return True


@endpoint("transaction/accountQuery", "POST")
def account_query(request: Request) -> Json:
    queries = request.params.get("accountQueries")
    if not isinstance(queries, list):
        raise Failure("transaction.no_criteria", result=DATA_ERROR)
    queries = [q for q in queries if isinstance(q, dict) and any(q.get(c) for c in CRITERIA)]
    if not queries:
        raise Failure("transaction.no_criteria", result=DATA_ERROR)
    page_size = request.optional_integer("pageSize") or DEFAULT_PAGE_SIZE
    store_group = request.optional_integer("accessFilterStoreGroupCode")

    def read(model: Model) -> Json:
        found: list[Json] = []
        for user in model.users.values():
            if not any(_matches(user, q) for q in queries):
                continue
            for account_id in user.account_ids:
                account = model.accounts[account_id]
                if account.status == ABANDONED:
                    continue
                if store_group is not None and account.store_group != store_group:
                    continue
                found.append(
                    {
                        "accountId": account.account_id,
                        "printedCardNumber": account.primary_card,
                        "fieldValues": {f: user.fields.get(f, "") for f in REPLY_FIELDS},
                    }
                )
        return {"result": SUCCESS, "accounts": found[:page_size]}

    return request.state.read(read)


# -- writes: the administrative adjustment, add/redeem and its void, the card exchange -------

#: The four administrative activities, and the history transaction each leaves.
ADMIN_ACTIVITIES = {
    "ADD": "Administrative Add",
    "REDEEM": "Administrative Redeem",
    "VOID_ADD": "Administrative Void Add",
    "VOID_REDEEM": "Administrative Void Redeem",
}
ADD_REDEEM_TYPE = "Add/Redeem"
VOID_ADD_REDEEM_TYPE = "Void Add/Redeem"
EXCHANGE_TYPE = "Card Exchange"
MAX_COMMENT = 499


def _refuse(code: str, message: str = "") -> Failure:
    return Failure(code, message, result=DATA_ERROR)


def _header(request: Request) -> dict[str, Any]:
    header = request.params.get("headerInfo")
    return header if isinstance(header, dict) else {}


def _card_of(params: dict[str, Any], key: str = "cardInfo") -> str:
    info = params.get(key)
    number = info.get("printedCardNumber") if isinstance(info, dict) else None
    if not isinstance(number, str) or not number.strip():
        raise _refuse("request.missing_argument", f"Missing required argument: {key}")
    return number.strip()


def _operator(value: object) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


def _quantity(value: object, scale: int) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except ArithmeticError:
        raise _refuse("transaction.invalid_quantity") from None
    if not quantity.is_finite() or quantity <= 0 or quantity != round(quantity, scale):
        raise _refuse("transaction.invalid_quantity")
    return quantity


def _card(model: Model, number: str, error_code: str) -> Card:
    found = model.card(number)
    if found is None:
        raise _refuse(error_code)
    return found


def _active_account(model: Model, number: str) -> tuple[Account, Card]:
    card = _card(model, number, "transaction.invalid_card")
    account = model.accounts[card.account_id]
    if card.status != ACTIVE:
        raise _refuse("transaction.card_not_in_required_state")
    if account.status != ACTIVE:
        raise _refuse("transaction.account_not_active")
    return account, card


def _wallet(account: Account, code: object) -> Wallet:
    try:
        wallet = account.wallet(int(str(code)))
    except ValueError:
        wallet = None
    if wallet is None:
        raise _refuse("transaction.invalid_wallet")
    return wallet


def _balances(account: Account) -> list[Json]:
    return [
        {"walletCode": w.code, "name": w.name, "balance": wire.money(w.balance, w.scale)}
        for w in account.wallets
    ]


def _reply(account: Account, card: Card, transaction: Transaction, **extra: Any) -> Json:
    stored_value = account.wallet(STORED_VALUE)
    reply: Json = {
        "result": SUCCESS,
        "pxTransactionId": str(transaction.transaction_id),
        "printedCardNumber": card.number,
        "walletContents": _balances(account),
        **extra,
    }
    if stored_value is not None:
        reply["svCurrentBalance"] = wire.money(stored_value.balance, stored_value.scale)
    return reply


@endpoint("transaction/adminAdjust", "POST")
def admin_adjust(request: Request) -> Json:
    """One wallet moved by one quantity, for administrative purposes, with a comment; the
    history transaction carries the comment (its annotation) and the caller's reference."""
    number = request.text("printedCardNumber")
    reference = request.text("posTransactionId")
    activity = request.text("activityType").upper()
    if activity not in ADMIN_ACTIVITIES:
        raise _refuse("transaction.invalid_activity_type")
    comment = request.optional_text("comment")
    if len(comment) > MAX_COMMENT:
        raise _refuse("transaction.invalid_comment")
    expiration = request.params.get("expiration")
    expires: date | None = None
    if isinstance(expiration, dict) and expiration.get("date"):
        try:
            expires = date.fromisoformat(str(expiration["date"]))
        except ValueError:
            raise _refuse("transaction.invalid_expiration") from None
    operator = _operator(request.params.get("operatorId") or _header(request).get("operatorId"))
    store_code = request.optional_text("storeCode")

    def write(model: Model, moment: datetime) -> Json:
        account, card = _active_account(model, number)
        wallet = _wallet(account, request.params.get("walletCode"))
        quantity = _quantity(request.params.get("quantity"), wallet.scale)
        adds = activity in ("ADD", "VOID_REDEEM")
        if not adds and wallet.balance < quantity:
            raise _refuse("transaction.insufficient_balance")
        if expires is not None and adds and expires <= moment.astimezone(MERCHANT_TZ).date():
            raise _refuse("transaction.invalid_expiration")
        wallet.balance += quantity if adds else -quantity
        if expires is not None and adds:
            wallet.expirations.append(Expiration(quantity, expires))
        detail = Detail(
            wallet.code,
            quantity if adds else Decimal(0),
            Decimal(0) if adds else quantity,
            wallet.balance,
        )
        store = model.stores.get(store_code)
        transaction = model.add_transaction(
            account,
            transaction_type=ADMIN_ACTIVITIES[activity],
            moment=moment,
            details=(detail,),
            store_code=store.code if store else "",
            store_name=store.label if store else "",
            pos_number=reference,
            operator_id=operator,
            sender="CSR",
            request_event="ADMIN_ADJUST",
            comment=comment,
        )
        return _reply(account, card, transaction)

    return request.state.write(write)


def _wallet_contents(request: Request, key: str) -> list[tuple[object, object]]:
    items = request.params.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _refuse("request.invalid_argument", f"Argument {key} must be a list of wallets")
    return [(item.get("walletCode"), item.get("quantity")) for item in items]


class AddRedeemCall:
    """What addRedeem and its void share: the card, the reference and the two lists."""

    def __init__(self, request: Request) -> None:
        self.number = _card_of(request.params)
        self.reference = str(_header(request).get("posTransactionId") or "").strip()
        if not self.reference:
            raise _refuse("request.missing_argument", "Missing required argument: posTransactionId")
        self.operator = _operator(_header(request).get("operatorId"))
        self.add = _wallet_contents(request, "addWalletContents")
        self.redeem = _wallet_contents(request, "redeemWalletContents")
        if not self.add and not self.redeem:
            raise _refuse("transaction.no_wallet_contents")

    def changes(self, account: Account) -> dict[int, tuple[Decimal, Decimal]]:
        """wallet code → (added, redeemed), refused as a whole if any wallet cannot take it."""
        changes: dict[int, tuple[Decimal, Decimal]] = {}
        for items, adding in ((self.add, True), (self.redeem, False)):
            for code, raw in items:
                wallet = _wallet(account, code)
                quantity = _quantity(raw, wallet.scale)
                added, redeemed = changes.get(wallet.code, (Decimal(0), Decimal(0)))
                changes[wallet.code] = (
                    (added + quantity, redeemed) if adding else (added, redeemed + quantity)
                )
        return changes

    def original(self, account: Account) -> Transaction | None:
        for item in account.transactions:
            if item.transaction_type == ADD_REDEEM_TYPE and item.pos_number == self.reference:
                return item
        return None

    def voided(self, account: Account) -> bool:
        return any(
            item.transaction_type == VOID_ADD_REDEEM_TYPE and item.pos_number == self.reference
            for item in account.transactions
        )


def _apply(
    model: Model,
    account: Account,
    changes: dict[int, tuple[Decimal, Decimal]],
    *,
    sign: int,
    moment: datetime,
    transaction_type: str,
    call: AddRedeemCall,
) -> Transaction:
    for code, (added, redeemed) in changes.items():
        wallet = account.wallet(code)
        assert wallet is not None
        if wallet.balance + sign * (added - redeemed) < 0:
            raise _refuse("transaction.insufficient_balance")
    details = []
    for code, (added, redeemed) in changes.items():
        wallet = account.wallet(code)
        assert wallet is not None
        wallet.balance += sign * (added - redeemed)
        moved = (added, redeemed) if sign > 0 else (redeemed, added)
        details.append(Detail(code, moved[0], moved[1], wallet.balance))
    return model.add_transaction(
        account,
        transaction_type=transaction_type,
        moment=moment,
        details=tuple(details),
        store_code="",
        store_name="",
        pos_number=call.reference,
        operator_id=call.operator,
        sender="PARTNER",
        request_event="ADD_REDEEM",
    )


@endpoint("transaction/addRedeem", "POST")
def add_redeem(request: Request) -> Json:
    call = AddRedeemCall(request)

    def write(model: Model, moment: datetime) -> Json:
        account, card = _active_account(model, call.number)
        changes = call.changes(account)
        transaction = _apply(
            model,
            account,
            changes,
            sign=1,
            moment=moment,
            transaction_type=ADD_REDEEM_TYPE,
            call=call,
        )
        return _reply(
            account,
            card,
            transaction,
            addWalletContents=[
                {"walletCode": code, "quantity": str(added)}
                for code, (added, _) in changes.items()
                if added
            ],
            redeemWalletContents=[
                {"walletCode": code, "quantity": str(redeemed)}
                for code, (_, redeemed) in changes.items()
                if redeemed
            ],
        )

    return request.state.write(write)


@endpoint("transaction/voidAddRedeem", "POST")
def void_add_redeem(request: Request) -> Json:
    """Undo the add/redeem with the same reference on the card's account, once."""
    call = AddRedeemCall(request)

    def write(model: Model, moment: datetime) -> Json:
        account, card = _active_account(model, call.number)
        original = call.original(account)
        if original is None:
            raise _refuse("transaction.original_not_found")
        if call.voided(account):
            raise _refuse("transaction.already_voided")
        changes = call.changes(account)
        recorded = {d.wallet_code: (d.accrued, d.redeemed) for d in original.details}
        if changes != recorded:
            raise _refuse("transaction.void_mismatch")
        transaction = _apply(
            model,
            account,
            changes,
            sign=-1,
            moment=moment,
            transaction_type=VOID_ADD_REDEEM_TYPE,
            call=call,
        )
        return _reply(account, card, transaction)

    return request.state.write(write)


@endpoint("transaction/exchange", "POST")
def exchange(request: Request) -> Json:
    """The old card's account moves to a new card of the same template that was never used:
    the new card takes the old one's place (primary if it was), the old is left EXCHANGED, and
    the new card's own empty account is gone."""
    old_number = _card_of(request.params)
    new_number = _card_of(request.params, "newCardInfo")
    reference = str(_header(request).get("posTransactionId") or "").strip()
    operator = _operator(_header(request).get("operatorId"))
    if old_number == new_number:
        raise _refuse("transaction.same_card")

    def write(model: Model, moment: datetime) -> Json:
        old = _card(model, old_number, "transaction.invalid_card")
        account = model.accounts[old.account_id]
        if old.status not in (ACTIVE, DISABLED):
            raise _refuse("transaction.card_not_in_required_state")
        if account.status not in (ACTIVE, SUSPENDED):
            raise _refuse("transaction.account_not_active")
        new = _card(model, new_number, "transaction.invalid_new_card")
        if new.status != EXISTS:
            raise _refuse("transaction.card_already_active")
        if new.template_code != old.template_code:
            raise _refuse("transaction.card_template_mismatch")
        blank = model.accounts.get(new.account_id)
        if blank is not None and (blank.username or blank.transactions or len(blank.cards) > 1):
            raise _refuse("transaction.card_already_active")
        if blank is not None:
            del model.accounts[blank.account_id]
        account.cards[account.cards.index(old.number)] = new.number
        account.cards.append(old.number)
        new.account_id, new.status = account.account_id, ACTIVE
        old.status = EXCHANGED
        transaction = model.add_transaction(
            account,
            transaction_type=EXCHANGE_TYPE,
            moment=moment,
            store_code="",
            store_name="",
            pos_number=reference,
            operator_id=operator,
            sender="CSR",
            request_event="EXCHANGE",
            guest_visible=False,
        )
        return _reply(account, new, transaction)

    return request.state.write(write)
