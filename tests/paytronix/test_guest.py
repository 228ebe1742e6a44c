"""Guest Service methods: the documented request for each, the write guard, reply decoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.errors import (
    InvalidVisitCodeError,
    MalformedReplyError,
    WriteNotPermittedError,
)
from portal.paytronix.guest import GuestService

from .conftest import MERCHANT_ID, FakeUpstream, Harness

CARD = "6000201000200841"
OTHER = "6000201000399785"


@dataclass(frozen=True)
class Case:
    method: str
    kwargs: dict[str, Any]
    path: str
    #: What upstream receives besides merchantId: query strings for GET, JSON for POST.
    sent: dict[str, Any]
    http: str = "GET"
    write: bool = False
    reply: dict[str, Any] = field(default_factory=lambda: {"result": "success"})


HISTORY_FILTERS = {
    "date_start": date(2024, 1, 1),
    "date_end": date(2024, 3, 31),
    "max_number_of_results": 50,
    "limit_to_balance_affecting_transactions": True,
    "exclude_non_balance_affecting_identify_customer_transactions": False,
}
HISTORY_QUERY = {
    "dateStart": "2024-01-01",
    "dateEnd": "2024-03-31",
    "maxNumberOfResults": "50",
    "limitToBalanceAffectingTransactions": "true",
    "excludeNonBalanceAffectingIdentifyCustomerTransactions": "false",
}

CASES = [
    Case(
        "printed_card_number_for_external_account",
        {"account_code": "fb-1"},
        "printedCardNumberForExternalAccount",
        {"accountCode": "fb-1"},
    ),
    Case(
        "account_information",
        {"printed_card_number": CARD, "access_filter_store_group_code": 12},
        "accountInformation",
        {"printedCardNumber": CARD, "accessFilterStoreGroupCode": "12"},
    ),
    Case(
        "account_identity",
        {"printed_card_number": CARD},
        "accountInformation",
        {"printedCardNumber": CARD},
        reply={"result": "success", "accountId": 42, "username": "ann", "pointBalances": []},
    ),
    Case(
        "account_information_by_id",
        {"account_id": 42},
        "accountInformationById",
        {"accountId": "42"},
    ),
    Case(
        "migrate_email_as_username",
        {"username": "ann", "email": "ann@example.com"},
        "migrateEmailAsUsername",
        {"username": "ann", "email": "ann@example.com"},
        write=True,
        reply={"result": "success", "newUsername": "ann@example.com"},
    ),
    Case(
        "eclub_account_information",
        {"email": "ann@example.com", "card_template_code": 9},
        "eClubAccountInformation",
        {"email": "ann@example.com", "cardTemplateCode": "9"},
    ),
    Case("user_information", {"username": "ann"}, "userInformation", {"username": "ann"}),
    Case(
        "user_information_by_printed_card_number",
        {"printed_card_number": CARD},
        "userInformationByPrintedCardNumber",
        {"printedCardNumber": CARD},
    ),
    Case(
        "user_information_by_account_id",
        {"account_id": 42},
        "userInformationByAccountId",
        {"accountId": "42"},
    ),
    Case(
        "eclub_user_information",
        {"email": "ann@example.com", "card_template_code": 9},
        "eClubUserInformation",
        {"email": "ann@example.com", "cardTemplateCode": "9"},
    ),
    Case(
        "user_and_account_information",
        {"printed_card_number": CARD},
        "userAndAccountInformationByPrintedCardNumber",
        {"printedCardNumber": CARD},
    ),
    Case(
        "transaction_history",
        {"printed_card_number": CARD, **HISTORY_FILTERS},
        "transactionHistory",
        {"printedCardNumber": CARD, **HISTORY_QUERY},
    ),
    Case(
        "transaction_history_by_account_id",
        {"account_id": 42, **HISTORY_FILTERS},
        "transactionHistoryByAccount",
        {"accountId": "42", **HISTORY_QUERY},
    ),
    Case(
        "transaction_annotation",
        {"account_id": 42, "transaction_id": 12345},
        "transactionAnnotation",
        {"accountId": "42", "transactionId": "12345"},
    ),
    Case(
        "attach_card",
        {
            "printed_card_number": CARD,
            "other_printed_card_number": OTHER,
            "other_username": "bob",
            "other_password": "pw",
        },
        "attachCard",
        {
            "printedCardNumber": CARD,
            "otherPrintedCardNumber": OTHER,
            "otherUsername": "bob",
            "otherPassword": "pw",
        },
        http="POST",
        write=True,
    ),
    Case(
        "combine_card",
        {"printed_card_number": OTHER},
        "combineCard",
        {"printedCardNumber": OTHER},
        http="POST",
        write=True,
        reply={"result": "success", "username": "ann", "survivingAccountId": 42},
    ),
    Case(
        "attach_and_combine",
        {
            "printed_card_number": CARD,
            "other_printed_card_number": OTHER,
            "other_registration_code": "R-1",
        },
        "attachAndCombine",
        {
            "printedCardNumber": CARD,
            "otherPrintedCardNumber": OTHER,
            "otherRegistrationCode": "R-1",
        },
        http="POST",
        write=True,
    ),
    Case(
        "is_card_combinable",
        {"printed_card_number": OTHER},
        "isCardCombinable",
        {"printedCardNumber": OTHER},
        reply={"result": "success", "isCombinable": True},
    ),
    Case(
        "change_card_status",
        {"printed_card_number": CARD, "status": "DISABLED"},
        "changeCardStatus",
        {"printedCardNumber": CARD, "status": "DISABLED"},
        http="POST",
        write=True,
    ),
    Case("referrals_by_username", {"username": "ann"}, "referralsByUsername", {"username": "ann"}),
    Case(
        "referrals_by_printed_card_number",
        {"printed_card_number": CARD},
        "referralsByPrintedCardNumber",
        {"printedCardNumber": CARD},
    ),
    Case(
        "referrals_by_account_id", {"account_id": 42}, "referralsByAccountId", {"accountId": "42"}
    ),
    Case(
        "add_referrals_by_username",
        {
            "username": "ann",
            "emails": ["a@x.io", "b@x.io"],
            "message": "Hi",
            "card_template_code": 3,
        },
        "addReferralsByUsername",
        {"username": "ann", "emails": ["a@x.io", "b@x.io"], "message": "Hi", "cardTemplateCode": 3},
        http="POST",
        write=True,
    ),
    Case(
        "add_referrals_by_printed_card_number",
        {"printed_card_number": CARD, "emails": ("a@x.io",)},
        "addReferralsByPrintedCardNumber",
        {"printedCardNumber": CARD, "emails": ["a@x.io"]},
        http="POST",
        write=True,
    ),
    Case(
        "add_referrals_by_account_id",
        {"account_id": 42, "emails": ["a@x.io"], "message": "Hi"},
        "addReferralsByAccountId",
        {"accountId": 42, "emails": ["a@x.io"], "message": "Hi"},
        http="POST",
        write=True,
    ),
    Case(
        "create_referral_code_by_username",
        {"username": "ann", "card_template_code": 3},
        "createReferralCodeByUsername",
        {"username": "ann", "cardTemplateCode": 3},
        http="POST",
        write=True,
    ),
    Case(
        "create_referral_code_by_printed_card_number",
        {"printed_card_number": CARD},
        "createReferralCodeByPrintedCardNumber",
        {"printedCardNumber": CARD},
        http="POST",
        write=True,
    ),
    Case(
        "create_referral_code_by_account_id",
        {"account_id": 42},
        "createReferralCodeByAccountId",
        {"accountId": 42},
        http="POST",
        write=True,
    ),
    Case(
        "validate_referral_code",
        {"code": "ANN-42"},
        "validateReferralCode",
        {"code": "ANN-42"},
        http="POST",
    ),
    Case(
        "pending_event_rewards",
        {"printed_card_number": CARD},
        "pendingEventRewards",
        {"printedCardNumber": CARD},
    ),
    Case(
        "pending_event_rewards_by_account_id",
        {"account_id": 42},
        "pendingEventRewardsByAccountId",
        {"accountId": "42"},
    ),
    Case(
        "apply_visit_code",
        {"code": "V-1", "account_id": 42},
        "applyVisitCode",
        {"code": "V-1", "accountId": 42},
        http="POST",
        write=True,
    ),
    Case(
        "validate_visit_code",
        {"code": "V-1", "printed_card_number": CARD},
        "validateVisitCode",
        {"code": "V-1", "printedCardNumber": CARD},
        http="POST",
    ),
    Case(
        "update_message_frequency",
        {"username": "ann", "preference": "ONCE_PER_WEEK"},
        "updateMessageFrequency",
        {"username": "ann", "preference": "ONCE_PER_WEEK"},
        http="POST",
        write=True,
    ),
    Case(
        "update_language_preference_by_username",
        {"username": "ann", "language_code": "fr-CA"},
        "updateUserLanguagePrefByUsername",
        {"username": "ann", "languageCode": "fr-CA"},
        http="POST",
        write=True,
    ),
    Case(
        "update_language_preference_by_printed_card_number",
        {"printed_card_number": CARD, "language_code": "es-ES"},
        "updateUserLanguagePrefByPrintedCardNumber",
        {"printedCardNumber": CARD, "languageCode": "es-ES"},
        http="POST",
        write=True,
    ),
    Case(
        "update_language_preference_by_account_id",
        {"account_id": 42, "language_code": "de-DE"},
        "updateUserLanguagePrefByAccountId",
        {"accountId": 42, "languageCode": "de-DE"},
        http="POST",
        write=True,
    ),
]
WRITES = [case for case in CASES if case.write]


def _call(harness: Harness, case: Case) -> Any:
    return getattr(harness.client.guest, case.method)(**case.kwargs)


def test_every_guest_service_endpoint_has_a_case() -> None:
    public = {name for name in dir(GuestService) if not name.startswith("_")}
    assert public == {case.method for case in CASES}
    assert len(CASES) == 37


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.method)
def test_each_method_sends_the_documented_request(
    upstream: FakeUpstream, harness: Harness, case: Case
) -> None:
    upstream.reply(case.reply)

    with permit_writes():
        _call(harness, case)

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == (case.http, f"/rest/25.33/guest/{case.path}.json")
    if case.http == "GET":
        assert seen.query == {"merchantId": str(MERCHANT_ID), **case.sent}
    else:
        assert seen.body == {"merchantId": MERCHANT_ID, **case.sent}


@pytest.mark.parametrize("case", WRITES, ids=lambda case: case.method)
def test_each_write_is_refused_outside_the_audit_door(
    upstream: FakeUpstream, harness: Harness, case: Case
) -> None:
    with pytest.raises(WriteNotPermittedError):
        _call(harness, case)

    assert upstream.requests == []


def test_the_writes_are_exactly_the_mutating_endpoints() -> None:
    assert {case.method for case in WRITES} == {
        "migrate_email_as_username",
        "attach_card",
        "combine_card",
        "attach_and_combine",
        "change_card_status",
        "add_referrals_by_username",
        "add_referrals_by_printed_card_number",
        "add_referrals_by_account_id",
        "create_referral_code_by_username",
        "create_referral_code_by_printed_card_number",
        "create_referral_code_by_account_id",
        "apply_visit_code",
        "update_message_frequency",
        "update_language_preference_by_username",
        "update_language_preference_by_printed_card_number",
        "update_language_preference_by_account_id",
    }


# Reply decoding


def test_migrate_email_as_username_returns_the_new_username(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "newUsername": "ann@example.com"})

    with permit_writes():
        assert (
            harness.client.guest.migrate_email_as_username(username="ann", email="ann@example.com")
            == "ann@example.com"
        )


def test_is_card_combinable_needs_a_boolean_answer(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "isCombinable": False}, {"result": "success"})

    assert harness.client.guest.is_card_combinable(printed_card_number=OTHER) is False
    with pytest.raises(MalformedReplyError, match="isCombinable"):
        harness.client.guest.is_card_combinable(printed_card_number=OTHER)


def test_combine_card_returns_the_surviving_account(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "username": "ann", "survivingAccountId": 42})

    with permit_writes():
        result = harness.client.guest.combine_card(printed_card_number=OTHER)

    assert (result.username, result.surviving_account_id) == ("ann", 42)


def test_eclub_user_information_reads_fields_at_the_top_level(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "fields": {"firstName": "Test", "optIn": True, "textCampaignOptIn": False},
            "primaryCardNumbers": ["90012330571"],
        }
    )

    user = harness.client.guest.eclub_user_information(email="t@example.com", card_template_code=9)

    assert user.fields is not None
    assert (user.fields.first_name, user.fields.opt_in) == ("Test", True)
    assert user.primary_card_numbers == ["90012330571"]


def test_user_and_account_information_reads_both_halves(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "userInformation": {"fields": {"firstName": "Ann"}, "accountIds": [42]},
            "accountInformation": {"accountStatus": "ACTIVE", "tierLabel": "Gold"},
        }
    )

    both = harness.client.guest.user_and_account_information(printed_card_number=CARD)

    assert both.user_information is not None
    assert both.user_information.account_ids == [42]
    assert both.account_information is not None
    assert both.account_information.tier_label == "Gold"


def test_transaction_annotation_reads_the_annotation(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "annotation": {"comment": "CSR", "systemComment": "SYS"}})

    note = harness.client.guest.transaction_annotation(account_id=42, transaction_id=1)

    assert (note.comment, note.system_comment) == ("CSR", "SYS")


def test_referrals_read_user_and_bulk_referrals(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(
        {
            "result": "success",
            "numberOfAvailableUserReferrals": 3,
            "userReferrals": [{"email": "a@x.io", "status": "INVITATION_SENT", "reward": ""}],
            "bulkReferrals": [{"detail": "399785", "status": "CARD_LINKED", "reward": "Pie"}],
        }
    )

    referrals = harness.client.guest.referrals_by_account_id(account_id=42)

    assert referrals.number_of_available_user_referrals == 3
    assert [(r.email, r.status) for r in referrals.user_referrals] == [
        ("a@x.io", "INVITATION_SENT")
    ]
    assert [(r.detail, r.reward) for r in referrals.bulk_referrals] == [("399785", "Pie")]


def test_pending_event_rewards_are_a_list(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(
        {
            "result": "success",
            "rewards": [{"name": "Pie", "amount": "1", "eventName": "E", "eventCode": "C"}],
        }
    )

    rewards = harness.client.guest.pending_event_rewards_by_account_id(account_id=42)

    assert [(r.name, r.amount, r.event_code) for r in rewards] == [("Pie", Decimal(1), "C")]


def test_apply_visit_code_returns_the_wallet_changes(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "reply": {
                "pxTransactionId": "T-9",
                "walletContents": [{"walletCode": 2, "name": "Visits", "balance": "5"}],
            },
        }
    )

    with permit_writes():
        reply = harness.client.guest.apply_visit_code(code="V-1", printed_card_number=CARD)

    assert reply.px_transaction_id == "T-9"
    assert [(w.wallet_code, w.balance) for w in reply.wallet_contents] == [(2, Decimal(5))]


def test_an_invalid_visit_code_carries_its_code_info(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "invalidVisitCode",
            "errorCode": "visit_code.used",
            "errorMessage": "already used",
            "codeInfo": {"storeCode": "464", "normalizedCode": "V1"},
        }
    )

    with pytest.raises(InvalidVisitCodeError) as caught:
        harness.client.guest.validate_visit_code(code="V-1", account_id=42)

    assert caught.value.error_code == "visit_code.used"
    assert caught.value.extra["codeInfo"] == {"storeCode": "464", "normalizedCode": "V1"}


# Arguments refused before a round trip


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("change_card_status", {"printed_card_number": CARD, "status": "EXCHANGED"}),
        ("update_message_frequency", {"username": "ann", "preference": "DAILY"}),
        ("update_language_preference_by_username", {"username": "ann", "language_code": "xx"}),
        ("apply_visit_code", {"code": "V", "printed_card_number": CARD, "account_id": 42}),
        ("apply_visit_code", {"code": "V"}),
        ("validate_visit_code", {"code": "V"}),
    ],
    ids=["status", "frequency", "language", "both-ids", "no-id", "validate-no-id"],
)
def test_invalid_arguments_are_refused_before_anything_is_sent(
    upstream: FakeUpstream, harness: Harness, method: str, kwargs: dict[str, Any]
) -> None:
    with permit_writes(), pytest.raises(ValueError, match=r"must be one of|exactly one of"):
        getattr(harness.client.guest, method)(**kwargs)

    assert upstream.requests == []
