"""A job whose items, from the first, all fail the same way (a wrong file) stops instead of
failing every row, and says why."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import connection

from portal.audit.models import AuditRecord, Outcome
from portal.jobs import runner
from portal.jobs.lifecycle import item_end
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobStatus
from portal.jobs.runner import ItemResult, ItemRun, job_run_items
from portal.jobs.services import job_cancel
from portal.staff.models import User
from tests.jobs.test_runner import Handler

pytestmark = pytest.mark.django_db

NOT_FOUND = "The card is not known upstream: check its line in the file."


@pytest.fixture(autouse=True)
def _limit(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.JOBS_STOP_AFTER_SAME_FAILURES = 5
    monkeypatch.setattr(runner, "_backoff", lambda attempt: 0.0)


def _cards(count: int) -> list[str]:
    return [f"6000111122{n:06d}" for n in range(count)]


def _fails(run: ItemRun) -> ItemResult:
    """Upstream's answer: a failure the door recorded (its intent; the job's stands in)."""
    return ItemResult(ItemOutcome.FAILED, NOT_FOUND, intent_id=run.job.intent_id)


def test_the_job_stops_after_its_first_items_all_fail_alike(bulk_job: Callable[..., Job]) -> None:
    job = bulk_job(_cards(30))
    handler = Handler(_fails)

    job_run_items(job.pk, handler)

    assert handler.positions == [1, 2, 3, 4, 5]
    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert (job.done, job.failed) == (5, 5)
    assert job.summary == (
        "Stopped: its first 5 items all failed the same way (5 failed, 25 not started). "
        "Check the file, then upload it again. Each said: \u201c" + NOT_FOUND + "\u201d"
    )
    rest = job.items.filter(position__gt=5)
    assert set(rest.values_list("status", "outcome", "message")) == {
        (
            ItemStatus.DONE,
            ItemOutcome.NOT_STARTED,
            "The job stopped before it: its first items all failed the same way.",
        )
    }
    assert job.percent == 17  # 5 of 30: what ran, not a full bar
    # The job's audit outcome says so, in the same words.
    outcome = AuditRecord.objects.get(intent_id=job.intent_id, kind="outcome")
    assert (outcome.outcome, outcome.upstream_result) == (Outcome.FAILED, JobStatus.STOPPED)
    assert outcome.error_message == job.summary


def test_a_success_among_the_first_items_lets_the_job_run_on(
    bulk_job: Callable[..., Job],
) -> None:
    job = bulk_job(_cards(12))

    def second_succeeds(run: ItemRun) -> ItemResult:
        if run.item.position == 2:
            return ItemResult(ItemOutcome.SUCCEEDED, "Disabled.")
        return _fails(run)

    handler = Handler(second_succeeds)
    job_run_items(job.pk, handler)

    assert handler.positions == list(range(1, 13))
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.PARTLY_FAILED, 12, 11)


def test_failures_in_different_words_let_the_job_run_on(bulk_job: Callable[..., Job]) -> None:
    job = bulk_job(_cards(8))

    def each_its_own(run: ItemRun) -> ItemResult:
        return ItemResult(
            ItemOutcome.FAILED, f"Refused ({run.item.position % 2}).", intent_id=run.job.intent_id
        )

    handler = Handler(each_its_own)
    job_run_items(job.pk, handler)

    assert handler.positions == list(range(1, 9))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_at_zero_a_job_never_stops_for_its_failures(bulk_job: Callable[..., Job], settings) -> None:
    settings.JOBS_STOP_AFTER_SAME_FAILURES = 0
    job = bulk_job(_cards(8))
    handler = Handler(_fails)

    job_run_items(job.pk, handler)

    assert handler.positions == list(range(1, 9))
    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.FAILED, 8)


def test_the_count_goes_on_across_chunks(bulk_job: Callable[..., Job]) -> None:
    """A chunk that ended after three failures: the next one stops after two more."""
    job = bulk_job(_cards(20))
    for item in job.items.order_by("position")[:3]:
        item_end(item, outcome=ItemOutcome.FAILED, message=NOT_FOUND, intent_id=None, attempt=1)
    handler = Handler(_fails)

    job_run_items(job.pk, handler)

    assert handler.positions == [4, 5]
    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.STOPPED, 5)


def test_an_earlier_chunks_success_lets_the_job_run_on(bulk_job: Callable[..., Job]) -> None:
    job = bulk_job(_cards(9))
    first = job.items.get(position=1)
    item_end(first, outcome=ItemOutcome.SUCCEEDED, message="Disabled.", intent_id=None, attempt=1)
    handler = Handler(_fails)

    job_run_items(job.pk, handler)

    assert handler.positions == list(range(2, 10))
    job.refresh_from_db()
    assert job.status == JobStatus.PARTLY_FAILED


def test_the_owners_cancel_is_what_the_job_says(
    bulk_job: Callable[..., Job], supervisor: User
) -> None:
    job = bulk_job(_cards(10))

    def cancel_at_the_fifth(run: ItemRun) -> ItemResult:
        if run.item.position == 5:
            job_cancel(job=run.job, actor=supervisor)
        return _fails(run)

    job_run_items(job.pk, Handler(cancel_at_the_fifth))

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert set(job.items.filter(position__gt=5).values_list("message", flat=True)) == {
        "Cancelled before it started."
    }


@pytest.mark.django_db(transaction=True)
def test_running_items_at_once_the_job_stops_too(bulk_job: Callable[..., Job]) -> None:
    job = bulk_job(_cards(60))

    def slow_failure(run: ItemRun) -> ItemResult:
        time.sleep(0.01)
        return _fails(run)

    handler = Handler(slow_failure)
    job_run_items(job.pk, handler, concurrency=4)

    # Those already under way when the fifth failed end as they end; nothing after starts.
    assert 5 <= len(handler.runs) <= 5 + 2 * 4 * 2
    job.refresh_from_db()
    assert job.status == JobStatus.STOPPED
    assert job.items.filter(outcome=ItemOutcome.NOT_STARTED).count() == 60 - len(handler.runs)
    assert job.items.exclude(status=ItemStatus.DONE).count() == 0
    connection.close()


def test_the_stop_is_written_on_the_job_and_another_run_of_it_stops_too(
    bulk_job: Callable[..., Job],
) -> None:
    job = bulk_job(_cards(12))
    job_run_items(job.pk, Handler(_fails))
    job.refresh_from_db()
    assert (job.stop_message, job.stop_after, job.cancel_requested) == (NOT_FOUND, 5, True)

    # Another delivery of a job stopped elsewhere (its rows still to do, as that one found
    # them) starts nothing, and ends the job with the same words.
    other = bulk_job(_cards(6), key="bulk-2")
    Job.objects.filter(pk=other.pk).update(
        cancel_requested=True, stop_message=NOT_FOUND, stop_after=5
    )
    handler = Handler(_fails)
    job_run_items(other.pk, handler)

    assert handler.runs == []
    other.refresh_from_db()
    assert other.status == JobStatus.STOPPED
    assert other.summary.startswith("Stopped: its first 5 items all failed the same way (6 not")
    assert set(other.items.values_list("outcome", flat=True)) == {ItemOutcome.NOT_STARTED}


def test_an_outage_at_the_start_is_not_taken_for_a_wrong_file(
    bulk_job: Callable[..., Job],
) -> None:
    def not_answering(run: ItemRun) -> ItemResult:
        return ItemResult(
            ItemOutcome.FAILED, "Paytronix did not answer.", intent_id=run.job.intent_id, retry=True
        )

    def refused_here(run: ItemRun) -> ItemResult:
        return ItemResult(ItemOutcome.FAILED, "Not allowed.")

    for n, handler in enumerate((Handler(not_answering), Handler(refused_here))):
        job = bulk_job(_cards(8), key=f"bulk-{n}")
        job_run_items(job.pk, handler)
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        assert job.stop_message == ""
        assert len({position for position, _, _ in handler.runs}) == 8
