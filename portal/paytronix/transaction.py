"""Transaction Service (B2B): account search, the administrative wallet adjustment, add/redeem
and its void, and the exchange of a lost or damaged card (vendor page
``pxs_api_reference/transaction.html``).

Every request carries ``headerInfo`` (with ``merchantId``) and ``"authentication": "b2b"``.
The Transaction Service answers ``authorizedSuccess`` for success and ``userDataError`` with a
``transaction.*`` code for a request it refuses (3P-CODE; ``success`` and ``failure`` are
accepted too). accountQuery is a read sent as POST: never retried, and a transport fault on it
is a plain ``TransportError``. The writes are never retried either, and only the audit door may
call them. Shapes, and what is ASSUMED of them, are in docs/wire-notes.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from .endpoint import Endpoint
from .replies import AccountQueryMatch, TransactionReply
from .session import Transport

#: The Transaction Service's own result words (see the module docstring).
_ERRORS = frozenset({"userDataError"})
_SUCCESS = frozenset({"authorizedSuccess"})


def _endpoint(path: str, *, write: bool) -> Endpoint:
    return Endpoint(
        path,
        "POST",
        write=write,
        errors=_ERRORS,
        also_success=_SUCCESS,
        authentication="b2b",
    )


ACCOUNT_QUERY = _endpoint("transaction/accountQuery.json", write=False)
ADMIN_ADJUST = _endpoint("transaction/adminAdjust.json", write=True)
ADD_REDEEM = _endpoint("transaction/addRedeem.json", write=True)
VOID_ADD_REDEEM = _endpoint("transaction/voidAddRedeem.json", write=True)
EXCHANGE = _endpoint("transaction/exchange.json", write=True)

#: What an administrative adjustment does to the wallet, as the vendor's portal names the four
#: (Add, Redeem, Void Add, Void Redeem): ADD accrues; REDEEM counts as a redemption; VOID_ADD
#: takes value away without counting as a redemption; VOID_REDEEM gives a redemption back.
ActivityType = Literal["ADD", "REDEEM", "VOID_ADD", "VOID_REDEEM"]
ACTIVITY_TYPES: tuple[ActivityType, ...] = ("ADD", "REDEEM", "VOID_ADD", "VOID_REDEEM")
#: Who the console is to the Transaction Service (``headerInfo.senderId``), as partners say it.
SENDER_ID = "PARTNER"
#: The loyalty program (``headerInfo.programId``): ``PX`` as the vendor tells partners to send.
PROGRAM_ID = "PX"
#: The longest comment sent with an adjustment (the vendor's comment limit elsewhere, 500).
MAX_COMMENT_LENGTH = 499
#: The longest caller reference (``posTransactionId``) the console sends.
MAX_REFERENCE_LENGTH = 40
#: How every reference the console makes begins (``cards.services.wallets``): what tells one
#: of ours from a POS check number where a history transaction shows it.
CONSOLE_REFERENCE_PREFIX = "LD-"


def reference_absence_unproven(
    transactions: Iterable[tuple[str | None, datetime | None]], *, since: datetime
) -> bool:
    """Whether a history that lacks a reference the console sent proves nothing by it.

    ``transactions`` are the history's (check number, date) pairs as read. That upstream
    keeps our ``posTransactionId`` as the check number (``posTransactionNumber``) is ASSUMED
    (docs/wire-notes.md). When no transaction carries any console reference and one is dated
    since ``since`` (or has no date with a zone to tell), that one may be the transaction the
    reference went with, kept under a number of upstream's own. A console reference on any
    transaction shows upstream keeps them; nothing since shows nothing happened."""
    listed = list(transactions)
    if any((number or "").startswith(CONSOLE_REFERENCE_PREFIX) for number, _ in listed):
        return False
    return any(moment is None or moment.tzinfo is None or moment >= since for _, moment in listed)


def _quantity(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError("quantity must be a positive decimal")
    return value


def _reference(value: str) -> str:
    if not value or len(value) > MAX_REFERENCE_LENGTH or not value.isascii():
        raise ValueError(f"reference must be 1 to {MAX_REFERENCE_LENGTH} ASCII characters")
    return value


class TransactionService:
    """The Transaction Service endpoints the console uses, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _header(self, *, operator_id: str = "", reference: str = "") -> dict[str, Any]:
        header: dict[str, Any] = {"merchantId": self._transport.config.merchant_id}
        if operator_id:
            header.update(operatorId=operator_id, senderId=SENDER_ID, programId=PROGRAM_ID)
        if reference:
            header["posTransactionId"] = reference
        return header

    def account_query(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        postal_code: str | None = None,
        page_size: int | None = None,
        access_filter_store_group_code: int | None = None,
    ) -> list[AccountQueryMatch]:
        """Accounts matching every criterion given (at least one); an empty list if none.

        ``access_filter_store_group_code`` limits the matches to one store group, as it does
        for accountInformation (a store manager's scope); agreed with the sandbox, not in the
        vendor text we could read.
        """
        criteria = {
            "phone": phone,
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "postalCode": postal_code,
        }
        criteria = {key: value for key, value in criteria.items() if value}
        if not criteria:
            raise ValueError(
                "give at least one of phone, email, first_name, last_name, postal_code"
            )
        reply = self._transport.call(
            ACCOUNT_QUERY,
            {
                "headerInfo": self._header(),
                "pageSize": page_size,
                "accessFilterStoreGroupCode": access_filter_store_group_code,
                "accountQueries": [criteria],
            },
        )
        return [AccountQueryMatch.from_wire(item) for item in reply.get("accounts") or []]

    def admin_adjust(
        self,
        *,
        printed_card_number: str,
        wallet_code: int,
        quantity: Decimal,
        activity_type: ActivityType,
        comment: str,
        reference: str,
        operator_id: str,
        expiration: date | None = None,
        store_code: str | None = None,
    ) -> TransactionReply:
        """*Write*: adjust one wallet of the card's account directly, for administrative
        purposes (a CSR's correction), leaving a transaction in the account's history that
        carries ``comment`` and ``reference`` (sent as ``posTransactionId``, unique per
        adjustment: how a lost reply is settled from the history).

        ``quantity`` is positive; ``activity_type`` says which way it goes. ``expiration`` is
        the date added value expires, for programs whose wallets expire.
        """
        if activity_type not in ACTIVITY_TYPES:
            raise ValueError(f"activity_type must be one of {', '.join(ACTIVITY_TYPES)}")
        if not comment.strip() or len(comment) > MAX_COMMENT_LENGTH:
            raise ValueError(f"comment must be 1 to {MAX_COMMENT_LENGTH} characters")
        reply = self._transport.call(
            ADMIN_ADJUST,
            {
                "headerInfo": self._header(operator_id=operator_id),
                "operatorId": operator_id,
                "storeCode": store_code,
                "posTransactionId": _reference(reference),
                "printedCardNumber": printed_card_number,
                "walletCode": wallet_code,
                "quantity": _quantity(quantity),
                "expiration": (
                    {"date": expiration, "type": "absolute"} if expiration is not None else None
                ),
                "activityType": activity_type,
                "comment": comment,
            },
        )
        return TransactionReply.from_wire(reply)

    def _add_redeem_body(
        self,
        *,
        printed_card_number: str,
        add: Sequence[tuple[int, Decimal]],
        redeem: Sequence[tuple[int, Decimal]],
        reference: str,
        operator_id: str,
    ) -> dict[str, Any]:
        if not add and not redeem:
            raise ValueError("give at least one wallet to add to or redeem from")
        return {
            "headerInfo": self._header(operator_id=operator_id, reference=_reference(reference)),
            "cardInfo": {"printedCardNumber": printed_card_number, "swipeFlag": False},
            "addWalletContents": [
                {"walletCode": code, "quantity": _quantity(quantity)} for code, quantity in add
            ]
            or None,
            "redeemWalletContents": [
                {"walletCode": code, "quantity": _quantity(quantity)} for code, quantity in redeem
            ]
            or None,
        }

    def add_redeem(
        self,
        *,
        printed_card_number: str,
        reference: str,
        operator_id: str,
        add: Sequence[tuple[int, Decimal]] = (),
        redeem: Sequence[tuple[int, Decimal]] = (),
    ) -> TransactionReply:
        """*Write*: add value to and/or redeem value from wallets of the card's account, as a
        point of sale does; ``add`` and ``redeem`` are ``(wallet code, quantity)`` pairs and
        ``reference`` the caller's transaction id (``headerInfo.posTransactionId``)."""
        return TransactionReply.from_wire(
            self._transport.call(
                ADD_REDEEM,
                self._add_redeem_body(
                    printed_card_number=printed_card_number,
                    add=add,
                    redeem=redeem,
                    reference=reference,
                    operator_id=operator_id,
                ),
            )
        )

    def void_add_redeem(
        self,
        *,
        printed_card_number: str,
        reference: str,
        operator_id: str,
        add: Sequence[tuple[int, Decimal]] = (),
        redeem: Sequence[tuple[int, Decimal]] = (),
    ) -> TransactionReply:
        """*Write*: void an earlier add/redeem. Public callers send the original's body again,
        with the same ``reference``; upstream undoes what that transaction did."""
        return TransactionReply.from_wire(
            self._transport.call(
                VOID_ADD_REDEEM,
                self._add_redeem_body(
                    printed_card_number=printed_card_number,
                    add=add,
                    redeem=redeem,
                    reference=reference,
                    operator_id=operator_id,
                ),
            )
        )

    def exchange(
        self,
        *,
        printed_card_number: str,
        new_printed_card_number: str,
        reference: str,
        operator_id: str,
    ) -> TransactionReply:
        """*Write*: replace a lost or damaged card (``printed_card_number``) with a new one of
        the same card template that was never used. The account (registration, balances,
        history) moves to the new card; the old card is left exchanged, unusable afterwards."""
        if printed_card_number == new_printed_card_number:
            raise ValueError("the new card must be another card")
        header = self._header(operator_id=operator_id, reference=_reference(reference))
        reply = self._transport.call(
            EXCHANGE,
            {
                "headerInfo": header,
                "cardInfo": {"printedCardNumber": printed_card_number, "swipeFlag": False},
                "newCardInfo": {"printedCardNumber": new_printed_card_number, "swipeFlag": False},
            },
        )
        return TransactionReply.from_wire(reply)
