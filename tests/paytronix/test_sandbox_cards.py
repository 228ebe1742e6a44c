"""Card writes against the sandbox over real HTTP: attach, combine, attach-and-combine, status."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from portal.paytronix import PaytronixClient, client_from_settings, permit_writes
from portal.paytronix.errors import (
    AccountSuspendedError,
    AttachFailureError,
    CombineFailureError,
    FailureError,
    MoreInfoError,
)
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

UNKNOWN_CARD = "6000209999999999"


@pytest.fixture
def px(sandbox: SandboxController) -> Iterator[PaytronixClient]:
    # Every test here is the audit door's business; the door is what opens the guard.
    with permit_writes():
        yield client_from_settings()


def _points(px: PaytronixClient, card: str) -> Decimal:
    account = px.guest.account_information(printed_card_number=card)
    return sum((b.balance or Decimal(0) for b in account.point_balances), Decimal(0))


# attachCard


def test_attaching_an_unregistered_card_adds_it_to_the_user(px: PaytronixClient) -> None:
    px.guest.attach_card(
        printed_card_number=demo.DEMO_ACTIVE_CARD,
        other_printed_card_number=demo.DEMO_ATTACHABLE_CARD,
    )

    user = px.guest.user_information(username=demo.DEMO_USERNAME)
    assert demo.DEMO_ATTACHABLE_CARD in user.primary_card_numbers
    attached = px.guest.account_information(printed_card_number=demo.DEMO_ATTACHABLE_CARD)
    assert attached.username == demo.DEMO_USERNAME


def test_a_card_with_a_registration_code_asks_for_it_then_attaches(px: PaytronixClient) -> None:
    with pytest.raises(MoreInfoError) as caught:
        px.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        )
    assert caught.value.fields == ["registrationCode"]

    with pytest.raises(FailureError) as wrong:
        px.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
            other_registration_code="000000",
        )
    assert wrong.value.error_code == "attach_card.invalid_reg_code"

    px.guest.attach_card(
        printed_card_number=demo.DEMO_ACTIVE_CARD,
        other_printed_card_number=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        other_registration_code=demo.DEMO_REGISTRATION_CODE,
    )


def test_a_card_of_another_user_asks_for_their_credentials_then_attaches(
    px: PaytronixClient,
) -> None:
    with pytest.raises(MoreInfoError) as caught:
        px.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_OWNED_BY_OTHER_USER,
        )
    assert caught.value.fields == ["username", "password"]

    with pytest.raises(FailureError) as wrong:
        px.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_OWNED_BY_OTHER_USER,
            other_username=demo.DEMO_OTHER_USERNAME,
            other_password="wrong",
        )
    assert wrong.value.error_code == "attach_card.user_pwd_invalid"

    px.guest.attach_card(
        printed_card_number=demo.DEMO_ACTIVE_CARD,
        other_printed_card_number=demo.DEMO_CARD_OWNED_BY_OTHER_USER,
        other_username=demo.DEMO_OTHER_USERNAME,
        other_password=demo.DEMO_OTHER_PASSWORD,
    )


@pytest.mark.parametrize(
    ("other", "error_code"),
    [
        (demo.DEMO_DISABLED_CARD, "attach_card.already_attached"),
        (UNKNOWN_CARD, "attach_card.invalid_other_card"),
    ],
)
def test_attach_failures_carry_their_error_code(
    px: PaytronixClient, other: str, error_code: str
) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD, other_printed_card_number=other
        )

    assert caught.value.error_code == error_code


# combineCard, isCardCombinable


def test_combining_moves_the_balances_into_the_surviving_account(px: PaytronixClient) -> None:
    main, other = demo.DEMO_COMBINABLE_PAIR
    before = _points(px, main) + _points(px, other)
    assert px.guest.is_card_combinable(printed_card_number=other) is True

    result = px.guest.combine_card(printed_card_number=other)

    survivor = px.guest.account_information(printed_card_number=main)
    assert result.username == demo.DEMO_COMBINE_USERNAME
    assert result.surviving_account_id == survivor.account_id
    assert _points(px, main) == before
    assert other in {c.printed_card_number for c in survivor.additional_cards}


def test_a_main_account_card_is_not_combinable(px: PaytronixClient) -> None:
    main, _ = demo.DEMO_COMBINABLE_PAIR

    assert px.guest.is_card_combinable(printed_card_number=main) is False


def test_is_card_combinable_of_an_unknown_card_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError):
        px.guest.is_card_combinable(printed_card_number=UNKNOWN_CARD)


@pytest.mark.parametrize(
    ("pair", "error_code"),
    [
        (demo.DEMO_NOT_COMBINABLE_PAIR, "combine_card.not_combinable_template"),
        (demo.DEMO_DIFFERENT_TEMPLATE_PAIR, "combine_card.combine_different_templates"),
        ((None, demo.DEMO_ACTIVE_CARD), "combine_card.same_card"),
    ],
)
def test_combine_refusals_carry_their_error_code(
    px: PaytronixClient, pair: tuple[str | None, str], error_code: str
) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.combine_card(printed_card_number=pair[1])

    assert caught.value.error_code == error_code


def test_combining_too_many_cards_suspends_the_account(px: PaytronixClient) -> None:
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR

    with pytest.raises(AccountSuspendedError) as caught:
        px.guest.combine_card(printed_card_number=other)

    assert caught.value.error_code == "combine_card.account_suspended"
    assert px.guest.account_information(printed_card_number=main).account_status == "SUSPENDED"


# attachAndCombine


def test_attach_and_combine_in_one_step(px: PaytronixClient) -> None:
    before = _points(px, demo.DEMO_ACTIVE_CARD) + _points(px, demo.DEMO_ATTACHABLE_CARD)

    px.guest.attach_and_combine(
        printed_card_number=demo.DEMO_ACTIVE_CARD,
        other_printed_card_number=demo.DEMO_ATTACHABLE_CARD,
    )

    assert _points(px, demo.DEMO_ACTIVE_CARD) == before


def test_attach_and_combine_asks_for_more_info_like_attach(px: PaytronixClient) -> None:
    with pytest.raises(MoreInfoError) as caught:
        px.guest.attach_and_combine(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        )

    assert caught.value.fields == ["registrationCode"]


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


def test_attach_and_combine_that_suspends_the_account(px: PaytronixClient) -> None:
    main, _ = demo.DEMO_NEAR_SUSPENSION_PAIR
    # Two combines are behind this main account; attaching and combining one more card is the
    # third, which the sandbox (like Paytronix's fraud guard) answers with accountSuspended.
    with pytest.raises(AccountSuspendedError):
        px.guest.attach_and_combine(
            printed_card_number=main, other_printed_card_number=demo.DEMO_ATTACHABLE_CARD
        )


# changeCardStatus


def test_a_disabled_card_shows_disabled_everywhere(px: PaytronixClient) -> None:
    px.guest.change_card_status(printed_card_number=demo.DEMO_ACTIVE_CARD, status="DISABLED")

    account = px.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)
    assert account.query_card_status == "DISABLED"
    assert account.primary_card is not None
    assert account.primary_card.status == "DISABLED"

    px.guest.change_card_status(printed_card_number=demo.DEMO_ACTIVE_CARD, status="ACTIVE")
    account = px.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)
    assert account.query_card_status == "ACTIVE"


@pytest.mark.parametrize(
    ("card", "error_code"),
    [
        (demo.DEMO_EXCHANGED_CARD, "card_status.card_exchanged"),
        (UNKNOWN_CARD, "card_status.invalid_card"),
    ],
)
def test_change_card_status_refusals_carry_their_error_code(
    px: PaytronixClient, card: str, error_code: str
) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.change_card_status(printed_card_number=card, status="DISABLED")

    assert caught.value.error_code == error_code
