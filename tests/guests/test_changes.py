"""The changes a CSR makes on the guest page: each through the audit door, against the sandbox."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portal.audit.models import Kind, Outcome
from portal.audit.personal import identifier_record
from portal.audit.records import outcome_record
from portal.audit.scrub import card_hash
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.conftest import HTMX, Records, UpstreamCalls

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
GUEST_URL = reverse("guests:guest", args=[ACCOUNT])


def post(client: Client, name: str, data: dict[str, Any], *, htmx: bool = True) -> Any:
    headers = HTMX if htmx else {}
    return client.post(reverse(f"guests:{name}", args=[ACCOUNT]), data, headers=headers)


def frequency(preference: str = "SNOOZE", *, key: str = "k1", reason: str = "Guest asked") -> dict:
    return {
        "frequency-preference": preference,
        "frequency-reason_text": reason,
        "frequency-idempotency_key": key,
    }


# -- message frequency: the full story ------------------------------------------------------


def test_changing_message_frequency_records_the_reason_and_shows_it(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    response = post(agent_client, "message_frequency", frequency("SNOOZE"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="panel-header"')
    assert (
        "Message frequency set to Snooze for 14 days. No marketing messages for the next 14 days"
        in html
    )
    # The outcome says it once: no second "Now showing" banner for the same change.
    assert "Now showing" not in html
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "SNOOZE"
    intent, outcome = records("messaging.frequency")
    assert (intent.kind, outcome.kind, outcome.outcome) == (
        Kind.INTENT,
        Kind.OUTCOME,
        Outcome.SUCCEEDED,
    )
    assert intent.reason_text == "Guest asked"
    assert intent.params == {"accountId": ACCOUNT, "preference": "SNOOZE"}
    assert intent.actor_username == "alice.agent"
    assert intent.account_id == ACCOUNT
    assert intent.card_masked == demo.DEMO_ACTIVE_CARD[-6:]


@pytest.mark.parametrize(
    ("name", "prefix", "field", "action", "what"),
    [
        (
            "message_frequency",
            "frequency",
            "preference",
            "messaging.frequency",
            "message frequency",
        ),
        ("language", "language", "language_code", "language.set", "language"),
    ],
)
def test_a_preference_set_to_what_the_page_shows_is_refused_and_nothing_is_sent(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
    name: str,
    prefix: str,
    field: str,
    action: str,
    what: str,
) -> None:
    # Seen in a walkthrough: choosing the frequency the guest already had said "done" and
    # recorded a change that changed nothing.
    page = agent_client.get(GUEST_URL, {"open": "preferences"}).content.decode()
    shown = re.search(rf'name="{prefix}-shown" value="([^"]*)"', page)
    assert shown is not None
    assert shown.group(1)
    upstream_calls.clear()
    data = {
        f"{prefix}-{field}": shown.group(1),
        f"{prefix}-shown": shown.group(1),
        f"{prefix}-reason_text": "Guest asked",
        f"{prefix}-idempotency_key": f"same-{prefix}",
    }

    response = post(agent_client, name, data)

    assert f"The guest&#x27;s {what} is already this one: nothing to change." in (
        response.content.decode()
    )
    assert records(action) == []
    assert [path for path in upstream_calls.paths() if "update" in path.lower()] == []


@pytest.fixture
def no_message_frequency_in_user_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's information as the spec documents it: without ``messageFrequency``."""
    from portal.sandbox.endpoints.registry import ENDPOINTS

    for path in ("guest/userInformationByAccountId", "guest/userInformation"):
        found = ENDPOINTS[path]

        def without_frequency(request: Any, handler: Callable[..., Any] = found.handler) -> Any:
            reply = handler(request)
            reply["userInformation"]["fields"].pop("messageFrequency", None)
            return reply

        monkeypatch.setitem(ENDPOINTS, path, replace(found, handler=without_frequency))


def test_a_frequency_change_upstream_does_not_report_back_is_said_sent_not_watched(
    sandbox: SandboxController, agent_client: Client, no_message_frequency_in_user_replies: None
) -> None:
    html = post(agent_client, "message_frequency", frequency("SNOOZE")).content.decode()
    assert (
        "Message frequency: Snooze for 14 days. Sent to Paytronix; it does not report this "
        "preference back." in html
    )
    assert "Pending:" not in html
    assert 'hx-trigger="every 2s"' not in html
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "SNOOZE"
    # Said once: the change is not watched on later renders either.
    later = agent_client.get(GUEST_URL).content.decode()
    assert "does not report this preference back" not in later
    assert "Not showing yet" not in later


def test_unsubscribing_is_explained_as_stopping_all_marketing(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = post(agent_client, "message_frequency", frequency("UNSUBSCRIBE")).content.decode()
    assert "Stops all marketing messages" in html
    assert sandbox.state.user(demo.DEMO_USERNAME).fields["optIn"] is False


def test_a_change_without_a_reason_is_refused_before_anything_is_sent(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(agent_client, "message_frequency", frequency(reason="")).content.decode()
    assert "This field is required." in html
    assert 'id="drawer-preferences"' in html
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "ALL"
    assert records("messaging.frequency") == []


def test_a_change_shows_pending_until_upstream_reflects_it_then_applied(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.set_consistency_delay(30)
    html = post(agent_client, "message_frequency", frequency("ONCE_PER_WEEK")).content.decode()
    assert "Pending:</strong> Message frequency: Once a week." in html
    assert 'hx-trigger="every 2s"' in html
    assert "<dd>All messages" in html

    body_url = reverse("guests:panel", args=[ACCOUNT, "header"]) + "?part=body"
    polled = agent_client.get(body_url, headers=HTMX).content.decode()
    assert polled.lstrip().startswith('<div id="header-body"')
    assert "Pending:" in polled
    assert 'hx-trigger="every 2s"' in polled

    sandbox.advance(31)
    settled = agent_client.get(body_url, headers=HTMX).content.decode()
    assert "Now showing: Message frequency: Once a week." in settled
    assert "<dd>Once a week" in settled
    assert "hx-trigger" not in settled
    again = agent_client.get(body_url, headers=HTMX).content.decode()
    assert "Now showing" not in again


def test_a_change_that_does_not_show_within_the_bound_says_so_and_stops_polling(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.GUESTS_PENDING_SECONDS = 0
    sandbox.faults.set_consistency_delay(300)
    post(agent_client, "message_frequency", frequency("ONCE_PER_MONTH"))
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Not showing yet:</strong> Message frequency: Once a month." in html
    assert 'hx-trigger="every' not in html


def test_a_pending_change_shows_on_the_whole_page_too(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.set_consistency_delay(30)
    post(agent_client, "message_frequency", frequency("SNOOZE"), htmx=False)
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Pending:</strong> Message frequency: Snooze for 14 days." in html
    assert "Check now" in html


def test_without_htmx_a_change_redirects_to_the_guest_with_its_outcome(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = post(agent_client, "message_frequency", frequency("SNOOZE"), htmx=False)
    assert response.status_code == 302
    assert response["Location"] == GUEST_URL + "#panel-header"
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Message frequency set to Snooze for 14 days." in html


def test_submitting_the_same_form_twice_changes_upstream_once(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
) -> None:
    first = post(agent_client, "message_frequency", frequency("SNOOZE", key="same"))
    second = post(agent_client, "message_frequency", frequency("SNOOZE", key="same"))
    assert first.status_code == second.status_code == 200
    assert upstream_calls.paths().count("guest/updateMessageFrequency.json") == 1
    assert len(records("messaging.frequency", Kind.INTENT)) == 1
    assert "Message frequency set to Snooze for 14 days." in second.content.decode()


def test_a_change_on_a_cached_guest_reads_nothing_before_its_write(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
) -> None:
    # The cached account has the primary card masked and hashed only: the audit target takes
    # those, so the change costs its write and the fresh reads of the panel it redraws.
    agent_client.get(GUEST_URL)
    upstream_calls.clear()

    post(agent_client, "message_frequency", frequency("SNOOZE"))

    write, *rereads = upstream_calls.paths()
    assert write == "guest/updateMessageFrequency.json"
    # The panel's reads after the write run at once: in either order.
    assert sorted(rereads) == [
        "guest/accountInformationById.json",
        "guest/userInformationByAccountId.json",
    ]
    intent, outcome = records("messaging.frequency")
    assert (intent.card_masked, intent.card_hash) == (
        demo.DEMO_ACTIVE_CARD[-6:],
        card_hash(demo.DEMO_ACTIVE_CARD),
    )
    assert (outcome.card_masked, outcome.card_hash) == (intent.card_masked, intent.card_hash)


def test_a_write_whose_outcome_is_unknown_is_explained_and_watched_for(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    sandbox.faults.error(503, endpoint="guest/updateMessageFrequency", process=True, times=1)
    html = post(agent_client, "message_frequency", frequency("SNOOZE")).content.decode()
    assert "could not confirm whether the change went through" in html
    assert "Now showing: Message frequency: Snooze for 14 days." in html
    assert records("messaging.frequency", Kind.OUTCOME)[0].outcome == Outcome.UNKNOWN


def test_the_form_after_a_success_is_fresh_with_a_new_key_and_the_new_choice(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = post(agent_client, "message_frequency", frequency("SNOOZE", key="used")).content.decode()
    assert 'value="used"' not in html
    assert 'name="frequency-idempotency_key"' in html
    assert re.search(r'value="SNOOZE"[^>]*checked', html)


# -- language and username ------------------------------------------------------------------


def test_changing_the_language_by_name(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "language",
        {
            "language-language_code": "fr-CA",
            "language-reason_text": "Prefers French",
            "language-idempotency_key": "l1",
        },
    ).content.decode()
    assert "Language: French (Canada)." in html
    assert "<dd>French (Canada)</dd>" in html
    assert sandbox.state.user(demo.DEMO_USERNAME).fields["userLanguagePref"] == "fr-CA"
    assert records("language.set", Kind.INTENT)[0].params["languageCode"] == "fr-CA"


def test_an_undocumented_language_is_refused_by_the_form(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = post(
        agent_client,
        "language",
        {
            "language-language_code": "xx-XX",
            "language-reason_text": "r",
            "language-idempotency_key": "l2",
        },
    ).content.decode()
    assert "Select a valid choice." in html


def test_using_the_email_as_username(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "username_migrate",
        {
            "username-email": demo.DEMO_EMAIL,
            "username-reason_text": "Forgot username",
            "username-idempotency_key": "u1",
        },
    ).content.decode()
    assert f"Username: {demo.DEMO_EMAIL}." in html
    assert f'<dd class="untrusted">{demo.DEMO_EMAIL}</dd>' in html
    assert sandbox.state.account(ACCOUNT).username == demo.DEMO_EMAIL
    assert records("username.migrate_email", Kind.OUTCOME)[0].outcome == Outcome.SUCCEEDED


def test_an_email_already_used_as_a_username_is_explained(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    def give_noah_avas_email_as_username(model: Any, moment: Any) -> None:
        noah = model.users.pop(demo.DEMO_OTHER_USERNAME)
        noah.username = demo.DEMO_EMAIL
        model.users[demo.DEMO_EMAIL] = noah

    sandbox.state.write(give_noah_avas_email_as_username)
    html = post(
        agent_client,
        "username_migrate",
        {
            "username-email": demo.DEMO_EMAIL,
            "username-reason_text": "r",
            "username-idempotency_key": "u3",
        },
    ).content.decode()
    assert "Another guest already uses that email address as a username." in html
    assert records("username.migrate_email", Kind.OUTCOME)[0].error_code == (
        "migrate_email.email_in_use"
    )


def test_the_email_shown_must_still_be_the_one_on_file(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "username_migrate",
        {
            "username-email": "old@example.com",
            "username-reason_text": "r",
            "username-idempotency_key": "u2",
        },
    ).content.decode()
    assert "changed since this page was loaded" in html
    assert records("username.migrate_email") == []


# -- referrals -----------------------------------------------------------------------------------


def test_adding_referrals_lists_them(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "referrals_add",
        {
            "referrals-emails": "ana@example.org, ben@example.org",
            "referrals-message": "Join me!",
            "referrals-idempotency_key": "r1",
        },
    ).content.decode()
    assert "2 referrals sent: ana@example.org, ben@example.org." in html
    assert '<span class="untrusted who">ana@example.org</span>' in html
    emails = [r.email for r in sandbox.state.account(ACCOUNT).referrals]
    assert emails[-2:] == ["ana@example.org", "ben@example.org"]
    intent = records("referrals.add", Kind.INTENT)[0]
    assert intent.params["emails"] == [
        identifier_record("ana@example.org"),
        identifier_record("ben@example.org"),
    ]
    assert [e["masked"] for e in intent.params["emails"]] == [
        "a***@example.org",
        "b***@example.org",
    ]
    assert intent.params["alreadyReferred"] == []


def test_a_referral_records_which_emails_were_already_referred(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    earlier = sandbox.state.account(ACCOUNT).referrals[0].email
    post(
        agent_client,
        "referrals_add",
        {
            "referrals-emails": f"{earlier}, new.friend@example.org",
            "referrals-idempotency_key": "ralready",
        },
    )
    intent = records("referrals.add", Kind.INTENT)[0]
    assert intent.params["alreadyReferred"] == [identifier_record(earlier)]


def test_referral_emails_are_checked_before_sending(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "referrals_add",
        {"referrals-emails": "ana@example.org\nnot-an-email", "referrals-idempotency_key": "r2"},
    ).content.decode()
    assert "Not email addresses: not-an-email." in html
    assert records("referrals.add") == []


def test_more_referrals_than_are_left_is_explained(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "referrals_add",
        {
            "referrals-emails": "a@example.org b@example.org c@example.org",
            "referrals-idempotency_key": "r3",
        },
    ).content.decode()
    # The guest has 2 left: said in exact numbers before anything is sent, the text kept.
    assert "You asked for 3 referrals; the guest has 2 left. Remove 1 of the addresses" in html
    assert "no referrals left" not in html
    assert "a@example.org b@example.org c@example.org</textarea>" in html
    assert records("referrals.add") == []
    assert [r.email for r in sandbox.state.account(ACCOUNT).referrals][-1] != "c@example.org"


def test_creating_a_referral_code_shows_the_code_and_link_with_copy_buttons(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = post(
        agent_client, "referral_code_create", {"referral_code-idempotency_key": "c1"}
    ).content.decode()
    assert f'<span id="referral-code" class="mono">{demo.DEMO_REFERRAL_CODE}</span>' in html
    assert 'data-copy="#referral-code"' in html
    assert 'data-copy="#referral-url"' in html
    assert "referralCode=" in html


def test_a_plain_post_creating_a_referral_code_shows_the_code_after_the_redirect(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = post(
        agent_client,
        "referral_code_create",
        {"referral_code-idempotency_key": "c2"},
        htmx=False,
    )
    assert response.status_code in (302, 303)

    html = agent_client.get(response["Location"]).content.decode()

    assert f"Code: {demo.DEMO_REFERRAL_CODE}." in html
    assert "referralCode=" in html


def test_checking_a_referral_code_names_its_referrer(
    sandbox: SandboxController, agent_client: Client
) -> None:
    url = reverse("guests:referral_code_check", args=[ACCOUNT])
    valid = agent_client.get(url, {"referral_check-code": demo.DEMO_REFERRAL_CODE}, headers=HTMX)
    assert 'is valid: it refers to <span class="untrusted">Ava T.</span>' in valid.content.decode()
    invalid = agent_client.get(url, {"referral_check-code": "NOPE1234"}, headers=HTMX)
    assert "That referral code is not valid." in invalid.content.decode()


def test_a_referral_codes_program_is_named_not_numbered(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    url = reverse("guests:referral_code_check", args=[ACCOUNT])
    ask = {"referral_check-code": demo.DEMO_REFERRAL_CODE}
    # The guest's own account names the program of that code.
    code = sandbox.state.account(ACCOUNT).template_code
    name = sandbox.state.live.templates[code].label
    html = agent_client.get(url, ask, headers=HTMX).content.decode()
    assert f"Ava T.</span> ({name})." in html
    assert f"program {code}" not in html
    # Settings name it too, and first.
    settings.GUESTS_PROGRAM_NAMES = {code: "Sandwich Rewards"}
    html = agent_client.get(url, ask, headers=HTMX).content.decode()
    assert "Ava T.</span> (Sandwich Rewards)." in html


def test_upstream_down_during_a_referral_code_check_is_explained_in_the_panel(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/validateReferralCode")
    url = reverse("guests:referral_code_check", args=[ACCOUNT])
    response = agent_client.get(url, {"referral_check-code": demo.DEMO_REFERRAL_CODE}, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="panel-referrals"')
    assert "did not answer in time" in html
    assert "The guest could not be loaded" not in html


# -- visit codes -------------------------------------------------------------------------------


def check_visit_code(client: Client, code: str) -> str:
    return post(client, "visit_code_check", {"visit_check-code": code}).content.decode()


def test_a_visit_code_is_checked_first_showing_what_it_is_then_applied(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    checked = check_visit_code(agent_client, demo.DEMO_VISIT_CODE)
    for text in (
        "<dd>001</dd>",
        "<dd>4821</dd>",
        "<dd>22.50</dd>",
        "May 28, 2025",
        "Apply this visit code",
    ):
        assert text in checked
    assert records("visit_code.apply") == []
    code = re.search(r'name="visit_apply-code" value="([^"]+)"', checked)
    assert code is not None
    assert code.group(1) == "VC100148212250"

    points = sandbox.state.account(ACCOUNT).wallet(POINTS)
    assert points is not None
    points_before = points.balance
    applied = post(
        agent_client,
        "visit_code_apply",
        {
            "visit_apply-code": code.group(1),
            "visit_apply-reason_text": "Receipt shown",
            "visit_apply-idempotency_key": "v1",
        },
    ).content.decode()
    points_after = points.balance
    assert points_after == points_before + 22
    assert f"Visit code applied: Points now {points_after:,}" in applied
    assert "," in f"{points_after:,}"
    assert "Now showing" not in applied
    assert records("visit_code.apply", Kind.OUTCOME)[0].outcome == Outcome.SUCCEEDED


def test_applying_a_visit_code_without_a_reason_keeps_what_the_code_is_in_sight(
    sandbox: SandboxController,
    agent_client: Client,
    records: Records,
    upstream_calls: UpstreamCalls,
) -> None:
    checked = check_visit_code(agent_client, demo.DEMO_VISIT_CODE)
    carried = re.search(r'name="visit_apply-checked" value="([^"]+)"', checked)
    assert carried is not None
    asked = len(upstream_calls.paths())

    refused = post(
        agent_client,
        "visit_code_apply",
        {
            "visit_apply-code": "VC100148212250",
            "visit_apply-checked": carried.group(1),
            "visit_apply-idempotency_key": "v2",
        },
    ).content.decode()

    assert "This field is required." in refused
    # The code's check again, beside the form: what is being applied stays in sight.
    for text in ("<dd>4821</dd>", "<dd>22.50</dd>", "Apply this visit code"):
        assert text in refused
    assert 'name="visit_check-code" value="VC100148212250"' in refused
    assert records("visit_code.apply") == []
    # As the form carried it: refused input asks upstream nothing.
    assert not any("VisitCode" in path for path in upstream_calls.paths()[asked:])

    # A check the console did not sign is not shown.
    forged = post(
        agent_client,
        "visit_code_apply",
        {
            "visit_apply-code": "VC100148212250",
            "visit_apply-checked": carried.group(1)[:-2] + "xx",
            "visit_apply-idempotency_key": "v3",
        },
    ).content.decode()
    assert "<dd>4821</dd>" not in forged
    assert "This field is required." in forged

    # Nor one made for another account, or another code.
    other = sandbox.state.card(demo.DEMO_COMBINABLE_PAIR[0]).account_id
    elsewhere = agent_client.post(
        reverse("guests:visit_code_apply", args=[other]),
        {
            "visit_apply-code": "VC100148212250",
            "visit_apply-checked": carried.group(1),
            "visit_apply-idempotency_key": "v4",
        },
        headers=HTMX,
    ).content.decode()
    assert "<dd>4821</dd>" not in elsewhere
    another_code = post(
        agent_client,
        "visit_code_apply",
        {
            "visit_apply-code": "VC100277301845",
            "visit_apply-checked": carried.group(1),
            "visit_apply-idempotency_key": "v5",
        },
    ).content.decode()
    assert "<dd>4821</dd>" not in another_code


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        (demo.DEMO_USED_VISIT_CODE, "That visit code has already been used."),
        (demo.DEMO_EXPIRED_VISIT_CODE, "That visit code has expired."),
        ("VC-0000-0000-0000", "We do not recognise that visit code."),
    ],
)
def test_a_visit_code_that_cannot_be_used_is_explained(
    sandbox: SandboxController, agent_client: Client, code: str, sentence: str
) -> None:
    html = check_visit_code(agent_client, code)
    assert sentence in html
    assert "Apply this visit code" not in html


def test_an_invalid_visit_code_still_shows_what_it_was(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = check_visit_code(agent_client, demo.DEMO_USED_VISIT_CODE)
    assert "<dd>7730</dd>" in html
    assert "<dd>18.45</dd>" in html


def test_a_visit_code_on_a_suspended_account_is_explained(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_SUSPENDED_ACCOUNT_CARD).account_id
    html = agent_client.post(
        reverse("guests:visit_code_check", args=[account_id]),
        {"visit_check-code": demo.DEMO_VISIT_CODE},
        headers=HTMX,
    ).content.decode()
    assert "This account is not in a state that can be used right now." in html


# -- account notes -------------------------------------------------------------------------------


def test_adding_a_note_signs_it_with_the_staff_username(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    html = post(
        agent_client,
        "note_add",
        {"note-note": "Called about the missing visit.", "note-idempotency_key": "n1"},
    ).content.decode()
    assert "Note added." in html
    assert "Called about the missing visit." in html
    comment = sandbox.state.account(ACCOUNT).comments[-1]
    assert (comment.comment, comment.author) == ("Called about the missing visit.", "alice.agent")
    assert records("account_note.add", Kind.INTENT)[0].params["author"] == "alice.agent"


def test_a_note_must_be_under_500_characters(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    typed = "x" * 250 + " " + "y" * 250
    html = post(
        agent_client, "note_add", {"note-note": typed, "note-idempotency_key": "n2"}
    ).content.decode()
    assert "The note is 501 characters; the limit is 499. Shorten it by 2 characters" in html
    # Refused, never cut: every character is still in the box, and the box has no maxlength
    # (a browser would cut a pasted note silently); the counter reads data-limit.
    assert f">\n{typed}</textarea>" in html
    assert "maxlength" not in html
    assert 'data-limit="499"' in html
    assert records("account_note.add") == []


def test_a_note_sent_twice_with_the_same_form_is_added_once(
    sandbox: SandboxController, agent_client: Client
) -> None:
    data = {"note-note": "Only once.", "note-idempotency_key": "n3"}
    post(agent_client, "note_add", data)
    post(agent_client, "note_add", data)
    notes = [c.comment for c in sandbox.state.account(ACCOUNT).comments]
    assert notes.count("Only once.") == 1


def test_a_change_whose_outcome_is_unknown_keeps_the_form_as_sent(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="csr/addAccountComment", times=1)
    html = post(
        agent_client, "note_add", {"note-note": "Keep me", "note-idempotency_key": "n4"}
    ).content.decode()
    assert "could not confirm whether the change went through" in html
    assert "Keep me</textarea>" in html
    assert 'value="n4"' in html


def note_that_did_not_go_through(
    sandbox: SandboxController, client: Client, records: Records, text: str, key: str
) -> None:
    """A note whose reply was lost (a 503), which the audit log has since settled as failed."""
    sandbox.faults.error(503, endpoint="csr/addAccountComment", times=1)
    post(client, "note_add", {"note-note": text, "note-idempotency_key": key})
    (intent,) = records("account_note.add", Kind.INTENT)
    outcome_record(intent=intent, outcome=Outcome.FAILED, error_message="no such note")


def test_a_change_settled_as_failed_after_all_is_said_to_have_not_gone_through(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    agent: User,
    records: Records,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Kept longer than it is said, so that what ends the saying is its age, not the cache's.
    monkeypatch.setattr("guests.pending._REMEMBER_SECONDS", 2 * 60 * 60)
    # The note's reply is lost and upstream never adds it: pending, then not showing...
    settings.GUESTS_PENDING_SECONDS = 0
    sandbox.faults.error(503, endpoint="csr/addAccountComment", times=1)
    post(agent_client, "note_add", {"note-note": "Lost one", "note-idempotency_key": "n5"})
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Not showing yet:</strong> Note by alice.agent" in html

    # ... until the reconciler reads upstream back and settles it as failed.
    (intent,) = records("account_note.add", Kind.INTENT)
    outcome_record(intent=intent, outcome=Outcome.FAILED, error_message="no such note")
    html = agent_client.get(GUEST_URL).content.decode()

    notes = html[html.index('id="panel-notes"') :]
    assert "Did not go through:</strong> Note by alice.agent" in notes
    assert "Not showing yet" not in html
    summary = html[html.index("Pending changes") : html.index("Open approvals")]
    assert "did not go through" in summary
    # Said to whoever opens the guest next too (not used up by the first page), for a while.
    html = supervisor_client.get(GUEST_URL).content.decode()
    assert "Did not go through:</strong> Note by alice.agent" in html
    later = time.time() + 31 * 60
    with time_machine.travel(later, tick=False):
        # Signed in again: an idle session ends before that.
        agent_client.force_login(agent)
        response = agent_client.get(GUEST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pending changes" in html
    assert "Did not go through" not in html
    assert "Lost one" not in html


def test_a_change_that_did_not_go_through_is_said_so_until_it_is_made_again(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    note_that_did_not_go_through(sandbox, agent_client, records, "Lost three", "n7")
    notes_url = reverse("guests:panel", args=[ACCOUNT, "notes"]) + "?part=body"
    first = agent_client.get(notes_url, headers=HTMX)
    assert "guestChanged" in first.get("HX-Trigger", "")
    # Found failed once: a later poll says it again without having the summary redrawn.
    again = agent_client.get(notes_url, headers=HTMX)
    assert "Did not go through" in again.content.decode()
    assert "guestChanged" not in again.get("HX-Trigger", "")

    post(agent_client, "note_add", {"note-note": "Lost three", "note-idempotency_key": "n8"})
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Did not go through" not in html


def test_a_panel_poll_that_finds_a_change_failed_has_the_summary_drawn_again(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    note_that_did_not_go_through(sandbox, agent_client, records, "Lost two", "n6")

    poll = agent_client.get(
        reverse("guests:panel", args=[ACCOUNT, "notes"]) + "?part=body", headers=HTMX
    )

    assert "Did not go through" in poll.content.decode()
    assert "guestChanged" in poll.get("HX-Trigger", "")


def test_changes_need_their_permission(sandbox: SandboxController, auditor_client: Client) -> None:
    assert post(auditor_client, "note_add", {"note-note": "x"}).status_code == 403
    assert post(auditor_client, "referrals_add", {"referrals-emails": "a@b.co"}).status_code == 403


def test_a_change_cannot_be_made_with_a_get(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = agent_client.get(reverse("guests:note_add", args=[ACCOUNT]))
    assert response.status_code == 405


def test_upstream_down_during_a_visit_code_check_is_explained_in_the_panel(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/validateVisitCode")
    html = check_visit_code(agent_client, demo.DEMO_VISIT_CODE)
    assert html.lstrip().startswith('<section id="panel-wallets"')
    assert "did not answer in time" in html
    assert "The guest could not be loaded" not in html
    assert "Apply this visit code" not in html


def test_a_change_whose_panel_cannot_be_read_again_still_says_it_was_made(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from portal.sandbox.endpoints.registry import ENDPOINTS

    found = ENDPOINTS["guest/updateMessageFrequency"]

    def then_upstream_goes_down(request: Any) -> Any:
        reply = found.handler(request)
        sandbox.faults.error(503, endpoint="guest/accountInformationById")
        cache.clear()
        return reply

    monkeypatch.setitem(
        ENDPOINTS, "guest/updateMessageFrequency", replace(found, handler=then_upstream_goes_down)
    )
    response = post(agent_client, "message_frequency", frequency("SNOOZE"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="panel-header"')
    assert "Message frequency set to Snooze for 14 days" in html
    assert "Do not make the change again." in html
    assert "The panel could not be shown again." in html
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "SNOOZE"


def test_a_referral_message_over_the_limit_is_refused_not_cut(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    message = "m" * 505
    html = post(
        agent_client,
        "referrals_add",
        {
            "referrals-emails": "ana@example.org",
            "referrals-message": message,
            "referrals-idempotency_key": "rm1",
        },
    ).content.decode()
    assert "The message is 505 characters; the limit is 500. Shorten it by 5 characters" in html
    box = re.search(r'<textarea name="referrals-message"[^>]*>', html)
    assert box is not None
    assert "maxlength" not in box.group(0)
    assert 'data-limit="500"' in box.group(0)
    assert f">\n{message}</textarea>" in html
    assert records("referrals.add") == []


def test_the_summary_says_a_change_failed_without_asking_to_be_drawn_again(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    # A summary that marked itself stale would reload itself for as long as the change is said.
    note_that_did_not_go_through(sandbox, agent_client, records, "Lost four", "n9")

    summary = agent_client.get(reverse("guests:panel", args=[ACCOUNT, "summary"]), headers=HTMX)

    assert "did not go through" in summary.content.decode()
    assert "HX-Trigger" not in summary
