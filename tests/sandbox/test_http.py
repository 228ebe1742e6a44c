"""The HTTP surface: Basic auth, merchant id, routing, methods and bodies."""

from __future__ import annotations

import requests

from portal.sandbox import demo
from tests.sandbox.conftest import Api


def test_a_call_without_credentials_is_refused_with_401(api: Api) -> None:
    params: dict[str, str | int] = {
        "merchantId": api.sandbox.merchant_id,
        "printedCardNumber": demo.DEMO_ACTIVE_CARD,
    }
    response = requests.get(
        f"{api.sandbox.url}guest/accountInformation.json",
        params=params,
        timeout=10,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_secret_is_refused_with_401(api: Api) -> None:
    api.session.auth = (api.sandbox.auth[0], "not-the-secret")
    response = api.get_raw("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert response.status_code == 401


def test_the_control_endpoints_need_the_same_credentials(api: Api) -> None:
    response = requests.get(f"{api.sandbox.root_url}/_sandbox/state", timeout=10)
    assert response.status_code == 401


def test_a_missing_merchant_id_is_a_failure(api: Api) -> None:
    response = api.session.get(
        f"{api.sandbox.url}guest/accountInformation.json",
        params={"printedCardNumber": demo.DEMO_ACTIVE_CARD},
        timeout=10,
    )
    assert response.json() == {
        "result": "failure",
        "errorCode": "account_info.error",
        "errorMessage": "Missing required argument: merchantId",
    }


def test_another_merchant_is_refused(api: Api) -> None:
    reply = api.get(
        "guest/accountInformation", merchantId=999, printedCardNumber=demo.DEMO_ACTIVE_CARD
    )
    assert (reply["result"], reply["errorCode"]) == ("failure", "account_info.error")


def test_change_card_status_answers_its_documented_merchant_code(api: Api) -> None:
    reply = api.post(
        "guest/changeCardStatus",
        merchantId=999,
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        status="DISABLED",
    )
    assert reply["errorCode"] == "card_status.invalid_merchant"
    assert reply["errorMessage"] == "Invalid merchant ID"
    assert api.sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_account_query_takes_the_merchant_from_header_info(api: Api) -> None:
    response = api.session.post(
        f"{api.sandbox.url}transaction/accountQuery.json",
        json={
            "headerInfo": {"merchantId": api.sandbox.merchant_id},
            "accountQueries": [{"email": demo.DEMO_EMAIL}],
        },
        timeout=10,
    )
    assert response.json()["result"] == "authorizedSuccess"


def test_unknown_endpoints_and_other_releases_are_404(api: Api) -> None:
    assert api.get_raw("guest/noSuchThing").status_code == 404
    other_release = api.sandbox.url.replace("/25.33/", "/19.1/")
    response = api.session.get(f"{other_release}guest/accountInformation.json", timeout=10)
    assert response.status_code == 404


def test_the_wrong_method_is_405(api: Api) -> None:
    response = api.post_raw("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_a_post_body_that_is_not_json_is_400(api: Api) -> None:
    response = api.session.post(
        f"{api.sandbox.url}guest/changeCardStatus.json",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.malformed_json"


def test_replies_are_json_with_result(api: Api) -> None:
    response = api.get_raw("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["result"] == "success"


def test_a_missing_required_parameter_is_named(api: Api) -> None:
    reply = api.get("guest/accountInformation")
    assert reply["errorCode"] == "account_info.error"
    assert "printedCardNumber" in reply["errorMessage"]


def test_a_non_numeric_account_id_is_refused_with_the_familys_code(api: Api) -> None:
    reply = api.get("guest/accountInformationById", accountId="abc")
    assert reply["errorCode"] == "account_info.error"
