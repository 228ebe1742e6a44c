"""Enrollment and Guest Management in the sandbox: stateful, every refusal on its field, the
documented errors, and faults like any endpoint."""

from __future__ import annotations

import pytest

from portal.paytronix import PaytronixClient, permit_writes
from portal.paytronix.enrollment import AddressFields
from portal.paytronix.errors import FailureError, FieldValidationError, OutcomeUnknownError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

from .conftest import Api

USER = demo.DEMO_USERNAME


def test_the_rewards_program_lists_its_fields_and_its_own(px: PaytronixClient) -> None:
    config = px.enrollment.enrollment_config(card_template_code=demo.REWARDS_TEMPLATE)
    names = [f.name for f in config.fields]
    assert names[:3] == ["firstName", "lastName", "email"]
    assert {"custom1", "anniversaryDate", "customerNumber"} <= set(names)
    visit = next(f for f in config.fields if f.name == "custom1")
    assert [c.value for c in visit.choices] == ["BREAKFAST", "LUNCH", "DINNER"]
    with pytest.raises(FailureError) as caught:
        px.enrollment.enrollment_config(card_template_code=99)
    assert caught.value.error_code == "enrollment.invalid_card_template"


def test_edit_user_changes_only_the_fields_sent(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        px.enrollment.edit_user(
            username=USER,
            set_user_fields={"firstName": "Avery", "optIn": False, "custom1": "LUNCH"},
        )
    fields = sandbox.state.user(USER).fields
    assert (fields["firstName"], fields["optIn"], fields["custom1"]) == ("Avery", False, "LUNCH")
    assert fields["lastName"] == demo.DEMO_LAST_NAME
    assert fields["email"] == demo.DEMO_EMAIL


def test_every_refused_field_is_listed_and_nothing_changes(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes(), pytest.raises(FieldValidationError) as caught:
        px.enrollment.edit_user(
            username=USER,
            set_user_fields={
                "firstName": None,
                "email": demo.DEMO_OTHER_EMAIL,
                "phone": "12",
                "dateOfBirth": "1990-13-01",
                "custom1": "BRUNCH",
                "lastName": "Stone",
            },
            enforce_unique_fields=["email"],
        )
    codes = {name: [e.code for e in errors] for name, errors in caught.value.field_errors.items()}
    assert codes == {
        "firstName": ["field.required"],
        "email": ["field.not_unique"],
        "phone": ["field.invalid_phone"],
        "dateOfBirth": ["field.invalid_date"],
        "custom1": ["field.invalid_choice"],
    }
    assert sandbox.state.user(USER).fields["lastName"] == demo.DEMO_LAST_NAME


def test_an_email_another_guest_has_is_refused_only_when_it_must_be_unique(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        px.enrollment.edit_user(username=USER, set_user_fields={"email": demo.DEMO_OTHER_EMAIL})
    assert sandbox.state.user(USER).fields["email"] == demo.DEMO_OTHER_EMAIL


def test_addresses_are_added_edited_and_deleted(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    work = AddressFields(label="Work", address1="1 Main St", city="Boston", postal_code="02110")
    with permit_writes():
        added = px.enrollment.add_address_for_user(username=USER, address=work)
        moved = AddressFields(label="Work", address1="9 Elm St", city="Boston", postal_code="02111")
        px.enrollment.edit_address_for_user(username=USER, address_id=added, address=moved)
    addresses = {a["addressId"]: a for a in sandbox.state.user(USER).addresses}
    assert addresses[added]["address1"] == "9 Elm St"
    with permit_writes():
        px.enrollment.delete_address_for_user(username=USER, address_id=added)
        with pytest.raises(FailureError) as caught:
            px.enrollment.delete_address_for_user(username=USER, address_id=added)
    assert caught.value.error_code == "enrollment.invalid_address"
    assert added not in {a["addressId"] for a in sandbox.state.user(USER).addresses}
    with permit_writes(), pytest.raises(FieldValidationError) as missing:
        px.enrollment.add_address_for_user(username=USER, address=AddressFields(label="Empty"))
    assert set(missing.value.field_errors) == {"address1", "city", "postalCode"}


def test_deleting_the_user_leaves_its_accounts_registered_to_no_one(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        px.enrollment.delete_user(username=USER)
        with pytest.raises(FailureError) as again:
            px.enrollment.delete_user(username=USER)
    assert again.value.error_code == "enrollment.invalid_user"
    assert USER not in sandbox.state.live.users
    account = px.guest.account_information_by_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert not account.username
    assert account.account_status == "ACTIVE"


def test_deleting_by_card_deletes_the_cards_owner(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        px.enrollment.delete_user_by_printed_card_number(
            printed_card_number=demo.DEMO_CARD_OWNED_BY_OTHER_USER
        )
    assert demo.DEMO_OTHER_USERNAME not in sandbox.state.live.users


def test_the_reset_email_is_recorded_with_the_address_it_went_to(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    with permit_writes():
        sent_to = px.guestmanagement.generate_and_send_guest_reset_password_code(
            account_id=demo.DEMO_ACCOUNT_ID
        )
    assert sent_to == demo.DEMO_EMAIL
    assert [email for _, email in sandbox.state.user(USER).password_resets] == [demo.DEMO_EMAIL]


def test_the_reset_email_refusals_are_the_guest_services_codes(api: Api) -> None:
    endpoint = "guestmanagement/generateAndSendGuestResetPasswordCode"
    both = api.post(endpoint, username=USER, accountId=demo.DEMO_ACCOUNT_ID)
    assert both["errorCode"] == "reset_password.invalid_argument"
    none = api.post(endpoint)
    assert none["errorCode"] == "reset_password.invalid_argument"
    anonymous = api.post(endpoint, printedCardNumber=demo.DEMO_ATTACHABLE_CARD)
    assert anonymous["errorCode"] == "reset_password.not_registered"
    unknown = api.post(endpoint, email="nobody@example.com")
    assert unknown["errorCode"] == "reset_password.non_matching_email"


def test_a_dropped_edit_that_was_processed_is_unknown_and_applied(
    px: PaytronixClient, sandbox: SandboxController
) -> None:
    sandbox.faults.drop(endpoint="enrollment/editUser", process=True, times=1)
    with permit_writes(), pytest.raises(OutcomeUnknownError):
        px.enrollment.edit_user(username=USER, set_user_fields={"firstName": "Avery"})
    assert sandbox.state.user(USER).fields["firstName"] == "Avery"
