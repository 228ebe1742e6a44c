"""Account and user information: reply shapes, statuses, store-group filter, eClub."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.paytronix import PaytronixClient
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import UNKNOWN_ACCOUNT, UNKNOWN_CARD, Api, card_statuses

ACCOUNT_KEYS = {
    "result",
    "accountId",
    "username",
    "accountStatus",
    "queryCardStatus",
    "registrationStatus",
    "cardTemplateCode",
    "cardTemplateLabel",
    "tierCode",
    "tierLabel",
    "enrollmentStore",
    "fields",
    "primaryCard",
    "additionalCards",
    "storedValueBalance",
    "chargeBalance",
    "pointBalances",
    "rewardBalances",
    "pendingEventRewards",
}
BALANCE_KEYS = {
    "walletCode",
    "name",
    "balance",
    "expirations",
    "additionalExpiringBalance",
    "hideExpirationDates",
    "description",
    "imageCode",
    "link",
    "linkLabel",
    "tinyName",
    "shortName",
    "longName",
}
USER_KEYS = {"fields", "primaryCardNumbers", "relatedGuests", "addresses", "accountIds"}


def test_account_information_by_card_has_every_documented_field(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert set(reply) == ACCOUNT_KEYS
    assert reply["accountId"] == demo.DEMO_ACCOUNT_ID
    assert reply["username"] == demo.DEMO_USERNAME
    assert (reply["accountStatus"], reply["queryCardStatus"]) == ("ACTIVE", "ACTIVE")
    assert reply["registrationStatus"] == "REGISTERED"
    assert (reply["cardTemplateCode"], reply["cardTemplateLabel"]) == (10, "Rewards Card")
    assert (reply["tierCode"], reply["tierLabel"]) == (3, "Gold")
    assert reply["primaryCard"] == {
        "printedCardNumber": demo.DEMO_ACTIVE_CARD,
        "maskedCardNumber": demo.DEMO_ACTIVE_CARD[-6:],
        "status": "ACTIVE",
    }
    assert card_statuses(reply) == {
        demo.DEMO_ACTIVE_CARD: "ACTIVE",
        demo.DEMO_DISABLED_CARD: "DISABLED",
        demo.DEMO_EXCHANGED_CARD: "EXCHANGED",
    }
    for balance in [
        reply["storedValueBalance"],
        reply["chargeBalance"],
        *reply["pointBalances"],
        *reply["rewardBalances"],
    ]:
        assert set(balance) == BALANCE_KEYS
        assert isinstance(balance["balance"], str)
    assert reply["fields"]["externalAccounts"] == [
        {"integration": "facebook", "accountCode": demo.DEMO_EXTERNAL_ACCOUNT_CODE}
    ]
    assert [r["eventCode"] for r in reply["pendingEventRewards"]] == ["DPW24", "CTL-SUMMER"]
    assert [p["label"] for p in reply["fields"]["perks"]] == ["Gluten free", "Birthday club"]
    assert reply["fields"]["enrollDate"] == "2019-03-14"


def test_balances_carry_expirations_and_the_hide_flag(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    points = next(b for b in reply["pointBalances"] if b["name"] == "Points")
    assert points["expirations"][0].keys() == {"amount", "expirationDate"}
    assert reply["storedValueBalance"]["hideExpirationDates"] is True
    assert points["hideExpirationDates"] is False


def test_querying_an_additional_card_reports_its_own_status(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_DISABLED_CARD)
    assert reply["queryCardStatus"] == "DISABLED"
    assert reply["accountId"] == demo.DEMO_ACCOUNT_ID
    assert reply["primaryCard"]["printedCardNumber"] == demo.DEMO_ACTIVE_CARD


def test_account_information_by_id_matches_by_card(api: Api) -> None:
    by_card = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    by_id = api.get("guest/accountInformationById", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_id == by_card


def test_an_unknown_card_or_account_is_a_failure(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber="6000000000000000")
    assert reply == {
        "result": "failure",
        "errorCode": "account_info.invalid_card",
        "errorMessage": "could not load given card",
    }
    reply = api.get("guest/accountInformationById", accountId=1)
    assert reply["errorCode"] == "account_info.invalid_account"


def test_the_store_group_filter_hides_accounts_of_other_groups(api: Api) -> None:
    inside = api.get(
        "guest/accountInformation",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        accessFilterStoreGroupCode=demo.DEMO_STORE_GROUP,
    )
    assert inside["result"] == "success"
    outside = api.get(
        "guest/accountInformation",
        printedCardNumber=demo.DEMO_OTHER_STORE_GROUP_CARD,
        accessFilterStoreGroupCode=demo.DEMO_STORE_GROUP,
    )
    assert outside["errorCode"] == "account_info.invalid_card"
    by_id = api.get(
        "guest/accountInformationById",
        accountId=demo.DEMO_ACCOUNT_ID,
        accessFilterStoreGroupCode=demo.DEMO_OTHER_STORE_GROUP,
    )
    assert by_id["errorCode"] == "account_info.invalid_account"


def test_a_suspended_account_still_answers_with_its_status(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_SUSPENDED_ACCOUNT_CARD)
    assert (reply["result"], reply["accountStatus"]) == ("success", "SUSPENDED")


def test_a_terminated_account_answers_invalid_status(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_TERMINATED_ACCOUNT_CARD)
    assert reply == {
        "result": "invalid_status",
        "errorCode": "account_info.invalid_account_status",
        "errorMessage": "account in invalid state",
        "accountStatus": "TERMINATED",
        "cardStatus": "ACTIVE",
    }


def test_an_unactivated_card_answers_invalid_card_status(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_UNACTIVATED_CARD)
    assert reply["result"] == "invalid_status"
    assert reply["errorCode"] == "account_info.invalid_card_status"
    assert reply["cardStatus"] == "EXISTS"


def test_an_unregistered_card_has_no_username(api: Api) -> None:
    reply = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert (reply["username"], reply["registrationStatus"]) == ("", "UNREGISTERED")


def test_eclub_account_information_by_email_and_template(api: Api) -> None:
    reply = api.get(
        "guest/eClubAccountInformation",
        email=demo.DEMO_ECLUB_EMAIL,
        cardTemplateCode=demo.ECLUB_TEMPLATE,
    )
    assert reply["result"] == "success"
    assert reply["cardTemplateCode"] == demo.ECLUB_TEMPLATE
    assert (reply["cardTemplateLabel"], reply["tierLabel"]) == ("eClub", "eClub")
    assert reply["primaryCard"]["printedCardNumber"] == demo.DEMO_ECLUB_CARD
    assert reply["pointBalances"] == []
    unknown = api.get(
        "guest/eClubAccountInformation", email="nobody@example.com", cardTemplateCode=30
    )
    assert unknown["errorCode"] == "account_info.invalid_account"
    no_template = api.get(
        "guest/eClubAccountInformation", email=demo.DEMO_ECLUB_EMAIL, cardTemplateCode=99
    )
    assert no_template["errorCode"] == "account_info.no_template_error"


def test_user_information_by_username(api: Api) -> None:
    reply = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    assert set(reply) == {"result", "userInformation"}
    info = reply["userInformation"]
    assert set(info) == USER_KEYS
    assert info["fields"]["firstName"] == demo.DEMO_FIRST_NAME
    assert info["fields"]["email"] == demo.DEMO_EMAIL
    assert info["fields"]["phone"] == demo.DEMO_PHONE
    assert info["fields"]["postalCode"] == demo.DEMO_POSTAL_CODE
    assert info["primaryCardNumbers"] == [demo.DEMO_ACTIVE_CARD]
    assert info["accountIds"] == [demo.DEMO_ACCOUNT_ID]
    assert info["addresses"][0]["label"] == "Primary Address"
    assert info["relatedGuests"][0]["firstName"] == "Leo"
    assert "password" not in str(reply).lower()


def test_user_information_by_card_and_by_account_agree(api: Api) -> None:
    by_name = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    by_card = api.get(
        "guest/userInformationByPrintedCardNumber", printedCardNumber=demo.DEMO_ACTIVE_CARD
    )
    by_account = api.get("guest/userInformationByAccountId", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_name == by_card == by_account


def test_user_information_fails_for_unknown_or_unregistered_guests(api: Api) -> None:
    assert api.get("guest/userInformation", username="nobody")["errorCode"] == (
        "account_info.invalid_user"
    )
    reply = api.get(
        "guest/userInformationByPrintedCardNumber", printedCardNumber=demo.DEMO_ATTACHABLE_CARD
    )
    assert reply["errorCode"] == "account_info.invalid_user"


def test_eclub_user_information(api: Api) -> None:
    reply = api.get("guest/eClubUserInformation", email=demo.DEMO_ECLUB_EMAIL, cardTemplateCode=30)
    assert reply["userInformation"]["fields"]["email"] == demo.DEMO_ECLUB_EMAIL
    assert reply["userInformation"]["fields"]["firstName"] == "Sophia"
    unknown = api.get("guest/eClubUserInformation", email="no@example.com", cardTemplateCode=30)
    assert unknown["errorCode"] == "account_info.invalid_user"


def test_user_and_account_information_together(api: Api) -> None:
    reply = api.get(
        "guest/userAndAccountInformationByPrintedCardNumber",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
    )
    assert set(reply) == {"result", "userInformation", "accountInformation"}
    assert reply["accountInformation"]["accountId"] == demo.DEMO_ACCOUNT_ID
    assert reply["userInformation"]["fields"]["username"] == demo.DEMO_USERNAME
    terminated = api.get(
        "guest/userAndAccountInformationByPrintedCardNumber",
        printedCardNumber=demo.DEMO_TERMINATED_ACCOUNT_CARD,
    )
    assert (terminated["result"], terminated["errorCode"]) == (
        "failure",
        "account_info.invalid_account_status",
    )


def test_printed_card_number_for_an_external_account(api: Api) -> None:
    reply = api.get(
        "guest/printedCardNumberForExternalAccount", accountCode=demo.DEMO_EXTERNAL_ACCOUNT_CODE
    )
    assert set(reply) == {"result", "primaryCard", "additionalCards"}
    assert reply["primaryCard"]["printedCardNumber"] == demo.DEMO_ACTIVE_CARD
    assert {c["printedCardNumber"] for c in reply["additionalCards"]} == {
        demo.DEMO_DISABLED_CARD,
        demo.DEMO_EXCHANGED_CARD,
    }
    unknown = api.get("guest/printedCardNumberForExternalAccount", accountCode="nope")
    assert (unknown["result"], unknown["errorCode"]) == ("failure", "account_info.invalid_account")


def test_migrating_the_email_as_username_renames_the_user(api: Api) -> None:
    reply = api.get(
        "guest/migrateEmailAsUsername", username=demo.DEMO_USERNAME, email=demo.DEMO_EMAIL
    )
    assert reply == {"result": "success", "newUsername": demo.DEMO_EMAIL}
    info = api.get("guest/userInformation", username=demo.DEMO_EMAIL)
    assert info["userInformation"]["fields"]["username"] == demo.DEMO_EMAIL
    account = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    assert account["username"] == demo.DEMO_EMAIL
    gone = api.get("guest/userInformation", username=demo.DEMO_USERNAME)
    assert gone["errorCode"] == "account_info.invalid_user"


def test_migrating_with_another_email_fails(api: Api) -> None:
    reply = api.get(
        "guest/migrateEmailAsUsername", username=demo.DEMO_USERNAME, email="x@example.com"
    )
    assert reply["errorCode"] == "migrate_email.email_mismatch"


# -- as the portal's client reads them ---------------------------------------------------------


def test_the_client_reads_the_showcase_account_typed(px: PaytronixClient) -> None:
    account = px.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)

    assert account.account_id == demo.DEMO_ACCOUNT_ID
    assert (account.account_status, account.query_card_status) == ("ACTIVE", "ACTIVE")
    assert account.registration_status == "REGISTERED"
    assert account.primary_card is not None
    assert account.primary_card.status == "ACTIVE"
    assert {c.status for c in account.additional_cards} == {"DISABLED", "EXCHANGED"}
    assert account.point_balances
    assert all(isinstance(b.balance, Decimal) for b in account.point_balances)
    assert account.charge_balance is not None
    assert [r.event_code for r in account.pending_event_rewards] == ["DPW24", "CTL-SUMMER"]
    assert account.fields is not None
    assert [p.label for p in account.fields.perks] == ["Gluten free", "Birthday club"]
    assert account.fields.enroll_date == date(2019, 3, 14)


@pytest.mark.parametrize(
    ("card", "account_status", "card_status"),
    [
        (demo.DEMO_TERMINATED_ACCOUNT_CARD, "TERMINATED", "ACTIVE"),
        (demo.DEMO_UNACTIVATED_CARD, "EXISTS", "EXISTS"),
    ],
)
def test_an_unreadable_account_is_invalid_status_to_the_client(
    px: PaytronixClient, card: str, account_status: str, card_status: str
) -> None:
    with pytest.raises(InvalidStatusError) as caught:
        px.guest.account_information(printed_card_number=card)

    assert (caught.value.account_status, caught.value.card_status) == (account_status, card_status)


def test_a_terminated_account_read_by_id_is_invalid_status(px: PaytronixClient) -> None:
    with pytest.raises(InvalidStatusError) as caught:
        px.guest.account_information_by_id(account_id=9000101)

    assert caught.value.error_code == "account_info.invalid_account_status"
    assert caught.value.account_status == "TERMINATED"


def test_a_terminated_eclub_member_is_invalid_status(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    model = sandbox.state.live
    terminated = next(
        account
        for account in model.accounts.values()
        if account.template_code == demo.ECLUB_TEMPLATE and account.status == "TERMINATED"
    )
    email = str(model.users[terminated.username].fields["email"])

    with pytest.raises(InvalidStatusError) as caught:
        px.guest.eclub_account_information(email=email, card_template_code=demo.ECLUB_TEMPLATE)

    assert caught.value.account_status == "TERMINATED"


def test_user_information_by_username_card_and_account_agree_typed(
    px: PaytronixClient, sandbox_reply_style: str
) -> None:
    by_name = px.guest.user_information(username=demo.DEMO_USERNAME)
    by_card = px.guest.user_information_by_printed_card_number(
        printed_card_number=demo.DEMO_ACTIVE_CARD
    )
    by_account = px.guest.user_information_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)

    assert by_name == by_card == by_account
    assert by_name.fields is not None
    assert (by_name.fields.first_name, by_name.fields.last_name) == ("Ava", "Thompson")
    assert by_name.fields.email == demo.DEMO_EMAIL
    assert by_name.fields.date_of_birth == date(1990, 7, 18)
    assert by_name.fields.message_frequency is not None
    assert demo.DEMO_ACCOUNT_ID in by_name.account_ids
    assert demo.DEMO_ACTIVE_CARD in by_name.primary_card_numbers
    assert [g.first_name for g in by_name.related_guests] == ["Leo"]


@pytest.mark.parametrize(
    ("method", "kwargs", "error_code"),
    [
        ("user_information", {"username": "no.such.user"}, "account_info.invalid_user"),
        (
            "user_information_by_printed_card_number",
            {"printed_card_number": UNKNOWN_CARD},
            "account_info.invalid_card",
        ),
        (
            "user_information_by_account_id",
            {"account_id": UNKNOWN_ACCOUNT},
            "account_info.invalid_account",
        ),
        (
            "user_and_account_information",
            {"printed_card_number": UNKNOWN_CARD},
            "account_info.invalid_card",
        ),
    ],
)
def test_user_information_of_nobody_fails_with_its_code(
    px: PaytronixClient,
    method: str,
    kwargs: dict[str, object],
    error_code: str,
    sandbox_reply_style: str,
) -> None:
    with pytest.raises(FailureError) as caught:
        getattr(px.guest, method)(**kwargs)

    assert caught.value.error_code == error_code
