"""Transaction Service: account search, the wallet adjustment, add/redeem and its void,
the card exchange."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.errors import (
    FailureError,
    OutcomeUnknownError,
    TransportError,
    UserDataError,
    WriteNotPermittedError,
)

from .conftest import MERCHANT_ID, FakeUpstream, Harness, Reply


def test_account_query_posts_one_query_with_the_given_criteria_only(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "accounts": [
                {
                    "accountId": 331123425,
                    "printedCardNumber": "6000201000200841",
                    "fieldValues": {"firstName": "Anthony", "lastName": "James"},
                }
            ],
        }
    )

    matches = harness.client.transaction.account_query(last_name="James", postal_code="02452")

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/transaction/accountQuery.json")
    assert seen.body == {
        "authentication": "b2b",
        "merchantId": MERCHANT_ID,
        "headerInfo": {"merchantId": MERCHANT_ID},
        "accountQueries": [{"lastName": "James", "postalCode": "02452"}],
    }
    assert [(m.account_id, m.printed_card_number) for m in matches] == [
        (331123425, "6000201000200841")
    ]
    assert matches[0].field_values == {"firstName": "Anthony", "lastName": "James"}


def test_account_query_sends_the_page_size_when_given(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "accounts": []})

    assert harness.client.transaction.account_query(phone="2223334444", page_size=10) == []
    assert upstream.requests[0].body["pageSize"] == 10


def test_account_query_needs_a_criterion(upstream: FakeUpstream, harness: Harness) -> None:
    with pytest.raises(ValueError, match="at least one"):
        harness.client.transaction.account_query(email="", phone=None)

    assert upstream.requests == []


def test_account_query_is_a_read_not_retried_and_never_outcome_unknown(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503), {"result": "success", "accounts": []})

    with pytest.raises(TransportError) as caught:
        harness.client.transaction.account_query(email="a@example.com")

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(upstream.requests) == 1


ADJUST: dict[str, Any] = {
    "printed_card_number": "6000201000200841",
    "wallet_code": 5,
    "quantity": Decimal("25"),
    "activity_type": "ADD",
    "comment": "Missed visit",
    "reference": "LD-abc",
    "operator_id": "42",
}


def test_admin_adjust_posts_the_adjustment_and_reads_the_balances_after_it(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "authorizedSuccess",
            "pxTransactionId": 9007199254740993,
            "printedCardNumber": "6000201000200841",
            "walletContents": [{"walletCode": 5, "name": "Points", "balance": "125"}],
        }
    )

    with permit_writes():
        reply = harness.client.transaction.admin_adjust(**ADJUST, expiration=date(2030, 1, 31))

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/transaction/adminAdjust.json")
    assert seen.body == {
        "authentication": "b2b",
        "merchantId": MERCHANT_ID,
        "headerInfo": {
            "merchantId": MERCHANT_ID,
            "operatorId": "42",
            "senderId": "PARTNER",
            "programId": "PX",
        },
        "operatorId": "42",
        "posTransactionId": "LD-abc",
        "printedCardNumber": "6000201000200841",
        "walletCode": 5,
        "quantity": "25",
        "expiration": {"date": "2030-01-31", "type": "absolute"},
        "activityType": "ADD",
        "comment": "Missed visit",
    }
    assert reply.px_transaction_id == "9007199254740993"
    assert reply.balance_of(5) == Decimal("125")
    assert reply.balance_of(7) is None


def test_admin_adjust_is_a_write_and_never_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.client.transaction.admin_adjust(**ADJUST)
    upstream.reply(Reply(status=503), {"result": "authorizedSuccess"})

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        harness.client.transaction.admin_adjust(**ADJUST)

    assert len(upstream.requests) == 1


def test_a_data_error_is_a_refusal_with_its_transaction_code(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "userDataError",
            "errorCode": "transaction.insufficient_balance",
            "errorMessage": "Not enough value in the wallet",
        }
    )

    with permit_writes(), pytest.raises(UserDataError) as caught:
        harness.client.transaction.admin_adjust(**{**ADJUST, "activity_type": "REDEEM"})

    assert isinstance(caught.value, FailureError)
    assert caught.value.error_code == "transaction.insufficient_balance"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": Decimal(0)}, "positive"),
        ({"quantity": Decimal("NaN")}, "positive"),
        ({"activity_type": "GIFT"}, "activity_type"),
        ({"comment": " "}, "comment"),
        ({"reference": ""}, "reference"),
    ],
)
def test_admin_adjust_checks_its_arguments_before_sending(
    upstream: FakeUpstream, harness: Harness, change: dict[str, Any], message: str
) -> None:
    with permit_writes(), pytest.raises(ValueError, match=message):
        harness.client.transaction.admin_adjust(**{**ADJUST, **change})
    assert upstream.requests == []


def test_add_redeem_and_its_void_send_the_same_body(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {"result": "authorizedSuccess", "pxTransactionId": "71", "svCurrentBalance": "12.50"},
        {"result": "authorizedSuccess", "pxTransactionId": "72"},
    )
    call: dict[str, Any] = {
        "printed_card_number": "6000201000200841",
        "reference": "POS-1",
        "operator_id": "42",
        "add": [(0, Decimal("10.00"))],
    }

    with permit_writes():
        added = harness.client.transaction.add_redeem(**call)
        harness.client.transaction.void_add_redeem(**call)

    first, second = upstream.requests
    assert first.path.endswith("/transaction/addRedeem.json")
    assert second.path.endswith("/transaction/voidAddRedeem.json")
    assert first.body == second.body
    assert first.body["cardInfo"] == {"printedCardNumber": "6000201000200841", "swipeFlag": False}
    assert first.body["headerInfo"]["posTransactionId"] == "POS-1"
    assert first.body["addWalletContents"] == [{"walletCode": 0, "quantity": "10.00"}]
    assert "redeemWalletContents" not in first.body
    assert added.sv_current_balance == Decimal("12.50")


def test_exchange_names_the_old_and_the_new_card(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply({"result": "authorizedSuccess", "printedCardNumber": "6000201000200999"})

    with permit_writes():
        reply = harness.client.transaction.exchange(
            printed_card_number="6000201000200841",
            new_printed_card_number="6000201000200999",
            reference="EX-1",
            operator_id="42",
        )

    body = upstream.requests[0].body
    assert upstream.requests[0].path.endswith("/transaction/exchange.json")
    assert body["cardInfo"]["printedCardNumber"] == "6000201000200841"
    assert body["newCardInfo"]["printedCardNumber"] == "6000201000200999"
    assert reply.printed_card_number == "6000201000200999"
    with permit_writes(), pytest.raises(ValueError, match="another card"):
        harness.client.transaction.exchange(
            printed_card_number="1", new_printed_card_number="1", reference="x", operator_id="1"
        )
