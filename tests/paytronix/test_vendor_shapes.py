"""What the client accepts beyond the Guest Service page: the Transaction Service's result
words, the authentication style per service, a 404 as "not available", both date-time
spellings, enumerations in any case, ids of either JSON type, userInformation nested or at the
top level (docs/wire-notes.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.paytronix.errors import (
    FailureError,
    TransportError,
    UnexpectedResultError,
    UpstreamStatusError,
    UserDataError,
    service_unavailable,
)
from portal.paytronix.replies import (
    AccountInformation,
    AddressInformation,
    ReferralList,
    TransactionHistory,
    UserInformation,
)

from .conftest import FakeUpstream, Harness, Reply

CARD = "6000201000200841"
EDT = timezone(timedelta(hours=-4))
UTC_ = timezone.utc  # noqa: UP017  (a tzinfo to compare, as datetime gives it)

# -- result words ------------------------------------------------------------------------------


def test_account_query_takes_authorized_success(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(
        {"result": "authorizedSuccess", "accounts": [{"accountId": 7, "printedCardNumber": CARD}]}
    )

    matches = harness.client.transaction.account_query(email="ann@example.com")

    assert [m.account_id for m in matches] == [7]


def test_account_query_reads_user_data_error_as_a_refusal_with_its_code(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "userDataError",
            "errorCode": "transaction.card_not_in_required_state",
            "errorMessage": "card 6000201000200841 is not active",
        }
    )

    with pytest.raises(UserDataError) as caught:
        harness.client.transaction.account_query(phone="6175550142")

    assert isinstance(caught.value, FailureError)
    assert caught.value.error_code == "transaction.card_not_in_required_state"
    assert CARD not in caught.value.error_message


def test_a_word_no_service_documents_is_still_unexpected(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "authorizedSuccess", "comments": []})

    # authorizedSuccess is the Transaction Service's word, not the CSR service's.
    with pytest.raises(UnexpectedResultError):
        harness.client.csr.account_comments(printed_card_number=CARD)


# -- authentication style ----------------------------------------------------------------------


def test_the_transaction_service_says_b2b_the_guest_and_csr_services_say_nothing(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {"result": "authorizedSuccess", "accounts": []},
        {"result": "success", "accountStatus": "ACTIVE"},
        {"result": "getSuccess", "comments": []},
    )

    harness.client.transaction.account_query(email="ann@example.com")
    harness.client.guest.account_information(printed_card_number=CARD)
    harness.client.csr.account_comments(printed_card_number=CARD)

    query, account, notes = upstream.requests
    assert query.body["authentication"] == "b2b"
    assert "authentication" not in account.query
    assert "authentication" not in notes.query


# -- services an integration lacks -------------------------------------------------------------


def test_a_404_with_a_json_failure_body_is_not_a_reply(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        Reply(
            status=404,
            body={"result": "failure", "errorCode": "request.unknown_endpoint"},
        )
    )

    with pytest.raises(UpstreamStatusError) as caught:
        harness.client.csr.account_comments(printed_card_number=CARD)

    assert caught.value.status == 404
    assert service_unavailable(caught.value)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (UpstreamStatusError("x", status=404), True),
        (UpstreamStatusError("x", status=403), True),
        (UpstreamStatusError("x", status=401), True),
        (UpstreamStatusError("x", status=400), False),
        (TransportError("x", status=503), False),
        (FailureError(result="failure", error_code="csr.invalid_card"), False),
        (FailureError(result="failure", error_code="request.unauthorized"), True),
        (FailureError(result="failure", error_code="csr.not_authorized"), True),
    ],
)
def test_service_unavailable_tells_a_missing_service_from_a_refusal(
    error: Exception, unavailable: bool
) -> None:
    assert service_unavailable(error) is unavailable  # type: ignore[arg-type]


# -- date-times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2014-06-13T23:01:50-0400", datetime(2014, 6, 13, 23, 1, 50, tzinfo=EDT)),
        ("2014-06-13T23:01:50-04:00", datetime(2014, 6, 13, 23, 1, 50, tzinfo=EDT)),
        ("2014-06-13T23:01:50Z", datetime(2014, 6, 13, 23, 1, 50, tzinfo=UTC_)),
        ("2014-06-13 23:01:50 -0400", datetime(2014, 6, 13, 23, 1, 50, tzinfo=EDT)),
        ("2014-06-13 23:01:50-0400", datetime(2014, 6, 13, 23, 1, 50, tzinfo=EDT)),
        (
            "2014-06-13 23:01:50.250 -0400",
            datetime(2014, 6, 13, 23, 1, 50, 250000, tzinfo=EDT),
        ),
        ("2014-06-13 23:01:50,5 +0000", datetime(2014, 6, 13, 23, 1, 50, 500000, tzinfo=UTC_)),
        # No zone on the wire: a naive date-time, as the wire gives it.
        ("2014-06-13 23:01:50", datetime(2014, 6, 13, 23, 1, 50)),  # noqa: DTZ001
    ],
)
def test_date_times_read_in_iso_8601_and_the_spaced_spelling(wire: str, expected: datetime) -> None:
    history = TransactionHistory.from_wire({"transactions": [{"datetime": wire}]})

    (item,) = history.transactions
    assert item.occurred_at == expected
    assert item.occurred_at is not None
    assert item.occurred_at.utcoffset() == expected.utcoffset()


# -- enumerations, ids -------------------------------------------------------------------------


def test_enumerations_are_read_without_regard_to_case() -> None:
    account = AccountInformation.from_wire(
        {
            "registrationStatus": "Registered",
            "accountStatus": "active",
            "queryCardStatus": "Active",
            "primaryCard": {"status": "disabled"},
        }
    )
    referrals = ReferralList.from_wire({"userReferrals": [{"status": "Invitation_Sent"}]})

    assert account.registration_status == "REGISTERED"
    assert (account.account_status, account.query_card_status) == ("ACTIVE", "ACTIVE")
    assert account.primary_card is not None
    assert account.primary_card.status == "DISABLED"
    assert referrals.user_referrals[0].status == "INVITATION_SENT"


@pytest.mark.parametrize("address_id", [17, "17"])
def test_an_address_id_is_read_as_a_string_or_a_number(address_id: object) -> None:
    assert AddressInformation.from_wire({"addressId": address_id}).address_id == "17"


@pytest.mark.parametrize("account_ids", [[9000001], ["9000001"]])
def test_account_ids_are_read_as_numbers_or_digit_strings(account_ids: list[object]) -> None:
    assert UserInformation.from_wire({"accountIds": account_ids}).account_ids == [9000001]


# -- userInformation nested or at the top level ------------------------------------------------

NESTED = {
    "result": "success",
    "userInformation": {
        "fields": {"firstName": "Ann"},
        "accountIds": [42],
        "primaryCardNumbers": [CARD],
        "addresses": [{"addressId": 3, "label": "Home"}],
    },
}
TOP_LEVEL = {
    "result": "success",
    "fields": {"firstName": "Ann"},
    "accountIds": [42],
    "primaryCardNumbers": [CARD],
    "userInformation": {"addresses": [{"addressId": 3, "label": "Home"}]},
}


@pytest.mark.parametrize("reply", [NESTED, TOP_LEVEL], ids=["nested", "top_level"])
@pytest.mark.parametrize(
    "method",
    [
        ("user_information", {"username": "ann"}),
        ("user_information_by_account_id", {"account_id": 42}),
        ("user_information_by_printed_card_number", {"printed_card_number": CARD}),
    ],
    ids=lambda m: m[0],
)
def test_user_information_is_read_nested_or_at_the_top_level(
    upstream: FakeUpstream,
    harness: Harness,
    reply: dict[str, object],
    method: tuple[str, dict[str, object]],
) -> None:
    upstream.reply(reply)
    name, kwargs = method

    user = getattr(harness.client.guest, name)(**kwargs)

    assert user.fields is not None
    assert user.fields.first_name == "Ann"
    assert user.account_ids == [42]
    assert user.primary_card_numbers == [CARD]
    assert [(a.address_id, a.label) for a in user.addresses] == [("3", "Home")]


def test_user_and_account_information_reads_the_top_level_user(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {**TOP_LEVEL, "accountInformation": {"accountStatus": "ACTIVE", "accountId": 42}}
    )

    both = harness.client.guest.user_and_account_information(printed_card_number=CARD)

    assert both.user_information is not None
    assert both.user_information.account_ids == [42]
    assert both.user_information.fields is not None
    assert both.user_information.fields.first_name == "Ann"
    assert both.account_information is not None
    assert both.account_information.account_id == 42


def test_the_nested_value_wins_where_a_reply_has_both(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({**NESTED, "accountIds": [99]})

    assert harness.client.guest.user_information(username="ann").account_ids == [42]
