"""Attach-and-combine in one step: success, more_info, which step failed, suspension."""

from __future__ import annotations

import pytest

from portal.paytronix import PaytronixClient
from portal.paytronix.errors import AccountSuspendedError, AttachFailureError, CombineFailureError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import UNKNOWN_CARD, Api, wallet_balances


def test_attach_and_combine_in_one_step(api: Api, sandbox: SandboxController) -> None:
    before = wallet_balances(sandbox, demo.DEMO_ACTIVE_CARD)
    moved = wallet_balances(sandbox, demo.DEMO_ATTACHABLE_CARD)
    reply = api.post(
        "guest/attachAndCombine",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert reply == {"result": "success"}
    assert sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD).account_id == (
        demo.DEMO_ACCOUNT_ID
    )
    after = wallet_balances(sandbox, demo.DEMO_ACTIVE_CARD)
    assert all(after[code] == before[code] + amount for code, amount in moved.items())


def test_attach_and_combine_passes_more_info_through(api: Api) -> None:
    reply = api.post(
        "guest/attachAndCombine",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
    )
    assert reply == {"result": "more_info", "fields": ["registrationCode"]}
    done = api.post(
        "guest/attachAndCombine",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        otherRegistrationCode=demo.DEMO_REGISTRATION_CODE,
    )
    assert done == {"result": "success"}


def test_attach_and_combine_reports_an_attach_failure(api: Api) -> None:
    reply = api.post(
        "guest/attachAndCombine",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber="6000000000000000",
    )
    assert (reply["result"], reply["errorCode"]) == (
        "attach_failure",
        "attach_card.invalid_other_card",
    )


def test_attach_and_combine_reports_a_combine_failure_and_keeps_the_attach(
    api: Api, sandbox: SandboxController
) -> None:
    gift_main = demo.DEMO_NOT_COMBINABLE_PAIR[0]
    gift_user = sandbox.state.account_for_card(gift_main).username
    reply = api.post(
        "guest/attachAndCombine",
        printedCardNumber=gift_main,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert (reply["result"], reply["errorCode"]) == (
        "combine_failure",
        "combine_card.combine_different_templates",
    )
    assert sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD).username == gift_user


def test_attach_and_combine_can_suspend_the_account(api: Api, sandbox: SandboxController) -> None:
    main = demo.DEMO_NEAR_SUSPENSION_PAIR[0]
    # Two combines are behind this main account; attaching and combining one more card is the
    # third, which the sandbox (like Paytronix's fraud guard) answers with accountSuspended.
    reply = api.post(
        "guest/attachAndCombine",
        printedCardNumber=main,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert reply == {
        "result": "accountSuspended",
        "errorCode": "combine_card.account_suspended",
        "errorMessage": "Account suspended. Contact support.",
    }
    account = api.get("guest/accountInformation", printedCardNumber=main)
    assert account["accountStatus"] == "SUSPENDED"
    # Nothing moved; the attach (the first step) stands.
    attached = sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD)
    assert attached is not sandbox.state.account_for_card(main)
    assert (attached.status, attached.username) == ("ACTIVE", "olivia.nguyen")


# -- as the portal's client reads them ---------------------------------------------------------


@pytest.mark.parametrize("step", ["combine_card", "attach_and_combine"])
def test_a_suspending_combine_is_account_suspended_to_the_client(
    px: PaytronixClient, step: str
) -> None:
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    combine = {
        "combine_card": lambda: px.guest.combine_card(printed_card_number=other),
        "attach_and_combine": lambda: px.guest.attach_and_combine(
            printed_card_number=main, other_printed_card_number=demo.DEMO_ATTACHABLE_CARD
        ),
    }[step]

    with pytest.raises(AccountSuspendedError) as caught:
        combine()

    assert caught.value.error_code == "combine_card.account_suspended"
    assert px.guest.account_information(printed_card_number=main).account_status == "SUSPENDED"


def test_attach_and_combine_failing_to_attach_is_attach_failure(px: PaytronixClient) -> None:
    with pytest.raises(AttachFailureError) as caught:
        px.guest.attach_and_combine(
            printed_card_number=demo.DEMO_ACTIVE_CARD, other_printed_card_number=UNKNOWN_CARD
        )

    assert caught.value.error_code == "attach_card.invalid_other_card"


def test_attach_and_combine_failing_to_combine_is_combine_failure(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    gift_card, registration_code = _unregistered_card(sandbox, demo.GIFT_TEMPLATE)

    with pytest.raises(CombineFailureError) as caught:
        px.guest.attach_and_combine(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=gift_card,
            other_registration_code=registration_code,
        )

    assert caught.value.error_code == "combine_card.combine_different_templates"
    # Paytronix reports the failed step and keeps the first: the card stays attached.
    user = px.guest.user_information(username=demo.DEMO_USERNAME)
    assert gift_card in user.primary_card_numbers


def _unregistered_card(sandbox: SandboxController, template_code: int) -> tuple[str, str]:
    """A seeded active card of ``template_code`` on no user, with its registration code."""
    model = sandbox.state.live
    card = next(
        model.cards[account.primary_card]
        for account in model.accounts.values()
        if account.template_code == template_code
        and not account.username
        and account.status == "ACTIVE"
        and model.cards[account.primary_card].status == "ACTIVE"
    )
    return card.number, card.registration_code or ""
