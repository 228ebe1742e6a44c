"""Pending event rewards and visit codes (validate, apply)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from portal.sandbox import wire
from portal.sandbox.catalog import POINTS, VISITS
from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import (
    ACTIVE,
    MERCHANT_TZ,
    Account,
    Detail,
    Model,
    VisitCode,
    normalize_visit_code,
)


def _pending(account: Account) -> Json:
    return {
        "result": "success",
        "rewards": [wire.pending_event_reward(r) for r in account.pending_rewards],
    }


@endpoint("guest/pendingEventRewards", "GET")
def pending_event_rewards(request: Request) -> Json:
    number = request.text("printedCardNumber")
    return request.state.read(
        lambda model: _pending(
            lookups.account_by_card(model, number, "account_info.invalid_card")[0]
        )
    )


@endpoint("guest/pendingEventRewardsByAccountId", "GET")
def pending_event_rewards_by_account_id(request: Request) -> Json:
    account_id = request.integer("accountId")
    return request.state.read(
        lambda model: _pending(
            lookups.account_by_id(model, account_id, "account_info.invalid_account")
        )
    )


class VisitCall:
    """The shared part of validate and apply: which account, which code."""

    def __init__(self, request: Request) -> None:
        # The request check has made sure exactly one of the two account keys is here.
        self.code = normalize_visit_code(request.text("code"))
        self.number = request.optional_text("printedCardNumber")
        self.account_id = request.optional_integer("accountId")

    def account(self, model: Model) -> Account:
        if self.account_id is not None:
            account = lookups.account_by_id(model, self.account_id, "account_info.invalid_account")
        else:
            account = lookups.account_by_card(model, self.number, "account_info.invalid_card")[0]
        if account.status != ACTIVE:
            raise Failure("account_info.invalid_account_status")
        return account

    def visit(self, model: Model, today: date, result: str) -> VisitCode:
        """The code if it can be applied; otherwise a ``result`` reply, with the code's
        codeInfo only where the spec lists it (validateVisitCode's invalidVisitCode)."""
        visit = model.visit_codes.get(self.code)
        if visit is None:
            raise Failure("visit_code.not_found")
        refusal = ""
        if visit.used_by is not None:
            refusal = "visit_code.already_used"
        elif visit.expires < today:
            refusal = "visit_code.expired"
        if refusal and result == "invalidVisitCode":
            raise Failure(refusal, result=result, codeInfo=wire.visit_code_info(visit))
        if refusal:
            raise Failure(refusal, result=result)
        return visit


@endpoint("guest/validateVisitCode", "POST")
def validate_visit_code(request: Request) -> Json:
    call = VisitCall(request)
    today = request.state.now().astimezone(MERCHANT_TZ).date()

    def read(model: Model) -> Json:
        call.account(model)
        visit = call.visit(model, today, "invalidVisitCode")
        return {"result": "success", "codeInfo": wire.visit_code_info(visit)}

    return request.state.read(read)


@endpoint("guest/applyVisitCode", "POST")
def apply_visit_code(request: Request) -> Json:
    call = VisitCall(request)

    def write(model: Model, moment: datetime) -> Json:
        account = call.account(model)
        # applyVisitCode documents only success and failure: a used code is a failure here.
        visit = call.visit(model, moment.astimezone(MERCHANT_TZ).date(), "failure")
        earned = {
            POINTS: visit.dollar_spent.quantize(Decimal("1"), rounding=ROUND_FLOOR),
            VISITS: Decimal("1"),
        }
        details = []
        changed = []
        for code, amount in earned.items():
            wallet = account.wallet(code)
            if wallet is None:
                continue
            wallet.balance += amount
            details.append(Detail(code, amount, Decimal("0"), wallet.balance))
            changed.append(
                {
                    "walletCode": code,
                    "name": wallet.name,
                    "balance": wire.money(wallet.balance, wallet.scale),
                }
            )
        store = model.stores.get(visit.store_code)
        transaction = model.add_transaction(
            account,
            transaction_type="Visit Code",
            moment=moment,
            details=tuple(details),
            store_code=visit.store_code,
            store_name=store.label if store else "",
            pos_number=visit.check_number,
            sender="Guest",
            request_event="LP215",
        )
        visit.used_by = account.account_id
        return {
            "result": "success",
            "reply": {
                "pxTransactionId": str(transaction.transaction_id),
                "walletContents": changed,
            },
        }

    return request.state.write(write)
