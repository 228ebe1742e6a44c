"""Transaction history (filters, errors) and transaction annotations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.paytronix import PaytronixClient
from portal.sandbox import demo
from tests.sandbox.conftest import Api

TRANSACTION_KEYS = {
    "transactionType",
    "guestType",
    "authorized",
    "transactionId",
    "posTransactionNumber",
    "datetime",
    "storeMerchant",
    "storeCode",
    "storeNumber",
    "storeName",
    "terminalId",
    "operatorId",
    "sender",
    "pxAuthCode",
    "details",
    "requestEvent",
}


def test_history_by_card_is_long_newest_first_and_fully_shaped(api: Api) -> None:
    reply = api.get("guest/transactionHistory", printedCardNumber=demo.DEMO_LONG_HISTORY_CARD)
    assert set(reply) == {"result", "walletInfo", "transactions"}
    transactions = reply["transactions"]
    assert len(transactions) > 400
    assert all(set(t) == TRANSACTION_KEYS for t in transactions)
    moments = [t["datetime"] for t in transactions]
    assert moments == sorted(moments, reverse=True)
    assert {"walletCode", "name", "scale"} == set(reply["walletInfo"][0])
    detail = next(t for t in transactions if t["details"])["details"][0]
    assert set(detail) == {"walletCode", "accrued", "redeemed", "balance"}
    assert all(isinstance(detail[k], str) for k in ("accrued", "redeemed", "balance"))


def test_history_by_account_matches_by_card(api: Api) -> None:
    by_card = api.get("guest/transactionHistory", printedCardNumber=demo.DEMO_ACTIVE_CARD)
    by_account = api.get("guest/transactionHistoryByAccount", accountId=demo.DEMO_ACCOUNT_ID)
    assert by_card == by_account


def test_history_filters(api: Api) -> None:
    card = {"printedCardNumber": demo.DEMO_ACTIVE_CARD}
    assert (
        len(api.get("guest/transactionHistory", **card, maxNumberOfResults=5)["transactions"]) == 5
    )
    ranged = api.get(
        "guest/transactionHistory", **card, dateStart="2024-01-01", dateEnd="2024-06-30"
    )["transactions"]
    assert ranged
    assert all(
        date(2024, 1, 1) <= date.fromisoformat(t["datetime"][:10]) <= date(2024, 6, 30)
        for t in ranged
    )
    balance_only = api.get(
        "guest/transactionHistory", **card, limitToBalanceAffectingTransactions="true"
    )["transactions"]
    assert all(t["details"] for t in balance_only)
    everything = api.get("guest/transactionHistory", **card)["transactions"]
    assert any(t["transactionType"] == "Identify Customer" for t in everything)
    without_identify = api.get(
        "guest/transactionHistory",
        **card,
        excludeNonBalanceAffectingIdentifyCustomerTransactions="true",
    )["transactions"]
    assert not any(t["transactionType"] == "Identify Customer" for t in without_identify)
    assert len(without_identify) < len(everything)


def test_history_failures(api: Api) -> None:
    def code(**params: object) -> str:
        return str(api.get("guest/transactionHistory", **params)["errorCode"])

    assert code(printedCardNumber="6000000000000000") == "transaction_history.card_not_found"
    assert code(printedCardNumber=demo.DEMO_EXCHANGED_CARD) == "transaction_history.card_exchanged"
    assert code(printedCardNumber=demo.DEMO_UNACTIVATED_CARD) == "transaction_history.card_inactive"
    assert code(printedCardNumber=demo.DEMO_ACTIVE_CARD, dateStart="yesterday") == (
        "transaction_history.error"
    )
    by_account = api.get("guest/transactionHistoryByAccount", accountId=1)
    assert by_account["errorCode"] == "transaction_history.error"


def test_transaction_annotation(api: Api) -> None:
    reply = api.get(
        "guest/transactionAnnotation",
        accountId=demo.DEMO_ACCOUNT_ID,
        transactionId=demo.DEMO_ANNOTATED_TRANSACTION_ID,
    )
    assert reply["result"] == "success"
    assert reply["annotation"] == {
        "comment": "25 bonus points for the wait on May 30.",
        "systemComment": "Adjustment by customer service.",
    }
    missing = api.get(
        "guest/transactionAnnotation", accountId=demo.DEMO_ACCOUNT_ID, transactionId=123456789
    )
    assert missing["errorCode"] == "transaction_annotation.error"


# -- as the portal's client reads them ---------------------------------------------------------


def test_the_client_reads_typed_transactions(px: PaytronixClient) -> None:
    history = px.guest.transaction_history(
        printed_card_number=demo.DEMO_ACTIVE_CARD, max_number_of_results=20
    )

    assert len(history.transactions) == 20
    assert history.wallet_info
    first = history.transactions[0]
    assert first.occurred_at is not None
    assert first.occurred_at.tzinfo is not None
    assert first.transaction_id is not None
    assert all(isinstance(d.balance, Decimal) for t in history.transactions for d in t.details)


def test_date_and_balance_filters_combine(px: PaytronixClient) -> None:
    everything = px.guest.transaction_history_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)
    dated = [t.occurred_at for t in everything.transactions if t.occurred_at]
    end = max(dated).date()
    start = end - timedelta(days=60)

    window = px.guest.transaction_history_by_account_id(
        account_id=demo.DEMO_ACCOUNT_ID,
        date_start=start,
        date_end=end,
        limit_to_balance_affecting_transactions=True,
        exclude_non_balance_affecting_identify_customer_transactions=True,
    )

    assert 0 < len(window.transactions) < len(everything.transactions)
    for transaction in window.transactions:
        assert transaction.occurred_at is not None
        assert start <= transaction.occurred_at.date() <= end + timedelta(days=1)
        assert transaction.details
