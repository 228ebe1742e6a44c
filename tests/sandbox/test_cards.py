"""Card status, attach (with its more_info flow), combine, is-combinable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import Api, card_statuses, wallet_balances

# -- changeCardStatus -------------------------------------------------------------------------


def test_a_disabled_card_shows_disabled_everywhere(api: Api) -> None:
    reply = api.post(
        "guest/changeCardStatus", printedCardNumber=demo.DEMO_ACTIVE_CARD, status="DISABLED"
    )
    assert reply == {"result": "success"}
    by_card = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert by_card["queryCardStatus"] == "DISABLED"
    assert by_card["primaryCard"]["status"] == "DISABLED"
    by_other_card = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_DISABLED_CARD)
    assert card_statuses(by_other_card)[demo.DEMO_ACTIVE_CARD] == "DISABLED"
    by_id = api.get("guest/accountInformationById", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_id["primaryCard"]["status"] == "DISABLED"
    external = api.get(
        "guest/printedCardNumberForExternalAccount", accountCode=demo.DEMO_EXTERNAL_ACCOUNT_CODE
    )
    assert external["primaryCard"]["status"] == "DISABLED"
    history = api.get("guest/transactionHistoryByAccount", accountId=demo.DEMO_ACCOUNT_ID)
    latest = history["transactions"][0]
    assert (latest["transactionType"], latest["guestType"]) == ("Card Status Change", False)


def test_a_card_attached_to_the_user_is_not_listed_on_the_main_account(api: Api) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    api.post("guest/changeCardStatus", printedCardNumber=other, status="DISABLED")
    assert other not in card_statuses(api.get("guest/accountInformation", printedCardNumber=main))
    own = api.get("guest/accountInformation", printedCardNumber=other)
    assert (own["primaryCard"]["printedCardNumber"], own["queryCardStatus"]) == (other, "DISABLED")


def test_enabling_a_disabled_card(api: Api) -> None:
    api.post("guest/changeCardStatus", printedCardNumber=demo.DEMO_DISABLED_CARD, status="ACTIVE")
    assert api.sandbox.state.card(demo.DEMO_DISABLED_CARD).status == "ACTIVE"


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        (demo.DEMO_ACTIVE_CARD, "EXCHANGED", "card_status.invalid_status"),
        ("6000000000000000", "DISABLED", "card_status.invalid_card"),
        (demo.DEMO_EXCHANGED_CARD, "ACTIVE", "card_status.card_exchanged"),
        (demo.DEMO_UNACTIVATED_CARD, "ACTIVE", "card_status.card_inactive"),
        (demo.DEMO_SUSPENDED_ACCOUNT_CARD, "DISABLED", "card_status.account_not_active"),
    ],
)
def test_card_status_failures(api: Api, number: str, status: str, code: str) -> None:
    reply = api.post("guest/changeCardStatus", printedCardNumber=number, status=status)
    assert (reply["result"], reply["errorCode"]) == ("failure", code)


# -- attachCard -------------------------------------------------------------------------------


def test_attaching_a_card_links_its_account_to_the_user(
    api: Api, sandbox: SandboxController
) -> None:
    own_account = sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD).account_id
    before = wallet_balances(sandbox, demo.DEMO_ATTACHABLE_CARD)
    reply = api.post(
        "guest/attachCard",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert reply == {"result": "success"}
    # The card keeps its own account: not one of the main account's additional cards.
    account = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert demo.DEMO_ATTACHABLE_CARD not in card_statuses(account)
    user = api.get("guest/userInformation", username=demo.DEMO_USERNAME)["userInformation"]
    assert user["accountIds"] == [demo.DEMO_ACCOUNT_ID, own_account]
    assert user["primaryCardNumbers"] == [demo.DEMO_ACTIVE_CARD, demo.DEMO_ATTACHABLE_CARD]
    attached = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert (attached["accountId"], attached["username"], attached["registrationStatus"]) == (
        own_account,
        demo.DEMO_USERNAME,
        "REGISTERED",
    )
    assert wallet_balances(sandbox, demo.DEMO_ATTACHABLE_CARD) == before
    # Attached, not main (the showcase account was enrolled first): combinable now.
    combinable = api.get("guest/isCardCombinable", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert combinable["isCombinable"] is True
    main = api.get("guest/isCardCombinable", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert main["isCombinable"] is False


def test_a_card_with_a_registration_code_asks_for_it(api: Api) -> None:
    call = {
        "printedCardNumber": demo.DEMO_ACTIVE_CARD,
        "otherPrintedCardNumber": demo.DEMO_CARD_WITH_REGISTRATION_CODE,
    }
    assert api.post("guest/attachCard", **call) == {
        "result": "more_info",
        "fields": ["registrationCode"],
    }
    wrong = api.post("guest/attachCard", **call, otherRegistrationCode="000000")
    assert wrong["errorCode"] == "attach_card.invalid_reg_code"
    right = api.post("guest/attachCard", **call, otherRegistrationCode=demo.DEMO_REGISTRATION_CODE)
    assert right == {"result": "success"}


def test_a_card_of_another_user_asks_for_their_username_and_password(api: Api) -> None:
    call = {
        "printedCardNumber": demo.DEMO_ACTIVE_CARD,
        "otherPrintedCardNumber": demo.DEMO_CARD_OWNED_BY_OTHER_USER,
    }
    assert api.post("guest/attachCard", **call) == {
        "result": "more_info",
        "fields": ["username", "password"],
    }
    wrong = api.post(
        "guest/attachCard", **call, otherUsername=demo.DEMO_OTHER_USERNAME, otherPassword="guess"
    )
    assert wrong["errorCode"] == "attach_card.user_pwd_invalid"
    right = api.post(
        "guest/attachCard",
        **call,
        otherUsername=demo.DEMO_OTHER_USERNAME,
        otherPassword=demo.DEMO_OTHER_PASSWORD,
    )
    assert right == {"result": "success"}
    previous = api.sandbox.state.user(demo.DEMO_OTHER_USERNAME)
    assert previous.account_ids == []
    assert "guess" not in str(wrong)
    assert demo.DEMO_OTHER_PASSWORD not in str(right)


@pytest.mark.parametrize(
    ("number", "other", "code"),
    [
        ("6000000000000000", demo.DEMO_ATTACHABLE_CARD, "attach_card.invalid_card"),
        (demo.DEMO_ACTIVE_CARD, "6000000000000000", "attach_card.invalid_other_card"),
        (demo.DEMO_ATTACHABLE_CARD, demo.DEMO_ACTIVE_CARD, "attach_card.invalid_user"),
        (demo.DEMO_ACTIVE_CARD, demo.DEMO_DISABLED_CARD, "attach_card.already_attached"),
        (demo.DEMO_DISABLED_CARD, demo.DEMO_ATTACHABLE_CARD, "attach_card.card_not_active"),
        (
            demo.DEMO_SUSPENDED_ACCOUNT_CARD,
            demo.DEMO_ATTACHABLE_CARD,
            "attach_card.account_not_active",
        ),
        (
            demo.DEMO_ACTIVE_CARD,
            demo.DEMO_TERMINATED_ACCOUNT_CARD,
            "attach_card.other_account_not_active",
        ),
        (demo.DEMO_ACTIVE_CARD, demo.DEMO_UNACTIVATED_CARD, "attach_card.other_account_not_active"),
    ],
)
def test_attach_failures(api: Api, number: str, other: str, code: str) -> None:
    reply = api.post("guest/attachCard", printedCardNumber=number, otherPrintedCardNumber=other)
    assert (reply["result"], reply["errorCode"]) == ("failure", code)


def test_attaching_a_disabled_card_of_another_account_fails(api: Api) -> None:
    api.post(
        "guest/changeCardStatus", printedCardNumber=demo.DEMO_ATTACHABLE_CARD, status="DISABLED"
    )
    reply = api.post(
        "guest/attachCard",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert reply["errorCode"] == "attach_card.other_card_not_active"


# -- combineCard ------------------------------------------------------------------------------


def test_combining_moves_the_balances_into_the_surviving_account(
    api: Api, sandbox: SandboxController
) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    before_main, before_other = wallet_balances(sandbox, main), wallet_balances(sandbox, other)
    assert api.get("guest/isCardCombinable", printedCardNumber=other)["isCombinable"] is True
    reply = api.post("guest/combineCard", printedCardNumber=other)
    survivor = sandbox.state.account_for_card(main)
    assert reply == {
        "result": "success",
        "username": demo.DEMO_COMBINE_USERNAME,
        "survivingAccountId": survivor.account_id,
    }
    after = wallet_balances(sandbox, main)
    for code, amount in before_other.items():
        assert after[code] == before_main.get(code, Decimal("0")) + amount
    # The combined card now answers with the surviving account and its balances.
    combined = api.get("guest/accountInformation", printedCardNumber=other)
    assert combined["accountId"] == survivor.account_id
    assert combined["queryCardStatus"] == "ACTIVE"
    assert card_statuses(api.get("guest/accountInformation", printedCardNumber=main))[other] == (
        "ACTIVE"
    )
    user = api.get("guest/userInformation", username=demo.DEMO_COMBINE_USERNAME)
    assert user["userInformation"]["accountIds"] == [survivor.account_id]


def test_combining_records_the_move_in_both_histories(api: Api, sandbox: SandboxController) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    old_account = sandbox.state.account_for_card(other).account_id
    api.post("guest/combineCard", printedCardNumber=other)
    survivor = api.get("guest/transactionHistory", printedCardNumber=main)["transactions"][0]
    assert survivor["transactionType"] == "Combine"
    assert all(Decimal(d["accrued"]) >= 0 for d in survivor["details"])
    emptied = api.get("guest/transactionHistoryByAccount", accountId=old_account)
    assert emptied["transactions"][0]["transactionType"] == "Combine"
    assert all(Decimal(d["balance"]) == 0 for d in emptied["transactions"][0]["details"])
    gone = api.get("guest/accountInformationById", accountId=old_account)
    assert (gone["result"], gone["accountStatus"]) == ("invalid_status", "ABANDONED")


def test_the_third_combine_into_one_account_suspends_it_and_moves_nothing(
    api: Api, sandbox: SandboxController
) -> None:
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    before_main, before_other = wallet_balances(sandbox, main), wallet_balances(sandbox, other)
    other_account = sandbox.state.account_for_card(other).account_id
    reply = api.post("guest/combineCard", printedCardNumber=other)
    assert reply == {
        "result": "accountSuspended",
        "errorCode": "combine_card.account_suspended",
        "errorMessage": "Account suspended. Contact support.",
    }
    assert api.get("guest/accountInformation", printedCardNumber=main)["accountStatus"] == (
        "SUSPENDED"
    )
    still = api.get("guest/accountInformation", printedCardNumber=other)
    assert (still["accountId"], still["accountStatus"]) == (other_account, "ACTIVE")
    assert wallet_balances(sandbox, main) == before_main
    assert wallet_balances(sandbox, other) == before_other
    assert other_account in sandbox.state.user("olivia.nguyen").account_ids


def test_the_suspension_threshold_is_configurable(
    api: Api, sandbox: SandboxController, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox.state, "combine_suspend_threshold", 1)
    reply = api.post("guest/combineCard", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1])
    assert reply["result"] == "accountSuspended"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("6000000000000000", "combine_card.invalid_card"),
        (demo.DEMO_ATTACHABLE_CARD, "combine_card.not_attached"),
        (demo.DEMO_COMBINE_MAIN_CARD, "combine_card.same_card"),
        (demo.DEMO_ACTIVE_CARD, "combine_card.same_card"),
        (demo.DEMO_DISABLED_CARD, "combine_card.already_combined"),
        (demo.DEMO_NOT_COMBINABLE_PAIR[1], "combine_card.not_combinable_template"),
        (demo.DEMO_DIFFERENT_TEMPLATE_PAIR[1], "combine_card.not_combinable_template"),
        (demo.DEMO_DIFFERENT_TEMPLATE_PAIR[0], "combine_card.same_card"),
    ],
)
def test_combine_failures(api: Api, number: str, code: str) -> None:
    reply = api.post("guest/combineCard", printedCardNumber=number)
    assert (reply["result"], reply["errorCode"]) == ("failure", code)


def test_an_obsolete_other_card_of_another_template_is_refused(api: Api) -> None:
    reply = api.post(
        "guest/combineCard",
        printedCardNumber=demo.DEMO_COMBINE_OTHER_CARD,
        otherPrintedCardNumber=demo.DEMO_DIFFERENT_TEMPLATE_PAIR[1],
    )
    assert reply["errorCode"] == "combine_card.combine_different_templates"


def test_the_main_account_is_chosen_by_the_number_of_previous_combines(
    api: Api, sandbox: SandboxController, monkeypatch: pytest.MonkeyPatch
) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    # The later account has one combine behind it: that ranks before the earlier enrollment.
    monkeypatch.setattr(sandbox.state.account_for_card(other), "combine_count", 1)
    assert api.get("guest/isCardCombinable", printedCardNumber=main)["isCombinable"] is True
    reply = api.post("guest/combineCard", printedCardNumber=main)
    assert reply["survivingAccountId"] == sandbox.state.account_for_card(other).account_id


def test_an_active_account_is_the_main_one_before_a_suspended_one(
    api: Api, sandbox: SandboxController, monkeypatch: pytest.MonkeyPatch
) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    monkeypatch.setattr(sandbox.state.account_for_card(main), "status", "SUSPENDED")
    assert api.get("guest/isCardCombinable", printedCardNumber=main)["isCombinable"] is True
    assert api.get("guest/isCardCombinable", printedCardNumber=other)["isCombinable"] is False
    refused = api.post("guest/combineCard", printedCardNumber=main)
    assert refused["errorCode"] == "combine_card.account_not_active"


def test_combining_a_disabled_attached_card_fails(api: Api) -> None:
    other = demo.DEMO_COMBINABLE_PAIR[1]
    api.post("guest/changeCardStatus", printedCardNumber=other, status="DISABLED")
    reply = api.post("guest/combineCard", printedCardNumber=other)
    assert reply["errorCode"] == "combine_card.card_not_active"


def test_combining_into_a_disabled_main_card_fails(api: Api) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    api.post("guest/changeCardStatus", printedCardNumber=main, status="DISABLED")
    reply = api.post("guest/combineCard", printedCardNumber=other)
    assert reply["errorCode"] == "combine_card.other_card_not_active"


def test_an_unknown_obsolete_other_card_is_refused(api: Api) -> None:
    reply = api.post(
        "guest/combineCard",
        printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1],
        otherPrintedCardNumber="6000000000000000",
    )
    assert reply["errorCode"] == "combine_card.invalid_other"


# -- isCardCombinable agrees with combineCard -------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        demo.DEMO_COMBINABLE_PAIR[1],
        demo.DEMO_COMBINE_MAIN_CARD,
        demo.DEMO_NOT_COMBINABLE_PAIR[1],
        demo.DEMO_DIFFERENT_TEMPLATE_PAIR[1],
        demo.DEMO_DISABLED_CARD,
        demo.DEMO_NEAR_SUSPENSION_PAIR[1],
    ],
)
def test_is_card_combinable_predicts_combine(api: Api, number: str) -> None:
    answer = api.get("guest/isCardCombinable", printedCardNumber=number)
    assert set(answer) == {"result", "isCombinable"}
    combined = api.post("guest/combineCard", printedCardNumber=number)
    assert answer["isCombinable"] == (combined["result"] in ("success", "accountSuspended"))


def test_an_unregistered_card_of_a_combinable_template_is_combinable(api: Api) -> None:
    # The spec: combinable "if it is not the main account and combine is enabled for the card
    # template"; an unregistered card is nobody's main account (combineCard still needs it
    # attached first).
    answer = api.get("guest/isCardCombinable", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert answer == {"result": "success", "isCombinable": True}


def test_is_card_combinable_fails_for_an_unknown_card(api: Api) -> None:
    reply = api.get("guest/isCardCombinable", printedCardNumber="6000000000000000")
    assert reply["errorCode"] == "combine_card.invalid_card"
