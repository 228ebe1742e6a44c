"""The guest's details, addresses and password reset: each a screen of its own, each change
through the door with masked audit records, against the sandbox."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import Kind, Outcome
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import HTMX, Records, UpstreamCalls

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
USER = demo.DEMO_USERNAME
GUEST_URL = reverse("guests:guest", args=[ACCOUNT])


def url(name: str, *args: Any) -> str:
    return reverse(f"guests:{name}", args=[ACCOUNT, *args])


def field_group(html: str, name: str) -> str:
    """The ``<div class="field">`` of the details form's field ``name``."""
    at = html.index(f'id="id_details-{name}"')
    start = html.rindex('<div class="field">', 0, at)
    return html[start : html.index('<div class="field">', at)]


def details(**changes: Any) -> dict[str, Any]:
    """The details form as shown for the demo guest, with ``changes`` typed over it."""
    data = {
        "details-firstName": demo.DEMO_FIRST_NAME,
        "details-lastName": demo.DEMO_LAST_NAME,
        "details-email": demo.DEMO_EMAIL,
        "details-phone": demo.DEMO_PHONE,
        "details-mobilePhone": demo.DEMO_PHONE,
        "details-dateOfBirth": "",
        "details-postalCode": demo.DEMO_POSTAL_CODE,
        "details-optIn": "on",
        "details-custom1": "",
        "details-anniversaryDate": "",
        "details-reason_text": "Guest called",
        "details-idempotency_key": "d1",
    }
    data.update({f"details-{name}": value for name, value in changes.items()})
    return data


@pytest.fixture
def on_file(sandbox: SandboxController) -> dict[str, Any]:
    """The demo guest's fields as the sandbox has them (the form's values must match)."""
    fields = sandbox.state.user(USER).fields
    return fields


def _form(on_file: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = details(**changes)
    data["details-dateOfBirth"] = changes.get("dateOfBirth", on_file["dateOfBirth"])
    data["details-phone"] = changes.get("phone", on_file["phone"])
    data["details-mobilePhone"] = changes.get("mobilePhone", on_file["mobilePhone"])
    data["details-postalCode"] = changes.get("postalCode", on_file["postalCode"])
    return data


def test_the_details_form_shows_the_programs_fields_with_their_values(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = agent_client.get(url("details")).content.decode()
    assert "Favourite visit time" in html
    assert '<option value="LUNCH">Lunch</option>' in html
    assert "Anniversary" in html
    assert f'value="{demo.DEMO_EMAIL}"' in html
    # An account field (customerNumber) is not a user field: it has a form of its own.
    assert 'name="details-customerNumber"' not in html
    assert "Edit the account's fields (customer number)" in html


def test_the_account_fields_are_changed_with_edit_account(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
) -> None:
    form = agent_client.get(url("account_fields")).content.decode()
    assert 'name="account_fields-customerNumber"' in form

    response = agent_client.post(
        url("account_fields_submit"),
        {
            "account_fields-customerNumber": "C-204417",
            "account_fields-reason_text": "Guest gave their customer number",
            "account_fields-idempotency_key": "c1",
        },
    )

    assert response.status_code == 303
    assert sandbox.state.account(ACCOUNT).customer_number == "C-204417"
    (sent,) = upstream_calls.to("enrollment/editAccount.json")
    assert sent["printedCardNumber"] == demo.DEMO_ACTIVE_CARD
    assert sent["setAccountFields"] == {"style": "typed", "customerNumber": ["C-204417"]}
    assert "C-204417" not in json.dumps(records("guest.edit_account")[0].params)
    intent, outcome = records("guest.edit_account")
    assert outcome.outcome == Outcome.SUCCEEDED
    assert intent.params["changes"] == {"customerNumber": {"before": "C***", "after": "C***"}}
    page = agent_client.get(GUEST_URL).content.decode()
    # Said once: the change's own message, not again as "Now showing" (it showed at once).
    assert page.count("Account fields changed: Customer number.") == 1
    assert "Now showing" not in page


def test_editing_details_sends_only_what_changed_and_audits_it_masked(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
    on_file: dict[str, Any],
) -> None:
    response = agent_client.post(
        url("details_submit"),
        _form(on_file, email="june.smith@example.org", phone="(617) 555-0199", custom1="LUNCH"),
    )

    assert response.status_code == 303
    assert response["Location"] == GUEST_URL + "#panel-header"
    fields = sandbox.state.user(USER).fields
    assert (fields["email"], fields["phone"], fields["custom1"]) == (
        "june.smith@example.org",
        "6175550199",
        "LUNCH",
    )
    (sent,) = upstream_calls.to("enrollment/editUser.json")
    assert set(sent["setUserFields"]) == {"style", "email", "phone", "custom1"}
    assert sent["enforceUniqueFields"] == ["email"]
    intent, outcome = records("guest.edit")
    assert outcome.outcome == Outcome.SUCCEEDED
    assert intent.reason_text == "Guest called"
    assert intent.params["fields"] == ["custom1", "email", "phone"]
    assert intent.params["changes"]["email"] == {
        "before": "a***@example.com",
        "after": "j***@example.org",
    }
    assert intent.params["changes"]["phone"] == {"before": "***0142", "after": "***0199"}
    stored = json.dumps([intent.params, outcome.params, outcome.upstream_detail])
    for secret in ("june.smith", demo.DEMO_EMAIL, "6175550199", demo.DEMO_PHONE):
        assert secret not in stored
    page = agent_client.get(GUEST_URL).content.decode()
    # Said once (the change's own message), not again as "Now showing": it showed at once.
    assert page.count("Details changed: Email address, Phone, Favourite visit time.") == 1
    assert "Now showing" not in page
    assert "june.smith@example.org (not verified)" in page


def test_an_email_another_guest_has_is_refused_on_the_email_field(
    sandbox: SandboxController, agent_client: Client, records: Records, on_file: dict[str, Any]
) -> None:
    response = agent_client.post(
        url("details_submit"), _form(on_file, email=demo.DEMO_OTHER_EMAIL), headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="details-form"')
    assert "Already in use by another guest" in field_group(html, "email")
    assert "Already in use" not in field_group(html, "phone")
    assert "The loyalty system refused some of the details" in html
    assert sandbox.state.user(USER).fields["email"] == demo.DEMO_EMAIL
    _intent, outcome = records("guest.edit")
    assert outcome.outcome == Outcome.FAILED
    assert outcome.upstream_detail == {"errorsByField": {"email": ["field.not_unique"]}}


def test_bad_input_is_refused_before_anything_is_sent(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
    on_file: dict[str, Any],
) -> None:
    response = agent_client.post(
        url("details_submit"), _form(on_file, email="not-an-email", phone="12", firstName="")
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "A phone number needs 7 to 15 digits." in html
    assert "enrollment/editUser.json" not in upstream_calls.paths()
    assert records("guest.edit") == []


def test_a_birthday_in_the_future_is_refused_on_its_field(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
    on_file: dict[str, Any],
) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page = agent_client.get(url("details")).content.decode()
    assert f'max="{timezone.localdate().isoformat()}"' in page

    response = agent_client.post(
        url("details_submit"), _form(on_file, dateOfBirth=tomorrow.isoformat())
    )

    assert response.status_code == 422
    assert "A birthday cannot be in the future." in response.content.decode()
    assert "enrollment/editUser.json" not in upstream_calls.paths()
    assert records("guest.edit") == []


def test_a_future_birthday_already_on_file_does_not_block_another_change(
    sandbox: SandboxController, agent_client: Client, on_file: dict[str, Any]
) -> None:
    slip = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()

    def enrolled_with_a_slip(model: Any, moment: Any) -> None:
        model.users[USER].fields["dateOfBirth"] = slip

    sandbox.state.write(enrolled_with_a_slip)

    response = agent_client.post(
        url("details_submit"), _form(on_file, dateOfBirth=slip, phone="6175550199")
    )

    assert response.status_code == 303
    assert sandbox.state.user(USER).fields["phone"] == "6175550199"


def test_nothing_changed_is_said_and_nothing_is_sent(
    sandbox: SandboxController, agent_client: Client, records: Records, on_file: dict[str, Any]
) -> None:
    response = agent_client.post(url("details_submit"), _form(on_file))

    assert response.status_code == 422
    assert "Nothing to change: every field is as on file." in response.content.decode()
    assert records("guest.edit") == []


def test_a_change_upstream_shows_late_is_pending_then_applied(
    sandbox: SandboxController, agent_client: Client, on_file: dict[str, Any]
) -> None:
    sandbox.faults.set_consistency_delay(30)
    agent_client.post(url("details_submit"), _form(on_file, lastName="Stone"))

    waiting = agent_client.get(GUEST_URL).content.decode()
    assert "Pending:</strong> Details changed: Last name." in waiting
    sandbox.advance(31)
    shown = agent_client.get(GUEST_URL).content.decode()
    assert "Now showing: Details changed: Last name." in shown


def test_addresses_are_added_edited_and_deleted_through_the_door(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    address = {
        "address-label": "Work",
        "address-address1": "1 Main St",
        "address-city": "Boston",
        "address-postal_code": "02110",
        "address-country": "us",
        "address-reason_text": "Guest moved office",
        "address-idempotency_key": "a1",
    }
    added = agent_client.post(url("address_add"), address)
    assert added.status_code == 303
    (new,) = [a for a in sandbox.state.user(USER).addresses if a["label"] == "Work"]
    assert (new["address1"], new["country"]) == ("1 Main St", "US")

    edit = {**address, "address-address1": "9 Elm St", "address-idempotency_key": "a2"}
    assert agent_client.post(url("address_edit_submit", new["addressId"]), edit).status_code == 303
    (moved,) = [a for a in sandbox.state.user(USER).addresses if a["label"] == "Work"]
    assert moved["address1"] == "9 Elm St"

    delete = {"address_delete-reason_text": "Guest asked", "address_delete-idempotency_key": "a3"}
    gone = agent_client.post(url("address_delete_submit", new["addressId"]), delete)
    assert gone.status_code == 303
    assert all(a["label"] != "Work" for a in sandbox.state.user(USER).addresses)

    edited = records("guest.address_edit", kind=Kind.INTENT)[0]
    assert edited.params["fields"] == ["address1"]
    assert edited.params["changes"]["address1"] == {"before": "1***", "after": "9***"}
    assert "Elm" not in json.dumps(edited.params)
    assert [r.outcome for r in records("guest.address_delete", kind=Kind.OUTCOME)] == [
        Outcome.SUCCEEDED
    ]


def test_an_address_not_on_file_is_a_404_with_a_sentence(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = agent_client.get(url("address_edit", "12345"))
    assert response.status_code == 404


def _reset(key: str) -> dict[str, str]:
    return {"password_reset-reason_code": "forgot_password", "password_reset-idempotency_key": key}


def test_the_reset_email_says_the_masked_address_it_went_to(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    form = agent_client.get(url("password_reset")).content.decode()
    assert "a***@example.com" in form
    assert demo.DEMO_EMAIL not in form

    response = agent_client.post(url("password_reset_submit"), _reset("r1"), follow=True)

    assert "Password reset email sent to a***@example.com." in response.content.decode()
    assert len(sandbox.state.user(USER).password_resets) == 1
    intent, outcome = records("guest.password_reset")
    assert intent.reason_code == "forgot_password"
    assert outcome.upstream_detail == {"value": "a***@example.com"}
    assert demo.DEMO_EMAIL not in json.dumps([intent.params, outcome.upstream_detail])


def test_at_most_a_few_reset_emails_an_hour_then_a_clear_refusal(
    sandbox: SandboxController, agent_client: Client, settings: Any, records: Records
) -> None:
    settings.GUESTS_PASSWORD_RESETS_PER_HOUR = 2
    for key in ("r1", "r2"):
        assert agent_client.post(url("password_reset_submit"), _reset(key)).status_code == 303
    # The same form sent again is answered by the door, not counted as a third.
    assert agent_client.post(url("password_reset_submit"), _reset("r2")).status_code == 303

    refused = agent_client.post(url("password_reset_submit"), _reset("r3"))

    assert refused.status_code == 422
    assert "2 password reset emails were sent to this guest in the last hour" in (
        refused.content.decode()
    )
    assert len(sandbox.state.user(USER).password_resets) == 2
    assert len(records("guest.password_reset", kind=Kind.INTENT)) == 2
    # The screen says so at once, with no Send button that could only be refused.
    screen = agent_client.get(url("password_reset")).content.decode()
    assert "2 password reset emails were sent to this guest in the last hour" in screen
    assert "Send the reset email" not in screen


def test_a_refused_reset_is_said_and_does_not_count(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.GUESTS_PASSWORD_RESETS_PER_HOUR = 1
    sandbox.state.user(USER).fields["email"] = ""

    refused = agent_client.post(url("password_reset_submit"), _reset("r1"))

    assert "The guest has no email address on file." in refused.content.decode()
    sandbox.state.user(USER).fields["email"] = demo.DEMO_EMAIL
    assert agent_client.post(url("password_reset_submit"), _reset("r2")).status_code == 303


def test_a_reset_that_may_have_been_sent_counts(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.GUESTS_PASSWORD_RESETS_PER_HOUR = 1
    sandbox.faults.error(500, endpoint="generateAndSendGuestResetPasswordCode", times=1)

    unknown = agent_client.post(url("password_reset_submit"), _reset("r1"))
    again = agent_client.post(url("password_reset_submit"), _reset("r2"))

    assert "could not confirm whether the change went through" in unknown.content.decode()
    assert "the most allowed" in again.content.decode()


def test_without_the_enrollment_service_the_screens_say_so_and_the_page_hides_them(
    sandbox: SandboxController, agent_client: Client, settings: Any, upstream_calls: UpstreamCalls
) -> None:
    settings.PAYTRONIX_ENROLLMENT_SERVICE = False

    screen = agent_client.get(url("details")).content.decode()
    page = agent_client.get(GUEST_URL).content.decode()

    assert "not available for this Paytronix integration" in screen
    assert url("details") not in page
    assert url("addresses") not in page
    assert url("password_reset") in page
    assert not [p for p in upstream_calls.paths() if p.startswith("enrollment/")]


def test_an_integration_without_guest_management_is_found_out_once(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    sandbox.app.without = frozenset({"guestmanagement"})
    agent_client.post(url("password_reset_submit"), _reset("r1"))

    page = agent_client.get(GUEST_URL).content.decode()
    screen = agent_client.get(url("password_reset")).content.decode()

    assert url("password_reset") not in page
    assert "Sending a password reset email is not available" in screen


def test_a_store_manager_cannot_reach_the_edit_screens(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    assert store_manager_client.get(url("details")).status_code == 403
    assert store_manager_client.post(url("password_reset_submit"), _reset("x")).status_code == 403


def _own_fields(sandbox: SandboxController, username: str, **values: Any) -> None:
    def give(model: Any, moment: Any) -> None:
        model.users[username].fields.update(values)

    sandbox.state.write(give)


def _profile(html: str) -> str:
    start = html.index('id="panel-profile"')
    return html[start : html.index("</section>", start)]


def test_the_guest_page_shows_the_programs_own_fields_as_the_program_words_them(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    # Seen in a walkthrough: a "Favourite visit time" set on the details screen was nowhere
    # on the guest page.
    _own_fields(sandbox, USER, custom1="LUNCH", anniversaryDate="2015-03-04", companyName="Acme")

    profile = _profile(agent_client.get(GUEST_URL).content.decode())

    assert '<dt class="untrusted">Favourite visit time</dt><dd class="untrusted">Lunch</dd>' in (
        profile
    )
    assert '<dt class="untrusted">Anniversary</dt><dd class="untrusted">Mar 4, 2015</dd>' in (
        profile
    )
    # Not listed by this program: the console's own word.
    assert '<dt class="untrusted">Company</dt><dd class="untrusted">Acme</dd>' in profile
    assert len(upstream_calls.to("enrollment/enrollmentConfig.json")) == 1

    # Every guest of the program shares its labels: another guest's page reads none again.
    other = sandbox.state.account_for_card(demo.DEMO_CARD_OWNED_BY_OTHER_USER)
    _own_fields(sandbox, demo.DEMO_OTHER_USERNAME, custom1="DINNER")
    html = agent_client.get(reverse("guests:guest", args=[other.account_id])).content.decode()
    assert 'Favourite visit time</dt><dd class="untrusted">Dinner</dd>' in _profile(html)
    assert len(upstream_calls.to("enrollment/enrollmentConfig.json")) == 1


def test_a_guest_without_the_programs_own_fields_costs_no_read_of_them(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    profile = _profile(agent_client.get(GUEST_URL).content.decode())

    assert "Favourite visit time" not in profile
    assert upstream_calls.to("enrollment/enrollmentConfig.json") == []
    # A North American number grouped as said on the phone.
    assert "<dt>Phone</dt><dd>(617) 555-0142</dd>" in profile


def test_without_the_enrollment_service_the_own_fields_keep_the_consoles_words(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.PAYTRONIX_ENROLLMENT_SERVICE = False
    _own_fields(sandbox, USER, custom1="LUNCH")

    profile = _profile(agent_client.get(GUEST_URL).content.decode())

    assert '<dt class="untrusted">Custom field 1</dt><dd class="untrusted">LUNCH</dd>' in profile


def test_the_programs_labels_show_once_they_can_be_read_whatever_the_page_kept_drawn(
    sandbox: SandboxController, agent_client: Client
) -> None:
    from django.core.cache import cache

    _own_fields(sandbox, USER, custom1="LUNCH")
    sandbox.faults.error(status=500, endpoint="enrollmentConfig")
    agent_client.get(GUEST_URL)  # read from upstream: nothing drawn is kept
    first = _profile(agent_client.get(GUEST_URL).content.decode())  # from the cache: kept
    assert '<dt class="untrusted">Custom field 1</dt><dd class="untrusted">LUNCH</dd>' in first

    # The fallback is kept a minute; then the program's words, though the rest of the page
    # (the same data) is drawn from what the process kept.
    sandbox.faults.clear()
    cache.delete(f"program-field-labels:{demo.REWARDS_TEMPLATE}")
    again = _profile(agent_client.get(GUEST_URL).content.decode())
    assert '<dt class="untrusted">Favourite visit time</dt><dd class="untrusted">Lunch</dd>' in (
        again
    )


def test_a_slow_enrollment_config_does_not_hold_the_page_up(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guests.selectors import profile

    monkeypatch.setattr(profile, "LABELS_DEADLINE", 0.2)
    _own_fields(sandbox, USER, custom1="LUNCH")
    sandbox.faults.latency(1.0, endpoint="enrollmentConfig")

    shown = _profile(agent_client.get(GUEST_URL).content.decode())

    # Drawn without waiting for the answer: the console's words, the stored value.
    assert '<dt class="untrusted">Custom field 1</dt><dd class="untrusted">LUNCH</dd>' in shown
