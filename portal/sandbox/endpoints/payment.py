"""Payment Service: saved payment methods, auto-recharge and recharge history of a stored-value
card, by printed card number (shapes ASSUMED: docs/wire-notes.md, "Payment Service").

A request whose inputs cannot be used answers ``invalidInputs`` (the vendor's word on
recharge.json) with ``payment.invalid_argument``; a card, account or payment method in the
wrong state answers ``failure`` with its ``payment.*`` code. There is no recharge endpoint:
the console never takes card data, so the sandbox has nothing to charge.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal, InvalidOperation

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import (
    ACTIVE,
    Account,
    AutoRecharge,
    Model,
    PaymentMethod,
    wire_datetime,
)

INVALID_INPUTS = "invalidInputs"
INVALID_ARGUMENT = "payment.invalid_argument"


def _inputs(request: Request) -> Request:
    """The request, whose unusable parameters answer ``invalidInputs``."""
    return dataclasses.replace(request, error_code=INVALID_ARGUMENT, error_result=INVALID_INPUTS)


def _stored_value_account(model: Model, number: str, *, active: bool = False) -> Account:
    account, card = lookups.account_by_card(model, number, "payment.invalid_card")
    if not any(wallet.kind == "storedValue" for wallet in account.wallets):
        raise Failure("payment.not_stored_value")
    if active and (account.status != ACTIVE or card.status != ACTIVE):
        raise Failure("payment.invalid_card", "Card or account not active")
    return account


def _method_wire(method: PaymentMethod) -> Json:
    return {
        "paymentMethodId": method.payment_method_id,
        "type": "CREDIT_CARD",
        "cardType": method.card_type,
        "lastFour": method.last_four,
        "cardholderName": method.cardholder_name,
        "defaultUsages": list(method.usages),
    }


def _method(account: Account, payment_method_id: str) -> PaymentMethod:
    found = next(
        (m for m in account.payment_methods if m.payment_method_id == payment_method_id), None
    )
    if found is None:
        raise Failure("payment.invalid_payment_method")
    return found


def _amount(request: Request, name: str) -> Decimal:
    try:
        value = Decimal(request.text(name))
    except InvalidOperation:
        raise request.refuse(INVALID_ARGUMENT, f"Argument {name} must be a decimal") from None
    if not value.is_finite() or value < 0:
        raise request.refuse(INVALID_ARGUMENT, f"Argument {name} must be 0 or more")
    return value


@endpoint("payment/savedPaymentMethods", "GET")
def saved_payment_methods(request: Request) -> Json:
    number = _inputs(request).text("printedCardNumber")

    def read(model: Model) -> Json:
        account = _stored_value_account(model, number)
        return {
            "result": "success",
            "paymentMethods": [_method_wire(m) for m in account.payment_methods],
        }

    return request.state.read(read)


@endpoint("payment/autoRechargeStatus", "GET")
def auto_recharge_status(request: Request) -> Json:
    number = _inputs(request).text("printedCardNumber")

    def read(model: Model) -> Json:
        account = _stored_value_account(model, number)
        setting = account.auto_recharge
        if setting is None:
            return {"result": "success", "autoRecharge": {"enabled": False}}
        reply: Json = {
            "enabled": setting.enabled,
            "thresholdAmount": str(setting.threshold),
            "rechargeAmount": str(setting.amount),
            "paymentMethodId": setting.payment_method_id,
        }
        funding = next(
            (
                m
                for m in account.payment_methods
                if m.payment_method_id == setting.payment_method_id
            ),
            None,
        )
        if funding is not None:
            reply |= {"cardType": funding.card_type, "lastFour": funding.last_four}
        return {"result": "success", "autoRecharge": reply}

    return request.state.read(read)


@endpoint("payment/rechargeHistory", "GET")
def recharge_history(request: Request) -> Json:
    checked = _inputs(request)
    number = checked.text("printedCardNumber")
    limit = checked.optional_integer("maxNumberOfResults")
    if limit is not None and limit < 1:
        raise checked.refuse(INVALID_ARGUMENT, "Argument maxNumberOfResults must be 1 or more")

    def read(model: Model) -> Json:
        account = _stored_value_account(model, number)
        newest_first = list(reversed(account.recharges))[:limit]
        return {
            "result": "success",
            "recharges": [
                {
                    "transactionDatetime": wire_datetime(r.moment),
                    "amount": str(r.amount),
                    "cardType": r.card_type,
                    "lastFour": r.last_four,
                    "transactionState": r.state,
                    "automatic": r.automatic,
                }
                for r in newest_first
            ],
        }

    return request.state.read(read)


@endpoint("payment/enableAutoRecharge", "POST")
def enable_auto_recharge(request: Request) -> Json:
    checked = _inputs(request)
    number = checked.text("printedCardNumber")
    method_id = checked.text("paymentMethodId")
    threshold = _amount(checked, "thresholdAmount")
    amount = _amount(checked, "rechargeAmount")
    if amount <= 0:
        raise checked.refuse(INVALID_ARGUMENT, "Argument rechargeAmount must be more than 0")

    def write(model: Model, moment: datetime) -> Json:
        account = _stored_value_account(model, number, active=True)
        _method(account, method_id)
        account.auto_recharge = AutoRecharge(True, threshold, amount, method_id)
        return {"result": "success"}

    return request.state.write(write)


@endpoint("payment/disableAutoRecharge", "POST")
def disable_auto_recharge(request: Request) -> Json:
    number = _inputs(request).text("printedCardNumber")

    def write(model: Model, moment: datetime) -> Json:
        account = _stored_value_account(model, number)
        if account.auto_recharge is None or not account.auto_recharge.enabled:
            raise Failure("payment.auto_recharge_not_enabled")
        account.auto_recharge = dataclasses.replace(account.auto_recharge, enabled=False)
        return {"result": "success"}

    return request.state.write(write)


@endpoint("payment/deletePaymentMethod", "POST")
def delete_payment_method(request: Request) -> Json:
    checked = _inputs(request)
    number = checked.text("printedCardNumber")
    method_id = checked.text("paymentMethodId")

    def write(model: Model, moment: datetime) -> Json:
        account = _stored_value_account(model, number)
        method = _method(account, method_id)
        setting = account.auto_recharge
        if setting is not None and setting.enabled and setting.payment_method_id == method_id:
            raise Failure("payment.payment_method_in_use")
        account.payment_methods.remove(method)
        return {"result": "success"}

    return request.state.write(write)
