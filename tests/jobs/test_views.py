"""Job pages: recent jobs, live progress by htmx polling, cancel, per-item results."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.jobs.lifecycle import item_end, job_progress
from portal.jobs.models import ItemOutcome, Job, JobStatus
from portal.jobs.runner import ItemResult, job_run_items
from portal.jobs.selectors import job_items_page
from portal.staff.models import User
from tests.conftest import HTMX
from tests.jobs.conftest import active_cards, started_by_a_stopped_worker

pytestmark = pytest.mark.django_db


def test_the_jobs_page_lists_only_ones_own_jobs(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client, auditor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 1))

    mine = supervisor_client.get(reverse("jobs:list"))
    theirs = auditor_client.get(reverse("jobs:list"))

    assert list(mine.context["jobs"]) == [job]
    assert list(theirs.context["jobs"]) == []
    # A bulk job acts on many accounts: the list says how many cards.
    assert "<td>1 card</td>" in mine.content.decode()


def test_someone_elses_job_does_not_exist_for_you(
    sandbox: Any, bulk_job: Callable[..., Job], auditor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 1))

    for name in ("jobs:detail", "jobs:results", "jobs:file"):
        assert auditor_client.get(reverse(name, args=[job.pk])).status_code == 404
    assert auditor_client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 404


def test_a_role_without_jobs_cannot_open_the_page(
    store_manager_client: Client, agent_client: Client
) -> None:
    assert store_manager_client.get(reverse("jobs:list")).status_code == 403
    # No job is ever an agent's (their combines are a supervisor's runs once approved).
    assert agent_client.get(reverse("jobs:list")).status_code == 403


def test_the_menu_offers_jobs_only_to_roles_that_have_them(
    agent_client: Client, supervisor_client: Client, auditor_client: Client
) -> None:
    jobs = f'href="{reverse("jobs:list")}"'

    assert jobs not in agent_client.get(reverse("home")).content.decode()
    assert jobs in supervisor_client.get(reverse("home")).content.decode()
    assert jobs in auditor_client.get(reverse("home")).content.decode()


def test_a_running_job_page_polls_its_progress(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 4))
    job_progress(job, done=1)

    page = supervisor_client.get(reverse("jobs:detail", args=[job.pk]))
    fragment = supervisor_client.get(reverse("jobs:detail", args=[job.pk]), headers=HTMX)

    body = page.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert f'hx-get="{reverse("jobs:detail", args=[job.pk])}"' in body
    assert '<progress class="queued" max="100" value="25"' in body
    part = fragment.content.decode()
    assert part.lstrip().startswith('<section id="job-progress"')
    assert "<html" not in part
    assert "1 of 4 done" in part


def test_an_item_whose_change_is_under_way_shows_running_not_pending(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client, supervisor: User
) -> None:
    # A first attempt writes nothing on its row as it starts: its recorded intent says it runs.
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)
    started_by_a_stopped_worker(job, supervisor, cards[1], 2)
    url = reverse("jobs:detail", args=[job.pk])

    rows = supervisor_client.get(url).content.decode().split("<tbody>")[1].split("</tr>")

    assert '<span class="status pending">Pending</span>' in rows[0]
    assert '<span class="status running">Running</span>' in rows[1]
    assert '<span class="status pending">Pending</span>' in rows[2]
    # Once the job has ended, its rows say how each ended, and no intent is looked up.
    job.status = JobStatus.CANCELLED
    job.save(update_fields=["status"])
    assert "Running" not in supervisor_client.get(url).content.decode().split("<tbody>")[1]
    with CaptureQueriesContext(connection) as queries:
        ended = job_items_page(job)
    assert ended.under_way == frozenset()
    assert [q["sql"] for q in queries if "audit_auditrecord" in q["sql"]] == []


def test_a_running_job_pages_items_poll_too_and_keep_the_pages_choice(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    # Seen in a walkthrough: "798 not succeeded" above rows that all still said Pending.
    job = bulk_job(active_cards(sandbox, 3))
    url = reverse("jobs:detail", args=[job.pk])
    page = supervisor_client.get(url, {"show": "not-succeeded"}).content.decode()
    poll = f"{url}?part=items&amp;show=not-succeeded"
    assert f'<div id="job-items" hx-get="{poll}"' in page
    assert "No item has ended without succeeding so far." in page

    item = job.items.get(position=2)
    item_end(item, outcome=ItemOutcome.FAILED, message="Card not found.")
    polled = supervisor_client.get(
        url, {"part": "items", "show": "not-succeeded"}, headers=HTMX
    ).content.decode()
    assert polled.lstrip().startswith('<div id="job-items"')
    assert "<html" not in polled
    assert '<span class="status failed">Failed</span>' in polled
    assert "Card not found." in polled
    # Drawn as on the page, the job's own links included (the filter's, the pager's).
    assert f'<a id="items-filter" href="{url}">Show every item</a>' in polled
    assert f'hx-get="{poll}"' in polled  # and it goes on polling

    job.status = JobStatus.PARTLY_FAILED
    job.save(update_fields=["status"])
    finished = supervisor_client.get(url, {"part": "items"}, headers=HTMX)
    assert finished["HX-Refresh"] == "true"
    assert 'id="job-items" hx-get' not in supervisor_client.get(url).content.decode()


def test_a_page_without_progress_for_ten_minutes_stops_polling_until_reloaded(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 4))
    url = reverse("jobs:detail", args=[job.pk])
    loaded = timezone.now() + timedelta(minutes=1)
    with time_machine.travel(loaded, tick=False):
        page = supervisor_client.get(url).content.decode()
    since = int(loaded.timestamp())
    assert f"""hx-vals='{{"watching_since": {since}}}'""" in page

    with time_machine.travel(loaded + timedelta(minutes=9), tick=False):
        still = supervisor_client.get(url, {"watching_since": since}, headers=HTMX)
    with time_machine.travel(loaded + timedelta(minutes=10), tick=False):
        idle = supervisor_client.get(url, {"watching_since": since}, headers=HTMX)
        reloaded = supervisor_client.get(url).content.decode()

    assert 'hx-trigger="every 2s"' in still.content.decode()
    idle_part = idle.content.decode()
    assert "hx-trigger" not in idle_part
    assert "Reload to keep watching" in idle_part
    assert 'hx-trigger="every 2s"' in reloaded


def test_progress_keeps_a_page_polling(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 4))
    url = reverse("jobs:detail", args=[job.pk])
    since = int(timezone.now().timestamp())
    with time_machine.travel(timezone.now() + timedelta(minutes=8), tick=False):
        job_progress(job, done=1)
    with time_machine.travel(timezone.now() + timedelta(minutes=12), tick=False):
        fragment = supervisor_client.get(url, {"watching_since": since}, headers=HTMX)

    assert 'hx-trigger="every 2s"' in fragment.content.decode()


def test_a_finished_job_stops_polling_and_shows_its_results(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 2))
    job_run_items(job.pk, lambda run: ItemResult(ItemOutcome.SUCCEEDED, "ok"))

    fragment = supervisor_client.get(reverse("jobs:detail", args=[job.pk]), headers=HTMX)
    page = supervisor_client.get(reverse("jobs:detail", args=[job.pk]))

    assert fragment["HX-Refresh"] == "true"
    body = page.content.decode()
    assert "hx-trigger" not in body
    assert "2 of 2 done" in body
    assert "Download results (CSV)" in body
    # A job that ended as asked shows a full bar in the colour of success.
    assert '<progress class="succeeded" max="100" value="100"' in body


def test_the_owner_cancels_with_a_post(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    job = bulk_job(active_cards(sandbox, 2))

    assert supervisor_client.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405
    response = supervisor_client.post(reverse("jobs:cancel", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    # Its bar shows what ran, in grey: not work under way.
    page = supervisor_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<progress class="cancelled" max="100" value="0"' in page


def test_per_item_results_download_as_csv(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    cards = active_cards(sandbox, 2)
    job = bulk_job(cards)

    def half(run: Any) -> ItemResult:
        if run.item.position == 1:
            return ItemResult(ItemOutcome.SUCCEEDED, "Disabled.")
        return ItemResult(ItemOutcome.FAILED, "card_status.card_exchanged")

    job_run_items(job.pk, half)

    response = supervisor_client.get(reverse("jobs:results", args=[job.pk]))

    assert response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["position"], r["item"], r["outcome"], r["message"]) for r in rows] == [
        ("1", f"card ending {cards[0][-6:]}", "succeeded", "Disabled."),
        ("2", f"card ending {cards[1][-6:]}", "failed", "card_status.card_exchanged"),
    ]
    for card in cards:
        assert card not in text


def test_a_result_message_a_spreadsheet_would_run_is_downloaded_as_text(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client
) -> None:
    # An item's message can hold upstream's own words; one starting like a formula must not
    # run when the supervisor opens the file.
    job = bulk_job(active_cards(sandbox, 2))
    messages = {1: '=HYPERLINK("http://evil.example","open")', 2: "-1 day"}
    job_run_items(job.pk, lambda run: ItemResult(ItemOutcome.FAILED, messages[run.item.position]))

    response = supervisor_client.get(reverse("jobs:results", args=[job.pk]))

    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["message"] for r in rows] == [
        """'=HYPERLINK("http://evil.example","open")""",
        "'-1 day",
    ]
    assert [r["position"] for r in rows] == ["1", "2"]


def test_a_jobs_times_are_said_in_the_zone_they_are_shown_in(
    sandbox: Any, bulk_job: Callable[..., Job], supervisor_client: Client, settings: Any
) -> None:
    # Seen in a walkthrough: the job pages showed local times with no zone beside them, where
    # the audit pages name it.
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel("2026-11-30T15:04:05+00:00", tick=False):
        job = bulk_job(active_cards(sandbox, 1))

    listing = supervisor_client.get(reverse("jobs:list")).content.decode()
    detail = supervisor_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert ">Nov 30, 2026 10:04 AM EST</time>" in listing
    assert ">Nov 30, 2026 10:04:05 AM EST</time>" in detail


def test_the_jobs_page_says_what_an_export_was_of_and_keeps_a_long_summary_whole(
    auditor: User, auditor_client: Client
) -> None:
    summary = "Stopped: its first 25 items all failed the same way (25 failed). " + "x" * 60
    Job.objects.create(owner=auditor, kind="audit.export", status="succeeded", total=3)
    Job.objects.create(
        owner=auditor, kind="report.adjustments_export", status="stopped", summary=summary
    )

    html = auditor_client.get(reverse("jobs:list")).content.decode()

    assert "<td>the audit log</td>" in html
    assert "<td>the adjustments report</td>" in html
    assert f'<td title="{summary}">{summary[:79]}…</td>' in html


def test_a_refusal_tells_an_administrator_where_their_work_is(
    admin_client_: Client, store_manager_client: Client
) -> None:
    # Seen in a walkthrough: an administrator was told to ask an administrator.
    refused = admin_client_.get(reverse("jobs:list"))
    assert refused.status_code == 403
    html = refused.content.decode()
    assert f'<a href="{reverse("admin:index")}">staff admin</a>' in html
    assert "ask a supervisor or an administrator" not in html
    other = store_manager_client.get(reverse("jobs:list")).content.decode()
    assert "ask a supervisor or an administrator to change your role" in other
