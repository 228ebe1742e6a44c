"""A leak scan of the audit log for a guest's personal data.

Every change a CSR makes about a guest is driven through the console against the sandbox: the
details and an address edited, a note naming the guest's address and phone, friends referred by
email with a message, the email made the username (the email-as-username migration), the
referral code created (its reply names the guest), a password reset, a card attached with its
owner's username. Then each audit record (every text field, its parameters and upstream's
reply) and the audit CSV export are searched for the guest's and the friends' addresses, phone
numbers, names and usernames, in full.

What it proves: the append-only log keeps masked values and keyed hashes, never the personal
data a privacy deletion removes (DESIGN.md "Personal data in the audit log").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.personal import identifier_record
from portal.jobs.models import Job
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.proof.test_leak_scan import _second_step

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
FRIENDS = ("maria.lopez@example.org", "tom.okafor@example.net")
NEW_EMAIL = "ava.t.home@example.org"
NEW_PHONE = "(617) 555-0177"
NEW_LAST_NAME = "Whitcombe"
STREET = "14 Larkspur Lane"
#: The actions this scan drives; each must have left an intent.
ACTIONS = (
    "guest.edit",
    "guest.address_add",
    "account_note.add",
    "referrals.add",
    "username.migrate_email",
    "referrals.create_code",
    "guest.password_reset",
    "card.attach",
    "messaging.frequency",
)


def _guest_url(name: str) -> str:
    return reverse(f"guests:{name}", args=[ACCOUNT])


def _personal_data(sandbox: SandboxController) -> dict[str, re.Pattern[str]]:
    """What must not rest in the log, each as a pattern (case ignored; a phone number in any
    of the ways it is written)."""
    fields = sandbox.state.user(demo.DEMO_USERNAME).fields

    def phone(number: str) -> re.Pattern[str]:
        digits = re.sub(r"\D", "", number)[-10:]
        spaced = r"[\s().-]*".join(digits)
        return re.compile(rf"(?<!\d){spaced}(?!\d)")

    def word(text: str) -> re.Pattern[str]:
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", re.IGNORECASE)

    found = {
        "the guest's email": word(demo.DEMO_EMAIL),
        "the guest's new email": word(NEW_EMAIL),
        "the guest's username": word(demo.DEMO_USERNAME),
        "the guest's last name": word(demo.DEMO_LAST_NAME),
        "the guest's new last name": word(NEW_LAST_NAME),
        "the guest's street": word(STREET),
        "the guest's phone": phone(demo.DEMO_PHONE),
        "the guest's new phone": phone(NEW_PHONE),
        "the guest's postal code": word(str(fields["postalCode"])),
        "the other card owner's username": word(demo.DEMO_OTHER_USERNAME),
    }
    for n, friend in enumerate(FRIENDS):
        found[f"friend {n + 1}'s email"] = word(friend)
    return found


def _details(on_file: dict[str, Any]) -> dict[str, str]:
    return {
        "details-firstName": demo.DEMO_FIRST_NAME,
        "details-lastName": NEW_LAST_NAME,
        "details-email": NEW_EMAIL,
        "details-phone": NEW_PHONE,
        "details-mobilePhone": str(on_file["mobilePhone"] or ""),
        "details-dateOfBirth": str(on_file["dateOfBirth"] or ""),
        "details-postalCode": str(on_file["postalCode"] or ""),
        "details-optIn": "on",
        "details-custom1": "",
        "details-anniversaryDate": "",
        "details-reason_text": "Guest moved and married",
        "details-idempotency_key": "p-details",
    }


def _changes(sandbox: SandboxController, agent: Client) -> None:
    """Each guest change, as a CSR makes it; each must succeed."""
    on_file = dict(sandbox.state.user(demo.DEMO_USERNAME).fields)
    note = f"Guest asked to be called back on {demo.DEMO_PHONE} or at {demo.DEMO_EMAIL}"
    posts: list[tuple[str, dict[str, str]]] = [
        (
            "note_add",
            {"note-note": note, "note-idempotency_key": "p-note"},
        ),
        (
            "referrals_add",
            {
                "referrals-emails": ", ".join(FRIENDS),
                "referrals-message": f"Join me! Text me on {demo.DEMO_PHONE}.",
                "referrals-idempotency_key": "p-referrals",
            },
        ),
        (
            "username_migrate",
            {
                "username-email": demo.DEMO_EMAIL,
                "username-reason_text": "Forgot username",
                "username-idempotency_key": "p-username",
            },
        ),
        ("referral_code_create", {"referral_code-idempotency_key": "p-code"}),
        (
            "message_frequency",
            {
                "frequency-preference": "SNOOZE",
                "frequency-reason_text": "Too many emails",
                "frequency-idempotency_key": "p-frequency",
            },
        ),
        (
            "password_reset_submit",
            {
                "password_reset-reason_code": "forgot_password",
                "password_reset-idempotency_key": "p-reset",
            },
        ),
    ]
    for name, data in posts:
        assert agent.post(_guest_url(name), data).status_code in (200, 302, 303), name
    # The details last of the profile: the migration above checks the email on file.
    assert agent.post(_guest_url("details_submit"), _details(on_file)).status_code == 303
    address = {
        "address-label": "Home",
        "address-address1": STREET,
        "address-city": "Somerville",
        "address-postal_code": "02143",
        "address-country": "us",
        "address-reason_text": "Guest moved",
        "address-idempotency_key": "p-address",
    }
    assert agent.post(_guest_url("address_add"), address).status_code == 303

    attach = reverse("cards:attach_submit", args=[ACCOUNT])
    first = agent.post(
        attach,
        {
            "reason_text": "Guest request",
            "idempotency_key": "p-attach",
            "other_card_number": demo.DEMO_CARD_OWNED_BY_OTHER_USER,
        },
    )
    done = _second_step(
        agent,
        attach,
        first,
        other_username=demo.DEMO_OTHER_USERNAME,
        other_password=demo.DEMO_OTHER_PASSWORD,
    )
    assert done.status_code == 303


@pytest.fixture
def scanned(
    sandbox: SandboxController,
    agent_client: Client,
    auditor_client: Client,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
    figures: Callable[..., None],
) -> dict[str, list[str]]:
    """The guest changes, then the audit log and its export searched: what leaked where."""
    settings.JOBS_FILES_DIR = tmp_path
    personal = _personal_data(sandbox)
    _changes(sandbox, agent_client)
    intents = AuditRecord.objects.filter(kind=Kind.INTENT, action__in=ACTIONS)
    outcomes = AuditRecord.objects.filter(intent__in=intents)
    assert sorted(set(intents.values_list("action", flat=True))) == sorted(ACTIONS)
    # The attach asks for the owner's credentials first (needs_more_info), then succeeds.
    assert set(outcomes.values_list("outcome", flat=True)) == {
        Outcome.SUCCEEDED,
        Outcome.NEEDS_MORE_INFO,
    }

    with django_capture_on_commit_callbacks(execute=True):
        auditor_client.post(reverse("audit:export"), {"idempotency_key": "p-export"})
    job = Job.objects.get(kind="audit.export")
    exported = auditor_client.get(reverse("jobs:file", args=[job.pk])).getvalue().decode()

    leaks: dict[str, list[str]] = {}
    records = list(AuditRecord.objects.order_by("seq"))
    for record in records:
        # Every field, as the database holds it (params and upstream's reply as JSON text).
        text = serializers.serialize("json", [record])
        if hits := [what for what, pattern in personal.items() if pattern.search(text)]:
            leaks[f"record #{record.seq} {record.action} ({record.kind})"] = hits
    if hits := [what for what, pattern in personal.items() if pattern.search(exported)]:
        leaks["audit export"] = hits
    figures(
        "personal data in the audit log after the guest changes",
        actions_driven=len(ACTIONS),
        audit_records=len(records),
        export_rows=exported.count("\n") - 1,
        values_searched=len(personal),
        leaks={sink: len(hits) for sink, hits in leaks.items()},
    )
    return leaks


def test_after_the_guest_changes_no_full_personal_data_rests_in_the_audit_log_or_its_export(
    scanned: dict[str, list[str]],
) -> None:
    assert scanned == {}


def test_the_records_keep_masked_values_and_keyed_hashes_in_their_place(
    sandbox: SandboxController, agent_client: Client, supervisor_client: Client
) -> None:
    _changes(sandbox, agent_client)

    def intent(action: str) -> AuditRecord:
        found = AuditRecord.objects.filter(kind=Kind.INTENT, action=action).order_by("seq")
        return found.reverse().first() or pytest.fail(f"no intent of {action}")

    migrate = intent("username.migrate_email").params
    assert migrate["email"] == identifier_record(demo.DEMO_EMAIL)
    assert migrate["email"]["masked"] == "a***@example.com"
    assert migrate["username"]["masked"] == "a***"
    referrals = intent("referrals.add").params
    assert [e["masked"] for e in referrals["emails"]] == ["m***@example.org", "t***@example.net"]
    assert referrals["message"] == "Join me! Text me on ***0142."
    note = intent("account_note.add").params
    assert note["comment"] == "Guest asked to be called back on ***0142 or at a***@example.com"
    assert intent("card.attach").params["otherUsername"] == "n***"
    assert "accountId" in intent("messaging.frequency").params
    code_reply = intent("referrals.create_code").outcomes.get().upstream_detail
    assert code_reply["code"] == demo.DEMO_REFERRAL_CODE
    assert code_reply["name"] in ("A***", None)
    # Searching the log by the guest's account still finds every change made about them, and
    # shows the masked values in words.
    page = supervisor_client.get(
        reverse("audit:list"), {"account_id": str(ACCOUNT), "action": "username.migrate_email"}
    )
    assert [e.record.action for e in page.context["page"].entries] == ["username.migrate_email"]
    html = page.content.decode()
    assert '<span class="muted">Email:</span> a***@example.com' in html
    assert "card ending a***" not in html
    assert demo.DEMO_EMAIL not in html
    assert set(
        AuditRecord.objects.filter(kind=Kind.INTENT, account_id=ACCOUNT).values_list(
            "action", flat=True
        )
    ) >= set(ACTIONS)
