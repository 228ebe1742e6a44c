"""Transaction Service: account search."""

from __future__ import annotations

import pytest

from portal.paytronix.errors import OutcomeUnknownError, TransportError

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
