"""Transaction Service writes in the sandbox: the administrative adjustment, add/redeem and its
void, the card exchange; each moves state, leaves a history transaction, and rides faults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from portal.paytronix import PaytronixClient
from portal.paytronix.errors import OutcomeUnknownError, UserDataError
from portal.sandbox import demo
from portal.sandbox.catalog import FREE_ENTREE, POINTS, STORED_VALUE
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import Api, wallet_balances

CARD = demo.DEMO_ACTIVE_CARD


def adjust(api: Api, **overrides: Any) -> dict[str, Any]:
    body = {
        "authentication": "b2b",
        "headerInfo": {"merchantId": api.sandbox.merchant_id, "operatorId": "7"},
        "operatorId": "7",
        "posTransactionId": "LD-ref-1",
        "printedCardNumber": CARD,
        "walletCode": POINTS,
        "quantity": "25",
        "activityType": "ADD",
        "comment": "Missed visit on May 3",
        **overrides,
    }
    return api.post("transaction/adminAdjust", **body)


def test_admin_adjust_moves_the_wallet_and_leaves_a_commented_transaction(
    api: Api, sandbox: SandboxController
) -> None:
    before = wallet_balances(sandbox, CARD)[POINTS]

    reply = adjust(api)

    assert reply["result"] == "authorizedSuccess"
    assert wallet_balances(sandbox, CARD)[POINTS] == before + 25
    balances = {w["walletCode"]: w["balance"] for w in reply["walletContents"]}
    assert balances[POINTS] == str(before + 25)
    history = api.get("guest/transactionHistoryByAccount", accountId=demo.DEMO_ACCOUNT_ID)
    latest = history["transactions"][0]
    assert latest["transactionType"] == "Administrative Add"
    assert latest["posTransactionNumber"] == "LD-ref-1"
    assert latest["transactionId"] == int(reply["pxTransactionId"])
    assert latest["details"] == [
        {"walletCode": POINTS, "accrued": "25", "redeemed": "0", "balance": str(before + 25)}
    ]
    note = api.get(
        "guest/transactionAnnotation",
        accountId=demo.DEMO_ACCOUNT_ID,
        transactionId=latest["transactionId"],
    )
    assert note["annotation"] == {"comment": "Missed visit on May 3"}


def test_admin_adjust_takes_away_and_refuses_below_zero(
    api: Api, sandbox: SandboxController
) -> None:
    stored = wallet_balances(sandbox, CARD)[STORED_VALUE]

    taken = adjust(api, walletCode=STORED_VALUE, quantity="1.50", activityType="REDEEM")
    too_much = adjust(
        api, walletCode=STORED_VALUE, quantity=str(stored + 1), activityType="VOID_ADD"
    )

    assert taken["result"] == "authorizedSuccess"
    assert too_much["result"] == "userDataError"
    assert too_much["errorCode"] == "transaction.insufficient_balance"
    assert wallet_balances(sandbox, CARD)[STORED_VALUE] == stored - Decimal("1.50")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": "2.5"}, "transaction.invalid_quantity"),
        ({"quantity": "-3"}, "transaction.invalid_quantity"),
        ({"walletCode": 99}, "transaction.invalid_wallet"),
        ({"activityType": "GIFT"}, "transaction.invalid_activity_type"),
        ({"printedCardNumber": demo.DEMO_DISABLED_CARD}, "transaction.card_not_in_required_state"),
        ({"printedCardNumber": "6000209999999999"}, "transaction.invalid_card"),
        (
            {"expiration": {"date": "2001-01-01", "type": "absolute"}},
            "transaction.invalid_expiration",
        ),
    ],
)
def test_admin_adjust_refusals_change_nothing(
    api: Api, sandbox: SandboxController, overrides: dict[str, Any], code: str
) -> None:
    before = wallet_balances(sandbox, CARD)

    reply = adjust(api, **overrides)

    assert (reply["result"], reply["errorCode"]) == ("userDataError", code)
    assert wallet_balances(sandbox, CARD) == before


def test_admin_adjust_with_an_expiration_adds_an_expiring_amount(
    api: Api, sandbox: SandboxController, px: PaytronixClient
) -> None:
    adjust(api, walletCode=FREE_ENTREE, quantity="1", expiration={"date": "2099-01-31"})

    wallet = sandbox.state.account_for_card(CARD).wallet(FREE_ENTREE)
    assert wallet is not None
    assert [(e.amount, e.expires.isoformat()) for e in wallet.expirations][-1] == (
        Decimal(1),
        "2099-01-31",
    )


def test_add_redeem_and_its_void_through_the_client(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    before = wallet_balances(sandbox, CARD)
    common: dict[str, Any] = {
        "printed_card_number": CARD,
        "reference": "POS-77",
        "operator_id": "7",
    }

    added = px.transaction.add_redeem(**common, add=[(POINTS, Decimal(40))])
    voided = px.transaction.void_add_redeem(**common, add=[(POINTS, Decimal(40))])
    with pytest.raises(UserDataError) as again:
        px.transaction.void_add_redeem(**common, add=[(POINTS, Decimal(40))])

    assert added.balance_of(POINTS) == before[POINTS] + 40
    assert voided.balance_of(POINTS) == before[POINTS]
    assert again.value.error_code == "transaction.already_voided"
    assert wallet_balances(sandbox, CARD) == before
    types = [t.transaction_type for t in sandbox.state.account_for_card(CARD).transactions[-2:]]
    assert types == ["Add/Redeem", "Void Add/Redeem"]


def test_void_of_an_unknown_reference_is_refused(px: PaytronixClient) -> None:
    with pytest.raises(UserDataError) as caught:
        px.transaction.void_add_redeem(
            printed_card_number=CARD,
            reference="never",
            operator_id="7",
            add=[(POINTS, Decimal(1))],
        )
    assert caught.value.error_code == "transaction.original_not_found"


def test_exchange_moves_the_account_to_the_new_card_and_leaves_the_old_one_exchanged(
    px: PaytronixClient, sandbox: SandboxController, api: Api
) -> None:
    new = demo.DEMO_REPLACEMENT_CARDS[0]
    balances = wallet_balances(sandbox, CARD)

    reply = px.transaction.exchange(
        printed_card_number=CARD, new_printed_card_number=new, reference="EX-1", operator_id="7"
    )

    account = sandbox.state.account(demo.DEMO_ACCOUNT_ID)
    assert reply.printed_card_number == new
    assert account.primary_card == new
    assert sandbox.state.card(new).status == "ACTIVE"
    assert sandbox.state.card(CARD).status == "EXCHANGED"
    assert wallet_balances(sandbox, new) == balances
    assert api.get("guest/transactionHistory", printedCardNumber=CARD)["errorCode"] == (
        "transaction_history.card_exchanged"
    )
    info = px.guest.account_information(printed_card_number=new)
    assert info.account_id == demo.DEMO_ACCOUNT_ID


@pytest.mark.parametrize(
    ("new", "code"),
    [
        (demo.DEMO_ATTACHABLE_CARD, "transaction.card_already_active"),
        (demo.DEMO_REPLACEMENT_GIFT_CARD, "transaction.card_template_mismatch"),
        ("6000209999999999", "transaction.invalid_new_card"),
    ],
)
def test_exchange_refuses_a_used_or_foreign_card(
    px: PaytronixClient, sandbox: SandboxController, new: str, code: str
) -> None:
    with pytest.raises(UserDataError) as caught:
        px.transaction.exchange(
            printed_card_number=CARD, new_printed_card_number=new, reference="EX-2", operator_id="7"
        )
    assert caught.value.error_code == code
    assert sandbox.state.card(CARD).status == "ACTIVE"


def test_a_fault_after_the_write_is_an_unknown_outcome_and_the_write_stands(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    before = wallet_balances(sandbox, CARD)[POINTS]
    sandbox.faults.error(status=502, times=1, process=True, endpoint="adminAdjust")

    with pytest.raises(OutcomeUnknownError):
        px.transaction.admin_adjust(
            printed_card_number=CARD,
            wallet_code=POINTS,
            quantity=Decimal(5),
            activity_type="ADD",
            comment="Goodwill",
            reference="LD-fault",
            operator_id="7",
        )

    assert wallet_balances(sandbox, CARD)[POINTS] == before + 5


def test_the_transaction_service_can_be_left_out(
    px: PaytronixClient, sandbox: SandboxController, api: Api
) -> None:
    sandbox.app.without = frozenset({"transaction"})
    assert api.post_raw("transaction/adminAdjust", printedCardNumber=CARD).status_code == 404
