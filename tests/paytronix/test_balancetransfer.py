"""Balance Transfer Service: transferBalances as the vendor documents it, a write."""

from __future__ import annotations

from typing import Any

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.errors import (
    FailureError,
    OutcomeUnknownError,
    UnexpectedResultError,
    UpstreamStatusError,
    WriteNotPermittedError,
    service_unavailable,
)
from portal.paytronix.replies.balancetransfer import BalanceTransferReply

from .conftest import MERCHANT_ID, FakeUpstream, Harness, Reply

TO_CARD, FROM_CARD = "6000201000200841", "6000201000200999"


def transfer(harness: Harness, **extra: Any) -> BalanceTransferReply:
    with permit_writes():
        return harness.client.balance_transfer.transfer_balances(
            printed_card_number=TO_CARD, from_printed_card_number=FROM_CARD, **extra
        )


def test_transfer_posts_the_vendor_parameters_and_no_authentication_word(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success"})

    reply = transfer(harness, must_transfer_all_wallet_balances=True)

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/balancetransfer/transferBalances.json")
    assert seen.body == {
        "merchantId": MERCHANT_ID,
        "printedCardNumber": TO_CARD,
        "fromPrintedCardNumber": FROM_CARD,
        "mustTransferAllWalletBalances": True,
    }
    assert reply.result == "success"


def test_the_optional_parameters_are_left_out_unless_given(
    upstream: FakeUpstream, harness: Harness
) -> None:
    transfer(harness)
    transfer(harness, must_transfer_all_wallet_balances=False, from_registration_code="4829")

    first, second = upstream.requests
    assert set(first.body) == {"merchantId", "printedCardNumber", "fromPrintedCardNumber"}
    assert second.body["mustTransferAllWalletBalances"] is False
    assert second.body["fromRegCode"] == "4829"


def test_transfer_is_a_write(upstream: FakeUpstream, harness: Harness) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.client.balance_transfer.transfer_balances(
            printed_card_number=TO_CARD, from_printed_card_number=FROM_CARD
        )
    assert upstream.requests == []


def test_the_same_card_twice_is_refused_before_sending(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with permit_writes(), pytest.raises(ValueError, match="different cards"):
        harness.client.balance_transfer.transfer_balances(
            printed_card_number=TO_CARD, from_printed_card_number=TO_CARD
        )
    assert upstream.requests == []


def test_a_failure_carries_its_code_and_a_masked_message(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "failure",
            "errorCode": "balance_transfer.no_balance",
            "errorMessage": f"No balance on {FROM_CARD}",
        }
    )
    with pytest.raises(FailureError) as caught:
        transfer(harness)
    assert caught.value.error_code == "balance_transfer.no_balance"
    assert FROM_CARD not in caught.value.error_message
    assert caught.value.error_message.endswith("****0999")


def test_a_transaction_service_word_is_not_this_services_success(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "authorizedSuccess"})
    with pytest.raises(UnexpectedResultError):
        transfer(harness)


def test_a_5xx_after_sending_is_outcome_unknown_and_not_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503, body=b"<html>busy</html>"))
    with pytest.raises(OutcomeUnknownError):
        transfer(harness)
    assert len(upstream.requests) == 1


def test_a_404_says_the_service_is_not_there(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(Reply(status=404, body={"result": "failure", "errorCode": "x"}))
    with pytest.raises(UpstreamStatusError) as caught:
        transfer(harness)
    assert service_unavailable(caught.value)
