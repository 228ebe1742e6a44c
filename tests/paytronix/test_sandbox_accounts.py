"""Account, user and history reads against the sandbox over real HTTP: success and each result."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.paytronix import PaytronixClient, client_from_settings, permit_writes
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

UNKNOWN_CARD = "6000209999999999"
UNKNOWN_ACCOUNT = 1


@pytest.fixture
def px(sandbox: SandboxController) -> PaytronixClient:
    return client_from_settings()


# printedCardNumberForExternalAccount


def test_external_account_code_finds_the_cards(px: PaytronixClient) -> None:
    cards = px.guest.printed_card_number_for_external_account(
        account_code=demo.DEMO_EXTERNAL_ACCOUNT_CODE
    )

    assert cards.primary_card is not None
    assert cards.primary_card.printed_card_number == demo.DEMO_ACTIVE_CARD
    assert {c.printed_card_number for c in cards.additional_cards} == {
        demo.DEMO_DISABLED_CARD,
        demo.DEMO_EXCHANGED_CARD,
    }


def test_unknown_external_account_code_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.printed_card_number_for_external_account(account_code="nobody")

    assert caught.value.error_code == "account_info.invalid_account"


# accountInformation, accountInformationById, eClubAccountInformation


def test_account_information_by_card_reads_balances_and_cards(px: PaytronixClient) -> None:
    account = px.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)

    assert account.account_id == demo.DEMO_ACCOUNT_ID
    assert account.username == demo.DEMO_USERNAME
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


def test_account_information_of_a_disabled_card_reports_its_status(px: PaytronixClient) -> None:
    account = px.guest.account_information(printed_card_number=demo.DEMO_DISABLED_CARD)

    assert account.query_card_status == "DISABLED"
    assert account.account_id == demo.DEMO_ACCOUNT_ID


def test_account_information_of_a_suspended_account_still_answers(px: PaytronixClient) -> None:
    account = px.guest.account_information(printed_card_number=demo.DEMO_SUSPENDED_ACCOUNT_CARD)

    assert account.account_status == "SUSPENDED"


def test_account_information_of_an_unknown_card_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.account_information(printed_card_number=UNKNOWN_CARD)

    assert caught.value.error_code.startswith("account_info.")


@pytest.mark.parametrize(
    ("card", "account_status", "card_status"),
    [
        (demo.DEMO_TERMINATED_ACCOUNT_CARD, "TERMINATED", "ACTIVE"),
        (demo.DEMO_UNACTIVATED_CARD, "EXISTS", "EXISTS"),
    ],
)
def test_account_information_of_an_unreadable_account_is_invalid_status(
    px: PaytronixClient, card: str, account_status: str, card_status: str
) -> None:
    with pytest.raises(InvalidStatusError) as caught:
        px.guest.account_information(printed_card_number=card)

    assert (caught.value.account_status, caught.value.card_status) == (account_status, card_status)


def test_the_store_group_filter_hides_accounts_of_other_groups(px: PaytronixClient) -> None:
    in_group = px.guest.account_information(
        printed_card_number=demo.DEMO_ACTIVE_CARD,
        access_filter_store_group_code=demo.DEMO_STORE_GROUP,
    )
    assert in_group.account_id == demo.DEMO_ACCOUNT_ID

    with pytest.raises(FailureError):
        px.guest.account_information(
            printed_card_number=demo.DEMO_OTHER_STORE_GROUP_CARD,
            access_filter_store_group_code=demo.DEMO_STORE_GROUP,
        )


def test_account_information_by_id(px: PaytronixClient) -> None:
    account = px.guest.account_information_by_id(account_id=demo.DEMO_ACCOUNT_ID)

    assert account.username == demo.DEMO_USERNAME


def test_account_information_by_unknown_id_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError):
        px.guest.account_information_by_id(account_id=UNKNOWN_ACCOUNT)


def test_account_information_by_id_of_a_terminated_account_is_invalid_status(
    px: PaytronixClient,
) -> None:
    with pytest.raises(InvalidStatusError) as caught:
        px.guest.account_information_by_id(account_id=9000101)

    assert caught.value.account_status == "TERMINATED"


def test_eclub_account_information(px: PaytronixClient) -> None:
    account = px.guest.eclub_account_information(
        email=demo.DEMO_ECLUB_EMAIL, card_template_code=demo.ECLUB_TEMPLATE
    )

    assert account.card_template_code == demo.ECLUB_TEMPLATE
    assert account.primary_card is not None
    assert account.primary_card.printed_card_number == demo.DEMO_ECLUB_CARD


def test_eclub_account_information_with_an_unknown_template_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.eclub_account_information(email=demo.DEMO_ECLUB_EMAIL, card_template_code=99)

    assert caught.value.error_code == "account_info.no_template_error"


def test_eclub_account_information_of_a_terminated_member_is_invalid_status(
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


# userInformation*


def test_user_information_by_username_card_and_account_agree(px: PaytronixClient) -> None:
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
    ("method", "kwargs"),
    [
        ("user_information", {"username": "no.such.user"}),
        ("user_information_by_printed_card_number", {"printed_card_number": UNKNOWN_CARD}),
        ("user_information_by_account_id", {"account_id": UNKNOWN_ACCOUNT}),
        ("user_and_account_information", {"printed_card_number": UNKNOWN_CARD}),
    ],
)
def test_user_information_of_nobody_fails(
    px: PaytronixClient, method: str, kwargs: dict[str, object]
) -> None:
    with pytest.raises(FailureError):
        getattr(px.guest, method)(**kwargs)


def test_eclub_user_information(px: PaytronixClient) -> None:
    user = px.guest.eclub_user_information(
        email=demo.DEMO_ECLUB_EMAIL, card_template_code=demo.ECLUB_TEMPLATE
    )

    assert user.fields is not None
    assert user.fields.first_name == "Sophia"


def test_eclub_user_information_of_an_unknown_email_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError):
        px.guest.eclub_user_information(
            email="nobody@example.com", card_template_code=demo.ECLUB_TEMPLATE
        )


def test_user_and_account_information(px: PaytronixClient) -> None:
    both = px.guest.user_and_account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)

    assert both.user_information is not None
    assert both.account_information is not None
    assert both.account_information.account_id == demo.DEMO_ACCOUNT_ID
    assert both.user_information.fields is not None
    assert both.user_information.fields.username == demo.DEMO_USERNAME


# migrateEmailAsUsername (a write)


def test_migrate_email_as_username_makes_the_email_the_username(px: PaytronixClient) -> None:
    with permit_writes():
        new = px.guest.migrate_email_as_username(username=demo.DEMO_USERNAME, email=demo.DEMO_EMAIL)

    assert new == demo.DEMO_EMAIL
    assert px.guest.user_information(username=demo.DEMO_EMAIL).account_ids == [demo.DEMO_ACCOUNT_ID]


def test_migrate_email_as_username_with_another_email_fails(px: PaytronixClient) -> None:
    with permit_writes(), pytest.raises(FailureError) as caught:
        px.guest.migrate_email_as_username(username=demo.DEMO_USERNAME, email="x@example.com")

    assert caught.value.error_code == "migrate_email.email_mismatch"


# transactionHistory*, transactionAnnotation


def test_transaction_history_reads_typed_transactions(px: PaytronixClient) -> None:
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


def test_transaction_history_filters_by_date_and_balance_effect(px: PaytronixClient) -> None:
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


@pytest.mark.parametrize(
    ("card", "error_code"),
    [
        (demo.DEMO_EXCHANGED_CARD, "transaction_history.card_exchanged"),
        (UNKNOWN_CARD, "transaction_history.card_not_found"),
    ],
)
def test_transaction_history_of_an_exchanged_or_unknown_card_fails(
    px: PaytronixClient, card: str, error_code: str
) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.transaction_history(printed_card_number=card)

    assert caught.value.error_code == error_code


def test_transaction_history_by_unknown_account_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError):
        px.guest.transaction_history_by_account_id(account_id=UNKNOWN_ACCOUNT)


def test_transaction_annotation(px: PaytronixClient) -> None:
    note = px.guest.transaction_annotation(
        account_id=demo.DEMO_ACCOUNT_ID, transaction_id=demo.DEMO_ANNOTATED_TRANSACTION_ID
    )

    assert note.comment == "25 bonus points for the wait on May 30."
    assert note.system_comment == "Adjustment by customer service."


def test_transaction_annotation_of_an_unknown_transaction_fails(px: PaytronixClient) -> None:
    with pytest.raises(FailureError) as caught:
        px.guest.transaction_annotation(
            account_id=demo.DEMO_ACCOUNT_ID, transaction_id=987654321987
        )

    assert caught.value.error_code == "transaction_annotation.error"
