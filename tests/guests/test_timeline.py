"""The guest's timeline: transactions, notes, referrals and the console's changes, in one list."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from guests.selectors.timeline import Entry
from portal.audit.models import AuditRecord, Kind
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
TIMELINE_URL = reverse("guests:timeline", args=[ACCOUNT])


def add_note(client: Client, text: str, key: str) -> None:
    response = client.post(
        reverse("guests:note_add", args=[ACCOUNT]),
        {"note-note": text, "note-idempotency_key": key},
        headers=HTMX,
    )
    assert response.status_code == 200


def kinds_in_order(html: str) -> list[str]:
    return re.findall(r'<li class="entry entry-(\w+)">', html)


def test_the_timeline_puts_transactions_notes_and_console_changes_in_one_newest_first_list(
    sandbox: SandboxController, agent_client: Client, supervisor_client: Client
) -> None:
    add_note(agent_client, "Guest called about the timeline.", "t1")
    html = supervisor_client.get(TIMELINE_URL).content.decode()

    assert "Timeline of Ava Thompson" in html
    # The change made a moment ago and the note it added lead the list (the same moment).
    kinds = kinds_in_order(html)
    assert "change" in kinds[:2]
    assert {"transaction", "note", "change"} <= set(kinds)
    intent = AuditRecord.objects.get(action="account_note.add", kind=Kind.INTENT)
    first = html[html.index('<li class="entry entry-change">') :]
    first = first[: first.index("</li>")]
    assert "alice.agent" in first
    assert "Succeeded" in first
    assert f'href="{reverse("audit:detail", args=[intent.pk])}"' in first
    assert (
        f'href="{reverse("guests:guest", args=[ACCOUNT])}#panel-notes">See it on the guest page'
        in first
    )
    # Transactions carry their wallet changes and a link to their comments.
    assert "Point Adjustment" in html
    assert "Points +25" in html
    assert (
        reverse("guests:transaction_comments", args=[ACCOUNT, demo.DEMO_ANNOTATED_TRANSACTION_ID])
        in html
    )
    # The seeded notes, and the referrals (undated upstream) beside the list.
    assert "Offered 25 bonus points for the wait." in html
    assert "Paytronix gives them no dates" in html
    assert "maya.friend@example.net" in html
    # Newest first throughout.
    dates = [
        datetime.strptime(f"{text} +0000", "%b %d, %Y %z")
        for text in re.findall(r'<div class="entry-when nowrap">(\w{3} \d{1,2}, \d{4})', html)
    ]
    assert len(dates) > 100
    assert dates == sorted(dates, reverse=True)
    # Each time names its zone (the console's, UTC in the tests).
    times = re.findall(
        r'<div class="entry-when nowrap">[^<]+<div class="muted">([^<]+)</div>', html
    )
    assert len(times) == len(dates)
    assert all(re.fullmatch(r"\d{1,2}:\d\d [AP]M UTC", text) for text in times)


def test_the_timeline_filters_by_kind_and_date_from_the_address(
    sandbox: SandboxController, agent_client: Client
) -> None:
    add_note(agent_client, "Only changes please.", "t2")
    changes = agent_client.get(TIMELINE_URL, {"kinds": "change"}).content.decode()
    assert set(kinds_in_order(changes)) == {"change"}
    assert "Paytronix gives them no dates" not in changes
    # An agent reads who and why, without the audit log's record link (a supervisor's right).
    assert "alice.agent" in changes
    assert "Audit record" not in changes

    march = agent_client.get(
        TIMELINE_URL, {"kinds": "transaction", "date_start": "2019-03-01", "date_end": "2019-03-31"}
    ).content.decode()
    assert kinds_in_order(march) == ["transaction"] * 3
    assert "Showing everything since" not in march

    # htmx asks for the list only; the same URL, pushed, shows the whole page on reload.
    fragment = agent_client.get(TIMELINE_URL, {"kinds": "change"}, headers=HTMX)
    assert fragment.content.decode().lstrip().startswith('<section id="timeline-body"')


def test_a_long_history_shows_only_the_span_the_transactions_read_cover(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = agent_client.get(TIMELINE_URL).content.decode()
    # The showcase account has 420 transactions: the newest 100 are read, and nothing older
    # than the oldest of them is listed (the list would have a hole).
    # Says how to see them: an earlier "To" (not "narrow the dates", as it said).
    assert "older transactions exist. To see them, set “To” to" in html
    assert kinds_in_order(html).count("transaction") == 100


def test_the_timeline_is_gated_like_the_guest_page(
    sandbox: SandboxController, store_manager_client: Client, auditor_client: Client
) -> None:
    other = sandbox.state.card(demo.DEMO_OTHER_STORE_GROUP_CARD).account_id
    outside = store_manager_client.get(reverse("guests:timeline", args=[other]))
    assert outside.status_code == 404
    assert b"Ava" not in outside.content
    assert auditor_client.get(TIMELINE_URL).status_code == 403


def test_a_refused_change_says_why_in_the_consoles_words_not_upstreams(
    sandbox: SandboxController, agent_client: Client, supervisor_client: Client
) -> None:
    # Seen in a walkthrough: the timeline showed upstream's "Card has been exchanged" where the
    # guest page and the job page said "replaced by another card".
    card = demo.DEMO_EXCHANGED_CARD
    account = sandbox.state.account_for_card(card).account_id
    response = agent_client.post(
        reverse("cards:disable_submit", args=[account, card[-6:]]),
        {"idempotency_key": "x1", "reason_code": "lost", "reason_text": ""},
    )
    assert response.status_code == 200

    html = supervisor_client.get(reverse("guests:timeline", args=[account])).content.decode()
    change = html[html.index('<li class="entry entry-change">') :]
    change = change[: change.index("</li>")]

    assert "Failed" in change
    # Which card (seen in a walkthrough: the entry never said).
    assert '(ending <span class="mono">000013</span>)' in change
    assert "This card was replaced by another card and cannot be changed." in change
    assert "Card has been exchanged" not in change
    # Made from the guest page: nothing says otherwise.
    assert "Made " not in change


@pytest.mark.parametrize(
    ("fault", "said", "not_said"),
    [
        # The reply lost (a 503 after sending): not known.
        (
            {"status": 503},
            "Not confirmed: the loyalty system did not answer, so whether it went through is "
            "being checked (the audit log settles it).",
            "HTTP 503",
        ),
        # Refused before it was read (the console's credentials): failed, said as the form
        # said it.
        (
            {"status": 401},
            "The portal cannot sign in to the loyalty system. Please tell your administrator.",
            "HTTP 401",
        ),
    ],
)
def test_a_change_that_was_not_answered_says_so_in_the_consoles_words(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    fault: dict[str, int],
    said: str,
    not_said: str,
) -> None:
    # Seen in a walkthrough: "guest/changeCardStatus.json: HTTP 500 from Paytronix..." on the
    # guest's timeline.
    sandbox.faults.error(fault["status"], endpoint="guest/changeCardStatus", times=1)
    agent_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, demo.DEMO_ACTIVE_CARD[-6:]]),
        {"idempotency_key": "nf1", "reason_code": "lost", "reason_text": ""},
    )

    html = supervisor_client.get(TIMELINE_URL).content.decode()
    change = html[html.index('<li class="entry entry-change">') :]
    change = change[: change.index("</li>")]

    assert said in change
    assert not_said not in change
    assert "Paytronix" not in change


@pytest.mark.parametrize(
    ("job_id", "params", "via"),
    [
        (None, {}, ""),
        (12, {}, "by job #12"),
        (
            None,
            {"approval_request": 7, "requested_by": "alice.agent"},
            "once request #7 was approved",
        ),
    ],
)
def test_a_change_made_by_a_job_or_after_an_approval_says_so(
    job_id: int | None, params: dict[str, object], via: str
) -> None:
    record = AuditRecord(action="card.disable", kind=Kind.INTENT, job_id=job_id, params=params)
    assert Entry(kind="change", when=None, change=record).change_via == via


@pytest.mark.parametrize(
    ("code", "text", "said"),
    [
        ("other", "Guest asked by email", "Guest asked by email"),
        ("lost", "", "Lost"),
        ("lost", "At the airport", "Lost; At the airport"),
    ],
)
def test_a_changes_reason_is_its_label_and_text_but_other_is_its_text_alone(
    code: str, text: str, said: str
) -> None:
    # "Other (say why)" is the form's prompt: the timeline said "Other (say why); Guest asked".
    record = AuditRecord(
        action="card.disable", kind=Kind.INTENT, reason_code=code, reason_text=text
    )
    assert Entry(kind="change", when=None, change=record).change_reason == said


def test_a_request_for_approval_says_what_it_asks_and_that_it_was_sent_not_that_it_succeeded() -> (
    None
):
    # Seen in a walkthrough: "Ask for approval by agent: Succeeded", while it still waited.
    record = AuditRecord(
        action="approval.request",
        kind=Kind.INTENT,
        params={"action": "wallet.adjust", "summary": "Add $5,000.00 to Stored Value"},
    )
    outcome = AuditRecord(action="approval.request", kind=Kind.OUTCOME, outcome="succeeded")
    entry = Entry(kind="change", when=None, change=record, outcome=outcome)
    assert entry.change_summary == "Add $5,000.00 to Stored Value"
    assert entry.change_outcome == "Sent for approval"
    disable = AuditRecord(action="card.disable", kind=Kind.INTENT, params={"summary": "x"})
    done = Entry(kind="change", when=None, change=disable, outcome=outcome)
    assert (done.change_summary, done.change_outcome) == ("", "Succeeded")


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("approval.reject", "Rejected"),
        ("approval.approve", "Approved"),
        ("approval.withdraw", "Withdrawn"),
    ],
)
def test_a_decision_on_a_request_says_what_was_decided_on_which_request(
    action: str, said: str
) -> None:
    # Seen in a walkthrough: "Reject a request: Succeeded", "Made approved in request #3".
    record = AuditRecord(
        action=action,
        kind=Kind.INTENT,
        params={"approval_request": 3, "action": "wallet.adjust"},
    )
    outcome = AuditRecord(action=action, kind=Kind.OUTCOME, outcome="succeeded")
    entry = Entry(kind="change", when=None, change=record, outcome=outcome)
    assert (entry.change_outcome, entry.change_via) == (said, "")
    assert entry.change_outcome_code == said.lower()  # a rejection is not coloured a success
    assert entry.decided_request == "request #3 to adjust a wallet"
    refused = AuditRecord(action=action, kind=Kind.OUTCOME, outcome="failed")
    assert Entry(kind="change", when=None, change=record, outcome=refused).change_outcome == (
        "Failed"
    )
    plain = AuditRecord(action="card.disable", kind=Kind.INTENT, params={"approval_request": 3})
    assert Entry(kind="change", when=None, change=plain).decided_request == ""


def test_a_combine_upstream_suspended_says_so_not_failed() -> None:
    record = AuditRecord(action="cards.combine", kind=Kind.INTENT, params={})
    suspended = AuditRecord(
        action="cards.combine",
        kind=Kind.OUTCOME,
        outcome="failed",
        upstream_result="accountSuspended",
    )
    failed = AuditRecord(action="cards.combine", kind=Kind.OUTCOME, outcome="failed")
    entry = Entry(kind="change", when=None, change=record, outcome=suspended)
    assert (entry.change_outcome, entry.change_outcome_code) == ("Account suspended", "suspended")
    plain = Entry(kind="change", when=None, change=record, outcome=failed)
    assert (plain.change_outcome, plain.change_outcome_code) == ("Failed", "failed")


@pytest.mark.parametrize(
    ("action", "params", "shown"),
    [
        ("card.disable", {}, "000013"),
        ("cards.attach_and_combine", {}, "000013"),
        # An attach is sent by the guest's card (000013): it acts on the other one.
        ("card.attach", {"otherPrintedCardNumber": {"masked": "000031", "hash": "h"}}, "000031"),
        (
            "cards.attach_and_combine",
            {"otherPrintedCardNumber": {"masked": "000031", "hash": "h"}},
            "000031",
        ),
        ("wallet.adjust", {}, ""),
        ("approval.request", {"action": "wallet.adjust"}, ""),
        ("approval.request", {"action": "cards.combine"}, "000013"),
    ],
)
def test_a_change_names_its_card_only_when_it_acted_on_a_card(
    action: str, params: dict[str, object], shown: str
) -> None:
    record = AuditRecord(action=action, kind=Kind.INTENT, card_masked="000013", params=params)
    assert Entry(kind="change", when=None, change=record).change_card == shown
