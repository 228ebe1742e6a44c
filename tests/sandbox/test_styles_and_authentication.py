"""The sandbox's reply styles, its authentication-style check, services an integration lacks,
and the parameters it does not know."""

from __future__ import annotations

import logging

import pytest

from portal.paytronix import PaytronixClient
from portal.paytronix.errors import UpstreamStatusError, service_unavailable
from portal.sandbox import demo, styles
from portal.sandbox.authentication import CLAIM_FAILED, NOT_ACCEPTED
from portal.sandbox.testing import SandboxController

from .conftest import Api


def test_the_top_level_style_moves_three_members_out_of_user_information(
    api: Api, sandbox: SandboxController
) -> None:
    nested = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    sandbox.app.reply_style = styles.TOP_LEVEL
    top = api.get("guest/userInformation", username=demo.DEMO_USERNAME)

    assert set(nested) == {"result", "userInformation"}
    assert set(top) == {"result", "userInformation", "accountIds", "fields", "primaryCardNumbers"}
    assert top["accountIds"] == nested["userInformation"]["accountIds"] == [demo.DEMO_ACCOUNT_ID]
    assert top["fields"]["firstName"] == demo.DEMO_FIRST_NAME
    assert set(top["userInformation"]) == {"relatedGuests", "addresses"}
    assert top["userInformation"]["addresses"] == nested["userInformation"]["addresses"]


def test_an_unknown_reply_style_is_refused() -> None:
    with pytest.raises(ValueError, match="nested, top_level"):
        styles.checked_style("flat")


def test_the_client_reads_user_and_account_information_in_either_style(
    px: PaytronixClient, sandbox_reply_style: str
) -> None:
    both = px.guest.user_and_account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)
    eclub = px.guest.eclub_user_information(
        email=demo.DEMO_ECLUB_EMAIL, card_template_code=demo.ECLUB_TEMPLATE
    )

    assert both.user_information is not None
    assert both.user_information.account_ids == [demo.DEMO_ACCOUNT_ID]
    assert both.user_information.primary_card_numbers == [demo.DEMO_ACTIVE_CARD]
    assert both.user_information.fields is not None
    assert both.user_information.fields.first_name == demo.DEMO_FIRST_NAME
    assert both.user_information.addresses[0].label == "Primary Address"
    assert eclub.fields is not None
    assert eclub.fields.first_name == "Sophia"
    assert eclub.account_ids


# -- authentication styles ---------------------------------------------------------------------


def test_the_transaction_service_takes_b2b_said_or_implied(api: Api) -> None:
    query = {
        "headerInfo": {"merchantId": api.sandbox.merchant_id},
        "accountQueries": [{"email": demo.DEMO_EMAIL}],
    }

    said = api.post("transaction/accountQuery", authentication="b2b", **query)
    implied = api.post("transaction/accountQuery", **query)

    assert said["result"] == implied["result"] == "authorizedSuccess"
    assert said["accounts"] == implied["accounts"] != []


@pytest.mark.parametrize(
    ("endpoint", "method", "style"),
    [
        ("transaction/accountQuery", "post", "card"),
        ("transaction/accountQuery", "post", "anonymous"),
        ("csr/accountComments", "get", "username"),
        ("guest/accountInformation", "get", "oauth"),
        ("guest/accountInformation", "get", "magic"),
    ],
)
def test_a_style_the_service_does_not_accept_is_refused_with_403(
    api: Api, endpoint: str, method: str, style: str
) -> None:
    params: dict[str, object] = {"printedCardNumber": demo.DEMO_ACTIVE_CARD}
    if method == "post":
        params = {"accountQueries": [{"email": demo.DEMO_EMAIL}]}
    params["authentication"] = style
    response = getattr(api, f"{method}_raw")(endpoint, **params)

    assert response.status_code == 403
    assert response.json()["errorCode"] == NOT_ACCEPTED


def test_card_authentication_is_held_to_the_cards_registration_code(api: Api) -> None:
    card = demo.DEMO_CARD_WITH_REGISTRATION_CODE
    right = api.get(
        "guest/accountInformation",
        printedCardNumber=card,
        authentication="card",
        cardRegCode=demo.DEMO_REGISTRATION_CODE,
    )
    wrong = api.get(
        "guest/accountInformation", printedCardNumber=card, authentication="card", cardRegCode="1"
    )
    none_given = api.get("guest/accountInformation", printedCardNumber=card, authentication="card")

    assert right["result"] == "success"
    assert (wrong["result"], wrong["errorCode"]) == ("failure", CLAIM_FAILED)
    assert none_given["errorCode"] == CLAIM_FAILED
    assert demo.DEMO_REGISTRATION_CODE not in str(wrong)


def test_username_authentication_is_held_to_the_users_password(api: Api) -> None:
    right = api.get(
        "guest/userInformation",
        username=demo.DEMO_USERNAME,
        authentication="username",
        password=demo.DEMO_PASSWORD,
    )
    wrong = api.get(
        "guest/userInformation",
        username=demo.DEMO_USERNAME,
        authentication="username",
        password="not-it",
    )

    assert right["result"] == "success"
    assert wrong["errorCode"] == CLAIM_FAILED


# -- services an integration lacks ------------------------------------------------------------


def test_a_missing_service_answers_404_and_the_client_says_unavailable(
    api: Api, px: PaytronixClient, sandbox: SandboxController
) -> None:
    sandbox.app.without = frozenset({"csr", "transaction/accountQuery"})

    assert (
        api.get_raw("csr/accountComments", printedCardNumber=demo.DEMO_ACTIVE_CARD).status_code
        == 404
    )
    with pytest.raises(UpstreamStatusError) as notes:
        px.csr.account_comments(printed_card_number=demo.DEMO_ACTIVE_CARD)
    with pytest.raises(UpstreamStatusError) as search:
        px.transaction.account_query(email=demo.DEMO_EMAIL)

    assert notes.value.status == search.value.status == 404
    assert service_unavailable(notes.value)
    assert service_unavailable(search.value)
    # The rest of the integration is untouched.
    assert px.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD).account_id


# -- parameters the sandbox does not know ------------------------------------------------------


def test_an_unknown_history_parameter_is_refused_in_the_strict_mode_and_named_in_the_log(
    api: Api, sandbox: SandboxController, caplog: pytest.LogCaptureFixture
) -> None:
    # A live client was seen sending ``startDate`` for the spec's ``dateStart``: the contract
    # check refuses it in the tests' strict mode, and names it (never its value) otherwise.
    refused = api.get(
        "guest/transactionHistory", printedCardNumber=demo.DEMO_ACTIVE_CARD, startDate="2024-01-01"
    )
    sandbox.app.strict = False
    try:
        with caplog.at_level(logging.WARNING, logger="portal.sandbox.app"):
            served = api.get(
                "guest/transactionHistory",
                printedCardNumber=demo.DEMO_ACTIVE_CARD,
                startDate="2024-01-01",
            )
    finally:
        sandbox.app.strict = True
    flagged = [r.getMessage() for r in caplog.records if "outside the contract" in r.getMessage()]

    assert (refused["result"], refused["errorCode"]) == ("failure", "transaction_history.error")
    assert served["result"] == "success"
    assert len(flagged) == 1
    assert "startDate" in flagged[0]
    assert "2024-01-01" not in flagged[0]
