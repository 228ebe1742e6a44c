"""Running a job's items: through the door, once each, retries, cancellation, concurrency."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection

from portal.audit.door import mutation_run
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.records import outcome_record
from portal.audit.types import Target
from portal.jobs import runner
from portal.jobs.lifecycle import item_end
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem, JobStatus
from portal.jobs.runner import ItemResult, ItemRun, job_run_items
from portal.jobs.services import job_cancel
from portal.staff.models import User
from tests.jobs.conftest import active_cards, started_by_a_stopped_worker
from tests.jobs.handlers import disable_item

pytestmark = pytest.mark.django_db


class Handler:
    """A handler that records each attempt and answers from a script (default: success)."""

    def __init__(self, script: Callable[[ItemRun], ItemResult] | None = None) -> None:
        self.runs: list[tuple[int, int, str]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()
        self._script = script

    def __call__(self, run: ItemRun) -> ItemResult:
        with self._lock:
            self.runs.append((run.item.position, run.attempt, run.idempotency_key))
            self.threads.add(threading.current_thread().name)
        if self._script is not None:
            return self._script(run)
        return ItemResult(ItemOutcome.SUCCEEDED, "done")

    @property
    def positions(self) -> list[int]:
        return sorted(position for position, _, _ in self.runs)


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_backoff", lambda attempt: 0.0)


def test_every_item_goes_through_the_door_and_the_job_succeeds(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)

    job_run_items(job.pk, disable_item)

    job.refresh_from_db()
    assert (job.status, job.done, job.failed, job.summary) == (
        JobStatus.SUCCEEDED,
        3,
        0,
        "3 succeeded",
    )
    assert job.started_at is not None
    assert job.finished_at is not None
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    items = list(job.items.order_by("position"))
    assert {(i.status, i.outcome) for i in items} == {(ItemStatus.DONE, ItemOutcome.SUCCEEDED)}
    assert [i.payload for i in items] == [{}, {}, {}]
    item_intents = AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable")
    assert sorted(i.intent_id or 0 for i in items) == sorted(
        item_intents.values_list("id", flat=True)
    )
    assert {i.job_id for i in item_intents} == {job.pk}
    assert {i.reason_text for i in item_intents} == {"Stolen batch"}
    job_outcome = AuditRecord.objects.get(intent=job.intent)
    assert (job_outcome.outcome, job_outcome.upstream_result) == (Outcome.SUCCEEDED, "succeeded")


def test_a_redelivered_job_skips_the_items_already_done(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 5))
    for item in job.items.filter(position__lte=2):
        item_end(item, outcome=ItemOutcome.SUCCEEDED, message="before the worker died")
    handler = Handler()

    job_run_items(job.pk, handler)
    job_run_items(job.pk, handler)

    assert handler.positions == [3, 4, 5]
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 5)


def test_an_item_under_way_when_its_worker_died_is_settled_not_sent_again(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job], settings: Any
) -> None:
    [card] = active_cards(sandbox, 1)
    job = bulk_job([card])
    item = job.items.get()
    # The dead worker had started attempt 1, recorded its intent and disabled the card.
    JobItem.objects.filter(pk=item.pk).update(status=ItemStatus.RUNNING, attempts=1)
    started_by_a_stopped_worker(job, supervisor, card, 1)

    def disabled(model: Any, moment: Any) -> None:
        model.cards[card].status = "DISABLED"

    sandbox.state.write(disabled)
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    settings.AUDIT_ABANDONED_AFTER = 0
    sandbox.faults.error(endpoint="changeCardStatus", status=500)  # a second call would fail

    job_run_items(job.pk, disable_item)

    item.refresh_from_db()
    assert (item.outcome, item.attempts) == (ItemOutcome.SUCCEEDED, 1)
    intents = AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable")
    assert intents.count() == 1
    settled = AuditRecord.objects.filter(intent__in=intents).order_by("-seq").first()
    assert settled is not None
    assert settled.upstream_result == "settled"


def test_a_transient_fault_is_retried_under_a_new_key(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any
) -> None:
    settings.JOBS_ITEM_ATTEMPTS = 3
    job = bulk_job(active_cards(sandbox, 1))

    def flaky(run: ItemRun) -> ItemResult:
        if run.attempt < 3:
            return ItemResult(ItemOutcome.FAILED, "circuit open", retry=True)
        return ItemResult(ItemOutcome.SUCCEEDED)

    handler = Handler(flaky)
    job_run_items(job.pk, handler)

    assert [(attempt, key) for _, attempt, key in handler.runs] == [
        (1, f"job:{job.pk}:item:1:try:1"),
        (2, f"job:{job.pk}:item:1:try:2"),
        (3, f"job:{job.pk}:item:1:try:3"),
    ]
    assert job.items.get().outcome == ItemOutcome.SUCCEEDED


def test_a_transient_failure_a_stopped_worker_recorded_is_retried_by_the_next_one(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job], settings: Any
) -> None:
    """The worker recorded its first attempt's connect failure (nothing reached upstream) and
    died before trying again: the worker that takes the row over replays that outcome and
    tries again under a new key, not ending the row failed on a fault it could have retried."""
    settings.JOBS_ITEM_ATTEMPTS = 3
    [card] = active_cards(sandbox, 1)
    job = bulk_job([card])
    intent_id = started_by_a_stopped_worker(job, supervisor, card, 1)
    outcome_record(
        intent=AuditRecord.objects.get(pk=intent_id),
        outcome=Outcome.FAILED,
        error_code="TransportError",
        error_message="connect timed out",
        transient=True,
    )

    job_run_items(job.pk, disable_item)

    item = job.items.get()
    assert (item.outcome, item.attempts) == (ItemOutcome.SUCCEEDED, 2)
    assert sandbox.state.card(card).status == "DISABLED"
    assert item.intent_id is not None
    retry = AuditRecord.objects.get(pk=item.intent_id)
    assert retry.idempotency_key == f"job:{job.pk}:item:1:try:2"
    assert retry.params["retry_of"] == intent_id


def test_retries_stop_at_the_limit_and_the_item_fails(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any
) -> None:
    settings.JOBS_ITEM_ATTEMPTS = 2
    job = bulk_job(active_cards(sandbox, 1))
    handler = Handler(lambda run: ItemResult(ItemOutcome.FAILED, "still down", retry=True))

    job_run_items(job.pk, handler)

    assert len(handler.runs) == 2
    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.FAILED, 1)
    assert job.items.get().message == "still down"


def test_an_unknown_outcome_is_never_retried(sandbox: Any, bulk_job: Callable[..., Job]) -> None:
    cards = active_cards(sandbox, 1)
    job = bulk_job(cards)
    sandbox.faults.drop(endpoint="changeCardStatus", process=True)

    job_run_items(job.pk, disable_item)

    item = job.items.get()
    assert (item.outcome, item.attempts) == (ItemOutcome.UNKNOWN, 1)
    assert AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable").count() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "1 unknown" in job.summary


def test_a_handler_that_raises_still_ends_its_item(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 2))

    def boom(run: ItemRun) -> ItemResult:
        if run.item.position == 1:
            raise KeyError("card_number")
        return ItemResult(ItemOutcome.SUCCEEDED)

    job_run_items(job.pk, Handler(boom))

    first, second = job.items.order_by("position")
    assert (first.outcome, first.message) == (ItemOutcome.FAILED, "Internal error (KeyError).")
    assert second.outcome == ItemOutcome.SUCCEEDED
    job.refresh_from_db()
    assert job.status == JobStatus.PARTLY_FAILED


def test_cancelling_stops_between_items(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 5))

    def cancel_after_two(run: ItemRun) -> ItemResult:
        if run.item.position == 2:
            job_cancel(job=run.job, actor=supervisor)
        return ItemResult(ItemOutcome.SUCCEEDED)

    handler = Handler(cancel_after_two)
    job_run_items(job.pk, handler)

    assert handler.positions == [1, 2]
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.CANCELLED, 2)
    assert list(job.items.order_by("position").values_list("outcome", flat=True)) == [
        ItemOutcome.SUCCEEDED,
        ItemOutcome.SUCCEEDED,
        ItemOutcome.CANCELLED,
        ItemOutcome.CANCELLED,
        ItemOutcome.CANCELLED,
    ]


def test_a_cancelled_job_does_not_start(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 2))
    job_cancel(job=job, actor=supervisor)
    handler = Handler()

    assert job_run_items(job.pk, handler) is None
    assert handler.runs == []


@pytest.mark.django_db(transaction=True)
def test_items_run_concurrently_and_each_exactly_once(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 12)
    job = bulk_job(cards)

    def slow(run: ItemRun) -> ItemResult:
        time.sleep(0.05)
        return ItemResult(ItemOutcome.SUCCEEDED)

    handler = Handler(slow)
    job_run_items(job.pk, handler, concurrency=4)

    assert handler.positions == list(range(1, 13))
    assert len(handler.threads) > 1
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 12)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_items_through_the_door_change_each_card_once(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 8)
    job = bulk_job(cards)

    job_run_items(job.pk, disable_item, concurrency=3)

    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 8)
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    assert AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable").count() == 8
    assert AuditRecord.objects.filter(kind=Kind.OUTCOME, action="card.disable").count() == 8


@pytest.mark.django_db(transaction=True)
def test_more_items_run_than_writes_are_in_flight_and_never_more_writes_than_asked(
    sandbox: Any, bulk_job: Callable[..., Job], monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.paytronix.session import Transport

    cards = active_cards(sandbox, 12)
    job = bulk_job(cards)
    sandbox.faults.latency(0.05)
    lock = threading.Lock()
    sending = 0
    most_sending = 0
    running = 0
    most_running = 0
    original = Transport._send

    def counted_send(self: Transport, endpoint: Any, *args: Any) -> Any:
        nonlocal sending, most_sending
        if not endpoint.write:
            return original(self, endpoint, *args)
        with lock:
            sending += 1
            most_sending = max(most_sending, sending)
        try:
            return original(self, endpoint, *args)
        finally:
            with lock:
                sending -= 1

    def counted_item(run: ItemRun) -> ItemResult:
        nonlocal running, most_running
        with lock:
            running += 1
            most_running = max(most_running, running)
        try:
            return disable_item(run)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(Transport, "_send", counted_send)
    job_run_items(job.pk, Handler(counted_item), concurrency=2)

    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 12)
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    # Two writes in flight at most, as asked; more items than that under way beside them.
    assert most_sending == 2
    assert most_running > 2
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_what_an_item_needs_is_read_ahead_while_the_items_before_it_run(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 10)
    job = bulk_job(cards)
    first_write_done = threading.Event()
    read_before_first_write_ended: list[bool] = []

    def ahead(item: JobItem) -> str:
        read_before_first_write_ended.append(not first_write_done.is_set())
        return f"read {item.payload['card_number']}"

    def write(run: ItemRun) -> ItemResult:
        assert run.prepared is not None
        seen = run.prepared()
        time.sleep(0.05)
        first_write_done.set()
        return ItemResult(ItemOutcome.SUCCEEDED, seen)

    job_run_items(job.pk, Handler(write), concurrency=2, ahead=ahead)

    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 10)
    messages = list(job.items.order_by("position").values_list("message", flat=True))
    assert messages == [f"read {card}" for card in cards]
    # More reads started than the two writes running at once: they ran ahead.
    assert sum(read_before_first_write_ended) > 2
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_jobs_items_and_reads_ahead_ask_the_circuit_breaker_together(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    from portal.paytronix import breaker

    job = bulk_job(active_cards(sandbox, 6))
    seen: list[object] = []

    def ahead(item: JobItem) -> None:
        seen.append(breaker._together.get())

    def write(run: ItemRun) -> ItemResult:
        seen.append(breaker._together.get())
        return ItemResult(ItemOutcome.SUCCEEDED, "done")

    job_run_items(job.pk, Handler(write), concurrency=2, ahead=ahead)

    assert len(seen) == 12
    assert isinstance(seen[0], breaker.ChecksTogether)
    assert all(checks is seen[0] for checks in seen)
    assert breaker._together.get() is None  # the task's own thread shares nothing
    connection.close()


@pytest.fixture
def soft_time_limit() -> Any:
    """``fire()`` raises ``SoftTimeLimitExceeded`` in the main thread, as Celery's signal does."""

    def raise_limit(signum: int, frame: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGUSR1, raise_limit)
    yield lambda: os.kill(os.getpid(), signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, previous)


@pytest.mark.django_db(transaction=True)
def test_at_the_time_limit_items_under_way_finish_and_no_other_item_starts(
    sandbox: Any, bulk_job: Callable[..., Job], soft_time_limit: Callable[[], None]
) -> None:
    # Two writes at once: twice as many items under way (runner._ITEMS_PER_WRITE).
    under_way = 2 * runner._ITEMS_PER_WRITE
    job = bulk_job(active_cards(sandbox, under_way + 4))
    started = threading.Barrier(under_way)

    def slow(run: ItemRun) -> ItemResult:
        # Every first item is under way when the limit strikes; they finish after it.
        if started.wait(timeout=5) == 0:
            soft_time_limit()
        time.sleep(0.3)
        return ItemResult(ItemOutcome.SUCCEEDED, "disabled")

    handler = Handler(slow)

    job_run_items(job.pk, handler, concurrency=2)

    assert handler.positions == list(range(1, under_way + 1))
    items = list(job.items.order_by("position"))
    assert [(i.outcome, i.message) for i in items[:under_way]] == [
        (ItemOutcome.SUCCEEDED, "disabled")
    ] * under_way
    assert {(i.outcome, i.message) for i in items[under_way:]} == {
        (ItemOutcome.FAILED, "The job ran out of time before this item.")
    }
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.PARTLY_FAILED, under_way + 4, 4)
    connection.close()


def test_an_item_interrupted_by_the_time_limit_is_unknown_like_its_audit_record(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)

    def limit_during_the_second(run: ItemRun) -> ItemResult:
        if run.item.position != 2:
            return disable_item(run)

        def interrupted(client: Any) -> None:
            raise SoftTimeLimitExceeded()

        result = mutation_run(
            actor=run.actor,
            action="card.disable",
            target=Target(printed_card_number=cards[1]),
            params={"printedCardNumber": cards[1], "status": "DISABLED"},
            reason=run.reason,
            idempotency_key=run.idempotency_key,
            context=run.context,
            job_id=run.job.pk,
            call=interrupted,
        )
        return ItemResult.from_mutation(result)

    handler = Handler(limit_during_the_second)

    job_run_items(job.pk, handler, concurrency=1)

    assert handler.positions == [1, 2]
    first, second, third = job.items.order_by("position")
    assert first.outcome == ItemOutcome.SUCCEEDED
    assert second.outcome == ItemOutcome.UNKNOWN
    assert second.intent is not None
    assert AuditRecord.objects.get(intent=second.intent).outcome == Outcome.UNKNOWN
    assert (third.outcome, third.message) == (
        ItemOutcome.FAILED,
        "The job ran out of time before this item.",
    )
    assert sandbox.state.card(cards[2]).status == "ACTIVE"


def test_at_the_time_limit_an_item_a_stopped_worker_started_is_unknown_not_failed(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    # A first attempt leaves its row pending while it runs: what says a stopped worker had
    # started item 2 is its attempt's intent.
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)
    started = started_by_a_stopped_worker(job, supervisor, cards[1], 2)

    def limit_during_the_first(run: ItemRun) -> ItemResult:
        raise SoftTimeLimitExceeded()

    job_run_items(job.pk, Handler(limit_during_the_first), concurrency=1)

    first, second, third = job.items.order_by("position")
    under_way = "Still under way when the job ran out of time; the audit log settles it."
    # Item 1 was this worker's, interrupted: under way, with no intent of its own.
    assert (first.outcome, first.message, first.intent_id) == (
        ItemOutcome.UNKNOWN,
        under_way,
        None,
    )
    assert (second.outcome, second.message, second.intent_id) == (
        ItemOutcome.UNKNOWN,
        under_way,
        started,
    )
    assert (third.outcome, third.message) == (
        ItemOutcome.FAILED,
        "The job ran out of time before this item.",
    )


def test_a_cancel_leaves_an_item_a_stopped_worker_started_unknown_not_cancelled(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)
    started = started_by_a_stopped_worker(job, supervisor, cards[2], 3)

    def cancel_during_the_first(run: ItemRun) -> ItemResult:
        job_cancel(job=run.job, actor=supervisor)
        return ItemResult(ItemOutcome.SUCCEEDED)

    job_run_items(job.pk, Handler(cancel_during_the_first), concurrency=1)

    items = list(job.items.order_by("position"))
    assert [(i.outcome, i.intent_id) for i in items] == [
        (ItemOutcome.SUCCEEDED, None),
        (ItemOutcome.CANCELLED, None),
        (ItemOutcome.UNKNOWN, started),
    ]
    assert (
        items[2].message == "Still under way when the job was cancelled; the audit log settles it."
    )
    job.refresh_from_db()
    # Cancelled items are not counted as done (as a cancel between items counts them).
    assert (job.status, job.done) == (JobStatus.CANCELLED, 2)


def test_at_the_time_limit_an_item_being_settled_ends_unknown_and_the_job_counts_it(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    # Left "settling" by a worker that died mid-call, re-read by this chunk when the limit
    # strikes: it must end (for the reconciler), not stay settling in a finished job.
    cards = active_cards(sandbox, 2)
    job = bulk_job(cards)
    started = started_by_a_stopped_worker(job, supervisor, cards[0], 1)
    JobItem.objects.filter(job=job, position=1).update(status=ItemStatus.SETTLING, attempts=1)

    def limit(run: ItemRun) -> ItemResult:
        raise SoftTimeLimitExceeded()

    job_run_items(job.pk, Handler(limit), concurrency=1)

    first, second = job.items.order_by("position")
    assert (first.status, first.outcome, first.intent_id) == (
        ItemStatus.DONE,
        ItemOutcome.UNKNOWN,
        started,
    )
    assert (second.outcome, second.message) == (
        ItemOutcome.FAILED,
        "The job ran out of time before this item.",
    )
    job.refresh_from_db()
    assert (job.done, job.total) == (2, 2)


def test_an_items_first_attempt_writes_nothing_when_it_starts_and_its_attempts_are_counted(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any
) -> None:
    from django.test.utils import CaptureQueriesContext

    settings.JOBS_ITEM_ATTEMPTS = 3
    job = bulk_job(active_cards(sandbox, 3))

    def second_retried_once(run: ItemRun) -> ItemResult:
        if run.item.position == 2 and run.attempt == 1:
            return ItemResult(ItemOutcome.FAILED, "circuit open", retry=True)
        return ItemResult(ItemOutcome.SUCCEEDED)

    with CaptureQueriesContext(connection) as queries:
        job_run_items(job.pk, Handler(second_retried_once), concurrency=1)

    starts = [q["sql"] for q in queries if "SET status = 'running'" in q["sql"]]
    # Only the retry is written as it starts (its attempt is not the one the row says).
    assert len(starts) == 1
    items = job.items.order_by("position")
    assert [(i.outcome, i.attempts) for i in items] == [
        (ItemOutcome.SUCCEEDED, 1),
        (ItemOutcome.SUCCEEDED, 2),
        (ItemOutcome.SUCCEEDED, 1),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_item_still_under_way_after_the_wait_is_left_unknown_for_the_reconciler(
    sandbox: Any,
    bulk_job: Callable[..., Job],
    soft_time_limit: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "_stop_wait", lambda: 0.1)
    job = bulk_job(active_cards(sandbox, 3))
    release = threading.Event()

    def stuck(run: ItemRun) -> ItemResult:
        if run.item.position == 1:
            soft_time_limit()
        release.wait(timeout=10)
        return ItemResult(ItemOutcome.SUCCEEDED, "disabled")

    try:
        job_run_items(job.pk, Handler(stuck), concurrency=2)

        first = job.items.get(position=1)
        assert (first.outcome, first.message) == (
            ItemOutcome.UNKNOWN,
            "Still under way when the job ran out of time; the audit log settles it.",
        )
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name.startswith(f"job-{job.pk}-"):
                thread.join(timeout=10)
    # The late finish does not overwrite the recorded end.
    assert job.items.get(position=1).outcome == ItemOutcome.UNKNOWN
    connection.close()


def test_a_write_slot_is_waited_for_only_as_long_as_an_intent_may_stay_unanswered(
    settings: Any,
) -> None:
    settings.PAYTRONIX_CONNECT_TIMEOUT, settings.PAYTRONIX_READ_TIMEOUT = 2.0, 5.0
    settings.PAYTRONIX_MAX_ATTEMPTS = 3
    settings.AUDIT_ABANDONED_AFTER = 60
    # The write's longest call: two connect timeouts and their 4 s pauses, then one attempt
    # of 2 + 5 s (19 s; a write is not retried after a read timeout). Half of what is left.
    assert runner._slot_wait() == (60 - 19.0) / 2
    # Settings that leave no room: no wait at all (and one item per write, see below).
    settings.AUDIT_ABANDONED_AFTER = 8
    assert runner._slot_wait() == 0


def test_a_write_slots_wait_leaves_room_for_the_clients_longest_write(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.paytronix.session import ClientConfig

    asked: list[bool] = []

    def longest_call(config: ClientConfig, *, retryable: bool = True) -> float:
        asked.append(retryable)
        return 33.0

    monkeypatch.setattr(ClientConfig, "longest_call", longest_call)
    settings.AUDIT_ABANDONED_AFTER = 60

    assert runner._slot_wait() == (60 - 33.0) / 2
    assert asked == [False]


@pytest.mark.django_db(transaction=True)
def test_with_no_time_to_wait_for_a_slot_as_many_items_run_as_writes_may(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any
) -> None:
    settings.AUDIT_ABANDONED_AFTER = (
        int(settings.PAYTRONIX_CONNECT_TIMEOUT + settings.PAYTRONIX_READ_TIMEOUT) + 1
    )
    job = bulk_job(active_cards(sandbox, 8))
    lock = threading.Lock()
    running = 0
    most_running = 0

    def counted(run: ItemRun) -> ItemResult:
        nonlocal running, most_running
        with lock:
            running += 1
            most_running = max(most_running, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return ItemResult(ItemOutcome.SUCCEEDED)

    job_run_items(job.pk, Handler(counted), concurrency=2)
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.SUCCEEDED, 8)
    assert most_running == 2
    connection.close()


def test_a_bulk_rows_retry_reads_its_card_account_again_not_the_first_attempts_read_ahead(
    sandbox: Any, bulk_job: Callable[..., Job]
) -> None:
    from cards.services.bulk import CardRead, card_status_item
    from portal.audit.types import Target

    cards = active_cards(sandbox, 1)
    job = bulk_job(cards)
    item = job.items.get()

    def failed_read_ahead() -> CardRead:  # what a read ahead that failed left: no account
        return CardRead(Target(printed_card_number=cards[0]))

    first = card_status_item(ItemRun(job=job, item=item, attempt=1, prepared=failed_read_ahead))
    assert first.outcome == ItemOutcome.SUCCEEDED
    [intent] = AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable")
    assert intent.account_id is None  # the read ahead was used as it came
    # As if the first attempt had never reached upstream: the card is active again.
    sandbox.state.write(lambda model, moment: setattr(model.card(cards[0]), "status", "ACTIVE"))
    again = card_status_item(ItemRun(job=job, item=item, attempt=2, prepared=failed_read_ahead))
    assert again.outcome == ItemOutcome.SUCCEEDED
    retry = AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable").latest("seq")
    assert retry.account_id == sandbox.state.card(cards[0]).account_id
