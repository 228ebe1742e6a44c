"""Transaction history (by card and by account) and transaction annotations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.sandbox import wire
from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import ACTIVE, EXCHANGED, MERCHANT_TZ, Account, Model

HISTORY_ERROR = "transaction_history.error"


@dataclass(frozen=True)
class HistoryFilter:
    start: date | None
    end: date | None
    limit: int | None
    balance_affecting_only: bool
    exclude_identify_customer: bool

    @classmethod
    def of(cls, request: Request, *, names: str) -> HistoryFilter:
        limit = request.optional_integer("maxNumberOfResults")
        if limit is not None and limit < 0:
            raise Failure(HISTORY_ERROR, "maxNumberOfResults must not be negative")
        return cls(
            start=request.optional_date("dateStart", HISTORY_ERROR),
            end=request.optional_date("dateEnd", HISTORY_ERROR),
            limit=limit,
            balance_affecting_only=request.boolean("limitToBalanceAffectingTransactions"),
            exclude_identify_customer=request.boolean(
                "excludeNonBalanceAffectingIdentifyCustomerTransactions"
            ),
        )

    def reply(self, account: Account) -> Json:
        """Newest first, filtered; dates compare in the merchant's zone, both ends included."""
        chosen: list[Json] = []
        for item in reversed(account.transactions):
            day = item.moment.astimezone(MERCHANT_TZ).date()
            if (self.start and day < self.start) or (self.end and day > self.end):
                continue
            if self.balance_affecting_only and not item.balance_affecting:
                continue
            if (
                self.exclude_identify_customer
                and item.transaction_type == "Identify Customer"
                and not item.balance_affecting
            ):
                continue
            if self.limit is not None and len(chosen) >= self.limit:
                break
            chosen.append(wire.transaction(account, item))
        return {
            "result": "success",
            "walletInfo": wire.wallet_info(account),
            "transactions": chosen,
        }


@endpoint("guest/transactionHistory", "GET")
def transaction_history(request: Request) -> Json:
    number = request.text("printedCardNumber")
    wanted = HistoryFilter.of(request, names="printedCardNumber")

    def read(model: Model) -> Json:
        account, card = lookups.account_by_card(model, number, "transaction_history.card_not_found")
        if card.status == EXCHANGED:
            raise Failure("transaction_history.card_exchanged")
        if card.status != ACTIVE:
            # A DISABLED card, or one never activated (EXISTS): the spec's "card inactive".
            raise Failure("transaction_history.card_inactive")
        return wanted.reply(account)

    return request.state.read(read)


@endpoint("guest/transactionHistoryByAccount", "GET")
def transaction_history_by_account(request: Request) -> Json:
    account_id = request.integer("accountId")
    wanted = HistoryFilter.of(request, names="accountId")

    def read(model: Model) -> Json:
        account = lookups.account_by_id(model, account_id, HISTORY_ERROR)
        return wanted.reply(account)

    return request.state.read(read)


@endpoint("guest/transactionAnnotation", "GET")
def transaction_annotation(request: Request) -> Json:
    account_id = request.integer("accountId")
    transaction_id = request.integer("transactionId")

    def read(model: Model) -> Json:
        account = lookups.account_by_id(model, account_id, "transaction_annotation.error")
        for item in account.transactions:
            if item.transaction_id == transaction_id:
                annotation = {}
                if item.comment:
                    annotation["comment"] = item.comment
                if item.system_comment:
                    annotation["systemComment"] = item.system_comment
                return {"result": "success", "annotation": annotation}
        raise Failure("transaction_annotation.error")

    return request.state.read(read)
