"""The sandbox's Payment Service: seeded for the demo guests, stateful, with its documented
result words and codes, eventual consistency and faults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.paytronix import PaytronixClient, permit_writes
from portal.paytronix.errors import (
    FailureError,
    InvalidInputsError,
    TransportError,
    UpstreamStatusError,
    service_unavailable,
)
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import UNKNOWN_CARD, Api

CARD = demo.DEMO_PAYMENT_CARD
VISA = demo.DEMO_AUTO_RECHARGE_METHOD_ID
MASTERCARD = demo.DEMO_OTHER_METHOD_ID


def test_the_showcase_guest_has_two_saved_cards_auto_recharge_on_and_a_history(
    px: PaytronixClient,
) -> None:
    methods = px.payment.saved_payment_methods(printed_card_number=CARD)
    assert [(m.payment_method_id, m.label) for m in methods] == [
        (VISA, "Visa ending 1111"),
        (MASTERCARD, "Mastercard ending 4444"),
    ]
    status = px.payment.auto_recharge_status(printed_card_number=CARD)
    assert (status.enabled, status.payment_method_id, status.funding_label) == (
        True,
        VISA,
        "Visa ending 1111",
    )
    assert (status.threshold_amount, status.recharge_amount) == (Decimal("10.00"), Decimal("25.00"))
    history = px.payment.recharge_history(printed_card_number=CARD)
    assert len(history) == demo.DEMO_RECHARGE_COUNT
    moments = [r.transaction_datetime for r in history]
    assert moments == sorted(moments, reverse=True)  # type: ignore[type-var]
    assert [r.transaction_state for r in history].count("Declined") == 1
    assert (
        px.payment.recharge_history(printed_card_number=CARD, max_number_of_results=2)
        == history[:2]
    )


def test_the_combine_guest_keeps_auto_recharge_off_with_its_last_settings(
    px: PaytronixClient,
) -> None:
    status = px.payment.auto_recharge_status(printed_card_number=demo.DEMO_AUTO_RECHARGE_OFF_CARD)
    assert (status.enabled, status.recharge_amount) == (False, Decimal("20.00"))


def test_disabling_then_enabling_auto_recharge_changes_the_state(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        px.payment.disable_auto_recharge(printed_card_number=CARD)
        with pytest.raises(FailureError) as twice:
            px.payment.disable_auto_recharge(printed_card_number=CARD)
    assert twice.value.error_code == "payment.auto_recharge_not_enabled"
    assert sandbox.state.account_for_card(CARD).auto_recharge.enabled is False  # type: ignore[union-attr]
    with permit_writes():
        px.payment.enable_auto_recharge(
            printed_card_number=CARD,
            payment_method_id=MASTERCARD,
            threshold_amount=Decimal("5"),
            recharge_amount=Decimal("30"),
        )
    status = px.payment.auto_recharge_status(printed_card_number=CARD)
    assert (status.enabled, status.last_four, status.recharge_amount) == (
        True,
        "4444",
        Decimal("30"),
    )


def test_a_card_that_funds_auto_recharge_cannot_be_removed_until_it_is_off(
    px: PaytronixClient,
) -> None:
    with permit_writes():
        with pytest.raises(FailureError) as refused:
            px.payment.delete_payment_method(printed_card_number=CARD, payment_method_id=VISA)
        assert refused.value.error_code == "payment.payment_method_in_use"
        px.payment.delete_payment_method(printed_card_number=CARD, payment_method_id=MASTERCARD)
        with pytest.raises(FailureError) as gone:
            px.payment.delete_payment_method(printed_card_number=CARD, payment_method_id=MASTERCARD)
    assert gone.value.error_code == "payment.invalid_payment_method"
    assert [
        m.payment_method_id for m in px.payment.saved_payment_methods(printed_card_number=CARD)
    ] == [VISA]


def test_inputs_it_cannot_use_answer_invalid_inputs(api: Api, px: PaytronixClient) -> None:
    reply = api.post("payment/deletePaymentMethod", printedCardNumber=CARD)
    assert (reply["result"], reply["errorCode"]) == ("invalidInputs", "payment.invalid_argument")
    reply = api.get("payment/rechargeHistory", printedCardNumber=CARD, maxNumberOfResults=0)
    assert reply["result"] == "invalidInputs"
    with permit_writes(), pytest.raises(InvalidInputsError):
        px.payment.enable_auto_recharge(
            printed_card_number=CARD,
            payment_method_id="",
            threshold_amount=Decimal("5"),
            recharge_amount=Decimal("30"),
        )


def test_unknown_cards_and_programs_without_stored_value_are_failures(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as unknown:
        px.payment.saved_payment_methods(printed_card_number=UNKNOWN_CARD)
    assert unknown.value.error_code == "payment.invalid_card"
    with pytest.raises(FailureError) as eclub:
        px.payment.auto_recharge_status(printed_card_number=demo.DEMO_ECLUB_CARD)
    assert eclub.value.error_code == "payment.not_stored_value"


def test_a_disable_shows_only_after_the_consistency_delay(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    sandbox.faults.set_consistency_delay(5)
    with permit_writes():
        px.payment.disable_auto_recharge(printed_card_number=CARD)
    assert px.payment.auto_recharge_status(printed_card_number=CARD).enabled is True
    sandbox.advance(6)
    assert px.payment.auto_recharge_status(printed_card_number=CARD).enabled is False


def test_faults_and_a_missing_service_reach_the_client_as_transport_and_status_errors(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    sandbox.faults.error(503, endpoint="savedPaymentMethods")
    with pytest.raises(TransportError):
        px.payment.saved_payment_methods(printed_card_number=CARD)
    sandbox.faults.clear()
    sandbox.app.without = frozenset({"payment"})
    with pytest.raises(UpstreamStatusError) as missing:
        px.payment.auto_recharge_status(printed_card_number=CARD)
    assert service_unavailable(missing.value)
