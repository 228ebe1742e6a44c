"""Enrollment and Guest Management Services: the wire shapes of docs/wire-notes.md, the
per-field refusals, and the write guard."""

from __future__ import annotations

from datetime import date

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.enrollment import AddressFields, field_errors_of
from portal.paytronix.errors import (
    FailureError,
    FieldError,
    FieldValidationError,
    OutcomeUnknownError,
    WriteNotPermittedError,
)

from .conftest import MERCHANT_ID, FakeUpstream, Harness, Reply


def test_edit_user_sends_typed_fields_and_the_unique_ones(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with permit_writes():
        harness.client.enrollment.edit_user(
            username="ava.thompson",
            set_user_fields={
                "email": "ava@example.org",
                "optIn": False,
                "dateOfBirth": date(1990, 2, 3),
                "phone": None,
            },
            enforce_unique_fields=["email"],
        )

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/enrollment/editUser.json")
    assert seen.body == {
        "merchantId": MERCHANT_ID,
        "username": "ava.thompson",
        "setUserFields": {
            "style": "typed",
            "email": ["ava@example.org"],
            "optIn": ["false"],
            "dateOfBirth": ["1990-02-03"],
            "phone": [],
        },
        "enforceUniqueFields": ["email"],
    }


def test_field_errors_come_back_on_their_fields_and_only_codes_reach_extra(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "failure",
            "errorCode": "enrollment.field_validation_error",
            "errorMessage": "ava@example.org is not valid",
            "errorsByField": {
                "email": [{"code": "field.not_unique", "message": "ava@example.org is taken"}],
                "phone": ["field.invalid_phone"],
            },
        }
    )

    with permit_writes(), pytest.raises(FieldValidationError) as caught:
        harness.client.enrollment.edit_user(
            username="ava.thompson", set_user_fields={"email": "ava@example.org", "phone": "1"}
        )

    error = caught.value
    assert isinstance(error, FailureError)
    assert error.field_errors == {
        "email": [FieldError("field.not_unique", "a***@example.org is taken")],
        "phone": [FieldError("field.invalid_phone", "")],
    }
    assert error.extra == {
        "errorsByField": {"email": ["field.not_unique"], "phone": ["field.invalid_phone"]}
    }
    assert error.error_message == "a***@example.org is not valid"


def test_a_failure_without_field_errors_stays_a_plain_failure(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "failure", "errorCode": "enrollment.invalid_user"})

    with permit_writes(), pytest.raises(FailureError) as caught:
        harness.client.enrollment.delete_user(username="nobody")

    assert not isinstance(caught.value, FieldValidationError)
    assert caught.value.error_code == "enrollment.invalid_user"


def test_deletes_carry_their_parameters_in_the_query_and_are_never_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503, body={}))

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        harness.client.enrollment.delete_address_for_user(username="ava", address_id="90001")

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == (
        "DELETE",
        "/rest/25.33/enrollment/deleteAddressForUser.json",
    )
    assert seen.query == {"merchantId": str(MERCHANT_ID), "username": "ava", "addressId": "90001"}
    assert seen.body in (None, b"", "", {})


def test_the_address_endpoints_take_the_address_fields_flat(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "addressId": "90311"})
    address = AddressFields(
        label="Work", address1="1 Main St", city="Boston", postal_code="02110", country="US"
    )

    with permit_writes():
        added = harness.client.enrollment.add_address_for_user(username="ava", address=address)

    assert added == "90311"
    assert upstream.requests[0].body == {
        "merchantId": MERCHANT_ID,
        "username": "ava",
        "label": "Work",
        "address1": "1 Main St",
        "address2": "",
        "city": "Boston",
        "stateProvince": "",
        "postalCode": "02110",
        "country": "US",
    }


def test_enrollment_config_reads_either_public_shape(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "success",
            "config": {
                "fields": [
                    {"name": "email", "type": "email", "label": "Email", "required": True},
                    {"field": "firstName", "type": "string", "minLength": 1},
                    {
                        "name": "custom1",
                        "label": "Visit time",
                        "choices": [{"value": "LUNCH", "label": "Lunch"}],
                    },
                    {"type": "string"},
                ]
            },
        }
    )

    config = harness.client.enrollment.enrollment_config(card_template_code=10)

    assert upstream.requests[0].query == {"merchantId": str(MERCHANT_ID), "cardTemplateCode": "10"}
    assert [f.name for f in config.fields] == ["email", "firstName", "custom1"]
    assert config.fields[0].required is True
    assert config.fields[1].min_length == 1
    assert [(c.value, c.label) for c in config.fields[2].choices] == [("LUNCH", "Lunch")]


def test_every_enrollment_write_is_guarded(harness: Harness) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.client.enrollment.edit_user(username="ava", set_user_fields={"firstName": "A"})
    with pytest.raises(WriteNotPermittedError):
        harness.client.enrollment.delete_user(username="ava")
    with pytest.raises(WriteNotPermittedError):
        harness.client.guestmanagement.generate_and_send_guest_reset_password_code(account_id=1)


def test_the_reset_email_names_one_identifier_and_answers_the_address(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success", "email": "ava@example.com"})

    with permit_writes():
        sent_to = harness.client.guestmanagement.generate_and_send_guest_reset_password_code(
            account_id=9000001
        )

    assert sent_to == "ava@example.com"
    (seen,) = upstream.requests
    assert seen.path == "/rest/25.33/guestmanagement/generateAndSendGuestResetPasswordCode.json"
    assert seen.body == {"merchantId": MERCHANT_ID, "accountId": 9000001}
    with permit_writes(), pytest.raises(ValueError, match="exactly one"):
        harness.client.guestmanagement.generate_and_send_guest_reset_password_code(
            account_id=1, username="ava"
        )


def test_field_errors_are_read_in_the_old_and_new_shapes() -> None:
    assert field_errors_of({"email": ["field.invalid_email"]}) == {
        "email": [FieldError("field.invalid_email")]
    }
    assert field_errors_of({"email": {"code": "x", "message": "m"}}) == {
        "email": [FieldError("x", "m")]
    }
    assert field_errors_of("not a map") == {}
