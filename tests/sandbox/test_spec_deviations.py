"""Where the sandbox used to answer what the Guest Service spec does not (issue 10, section 2):
each behaviour as the spec's table has it."""

from __future__ import annotations

from typing import Any

from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import Api, wallet_balances
from tests.sandbox.contract_calls import reply_problems

FAILURE_KEYS = {"result", "errorCode", "errorMessage"}


def test_address_ids_are_strings_as_the_table_says(api: Api) -> None:
    reply = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    addresses = reply["userInformation"]["addresses"]
    assert addresses
    assert all(isinstance(a["addressId"], str) for a in addresses)


def test_attach_and_combine_refuses_a_bad_request_as_an_attach_failure(api: Api) -> None:
    reply = api.post("guest/attachAndCombine", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert reply == {
        "result": "attach_failure",
        "errorCode": "attach_card.error",
        "errorMessage": "Missing required argument: otherPrintedCardNumber",
    }


def test_an_unregistered_card_of_a_combinable_template_is_combinable(api: Api) -> None:
    reply = api.get("guest/isCardCombinable", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert reply == {"result": "success", "isCombinable": True}


def test_the_main_accounts_card_and_a_gift_card_are_not_combinable(api: Api) -> None:
    for number in (demo.DEMO_ACTIVE_CARD, demo.DEMO_NOT_COMBINABLE_PAIR[1]):
        reply = api.get("guest/isCardCombinable", printedCardNumber=number)
        assert reply == {"result": "success", "isCombinable": False}, number


def test_the_history_of_a_disabled_card_is_card_inactive(api: Api) -> None:
    reply = api.get("guest/transactionHistory", printedCardNumber=demo.DEMO_DISABLED_CARD)
    assert reply == {
        "result": "failure",
        "errorCode": "transaction_history.card_inactive",
        "errorMessage": "card inactive",
    }


def test_the_history_of_an_exchanged_card_is_card_exchanged(api: Api) -> None:
    reply = api.get("guest/transactionHistory", printedCardNumber=demo.DEMO_EXCHANGED_CARD)
    assert (reply["result"], reply["errorCode"]) == (
        "failure",
        "transaction_history.card_exchanged",
    )


def test_zero_results_asked_is_zero_transactions(api: Api) -> None:
    for path, key in (
        ("guest/transactionHistory", {"printedCardNumber": demo.DEMO_ACTIVE_CARD}),
        ("guest/transactionHistoryByAccount", {"accountId": demo.DEMO_ACCOUNT_ID}),
    ):
        reply = api.get(path, maxNumberOfResults=0, **key)
        assert (reply["result"], reply["transactions"]) == ("success", []), path


def test_an_account_id_as_a_string_is_refused(api: Api) -> None:
    reply = api.post(
        "guest/addReferralsByAccountId",
        accountId=str(demo.DEMO_ACCOUNT_ID),
        emails=["new.friend@example.com"],
    )
    assert (reply["result"], reply["errorCode"]) == ("failure", "account_info.error")
    assert reply["errorMessage"] == "Argument accountId must be an integer"


def test_a_card_number_as_a_number_is_refused(api: Api, sandbox: SandboxController) -> None:
    reply = api.post(
        "guest/changeCardStatus", printedCardNumber=int(demo.DEMO_ACTIVE_CARD), status="DISABLED"
    )
    assert (reply["result"], reply["errorCode"]) == ("failure", "card_status.invalid_card")
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_yes_for_a_boolean_is_refused(api: Api) -> None:
    reply = api.get(
        "guest/transactionHistory",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        limitToBalanceAffectingTransactions="yes",
    )
    assert (reply["result"], reply["errorCode"]) == ("failure", "transaction_history.error")
    assert (
        reply["errorMessage"]
        == "Argument limitToBalanceAffectingTransactions must be true or false"
    )


def test_user_and_account_information_failures_carry_only_the_failure_fields(api: Api) -> None:
    for number in (demo.DEMO_UNACTIVATED_CARD, demo.DEMO_TERMINATED_ACCOUNT_CARD):
        reply = api.get(
            "guest/userAndAccountInformationByPrintedCardNumber", printedCardNumber=number
        )
        assert reply["result"] == "failure"
        assert set(reply) == FAILURE_KEYS, number


def test_apply_visit_code_failures_carry_only_the_failure_fields(api: Api) -> None:
    for code in (demo.DEMO_USED_VISIT_CODE, demo.DEMO_EXPIRED_VISIT_CODE):
        reply = api.post("guest/applyVisitCode", printedCardNumber=demo.DEMO_ACTIVE_CARD, code=code)
        assert reply["result"] == "failure"
        assert set(reply) == FAILURE_KEYS, code


def test_validate_visit_code_still_says_what_an_invalid_code_was(api: Api) -> None:
    reply = api.post(
        "guest/validateVisitCode",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        code=demo.DEMO_USED_VISIT_CODE,
    )
    assert reply["result"] == "invalidVisitCode"
    assert reply_problems("guest/validateVisitCode", reply, exact=True) == []


def _where(sandbox: SandboxController, number: str) -> tuple[int, dict[int, Any]]:
    account = sandbox.state.account_for_card(number)
    return account.account_id, wallet_balances(sandbox, number)


def test_an_over_limit_combine_suspends_and_moves_nothing(
    api: Api, sandbox: SandboxController
) -> None:
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    main_before, other_before = _where(sandbox, main), _where(sandbox, other)
    reply = api.post("guest/combineCard", printedCardNumber=other)
    assert reply == {
        "result": "accountSuspended",
        "errorCode": "combine_card.account_suspended",
        "errorMessage": "Account suspended. Contact support.",
    }
    assert (_where(sandbox, main), _where(sandbox, other)) == (main_before, other_before)
    assert api.get("guest/accountInformation", printedCardNumber=main)["accountStatus"] == (
        "SUSPENDED"
    )


def test_the_annotation_of_an_unknown_transaction_is_a_failure(api: Api) -> None:
    reply = api.get(
        "guest/transactionAnnotation", accountId=demo.DEMO_ACCOUNT_ID, transactionId=123456789
    )
    assert reply == {
        "result": "failure",
        "errorCode": "transaction_annotation.error",
        "errorMessage": "Failed to perform operation",
    }
