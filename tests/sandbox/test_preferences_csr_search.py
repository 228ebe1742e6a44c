"""Message frequency and language, CSR account comments, and accountQuery search."""

from __future__ import annotations

import pytest

from portal.sandbox import demo
from tests.sandbox.conftest import NOBODY_BY_KEY, Api


def _fields(api: Api) -> dict[str, object]:
    reply = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    return dict(reply["userInformation"]["fields"])


def test_message_frequency_shows_in_user_information(api: Api) -> None:
    reply = api.post(
        "guest/updateMessageFrequency", username=demo.DEMO_USERNAME, preference="UNSUBSCRIBE"
    )
    assert reply == {"result": "success"}
    fields = _fields(api)
    assert (fields["messageFrequency"], fields["optIn"]) == ("UNSUBSCRIBE", False)
    api.post("guest/updateMessageFrequency", username=demo.DEMO_USERNAME, preference="SNOOZE")
    assert (_fields(api)["messageFrequency"], _fields(api)["optIn"]) == ("SNOOZE", True)


def test_message_frequency_failures(api: Api) -> None:
    bad = api.post("guest/updateMessageFrequency", username=demo.DEMO_USERNAME, preference="HOURLY")
    assert bad["errorCode"] == "account_info.error"
    nobody = api.post("guest/updateMessageFrequency", username="nobody", preference="ALL")
    assert nobody["errorCode"] == "account_info.invalid_user"


@pytest.mark.parametrize(
    ("endpoint", "key"),
    [
        ("guest/updateUserLanguagePrefByUsername", {"username": demo.DEMO_USERNAME}),
        (
            "guest/updateUserLanguagePrefByPrintedCardNumber",
            {"printedCardNumber": demo.DEMO_ACTIVE_CARD},
        ),
        ("guest/updateUserLanguagePrefByAccountId", {"accountId": demo.DEMO_ACCOUNT_ID}),
    ],
)
def test_language_preference_shows_in_user_information(
    api: Api, endpoint: str, key: dict[str, object]
) -> None:
    assert api.post(endpoint, **key, languageCode="fr-CA") == {"result": "success"}
    assert _fields(api)["userLanguagePref"] == "fr-CA"


def test_language_preference_failures(api: Api) -> None:
    bad = api.post(
        "guest/updateUserLanguagePrefByUsername", username=demo.DEMO_USERNAME, languageCode="xx"
    )
    assert bad["errorCode"] == "account_info.error"
    unregistered = api.post(
        "guest/updateUserLanguagePrefByPrintedCardNumber",
        printedCardNumber=demo.DEMO_ATTACHABLE_CARD,
        languageCode="en-US",
    )
    assert unregistered["errorCode"] == "account_info.invalid_user"


@pytest.mark.parametrize(("by", "key", "error_code"), NOBODY_BY_KEY)
def test_language_preference_of_nobody_fails_with_the_code_of_the_key(
    api: Api, by: str, key: dict[str, object], error_code: str
) -> None:
    reply = api.post(f"guest/updateUserLanguagePrefBy{by}", **key, languageCode="en-US")
    assert (reply["result"], reply["errorCode"]) == ("failure", error_code)


def test_account_comments_are_added_and_listed_oldest_first(api: Api) -> None:
    reply = api.post(
        "csr/addAccountComment",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        comment={"comment": "Guest asked about points.", "author": "agent.smith"},
    )
    assert reply == {
        "result": "addSuccess",
        "comment": {"comment": "Guest asked about points.", "author": "agent.smith"},
    }
    listed = api.get("csr/accountComments", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert listed["result"] == "getSuccess"
    assert [c["author"] for c in listed["comments"]] == ["csr.seed", "csr.seed", "agent.smith"]
    assert set(listed["comments"][-1]) == {"comment", "author", "dateCreated"}
    # Comments belong to the account: any of its cards lists them.
    other_card = api.get("csr/accountComments", printedCardNumber=demo.DEMO_DISABLED_CARD)
    assert other_card == listed


def test_account_comment_failures(api: Api) -> None:
    too_long = api.post(
        "csr/addAccountComment",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        comment={"comment": "x" * 500, "author": "agent.smith"},
    )
    assert too_long["errorCode"] == "csr.invalid_comment"
    unknown = api.get("csr/accountComments", printedCardNumber="6000000000000000")
    assert unknown["errorCode"] == "csr.invalid_card"
    adding_to_unknown = api.post(
        "csr/addAccountComment",
        printedCardNumber="6000000000000000",
        comment={"comment": "Hello", "author": "agent.smith"},
    )
    assert adding_to_unknown["errorCode"] == "csr.invalid_card"
    empty = api.get("csr/accountComments", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert empty == {"result": "getSuccess", "comments": []}


@pytest.mark.parametrize(
    "criteria",
    [
        {"phone": "(617) 555-0142"},
        {"email": demo.DEMO_EMAIL.upper()},
        {"firstName": "ava", "lastName": "THOMPSON"},
        {"postalCode": demo.DEMO_POSTAL_CODE, "lastName": demo.DEMO_LAST_NAME},
    ],
)
def test_account_query_finds_the_guest(api: Api, criteria: dict[str, str]) -> None:
    reply = api.post(
        "transaction/accountQuery",
        headerInfo={"merchantId": api.sandbox.merchant_id},
        accountQueries=[criteria],
    )
    assert reply["result"] == "authorizedSuccess"
    found = {a["accountId"]: a for a in reply["accounts"]}
    assert found[demo.DEMO_ACCOUNT_ID]["printedCardNumber"] == demo.DEMO_ACTIVE_CARD
    assert found[demo.DEMO_ACCOUNT_ID]["fieldValues"]["email"] == demo.DEMO_EMAIL


def test_account_query_scopes_page_size_and_empty_results(api: Api) -> None:
    scoped = api.post(
        "transaction/accountQuery",
        accountQueries=[{"email": demo.DEMO_EMAIL}],
        accessFilterStoreGroupCode=demo.DEMO_OTHER_STORE_GROUP,
    )
    assert scoped == {"result": "authorizedSuccess", "accounts": []}
    paged = api.post(
        "transaction/accountQuery", accountQueries=[{"postalCode": "02116"}], pageSize=2
    )
    assert len(paged["accounts"]) == 2
    nothing = api.post("transaction/accountQuery", accountQueries=[{"email": "no@example.com"}])
    assert nothing == {"result": "authorizedSuccess", "accounts": []}
    no_criteria = api.post("transaction/accountQuery", accountQueries=[{}])
    assert no_criteria["result"] == "userDataError"
    assert no_criteria["errorCode"] == "transaction.no_criteria"
