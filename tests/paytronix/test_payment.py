"""Payment Service: what the client sends, how it reads the (assumed) replies, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.errors import (
    FailureError,
    InvalidInputsError,
    OutcomeUnknownError,
    WriteNotPermittedError,
)

from .conftest import MERCHANT_ID, FakeUpstream, Harness, Reply

CARD = "6000201000200841"


def test_saved_payment_methods_are_read_as_brand_and_last_four_only(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "paymentMethods": [
                {
                    "paymentMethodId": "pm-1",
                    "type": "CREDIT_CARD",
                    "cardType": "visa",
                    "lastFour": "1111",
                    "cardholderName": "Ava Thompson",
                    "expDate": "01/2067",
                    "defaultUsages": ["AUTO_RECHARGE"],
                }
            ],
        }
    )

    (method,) = harness.client.payment.saved_payment_methods(printed_card_number=CARD)

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("GET", "/rest/25.33/payment/savedPaymentMethods.json")
    assert seen.query == {"merchantId": str(MERCHANT_ID), "printedCardNumber": CARD}
    assert (method.payment_method_id, method.card_type, method.last_four) == (
        "pm-1",
        "VISA",
        "1111",
    )
    assert method.default_usages == ["AUTO_RECHARGE"]
    assert method.label == "Visa ending 1111"
    assert "Ava" not in repr(method)
    assert "2067" not in repr(method)


def test_auto_recharge_status_reads_its_settings_as_decimals(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "autoRecharge": {
                "enabled": True,
                "thresholdAmount": "10.00",
                "rechargeAmount": "25.00",
                "paymentMethodId": "pm-1",
                "cardType": "MASTERCARD",
                "lastFour": "4444",
            },
        }
    )

    status = harness.client.payment.auto_recharge_status(printed_card_number=CARD)

    assert status.enabled is True
    assert (status.threshold_amount, status.recharge_amount) == (Decimal("10.00"), Decimal("25"))
    assert status.funding_label == "Mastercard ending 4444"


def test_recharge_history_passes_the_limit_and_reads_charge_responses(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "recharges": [
                {
                    "transactionDatetime": "2013-08-20 18:14:25 -0400",
                    "amount": "25.00",
                    "cardType": "VISA",
                    "lastFour": "1111",
                    "transactionState": "Succeeded",
                    "automatic": True,
                }
            ],
        }
    )

    (recharge,) = harness.client.payment.recharge_history(
        printed_card_number=CARD, max_number_of_results=5
    )

    assert upstream.requests[0].query["maxNumberOfResults"] == "5"
    assert recharge.amount == Decimal("25.00")
    assert recharge.transaction_datetime is not None
    assert recharge.transaction_datetime.astimezone(UTC) == datetime(
        2013, 8, 20, 22, 14, 25, tzinfo=UTC
    )
    assert (recharge.automatic, recharge.transaction_state) == (True, "Succeeded")
    with pytest.raises(ValueError, match="at least 1"):
        harness.client.payment.recharge_history(printed_card_number=CARD, max_number_of_results=0)


def test_disabling_auto_recharge_is_a_write_sent_once_as_a_post(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.client.payment.disable_auto_recharge(printed_card_number=CARD)
    assert upstream.requests == []

    upstream.reply({"result": "success"})
    with permit_writes():
        harness.client.payment.disable_auto_recharge(printed_card_number=CARD)

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/payment/disableAutoRecharge.json")
    assert seen.body == {"merchantId": MERCHANT_ID, "printedCardNumber": CARD}


def test_removing_a_payment_method_that_times_out_is_unknown_and_not_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(drop=True), Reply())
    with permit_writes(), pytest.raises(OutcomeUnknownError):
        harness.client.payment.delete_payment_method(
            printed_card_number=CARD, payment_method_id="pm-1"
        )
    (seen,) = upstream.requests
    assert seen.body == {
        "merchantId": MERCHANT_ID,
        "printedCardNumber": CARD,
        "paymentMethodId": "pm-1",
    }


def test_invalid_inputs_is_a_refusal_with_its_code(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {"result": "invalidInputs", "errorCode": "payment.invalid_argument", "errorMessage": "bad"}
    )
    with pytest.raises(InvalidInputsError) as raised:
        harness.client.payment.saved_payment_methods(printed_card_number=CARD)
    assert isinstance(raised.value, FailureError)
    assert (raised.value.result, raised.value.error_code) == (
        "invalidInputs",
        "payment.invalid_argument",
    )


def test_enabling_auto_recharge_sends_its_settings_as_decimal_strings(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success"})
    with permit_writes():
        harness.client.payment.enable_auto_recharge(
            printed_card_number=CARD,
            payment_method_id="pm-1",
            threshold_amount=Decimal("10.00"),
            recharge_amount=Decimal("25.00"),
        )
    assert upstream.requests[0].body["thresholdAmount"] == "10.00"
    assert upstream.requests[0].body["rechargeAmount"] == "25.00"
    with permit_writes(), pytest.raises(ValueError, match="more than 0"):
        harness.client.payment.enable_auto_recharge(
            printed_card_number=CARD,
            payment_method_id="pm-1",
            threshold_amount=Decimal("10"),
            recharge_amount=Decimal("0"),
        )
