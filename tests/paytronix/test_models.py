"""Reply dataclasses read from the spec's own example replies, and their tolerance rules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.paytronix.errors import MalformedReplyError
from portal.paytronix.replies import (
    AccountInformation,
    AccountQueryMatch,
    AddRedeemReply,
    AddressInformation,
    BalanceInformation,
    CardInformation,
    PendingEventReward,
    TransactionHistory,
    UserInformation,
    VisitCode,
)

ACCOUNT_INFORMATION_EXAMPLE = """{
    "result": "success", "accountStatus": "ACTIVE", "additionalCards": [],
    "cardTemplateCode": 0, "cardTemplateLabel": "Loyalty Card",
    "fields": {"customerNumber": "", "externalAccounts": [],
               "perks": [{"code": 0, "label": "test1"}, {"code": 1, "label": "test2"}]},
    "pointBalances": [{"balance": "3.0000", "name": "Drink Stamps", "walletCode": 5,
                       "hideExpirationDates": false}],
    "primaryCard": {"maskedCardNumber": "200841", "printedCardNumber": "6000201000200841",
                    "status": "ACTIVE"},
    "queryCardStatus": "ACTIVE",
    "rewardBalances": [
        {"balance": "0.0000", "name": "Birthday Free Drink", "walletCode": 3,
         " hideExpirationDates": false},
        {"balance": "1.0000", "name": "Free Drink", "walletCode": 6,
         "expirations": [{"amount": 1, "expirationDate": "2011-05-01"}],
         "hideExpirationDates": false}],
    "storedValueBalance": {"balance": "0.0000", "name": "Stored Value", "walletCode": 0,
                           "hideExpirationDates": true},
    "tierCode": 1, "tierLabel": "Platinum", "username": "mmhc-112310"
}"""

USER_INFORMATION_EXAMPLE = """{
    "fields": {"addressLabel": "Primary Address", "address1": "307 Waverly Oaks Road",
               "city": "Waltham", "country": "US", "dateOfBirth": "1990-07-18",
               "email": "anthony@example.com", "firstName": "Anthony", "lastName": "James",
               "mobilePhone": "2223334444", "optIn": false, "postalCode": "02452",
               "stateProvince": "MA", "username": "_px_38828819", "companyName": "Paytronix",
               "anniversaryDate": "1990-11-26"},
    "primaryCardNumbers": ["6000208304000140"],
    "relatedGuests": {"relatedGuestCode": 5, "firstName": "Jumbo", "lastName": "Williams",
                      "dateOfBirth": "1990-11-26", "salutation": "Mr."},
    "addresses": [{"addressId": 99999, "addressLabel": "Primary Address",
                   "address1": "307 Waverly Oaks Road", "postalCode": "02452"}],
    "accountIds": ["198412384789234", "594834571395877"]
}"""

TRANSACTION_HISTORY_EXAMPLE = """{
    "result": "success",
    "walletInfo": [{"name": "Stored Value", "scale": 2, "walletCode": 1}],
    "transactions": [{
        "authorized": true, "datetime": "2012-03-23 12:01:53 -0400",
        "details": [{"accrued": "2.34", "balance": "5.89", "redeemed": "0.0", "walletCode": 1}],
        "guestType": true, "operatorId": 32, "posTransactionNumber": "15",
        "pxAuthCode": "654321", "sender": "POS", "storeMerchant": "PX Pastries",
        "storeName": "Waltham Store", "storeNumber": "464", "terminalId": "term1",
        "transactionId": 12345, "requestEvent": "LP207"}]
}"""


def test_account_information_reads_the_spec_example_with_decimals_and_dates() -> None:
    account = AccountInformation.from_wire(json.loads(ACCOUNT_INFORMATION_EXAMPLE))

    assert account.username == "mmhc-112310"
    assert (account.tier_code, account.tier_label) == (1, "Platinum")
    assert account.primary_card == CardInformation("6000201000200841", "200841", "ACTIVE")
    assert account.stored_value_balance is not None
    assert account.stored_value_balance.balance == Decimal("0.0000")
    assert [b.wallet_code for b in account.reward_balances] == [3, 6]
    free_drink = account.reward_balances[1]
    assert free_drink.balance == Decimal("1.0000")
    assert [(e.amount, e.expiration_date) for e in free_drink.expirations] == [
        (Decimal(1), date(2011, 5, 1))
    ]
    assert account.fields is not None
    assert [(p.code, p.label) for p in account.fields.perks] == [(0, "test1"), (1, "test2")]
    assert account.additional_cards == []
    assert account.charge_balance is None
    assert account.registration_status is None


def test_user_information_reads_the_spec_example_and_its_irregularities() -> None:
    user = UserInformation.from_wire(json.loads(USER_INFORMATION_EXAMPLE))

    assert user.fields is not None
    assert (user.fields.first_name, user.fields.last_name) == ("Anthony", "James")
    assert user.fields.date_of_birth == date(1990, 7, 18)
    assert user.fields.opt_in is False
    assert user.fields.sms_opt_in_verified is None
    # A single related guest where the spec documents a list.
    assert [(g.related_guest_code, g.first_name) for g in user.related_guests] == [(5, "Jumbo")]
    # ``addressLabel`` in the example, ``label`` in the reference; ids sent as numbers or text.
    assert user.addresses == [
        AddressInformation(
            address_id="99999",
            label="Primary Address",
            address1="307 Waverly Oaks Road",
            postal_code="02452",
        )
    ]
    assert user.account_ids == [198412384789234, 594834571395877]
    assert user.primary_card_numbers == ["6000208304000140"]


def test_transaction_history_reads_offsets_and_decimal_details() -> None:
    history = TransactionHistory.from_wire(json.loads(TRANSACTION_HISTORY_EXAMPLE))

    (transaction,) = history.transactions
    assert transaction.occurred_at == datetime(
        2012, 3, 23, 12, 1, 53, tzinfo=timezone(timedelta(hours=-4))
    )
    assert transaction.transaction_id == 12345
    assert transaction.details[0].accrued == Decimal("2.34")
    assert transaction.details[0].redeemed == Decimal("0.0")
    assert history.wallet_info[0].scale == 2


def test_pending_event_reward_accepts_the_click_to_load_code_name() -> None:
    reward = PendingEventReward.from_wire(
        {"name": "Free Pie", "amount": "1", "eventName": "Pie Day", "clickToLoadCode": "C2L-9"}
    )

    assert reward.event_code == "C2L-9"
    assert reward.amount == Decimal(1)
    assert reward.expiration_date is None


def test_visit_code_reads_money_and_the_check_date() -> None:
    code = VisitCode.from_wire(
        {
            "storeCode": "464",
            "checkNumber": "77",
            "dollarSpent": "18.25",
            "checkDate": "2024-02-29",
            "normalizedCode": "ABCD1234",
        }
    )

    assert code.dollar_spent == Decimal("18.25")
    assert code.check_date == date(2024, 2, 29)


def test_blank_values_of_non_text_fields_read_as_missing() -> None:
    balance = BalanceInformation.from_wire(
        {"walletCode": 2, "balance": "", "additionalExpiringBalance": None, "name": ""}
    )

    assert balance.balance is None
    assert balance.additional_expiring_balance is None
    assert balance.name == ""


def test_unknown_fields_are_ignored() -> None:
    card = CardInformation.from_wire({"maskedCardNumber": "200841", "brandNewField": [1, 2]})

    assert card.masked_card_number == "200841"


@pytest.mark.parametrize(
    ("reply", "field_path"),
    [
        ({"pointBalances": [{"balance": "lots"}]}, "AccountInformation.pointBalances[0].balance"),
        ({"tierCode": "gold"}, "AccountInformation.tierCode"),
        ({"primaryCard": "6000201000200841"}, "AccountInformation.primaryCard"),
        ({"additionalCards": "none"}, "AccountInformation.additionalCards"),
        ({"fields": {"enrollDate": "yesterday"}}, "AccountInformation.fields.enrollDate"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_malformed_reply_naming_the_field_not_the_value(
    reply: dict[str, object], field_path: str
) -> None:
    with pytest.raises(MalformedReplyError) as caught:
        AccountInformation.from_wire(reply)

    assert field_path in str(caught.value)
    assert "6000201000200841" not in str(caught.value)
    assert "lots" not in str(caught.value)


def test_reprs_never_show_full_card_numbers() -> None:
    account = AccountInformation.from_wire(json.loads(ACCOUNT_INFORMATION_EXAMPLE))
    user = UserInformation.from_wire(json.loads(USER_INFORMATION_EXAMPLE))
    match = AccountQueryMatch.from_wire({"accountId": 7, "printedCardNumber": "6000201000200841"})

    assert "6000201000200841" not in repr(account)
    assert "6000208304000140" not in repr(user)
    assert "6000201000200841" not in repr(match)
    assert "200841" in repr(account)


def test_field_values_of_a_search_match_are_text() -> None:
    match = AccountQueryMatch.from_wire(
        {"accountId": "7", "fieldValues": {"phone": 2223334444, "optIn": True, "fax": None}}
    )

    assert match.account_id == 7
    assert match.field_values == {"phone": "2223334444", "optIn": "true"}


def test_a_px_transaction_id_sent_as_a_64_bit_number_reads_as_its_exact_digits() -> None:
    # The vendor's change log (21.18) makes pxTransactionId a 64-bit integer; the sandbox sends a
    # string (docs/wire-notes.md). Both must read as the same text.
    reply = AddRedeemReply.from_wire({"pxTransactionId": 9007199254740993, "walletContents": []})

    assert reply.px_transaction_id == "9007199254740993"


def test_an_account_identity_reads_whose_account_it_is_and_its_cards_status_only() -> None:
    from portal.paytronix.replies import AccountIdentity

    reply = {
        "result": "success",
        "accountId": "9000001",
        "username": "ava.thompson",
        "queryCardStatus": "Disabled",
        "primaryCard": {"printedCardNumber": "6000201000200841"},
        "pointBalances": [{"balance": "lots"}],  # not read, so never malformed here
    }
    assert AccountIdentity.from_wire(reply) == AccountIdentity(
        account_id=9000001, username="ava.thompson", query_card_status="DISABLED"
    )
    # The spec's reply names no account: whose it is then comes from the card's user.
    assert AccountIdentity.from_wire({"username": "ava"}).account_id is None
