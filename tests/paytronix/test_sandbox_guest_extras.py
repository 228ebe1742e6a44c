"""Referrals, rewards and visit codes, preferences, CSR notes and account search against the
sandbox over real HTTP: success and each result the endpoint can return."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from portal.paytronix import PaytronixClient, client_from_settings, permit_writes
from portal.paytronix.errors import FailureError, InvalidVisitCodeError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

UNKNOWN_CARD = "6000209999999999"
UNKNOWN_ACCOUNT = 1
ACCOUNT_BY: dict[str, dict[str, Any]] = {
    "username": {"username": demo.DEMO_USERNAME},
    "printed_card_number": {"printed_card_number": demo.DEMO_ACTIVE_CARD},
    "account_id": {"account_id": demo.DEMO_ACCOUNT_ID},
}
NOBODY_BY: dict[str, dict[str, Any]] = {
    "username": {"username": "no.such.user"},
    "printed_card_number": {"printed_card_number": UNKNOWN_CARD},
    "account_id": {"account_id": UNKNOWN_ACCOUNT},
}


@pytest.fixture
def px(sandbox: SandboxController) -> Iterator[PaytronixClient]:
    with permit_writes():
        yield client_from_settings()


def _by(method: str, key: str) -> str:
    return f"{method}_by_{key}"


# Referrals


@pytest.mark.parametrize("key", ACCOUNT_BY)
def test_referrals_list_every_status(px: PaytronixClient, key: str) -> None:
    referrals = getattr(px.guest, _by("referrals", key))(**ACCOUNT_BY[key])

    assert referrals.number_of_available_user_referrals == 2
    assert [r.status for r in referrals.user_referrals] == [
        "INVITATION_SENT",
        "ENROLLED",
        "REWARD_EARNED",
    ]
    assert [r.status for r in referrals.bulk_referrals] == ["CARD_LINKED", "CARD_USED"]


@pytest.mark.parametrize("key", NOBODY_BY)
def test_referrals_of_nobody_fail(px: PaytronixClient, key: str) -> None:
    with pytest.raises(FailureError):
        getattr(px.guest, _by("referrals", key))(**NOBODY_BY[key])


@pytest.mark.parametrize("key", ACCOUNT_BY)
def test_added_referrals_appear_as_invitation_sent(px: PaytronixClient, key: str) -> None:
    reply = getattr(px.guest, _by("add_referrals", key))(
        **ACCOUNT_BY[key], emails=["new.friend@example.net"], message="Join us"
    )

    assert reply.user_referrals[-1].email == "new.friend@example.net"
    assert reply.user_referrals[-1].status == "INVITATION_SENT"
    assert reply.number_of_available_user_referrals == 1
    again = px.guest.referrals_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert again.user_referrals == reply.user_referrals


def test_adding_more_referrals_than_available_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.add_referrals_by_account_id(
            account_id=demo.DEMO_ACCOUNT_ID, emails=["a@example.net", "b@example.net", "c@x.io"]
        )

    assert caught.value.error_code == "referral.none_available"


@pytest.mark.parametrize("key", NOBODY_BY)
def test_adding_referrals_for_nobody_fails(px: PaytronixClient, key: str) -> None:
    with pytest.raises(FailureError):
        getattr(px.guest, _by("add_referrals", key))(**NOBODY_BY[key], emails=["a@example.net"])


@pytest.mark.parametrize("key", ACCOUNT_BY)
def test_a_created_referral_code_validates_to_its_referrer(px: PaytronixClient, key: str) -> None:
    extra: dict[str, Any] = (
        {"card_template_code": demo.REWARDS_TEMPLATE} if key == "username" else {}
    )
    created = getattr(px.guest, _by("create_referral_code", key))(**ACCOUNT_BY[key], **extra)

    assert created.code
    assert created.url
    assert created.card_template_code == demo.REWARDS_TEMPLATE
    validated = px.guest.validate_referral_code(code=created.code)
    assert (validated.code, validated.name) == (created.code, created.name)


@pytest.mark.parametrize("key", NOBODY_BY)
def test_creating_a_referral_code_for_nobody_fails(px: PaytronixClient, key: str) -> None:
    extra: dict[str, Any] = (
        {"card_template_code": demo.REWARDS_TEMPLATE} if key == "username" else {}
    )
    with pytest.raises(FailureError):
        getattr(px.guest, _by("create_referral_code", key))(**NOBODY_BY[key], **extra)


def test_the_seeded_referral_code_validates(px: PaytronixClient) -> None:
    code = px.guest.validate_referral_code(code=demo.DEMO_REFERRAL_CODE)

    assert code.card_template_code == demo.REWARDS_TEMPLATE
    assert code.name == "Ava T."


def test_an_unknown_referral_code_is_invalid(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.validate_referral_code(code="NOPE0000")

    assert caught.value.error_code == "referral_code.invalid_code"


# Pending event rewards


def test_pending_event_rewards_by_card_and_by_account(px: PaytronixClient) -> None:
    by_card = px.guest.pending_event_rewards(printed_card_number=demo.DEMO_ACTIVE_CARD)
    by_account = px.guest.pending_event_rewards_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)

    assert by_card == by_account
    assert [(r.name, r.amount, r.event_code) for r in by_card] == [
        ("Bonus Points", Decimal(50), "DPW24"),
        ("Free Appetizer", Decimal(1), "CTL-SUMMER"),
    ]
    assert by_card[1].expiration_date is not None


def test_pending_event_rewards_of_nobody_fail(px: PaytronixClient) -> None:
    with pytest.raises(FailureError):
        px.guest.pending_event_rewards(printed_card_number=UNKNOWN_CARD)
    with pytest.raises(FailureError):
        px.guest.pending_event_rewards_by_account_id(account_id=UNKNOWN_ACCOUNT)


# Visit codes


def test_a_valid_visit_code_validates_then_applies_once(px: PaytronixClient) -> None:
    info = px.guest.validate_visit_code(
        code=demo.DEMO_VISIT_CODE, printed_card_number=demo.DEMO_ACTIVE_CARD
    )
    assert info.dollar_spent == Decimal("22.50")
    assert info.check_number == "4821"

    reply = px.guest.apply_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)
    assert reply.wallet_contents
    assert all(isinstance(w.balance, Decimal) for w in reply.wallet_contents)

    with pytest.raises(InvalidVisitCodeError):
        px.guest.validate_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)
    with pytest.raises(FailureError):
        px.guest.apply_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        (demo.DEMO_USED_VISIT_CODE, "visit_code.already_used"),
        (demo.DEMO_EXPIRED_VISIT_CODE, "visit_code.expired"),
    ],
)
def test_a_used_or_expired_visit_code_is_invalid_with_its_code_info(
    px: PaytronixClient, code: str, error_code: str
) -> None:
    with pytest.raises(InvalidVisitCodeError) as caught:
        px.guest.validate_visit_code(code=code, account_id=demo.DEMO_ACCOUNT_ID)

    assert caught.value.error_code == error_code
    assert caught.value.extra["codeInfo"]["storeCode"] == "001"


def test_an_unknown_visit_code_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.validate_visit_code(code="VC-0000-0000-0000", account_id=demo.DEMO_ACCOUNT_ID)

    assert caught.value.error_code == "visit_code.not_found"


# Preferences


def test_message_frequency_is_updated_and_read_back(px: PaytronixClient) -> None:
    px.guest.update_message_frequency(username=demo.DEMO_USERNAME, preference="ONCE_PER_MONTH")

    fields = px.guest.user_information(username=demo.DEMO_USERNAME).fields
    assert fields is not None
    assert fields.message_frequency == "ONCE_PER_MONTH"


def test_message_frequency_of_nobody_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.update_message_frequency(username="no.such.user", preference="ALL")

    assert caught.value.error_code == "account_info.invalid_user"


@pytest.mark.parametrize(
    ("key", "language"),
    [("username", "fr-CA"), ("printed_card_number", "es-ES"), ("account_id", "de-DE")],
)
def test_language_preference_is_updated_and_read_back(
    px: PaytronixClient, key: str, language: str
) -> None:
    getattr(px.guest, _by("update_language_preference", key))(
        **ACCOUNT_BY[key], language_code=language
    )

    fields = px.guest.user_information(username=demo.DEMO_USERNAME).fields
    assert fields is not None
    assert fields.user_language_pref == language


@pytest.mark.parametrize("key", NOBODY_BY)
def test_language_preference_of_nobody_fails(px: PaytronixClient, key: str) -> None:
    with pytest.raises(FailureError):
        getattr(px.guest, _by("update_language_preference", key))(
            **NOBODY_BY[key], language_code="en-US"
        )


# CSR notes


def test_an_added_note_is_listed_after_the_seeded_ones(px: PaytronixClient) -> None:
    added = px.csr.add_account_comment(
        printed_card_number=demo.DEMO_ACTIVE_CARD, comment="Called about points", author="agent1"
    )
    notes = px.csr.account_comments(printed_card_number=demo.DEMO_ACTIVE_CARD)

    assert (added.comment, added.author) == ("Called about points", "agent1")
    assert len(notes) == 3
    assert (notes[-1].comment, notes[-1].author) == ("Called about points", "agent1")
    assert all(note.date_created is not None for note in notes)


def test_notes_of_an_unknown_card_fail(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as listing:
        px.csr.account_comments(printed_card_number=UNKNOWN_CARD)
    with pytest.raises(FailureError) as adding:
        px.csr.add_account_comment(printed_card_number=UNKNOWN_CARD, comment="x", author="a")

    assert listing.value.error_code == adding.value.error_code == "csr.invalid_card"


# Account search


def test_account_query_finds_the_guest_by_phone_or_name(px: PaytronixClient) -> None:
    by_phone = px.transaction.account_query(phone="(617) 555-0142")
    by_name = px.transaction.account_query(
        first_name="ava", last_name="THOMPSON", postal_code=demo.DEMO_POSTAL_CODE
    )

    assert demo.DEMO_ACCOUNT_ID in {m.account_id for m in by_phone}
    assert demo.DEMO_ACCOUNT_ID in {m.account_id for m in by_name}
    match = next(m for m in by_name if m.account_id == demo.DEMO_ACCOUNT_ID)
    assert match.printed_card_number == demo.DEMO_ACTIVE_CARD
    assert match.field_values["email"] == demo.DEMO_EMAIL


def test_account_query_respects_the_page_size_and_store_group(px: PaytronixClient) -> None:
    many = px.transaction.account_query(postal_code=demo.DEMO_POSTAL_CODE, page_size=1)
    elsewhere = px.transaction.account_query(
        email=demo.DEMO_EMAIL, access_filter_store_group_code=demo.DEMO_OTHER_STORE_GROUP
    )

    assert len(many) == 1
    assert elsewhere == []


def test_account_query_without_a_match_is_an_empty_list(px: PaytronixClient) -> None:
    assert px.transaction.account_query(email="nobody@nowhere.example") == []
