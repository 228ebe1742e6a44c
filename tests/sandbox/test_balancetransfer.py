"""Balance Transfer Service in the sandbox: which wallets move, the source closed when nothing is
left on it, both histories, the refusals, and the service left out (404)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.sandbox import demo
from tests.sandbox.conftest import UNKNOWN_CARD, Api

ENDPOINT = "balancetransfer/transferBalances"
REWARDS, GIFT = demo.DEMO_DIFFERENT_TEMPLATE_PAIR


def balances(sandbox, card: str) -> dict[int, Decimal]:
    return {w.code: w.balance for w in sandbox.state.account_for_card(card).wallets}


def test_every_wallet_moves_between_two_rewards_cards_and_the_source_is_terminated(
    api: Api, sandbox
) -> None:
    source, destination = demo.DEMO_ATTACHABLE_CARD, demo.DEMO_ACTIVE_CARD
    before_source, before_destination = balances(sandbox, source), balances(sandbox, destination)

    reply = api.post(
        ENDPOINT,
        printedCardNumber=destination,
        fromPrintedCardNumber=source,
        mustTransferAllWalletBalances=True,
    )

    assert reply == {"result": "success"}
    after = balances(sandbox, destination)
    assert after == {
        code: amount + before_source.get(code, Decimal(0))
        for code, amount in before_destination.items()
    }
    assert set(balances(sandbox, source).values()) == {Decimal(0)}
    assert sandbox.state.account_for_card(source).status == "TERMINATED"
    received = sandbox.state.account_for_card(destination).transactions[-1]
    assert received.transaction_type == "Balance Transfer"
    assert {d.wallet_code: d.accrued for d in received.details} == {
        code: amount for code, amount in before_source.items() if amount > 0
    }
    sent = sandbox.state.account_for_card(source).transactions[-1]
    assert {d.wallet_code: d.redeemed for d in sent.details} == {
        code: amount for code, amount in before_source.items() if amount > 0
    }


def test_into_a_gift_card_only_the_stored_value_moves_and_the_source_stays_open(
    api: Api, sandbox
) -> None:
    before = balances(sandbox, REWARDS)
    gift_before = balances(sandbox, GIFT)

    reply = api.post(ENDPOINT, printedCardNumber=GIFT, fromPrintedCardNumber=REWARDS)

    assert reply == {"result": "success"}
    assert balances(sandbox, GIFT) == {0: gift_before[0] + before[0]}
    left = balances(sandbox, REWARDS)
    assert left[0] == 0
    assert {code: amount for code, amount in left.items() if code} == {
        code: amount for code, amount in before.items() if code
    }
    assert sandbox.state.account_for_card(REWARDS).status == "ACTIVE"


def test_must_transfer_all_refuses_when_a_balance_would_stay_behind(api: Api, sandbox) -> None:
    before = balances(sandbox, REWARDS)

    reply = api.post(
        ENDPOINT,
        printedCardNumber=GIFT,
        fromPrintedCardNumber=REWARDS,
        mustTransferAllWalletBalances=True,
    )

    assert (reply["result"], reply["errorCode"]) == (
        "failure",
        "balance_transfer.not_all_transferable",
    )
    assert balances(sandbox, REWARDS) == before


def test_a_disabled_source_card_can_give_its_balance(api: Api, sandbox) -> None:
    sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).status = "DISABLED"
    reply = api.post(
        ENDPOINT,
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        fromPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert reply == {"result": "success"}


@pytest.mark.parametrize(
    ("destination", "source", "code"),
    [
        (UNKNOWN_CARD, demo.DEMO_ATTACHABLE_CARD, "balance_transfer.invalid_card"),
        (demo.DEMO_ACTIVE_CARD, UNKNOWN_CARD, "balance_transfer.invalid_from_card"),
        (demo.DEMO_ACTIVE_CARD, demo.DEMO_DISABLED_CARD, "balance_transfer.same_account"),
        (demo.DEMO_DISABLED_CARD, demo.DEMO_ATTACHABLE_CARD, "balance_transfer.card_not_active"),
        (demo.DEMO_ACTIVE_CARD, demo.DEMO_EXCHANGED_CARD, "balance_transfer.same_account"),
        (
            demo.DEMO_ACTIVE_CARD,
            demo.DEMO_TERMINATED_ACCOUNT_CARD,
            "balance_transfer.from_account_not_active",
        ),
        (
            demo.DEMO_SUSPENDED_ACCOUNT_CARD,
            demo.DEMO_ATTACHABLE_CARD,
            "balance_transfer.account_not_active",
        ),
    ],
)
def test_refusals_change_nothing(api: Api, sandbox, destination, source, code) -> None:
    before = sandbox.state.summary()["transactions"]
    reply = api.post(ENDPOINT, printedCardNumber=destination, fromPrintedCardNumber=source)
    assert (reply["result"], reply["errorCode"]) == ("failure", code)
    assert reply["errorMessage"]
    assert sandbox.state.summary()["transactions"] == before


def test_a_disabled_destination_card_and_an_empty_source_are_refused(api: Api, sandbox) -> None:
    api.post(
        ENDPOINT, printedCardNumber=GIFT, fromPrintedCardNumber=demo.DEMO_NOT_COMBINABLE_PAIR[0]
    )
    empty = api.post(
        ENDPOINT, printedCardNumber=GIFT, fromPrintedCardNumber=demo.DEMO_NOT_COMBINABLE_PAIR[0]
    )
    assert empty["errorCode"] == "balance_transfer.from_account_not_active"
    sandbox.state.card(GIFT).status = "DISABLED"
    disabled = api.post(
        ENDPOINT, printedCardNumber=GIFT, fromPrintedCardNumber=demo.DEMO_NOT_COMBINABLE_PAIR[1]
    )
    assert disabled["errorCode"] == "balance_transfer.card_not_active"


def test_a_wrong_registration_code_of_the_source_is_refused(api: Api, sandbox) -> None:
    reply = api.post(
        ENDPOINT,
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        fromPrintedCardNumber=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        fromRegCode="000000",
    )
    assert reply["errorCode"] == "balance_transfer.invalid_reg_code"


def test_the_service_left_out_answers_404_and_oauth_is_not_accepted(api: Api, sandbox) -> None:
    body = {"printedCardNumber": demo.DEMO_ACTIVE_CARD, "fromPrintedCardNumber": GIFT}
    assert api.post_raw(ENDPOINT, authentication="oauth", **body).status_code == 403
    sandbox.app.without = frozenset({"balancetransfer"})
    assert api.post_raw(ENDPOINT, **body).status_code == 404
