"""Every request the client builds for the Guest Service, held to the contract table
(``portal/sandbox/contract``): the endpoint's path and method, and parameters the table knows,
with its JSON types, every required one present; optional parameters filled in too."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from portal.paytronix import ClientConfig, Transport, permit_writes
from portal.paytronix.endpoint import Endpoint
from portal.paytronix.guest import GuestService
from portal.sandbox import contract

CARD = "6000201900000011"
OTHER = "6000201900000021"
ACCOUNT = 9000001
HISTORY_FILTERS = {
    "date_start": date(2024, 1, 1),
    "date_end": date(2024, 12, 31),
    "max_number_of_results": 20,
    "limit_to_balance_affecting_transactions": True,
    "exclude_non_balance_affecting_identify_customer_transactions": False,
}
ATTACH = {
    "printed_card_number": CARD,
    "other_printed_card_number": OTHER,
    "other_registration_code": "482913",
    "other_username": "noah.brooks",
    "other_password": "not-a-real-one",
}

#: (client method, keyword arguments): every Guest Service method, optional arguments included.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("printed_card_number_for_external_account", {"account_code": "fb-ava-100042"}),
    ("account_information", {"printed_card_number": CARD}),
    ("account_information", {"printed_card_number": CARD, "access_filter_store_group_code": 100}),
    ("account_identity", {"printed_card_number": CARD}),
    ("account_information_by_id", {"account_id": ACCOUNT, "access_filter_store_group_code": 100}),
    ("eclub_account_information", {"email": "s@example.com", "card_template_code": 30}),
    ("user_information", {"username": "ava.thompson"}),
    ("user_information_by_printed_card_number", {"printed_card_number": CARD}),
    ("user_information_by_account_id", {"account_id": ACCOUNT}),
    ("eclub_user_information", {"email": "s@example.com", "card_template_code": 30}),
    ("user_and_account_information", {"printed_card_number": CARD}),
    ("migrate_email_as_username", {"username": "ava.thompson", "email": "a@example.com"}),
    ("update_message_frequency", {"username": "ava.thompson", "preference": "SNOOZE"}),
    ("update_language_preference_by_username", {"username": "ava", "language_code": "fr-CA"}),
    (
        "update_language_preference_by_printed_card_number",
        {"printed_card_number": CARD, "language_code": "fr-CA"},
    ),
    ("update_language_preference_by_account_id", {"account_id": ACCOUNT, "language_code": "de-DE"}),
    ("transaction_history", {"printed_card_number": CARD}),
    ("transaction_history", {"printed_card_number": CARD, **HISTORY_FILTERS}),
    ("transaction_history_by_account_id", {"account_id": ACCOUNT, **HISTORY_FILTERS}),
    ("transaction_annotation", {"account_id": ACCOUNT, "transaction_id": 900001}),
    ("pending_event_rewards", {"printed_card_number": CARD}),
    ("pending_event_rewards_by_account_id", {"account_id": ACCOUNT}),
    ("apply_visit_code", {"code": "VC-1001-4821-2250", "printed_card_number": CARD}),
    ("apply_visit_code", {"code": "VC-1001-4821-2250", "account_id": ACCOUNT}),
    ("validate_visit_code", {"code": "VC-1001-4821-2250", "printed_card_number": CARD}),
    ("validate_visit_code", {"code": "VC-1001-4821-2250", "account_id": ACCOUNT}),
    ("attach_card", {"printed_card_number": CARD, "other_printed_card_number": OTHER}),
    ("attach_card", ATTACH),
    ("combine_card", {"printed_card_number": OTHER}),
    ("combine_card", {"printed_card_number": OTHER, "other_printed_card_number": CARD}),
    ("attach_and_combine", ATTACH),
    ("is_card_combinable", {"printed_card_number": OTHER}),
    ("change_card_status", {"printed_card_number": CARD, "status": "DISABLED"}),
    ("referrals_by_username", {"username": "ava.thompson"}),
    ("referrals_by_printed_card_number", {"printed_card_number": CARD}),
    ("referrals_by_account_id", {"account_id": ACCOUNT}),
    (
        "add_referrals_by_username",
        {
            "username": "ava.thompson",
            "emails": ["f@example.com"],
            "message": "Join us",
            "card_template_code": 10,
        },
    ),
    (
        "add_referrals_by_printed_card_number",
        {"printed_card_number": CARD, "emails": ["f@example.com"], "message": "Join us"},
    ),
    ("add_referrals_by_account_id", {"account_id": ACCOUNT, "emails": ["f@example.com"]}),
    ("create_referral_code_by_username", {"username": "ava.thompson", "card_template_code": 10}),
    ("create_referral_code_by_printed_card_number", {"printed_card_number": CARD}),
    ("create_referral_code_by_account_id", {"account_id": ACCOUNT}),
    ("validate_referral_code", {"code": "AVA7Q2K9"}),
]


class Sent(Exception):
    """Stops a call once its request is built: what is checked here is what goes out."""


class RecordingTransport(Transport):
    """The real transport up to the wire, which it records instead of sending."""

    def __init__(self) -> None:
        config = ClientConfig(
            base_url="http://127.0.0.1:9/rest/25.33/",
            merchant_id=1001,
            username="loyaltydesk-integration",
            secret="not-used",
        )
        super().__init__(config)
        self.sent: list[tuple[Endpoint, dict[str, Any]]] = []

    def _attempt(self, endpoint: Endpoint, wire: dict[str, Any], attempt: int) -> dict[str, Any]:
        self.sent.append((endpoint, wire))
        raise Sent


@pytest.fixture
def recorded() -> list[tuple[str, Endpoint, dict[str, Any]]]:
    transport = RecordingTransport()
    guest = GuestService(transport)
    seen: list[tuple[str, Endpoint, dict[str, Any]]] = []
    with permit_writes():
        for method, kwargs in CALLS:
            with pytest.raises(Sent):
                getattr(guest, method)(**kwargs)
            endpoint, wire = transport.sent[-1]
            seen.append((method, endpoint, wire))
    return seen


def test_every_guest_service_method_of_the_client_is_exercised() -> None:
    public = {name for name in dir(GuestService) if not name.startswith("_")}
    assert public == {method for method, _ in CALLS}


def test_every_endpoint_of_the_table_is_one_the_client_calls(
    recorded: list[tuple[str, Endpoint, dict[str, Any]]],
) -> None:
    called = {endpoint.path for _, endpoint, _ in recorded}
    assert called == {terms.path for terms in contract.endpoints().values()}


def test_each_request_has_the_tables_path_method_parameters_and_types(
    recorded: list[tuple[str, Endpoint, dict[str, Any]]],
) -> None:
    for method, endpoint, wire in recorded:
        terms = contract.endpoints()[endpoint.path.removesuffix(".json")]
        assert endpoint.method == terms.method, method
        problems = contract.request_problems(terms, wire)
        assert (problems.refused, problems.loose) == ([], []), method


def test_each_request_is_a_write_exactly_when_the_table_says_the_endpoint_writes(
    recorded: list[tuple[str, Endpoint, dict[str, Any]]],
) -> None:
    # A write passes only through the audit door and is never retried; a read is retried only
    # when it is a GET (a read-only POST is left to the caller).
    for method, endpoint, _ in recorded:
        terms = contract.endpoints()[endpoint.path.removesuffix(".json")]
        assert endpoint.write is terms.writes, method
        assert endpoint.retryable is (terms.method == "GET" and not terms.writes), method


def test_the_check_catches_what_a_client_bug_would_send() -> None:
    terms = contract.endpoints()["guest/addReferralsByAccountId"]
    problems = contract.request_problems(
        terms, {"merchantId": 1001, "accountId": "9000001", "emails": "f@example.com", "x": 1}
    )
    assert problems.loose == [
        ("accountId", "Argument accountId must be an integer"),
        ("emails", "Argument emails must be a list of strings"),
        ("x", "Unknown argument: x"),
    ]
