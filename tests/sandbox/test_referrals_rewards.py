"""Referrals and referral codes, pending event rewards, visit codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.paytronix import PaytronixClient
from portal.paytronix.errors import FailureError, InvalidVisitCodeError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import NOBODY_BY_KEY, UNKNOWN_ACCOUNT, UNKNOWN_CARD, Api

REFERRAL_KEYS = {"result", "numberOfAvailableUserReferrals", "userReferrals", "bulkReferrals"}


def test_referral_lists_by_username_card_and_account_agree(api: Api) -> None:
    by_name = api.get("guest/referralsByUsername", username=demo.DEMO_USERNAME)
    by_card = api.get("guest/referralsByPrintedCardNumber", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    by_id = api.get("guest/referralsByAccountId", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_name == by_card == by_id
    assert set(by_name) == REFERRAL_KEYS
    assert by_name["numberOfAvailableUserReferrals"] == 2
    assert [r["status"] for r in by_name["userReferrals"]] == [
        "INVITATION_SENT",
        "ENROLLED",
        "REWARD_EARNED",
    ]
    assert [r["status"] for r in by_name["bulkReferrals"]] == ["CARD_LINKED", "CARD_USED"]
    assert set(by_name["bulkReferrals"][0]) == {"detail", "status", "reward"}


@pytest.mark.parametrize(
    ("endpoint", "key"),
    [
        ("guest/addReferralsByUsername", {"username": demo.DEMO_USERNAME}),
        ("guest/addReferralsByPrintedCardNumber", {"printedCardNumber": demo.DEMO_ACTIVE_CARD}),
        ("guest/addReferralsByAccountId", {"accountId": demo.DEMO_ACCOUNT_ID}),
    ],
)
def test_added_referrals_appear_as_invitations_sent(
    api: Api, endpoint: str, key: dict[str, object]
) -> None:
    reply = api.post(endpoint, **key, emails=["new.friend@example.org"], message="Join us!")
    assert set(reply) == REFERRAL_KEYS
    assert {"email": "new.friend@example.org", "status": "INVITATION_SENT", "reward": ""} in reply[
        "userReferrals"
    ]
    assert reply["numberOfAvailableUserReferrals"] == 1
    listed = api.get("guest/referralsByUsername", username=demo.DEMO_USERNAME)
    assert listed == reply


def test_adding_more_referrals_than_available_fails(api: Api) -> None:
    three = ["a@example.org", "b@example.org", "c@example.org"]
    by_name = api.post("guest/addReferralsByUsername", username=demo.DEMO_USERNAME, emails=three)
    by_id = api.post("guest/addReferralsByAccountId", accountId=demo.DEMO_ACCOUNT_ID, emails=three)
    assert by_name["errorCode"] == by_id["errorCode"] == "referral.none_available"
    listed = api.get("guest/referralsByUsername", username=demo.DEMO_USERNAME)
    assert listed["numberOfAvailableUserReferrals"] == 2


def test_an_invalid_referral_email_fails(api: Api) -> None:
    reply = api.post(
        "guest/addReferralsByUsername", username=demo.DEMO_USERNAME, emails=["not-an-email"]
    )
    assert reply["errorCode"] == "referral.invalid_email"


@pytest.mark.parametrize(("by", "key", "error_code"), NOBODY_BY_KEY)
def test_referrals_of_nobody_fail_with_the_code_of_the_key(
    api: Api, by: str, key: dict[str, object], error_code: str
) -> None:
    assert api.get(f"guest/referralsBy{by}", **key)["errorCode"] == error_code
    added = api.post(f"guest/addReferralsBy{by}", **key, emails=["a@example.net"])
    assert added["errorCode"] == error_code
    template = {"cardTemplateCode": demo.REWARDS_TEMPLATE} if by == "Username" else {}
    created = api.post(f"guest/createReferralCodeBy{by}", **key, **template)
    assert created["errorCode"] == error_code


def test_referral_codes_are_created_stable_and_validated(api: Api) -> None:
    by_name = api.post(
        "guest/createReferralCodeByUsername",
        username=demo.DEMO_USERNAME,
        cardTemplateCode=demo.REWARDS_TEMPLATE,
    )
    assert set(by_name) == {"result", "code", "name", "cardTemplateCode", "url"}
    assert by_name["code"] == demo.DEMO_REFERRAL_CODE
    assert by_name["name"] == "Ava T."
    assert by_name["url"].endswith(demo.DEMO_REFERRAL_CODE)
    by_card = api.post(
        "guest/createReferralCodeByPrintedCardNumber", printedCardNumber=demo.DEMO_ACTIVE_CARD
    )
    by_id = api.post("guest/createReferralCodeByAccountId", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_name == by_card == by_id
    seeded = api.post("guest/validateReferralCode", code=demo.DEMO_REFERRAL_CODE)
    assert (seeded["name"], seeded["cardTemplateCode"]) == ("Ava T.", demo.REWARDS_TEMPLATE)
    fresh = api.post(
        "guest/createReferralCodeByPrintedCardNumber", printedCardNumber=demo.DEMO_ATTACHABLE_CARD
    )
    valid = api.post("guest/validateReferralCode", code=fresh["code"])
    assert valid == {
        "result": "success",
        "code": fresh["code"],
        "name": "",
        "cardTemplateCode": demo.REWARDS_TEMPLATE,
    }


def test_an_unknown_referral_code_is_invalid(api: Api) -> None:
    assert api.post("guest/validateReferralCode", code="NOPE1234") == {
        "result": "failure",
        "errorCode": "referral_code.invalid_code",
        "errorMessage": "Invalid referral code",
    }


def test_pending_event_rewards_by_card_and_account(api: Api) -> None:
    by_card = api.get("guest/pendingEventRewards", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    by_id = api.get("guest/pendingEventRewardsByAccountId", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_card == by_id
    assert len(by_card["rewards"]) == 2
    assert {"name", "amount", "eventName", "eventCode"} <= set(by_card["rewards"][0])
    empty = api.get("guest/pendingEventRewards", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert empty == {"result": "success", "rewards": []}
    no_card = api.get("guest/pendingEventRewards", printedCardNumber=UNKNOWN_CARD)
    assert no_card["errorCode"] == "account_info.invalid_card"
    no_account = api.get("guest/pendingEventRewardsByAccountId", accountId=UNKNOWN_ACCOUNT)
    assert no_account["errorCode"] == "account_info.invalid_account"


def test_validating_a_visit_code(api: Api) -> None:
    reply = api.post(
        "guest/validateVisitCode",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        code=demo.DEMO_VISIT_CODE,
    )
    assert reply["result"] == "success"
    assert reply["codeInfo"] == {
        "storeCode": "001",
        "checkNumber": "4821",
        "dollarSpent": "22.50",
        "checkDate": "2025-05-28",
        "normalizedCode": "VC100148212250",
    }


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        (demo.DEMO_USED_VISIT_CODE, "visit_code.already_used"),
        (demo.DEMO_EXPIRED_VISIT_CODE, "visit_code.expired"),
    ],
)
def test_an_unusable_visit_code_is_invalid_with_its_info(
    api: Api, code: str, error_code: str
) -> None:
    reply = api.post("guest/validateVisitCode", accountId=demo.DEMO_ACCOUNT_ID, code=code)
    assert (reply["result"], reply["errorCode"]) == ("invalidVisitCode", error_code)
    assert reply["codeInfo"]["storeCode"] == "001"
    assert set(reply["codeInfo"]) == {
        "storeCode",
        "checkNumber",
        "dollarSpent",
        "checkDate",
        "normalizedCode",
    }


def test_visit_code_argument_errors(api: Api) -> None:
    both = api.post(
        "guest/validateVisitCode",
        accountId=demo.DEMO_ACCOUNT_ID,
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        code=demo.DEMO_VISIT_CODE,
    )
    assert both["errorCode"] == "account_info.error"
    unknown = api.post("guest/validateVisitCode", accountId=demo.DEMO_ACCOUNT_ID, code="XYZ")
    assert (unknown["result"], unknown["errorCode"]) == ("failure", "visit_code.not_found")


def test_applying_a_visit_code_credits_points_records_history_and_uses_the_code(
    api: Api, sandbox: SandboxController
) -> None:
    points = sandbox.state.account(demo.DEMO_ACCOUNT_ID).wallet(5)
    assert points is not None
    before = points.balance
    reply = api.post(
        "guest/applyVisitCode", printedCardNumber=demo.DEMO_ACTIVE_CARD, code=demo.DEMO_VISIT_CODE
    )
    assert reply["result"] == "success"
    assert set(reply["reply"]) == {"pxTransactionId", "walletContents"}
    contents = {w["walletCode"]: w for w in reply["reply"]["walletContents"]}
    assert Decimal(contents[5]["balance"]) == before + 22
    latest = api.get("guest/transactionHistory", printedCardNumber=demo.DEMO_ACTIVE_CARD)[
        "transactions"
    ][0]
    assert (latest["transactionType"], str(latest["transactionId"])) == (
        "Visit Code",
        reply["reply"]["pxTransactionId"],
    )
    again = api.post(
        "guest/applyVisitCode", accountId=demo.DEMO_ACCOUNT_ID, code=demo.DEMO_VISIT_CODE
    )
    assert (again["result"], again["errorCode"]) == ("failure", "visit_code.already_used")


def test_a_visit_code_cannot_be_applied_to_a_suspended_account(api: Api) -> None:
    reply = api.post(
        "guest/applyVisitCode",
        printedCardNumber=demo.DEMO_SUSPENDED_ACCOUNT_CARD,
        code=demo.DEMO_VISIT_CODE,
    )
    assert reply["errorCode"] == "account_info.invalid_account_status"


# -- as the portal's client reads them ---------------------------------------------------------


def test_the_client_reads_pending_event_rewards_typed(px: PaytronixClient) -> None:
    by_card = px.guest.pending_event_rewards(printed_card_number=demo.DEMO_ACTIVE_CARD)
    by_account = px.guest.pending_event_rewards_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)

    assert by_card == by_account
    assert [(r.name, r.amount, r.event_code) for r in by_card] == [
        ("Bonus Points", Decimal(50), "DPW24"),
        ("Free Appetizer", Decimal(1), "CTL-SUMMER"),
    ]
    assert by_card[1].expiration_date is not None


def test_a_valid_visit_code_validates_then_applies_once(px: PaytronixClient) -> None:
    info = px.guest.validate_visit_code(
        code=demo.DEMO_VISIT_CODE, printed_card_number=demo.DEMO_ACTIVE_CARD
    )
    assert info.dollar_spent == Decimal("22.50")
    assert info.check_number == "4821"

    reply = px.guest.apply_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)
    assert reply.wallet_contents
    assert all(isinstance(w.balance, Decimal) for w in reply.wallet_contents)

    with pytest.raises(InvalidVisitCodeError) as validated:
        px.guest.validate_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)
    with pytest.raises(FailureError) as applied:
        px.guest.apply_visit_code(code=demo.DEMO_VISIT_CODE, account_id=demo.DEMO_ACCOUNT_ID)
    assert validated.value.error_code == applied.value.error_code == "visit_code.already_used"
