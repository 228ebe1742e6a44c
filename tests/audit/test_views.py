"""The audit screens: filters, keyset pages, a change's intent and outcome, the CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.audit.chain import chain_append
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.scrub import card_hash
from portal.audit.types import MutationResult
from portal.jobs.models import Job, JobStatus
from portal.staff.models import User
from tests.audit.conftest import ACCOUNT, CARD

pytestmark = pytest.mark.django_db


def _record(**fields: Any) -> AuditRecord:
    defaults = {"kind": Kind.EVENT, "action": "card.disable", "outcome": Outcome.SUCCEEDED}
    return chain_append(**{**defaults, **fields})


def _listed(response: Any) -> list[int]:
    return [record.pk for record in response.context["page"].records]


def test_the_log_is_for_auditors_and_supervisors_only(
    agent_client: Client,
    store_manager_client: Client,
    auditor_client: Client,
    supervisor_client: Client,
) -> None:
    assert agent_client.get(reverse("audit:list")).status_code == 403
    assert store_manager_client.get(reverse("audit:list")).status_code == 403
    assert auditor_client.get(reverse("audit:list")).status_code == 200
    assert supervisor_client.get(reverse("audit:list")).status_code == 200


def test_the_log_lists_newest_first(auditor_client: Client) -> None:
    first, second = _record(), _record()

    response = auditor_client.get(reverse("audit:list"), {"action": "card.disable"})

    assert _listed(response) == [second.pk, first.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"username": "bob"}, ["bob-disable"]),
        ({"action": "card.enable"}, ["enable"]),
        ({"outcome": "failed"}, ["failed"]),
        ({"account_id": "777"}, ["account-777"]),
    ],
)
def test_the_log_filters(
    auditor_client: Client, query: dict[str, str], expected: list[str]
) -> None:
    _record(action="card.disable", actor_username="bob", params={"tag": "bob-disable"})
    _record(action="card.enable", params={"tag": "enable"})
    _record(action="card.disable", outcome=Outcome.FAILED, params={"tag": "failed"})
    _record(action="card.disable", account_id=777, params={"tag": "account-777"})

    response = auditor_client.get(reverse("audit:list"), query)

    assert [r.params["tag"] for r in response.context["page"].records] == expected


def test_the_log_filters_by_time_range(auditor_client: Client) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        old = _record()
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        recent = _record()
    since = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    until = (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")

    response = auditor_client.get(
        reverse("audit:list"), {"action": "card.disable", "since": since, "until": until}
    )

    assert _listed(response) == [recent.pk]
    assert old.pk not in _listed(response)


def test_a_time_range_the_list_wrote_in_full_is_shown_in_the_boxes_and_kept(
    auditor_client: Client,
) -> None:
    # Seen in a walkthrough: after filtering, the URL held since=2026-11-30T10:30:00+00:00, a
    # value a datetime-local box does not take, so both boxes came back blank and the next
    # filter dropped the range.
    posted = auditor_client.post(
        reverse("audit:search"),
        {"since": "2026-11-30T10:30", "until": "2026-11-30T10:35", "username": "agent"},
    )
    assert posted.status_code == 302
    assert "since=2026-11-30T10%3A30%3A00%2B00%3A00" in posted["Location"]

    page = auditor_client.get(posted["Location"]).content.decode()

    assert 'type="datetime-local" name="since" value="2026-11-30T10:30"' in page
    assert 'type="datetime-local" name="until" value="2026-11-30T10:35"' in page
    typed = auditor_client.get(reverse("audit:list"), {"since": "yesterday"}).content.decode()
    assert 'name="since" value="yesterday"' in typed


def test_a_reason_code_is_listed_by_its_label(auditor_client: Client) -> None:
    # Seen in a walkthrough: the Reason column showed "lost" and "other · bulk test".
    from portal.audit.actions import action_get

    labels = action_get("card.disable").reason_code_labels
    _record(reason_code="lost")
    _record(reason_code="other", reason_text="bulk test")
    _record(action="no.such.action", reason_code="lost")

    html = auditor_client.get(reverse("audit:list")).content.decode()

    assert f'data-label="Reason">{labels["lost"]}</td>' in html
    # "Other (say why)" is the form's prompt: its words alone are the reason.
    assert labels["other"] == "Other (say why)"
    assert 'data-label="Reason">bulk test</td>' in html
    # An action no longer registered keeps its code as recorded.
    assert 'data-label="Reason">lost</td>' in html


def test_a_request_for_approval_says_its_reason_by_the_requested_actions_label(
    auditor_client: Client,
) -> None:
    # Seen in a walkthrough: the timeline's "Ask for approval … Why: goodwill".
    from portal.audit.actions import action_get

    goodwill = action_get("wallet.adjust").reason_code_labels["goodwill"]
    asked = _record(
        action="approval.request", reason_code="goodwill", params={"action": "wallet.adjust"}
    )

    assert asked.reason_display == goodwill
    html = auditor_client.get(reverse("audit:list")).content.decode()
    assert f'data-label="Reason">{goodwill}</td>' in html


def test_a_jobs_ending_is_said_in_its_own_words_not_as_a_plain_failure(
    auditor_client: Client,
) -> None:
    # Seen in a walkthrough: a bulk job that changed 4,990 of 5,000 cards read "Failed".
    endings = {}
    for ending, summary in (
        ("partly_failed", "4990 succeeded, 10 failed"),
        ("cancelled", "12 succeeded, 88 cancelled"),
        ("stopped", "Stopped once its first 25 items had all failed the same way"),
        ("suspended", "2 account suspended"),
        ("failed", "5 failed"),
    ):
        intent = _record(
            kind=Kind.INTENT,
            action="bulk.card_status",
            outcome=Outcome.PENDING,
            idempotency_key=f"job-{ending}",
        )
        endings[ending] = _record(
            kind=Kind.OUTCOME,
            action="bulk.card_status",
            intent=intent,
            outcome=Outcome.FAILED,
            upstream_result=ending,
            error_message=summary,
        )

    html = auditor_client.get(reverse("audit:list")).content.decode()
    detail = auditor_client.get(
        reverse("audit:detail", args=[endings["partly_failed"].pk])
    ).content.decode()

    assert '<span class="status partly_failed">Partly failed</span>' in html
    assert '<span class="status cancelled">Cancelled</span>' in html
    assert '<span class="status stopped">Stopped</span>' in html
    assert '<span class="status suspended">Account suspended</span>' in html
    assert html.count('<span class="status failed">Failed</span>') == 1
    assert '<span class="status partly_failed">Partly failed</span>' in detail
    # The filter still finds them all as failed (the recorded outcome is unchanged).
    failed = auditor_client.get(reverse("audit:list"), {"outcome": "failed"})
    assert set(_listed(failed)) == {record.pk for record in endings.values()}


def test_a_card_search_is_posted_and_becomes_its_hash_in_the_url(auditor_client: Client) -> None:
    wanted = _record(action="card.disable", card_hash=card_hash(CARD), card_masked=CARD[-6:])
    _record(action="card.disable", card_hash=card_hash("6000201900000099"))

    posted = auditor_client.post(reverse("audit:search"), {"card": "6000 2019 0000 0011"})

    assert posted.status_code == 302
    assert CARD not in posted["Location"]
    assert parse_qs(urlparse(posted["Location"]).query) == {"card_hash": [card_hash(CARD)]}
    response = auditor_client.get(posted["Location"])
    assert _listed(response) == [wanted.pk]
    assert CARD not in response.content.decode()


def test_a_bad_filter_is_explained(auditor_client: Client) -> None:
    response = auditor_client.post(reverse("audit:search"), {"card": "12ab"})

    assert response.status_code == 422
    assert "Enter the card&#x27;s printed number" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"account_id": "abc"},
        {"since": "2026-11-30T10:35", "until": "2026-11-30T10:30"},
        {"since": "soon"},
    ],
)
def test_a_filter_that_cannot_be_read_lists_nothing_and_offers_no_export(
    auditor_client: Client, query: dict[str, str]
) -> None:
    # Seen in a walkthrough: a bad filter showed its error above the 50 newest records of the
    # whole log, with "Export this view as CSV" beside them.
    _record()
    views = AuditRecord.objects.filter(action="audit.view").count()

    response = auditor_client.get(reverse("audit:list"), query)

    html = response.content.decode()
    assert response.status_code == 422
    assert "Nothing is listed until the filters above can be read" in html
    assert "Export this view as CSV" not in html
    assert "audit-rows" not in html
    assert AuditRecord.objects.filter(action="audit.view").count() == views


def test_keyset_pages_walk_the_whole_log_without_gaps_or_repeats(auditor_client: Client) -> None:
    made = [_record(params={"n": n}).pk for n in range(120)]
    seen: list[int] = []
    url = reverse("audit:list") + "?action=card.disable"

    for _ in range(3):
        page = auditor_client.get(url).context["page"]
        seen += [r.pk for r in page.records]
        if page.older is None:
            break
        url = reverse("audit:list") + f"?action=card.disable&before={page.older}"

    assert seen == sorted(made, reverse=True)
    back = auditor_client.get(reverse("audit:list") + f"?action=card.disable&after={seen[50]}")
    assert [r.pk for r in back.context["page"].records] == seen[:50]


def test_a_filtered_page_keeps_its_filter_in_its_links_not_in_the_search_box(
    supervisor_client: Client,
) -> None:
    # Seen in a walkthrough: a supervisor's guest search box in the header read
    # "action=card.disable", and Enter searched for it.
    for n in range(60):
        _record(params={"n": n})
    html = supervisor_client.get(reverse("audit:list"), {"action": "card.disable"}).content.decode()

    assert 'id="global-search-input" name="q" type="search" value=""' in html
    assert re.search(r'href="/audit/\?action=card\.disable&amp;before=\d+">Older', html)


def test_a_change_shows_its_intent_and_outcome_side_by_side(
    sandbox: Any,
    agent: User,
    auditor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    result = disable_card(agent)
    outcome = AuditRecord.objects.get(kind=Kind.OUTCOME)

    response = auditor_client.get(reverse("audit:detail", args=[outcome.pk]))

    assert response.status_code == 200
    story = response.context["story"]
    assert story.intent.pk == result.intent_id
    assert story.latest.pk == outcome.pk
    page = response.content.decode()
    assert "Intent" in page
    assert "Guest lost it on the train" in page
    assert "Succeeded" in page
    # The intent's own outcome field ("pending", as it was recorded) is not shown as a state.
    assert "Recorded before the change was made" in page
    assert ">Pending<" not in page


def test_a_record_says_its_place_in_the_chain_and_who_recorded_a_settlement(
    sandbox: Any,
    agent: User,
    supervisor: User,
    auditor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    # Seen in a walkthrough: the reconciler's verdict read as the agent's own.
    first = disable_card(supervisor, key="first")
    record = AuditRecord.objects.get(pk=first.intent_id)
    page = auditor_client.get(reverse("audit:detail", args=[record.pk])).content.decode()
    assert f"#{record.seq} in the chain · Intent" in page
    assert f"(database id {record.pk})" in page
    assert "the request's reason" not in page

    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)
    lost = disable_card(agent, key="lost")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        unknown_outcomes_reconcile()
    settled = AuditRecord.objects.filter(intent_id=lost.intent_id).order_by("-seq").first()
    assert settled is not None
    assert settled.params == {"settled_by": "reconciler"}
    page = auditor_client.get(reverse("audit:detail", args=[settled.pk])).content.decode()
    assert "(recorded for them by the reconciler, which read upstream back)" in page


def test_an_unknown_record_is_not_found(auditor_client: Client) -> None:
    assert auditor_client.get(reverse("audit:detail", args=[999])).status_code == 404


def test_supervisors_read_but_do_not_export(supervisor_client: Client) -> None:
    response = supervisor_client.post(reverse("audit:export"), {"idempotency_key": "k"})

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_an_export_runs_as_a_job_and_writes_the_filtered_records(
    auditor: User,
    auditor_client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    wanted = [
        _record(action="card.disable", account_id=ACCOUNT, reason_text=f"=cmd {n}")
        for n in range(3)
    ]
    _record(action="card.disable", account_id=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(
            reverse("audit:export"),
            {"account_id": str(ACCOUNT), "action": "card.disable", "idempotency_key": "export-1"},
        )

    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status, job.done, job.total) == (
        "audit.export",
        JobStatus.SUCCEEDED,
        3,
        3,
    )
    download = auditor_client.get(reverse("jobs:file", args=[job.pk]))
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.getvalue().decode())))
    assert [int(row["id"]) for row in rows] == [r.pk for r in reversed(wanted)]
    assert rows[0]["reason_text"] == "'=cmd 2"
    intent = AuditRecord.objects.get(kind=Kind.INTENT, action="audit.export")
    assert intent.params["filters"] == {"action": "card.disable", "account_id": str(ACCOUNT)}
    assert AuditRecord.objects.get(intent=intent).outcome == Outcome.SUCCEEDED
    assert AuditRecord.objects.filter(action="job.download", actor_id=auditor.pk).count() == 1


@pytest.fixture
def other_auditor_client(make_staff: Callable[..., User]) -> Client:
    from portal.staff.roles import Role

    other = Client()
    other.force_login(make_staff(Role.AUDITOR, username="other.auditor"))
    return other


def test_an_export_is_downloadable_by_its_owner_only(
    auditor_client: Client,
    other_auditor_client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        auditor_client.post(reverse("audit:export"), {"idempotency_key": "export-2"})
    job = Job.objects.get()
    other = other_auditor_client

    assert other.get(reverse("jobs:file", args=[job.pk])).status_code == 404
    assert other.get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_a_double_submitted_export_is_one_job(
    auditor_client: Client, django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Any
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        first = auditor_client.post(reverse("audit:export"), {"idempotency_key": "same"})
        second = auditor_client.post(reverse("audit:export"), {"idempotency_key": "same"})

    assert first["Location"] == second["Location"]
    assert Job.objects.count() == 1


def test_an_export_with_a_key_another_change_used_is_refused_in_words(
    auditor_client: Client,
    other_auditor_client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        other_auditor_client.post(reverse("audit:export"), {"idempotency_key": "shared"})
        response = auditor_client.post(
            reverse("audit:export"), {"idempotency_key": "shared"}, follow=True
        )

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("audit:list"), 302)]
    assert "This form was already used for a different job" in response.content.decode()
    assert Job.objects.count() == 1


# -- one row per change, in words -------------------------------------------------------------


def _rows(response: Any) -> list[str]:
    """The table's body rows as text, tags removed."""
    import re

    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in body.split("</tr>")
        if "<td" in row
    ]


def test_a_change_is_one_row_with_its_outcome_reason_and_readable_parameters(
    sandbox: Any,
    agent: User,
    supervisor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    disable_card(agent)
    response = supervisor_client.get(reverse("audit:list"), {"action": "card.disable"})
    rows = _rows(response)
    assert len(rows) == 1  # the intent and its outcome are one row
    row = rows[0]
    assert "Disable a card" in row
    assert "Succeeded" in row
    assert "Guest lost it on the train" in row
    assert "Card: card ending 000011" in row
    assert "card.disable" not in row
    html = response.content.decode()
    assert "{&#x27;" not in html  # no Python dict
    # The account links to the guest (for whoever may look guests up) and to its changes.
    assert f'href="{reverse("guests:guest", args=[ACCOUNT])}"' in html
    assert f'href="{reverse("audit:list")}?account_id={ACCOUNT}"' in html


def test_a_records_details_lead_with_what_changed_in_words() -> None:
    # Seen in a walkthrough: the list's first three details of an adjustment were its wallet
    # code, name and limit kind (not the 800 points added); a details change read "custom1
    # older than record (empty); newer than record D***"; a request said "wallet.adjust".
    from portal.audit.templatetags.audit_words import readable

    adjusted = readable(
        {
            "wallet_code": 5,
            "wallet_name": "Points",
            "limit_kind": "points",
            "quantity": "800",
            "activity_type": "ADD",
        }
    )
    assert adjusted[:3] == [("Quantity", "800"), ("Direction", "add"), ("Wallet name", "Points")]
    edited = readable({"changes": {"custom1": {"before": "(empty)", "after": "D***"}}})
    assert edited == [("Changes", "custom1 (empty) → D***")]
    # An adjustment is made at no store (the history names the merchant): its store code is
    # the guest's, for the report.
    assert readable({"store_code": "001"}) == [("Guest's enrollment store (for the report)", "001")]
    # A staff user's role change (the record's own before and after).
    assert readable({"before": "agent", "after": "supervisor"}) == [
        ("Before", "agent"),
        ("After", "supervisor"),
    ]
    asked = readable({"approval_request": 3, "action": "wallet.adjust"})
    assert asked == [("Change asked for", "Adjust a wallet"), ("Approval request", "3")]


def test_an_outcome_filter_finds_the_change_by_how_it_went(
    sandbox: Any,
    agent: User,
    auditor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    result = disable_card(agent)
    query = {"action": "card.disable"}
    page = auditor_client.get(reverse("audit:list"), query | {"outcome": "succeeded"})
    entries = page.context["page"].entries
    assert [e.record.pk for e in entries] == [result.intent_id]
    assert [e.result.outcome for e in entries] == ["succeeded"]
    none_failed = auditor_client.get(reverse("audit:list"), query | {"outcome": "failed"})
    assert none_failed.context["page"].entries == []


def test_reading_rows_are_left_out_unless_asked_for(auditor_client: Client) -> None:
    denied = _record(kind=Kind.EVENT, action="access.denied", outcome=Outcome.DENIED)
    auditor_client.get(reverse("audit:list"))  # itself an audit.view row
    auditor_client.get(reverse("audit:list"))
    plain = auditor_client.get(reverse("audit:list"))
    listed = plain.context["page"].records
    assert listed[0].pk == denied.pk
    assert [r for r in listed if r.action == "audit.view"] == []
    rows = _rows(plain)
    assert "Access denied" in rows[0]
    assert "access.denied" not in rows[0]
    assert "Viewed the audit log" not in plain.content.decode().split("<tbody>")[1]
    with_reads = auditor_client.get(reverse("audit:list"), {"reads": "1"})
    views = [r for r in with_reads.context["page"].records if r.action == "audit.view"]
    assert len(views) == 3
    assert "Viewed the audit log" in _rows(with_reads)[0]
    # Asking for the reading action itself shows it too.
    asked = auditor_client.get(reverse("audit:list"), {"action": "audit.view"})
    assert len(_listed(asked)) >= 4


def test_a_page_of_changes_costs_the_same_few_queries_however_many_rows(
    sandbox: Any,
    agent: User,
    auditor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as seen:
            response = auditor_client.get(reverse("audit:list"), {"action": "card.disable"})
        reads = [q for q in seen.captured_queries if "audit_auditrecord" in q["sql"]]
        return len(_rows(response)), len(reads)

    disable_card(agent, key="key-first")
    rows_one, queries_one = page_queries()
    for n in range(30):
        disable_card(agent, key=f"key-{n}")
    rows_many, queries_many = page_queries()
    assert (rows_one, rows_many) == (1, 31)
    # The rows, their outcomes in one query, the audit.view record: the same for 1 or 31 rows.
    assert queries_one == queries_many <= 4


def test_the_detail_names_the_action_and_its_parameters_in_words(
    sandbox: Any,
    agent: User,
    auditor_client: Client,
    disable_card: Callable[..., MutationResult],
) -> None:
    result = disable_card(agent)
    html = auditor_client.get(reverse("audit:detail", args=[result.intent_id])).content.decode()
    assert "<dt>Card</dt><dd>card ending 000011</dd>" in html
    # What was asked for (a failed change's card does not have it: not "Status").
    assert "<dt>Status asked for</dt><dd>DISABLED</dd>" in html
    assert "{&#x27;" not in html


@pytest.mark.parametrize(
    ("zone", "shown", "named"),
    [
        ("UTC", "2026-11-30 15:04:05.000000 UTC", "UTC"),
        ("America/New_York", "2026-11-30 10:04:05.000000 EST", "America/New_York"),
    ],
)
def test_times_are_said_in_the_zone_they_are_shown_in(
    auditor_client: Client, settings: Any, zone: str, shown: str, named: str
) -> None:
    # Seen in a read: with TIME_ZONE set to a local zone, the screens showed local times
    # labelled UTC.
    settings.TIME_ZONE = zone
    with time_machine.travel("2026-11-30T15:04:05+00:00", tick=False):
        record = _record()

    detail = auditor_client.get(reverse("audit:detail", args=[record.pk])).content.decode()
    listing = auditor_client.get(reverse("audit:list")).content.decode()

    assert shown in detail
    assert f"times in {named}<" in listing
    # The time filter reads its boxes in that zone, and says so.
    assert listing.count(f'<p class="help">{named}</p>') == 2


def test_a_jobs_own_outcome_says_how_the_job_ended_not_what_upstream_answered(
    auditor_client: Client,
) -> None:
    # Seen in a walkthrough: a job the console stopped read "Upstream: stopped".
    intent = _record(
        kind=Kind.INTENT,
        action="bulk.card_status",
        outcome=Outcome.PENDING,
        idempotency_key="job-7",
        job_id=7,
    )
    ended = _record(
        kind=Kind.OUTCOME,
        action="bulk.card_status",
        intent=intent,
        outcome=Outcome.FAILED,
        upstream_result="stopped",
        job_id=7,
    )
    item = _record(kind=Kind.OUTCOME, outcome=Outcome.FAILED, upstream_result="failure", job_id=7)

    job_page = auditor_client.get(reverse("audit:detail", args=[ended.pk])).content.decode()
    item_page = auditor_client.get(reverse("audit:detail", args=[item.pk])).content.decode()

    assert "<dt>Job ended</dt><dd>Stopped</dd>" in job_page
    assert "<dt>Upstream</dt>" not in job_page
    assert "<dt>Upstream</dt><dd>failure</dd>" in item_page
