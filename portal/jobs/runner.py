"""Running a bulk job's items: how every item-by-item job kind runs.

A kind registers the handler of one item (``portal.jobs.kinds``), and ``job_run_task`` hands
the job id to ``job_run_items`` with it::

    job_kind_register("bulk.card_status", items=card_status_item)   # in AppConfig.ready()

    def card_status_item(run: ItemRun) -> ItemResult:
        card = run.item.payload["card_number"]
        result = mutation_run(
            actor=run.actor, action="card.disable", target=Target(printed_card_number=card),
            params={"printedCardNumber": card, "status": "DISABLED"}, reason=run.reason,
            idempotency_key=run.idempotency_key, context=run.context, job_id=run.job.pk,
            call=lambda client: client.guest.change_card_status(
                printed_card_number=card, status="DISABLED"),
        )
        return ItemResult.from_mutation(result)

What the runner guarantees:

* A task runs the job in chunks: it starts items for ``JOBS_CHUNK_SECONDS``, lets the ones
  under way finish, and returns; ``job_run_task`` queues the job again (``job_next_run``). No
  task runs long, so the broker's visibility timeout, and with it the wait for a killed
  worker's job, stays short.
* Items already ended are skipped, so a task redelivered after its worker died picks up where
  it stopped. An item that was under way keeps its idempotency key: the door answers with the
  first attempt's outcome, or settles it by reading upstream back, and never calls twice.
* An item whose worker died after its intent and before its outcome is ``settling``: read back
  once a chunk (``JOBS_SETTLE_POLL`` apart when nothing else is left) until the door settles it.
  Settled as applied, it succeeded; settled as not applied (the write never reached upstream),
  it is tried again under a new key, its intent linked to the first (``retry_of``), and the
  item's message says so; never settled within the grace periods, it ends ``unknown`` for the
  reconciler.
* A transient upstream fault (nothing reached upstream) is retried with backoff under a new
  key, up to ``JOBS_ITEM_ATTEMPTS`` attempts; an unknown outcome is never retried.
* Every item ends with an outcome, also when its handler raises.
* A job whose first ``JOBS_STOP_AFTER_SAME_FAILURES`` items all failed with one message that
  upstream answered (a wrong file) stops as for a cancel: the stop is written on the job
  (``stop_message``, ``cancel_requested``), the items not started end ``not_started``, and
  the job ``stopped``, its summary saying why and what to do.
* Cancellation is checked between items (as the last item to end read it back, or read
  again when that is a second old); items under way finish.
* At the task's soft time limit no further item starts: items under way get a bounded time to
  finish (their upstream call is in flight, and its outcome is the audit's), items never started
  end as "ran out of time", and an item still under way after that ends ``unknown``, linked to
  its intent, for the reconciler to settle.
* After a cancel or at the time limit, an item a stopped worker had started (its attempt's
  intent is recorded; a first attempt writes nothing else as it starts) ends ``unknown`` too,
  never "cancelled" or "ran out of time", and an item being settled ends ``unknown``.
* When the worker is asked to stop (SIGTERM, ``portal.worker.stop_requested``) no further item
  starts: items under way finish, one waiting to be retried goes back to pending, and the task
  is handed back to the broker (``Reject(requeue=True)``) for another worker to go on with.
* ``JOBS_CONCURRENCY`` items run at once, each in its own thread with its own database
  connection (closed when the thread ends). Their upstream calls, the reads ahead too, ask the
  circuit breaker's shared state together (``ChecksTogether``), not once a call.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from portal.audit.models import Outcome
from portal.audit.types import AuditContext, MutationResult, Reason
from portal.jobs.lifecycle import (
    MESSAGE_LIMIT,
    item_end,
    item_start,
    items_cancel,
    job_cancel_requested,
    job_finish,
    job_start,
    stop_words,
)
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem
from portal.jobs.settling import (
    attempt_intents,
    intent_of,
    item_key,
    item_settling,
    items_left,
    never_sent,
    settle_given_up,
    settling_end,
)
from portal.logcontext import log_context
from portal.metrics import job_item_observed
from portal.paytronix.breaker import ChecksTogether, share_checks
from portal.paytronix.client import config_from_settings
from portal.paytronix.guard import WriteSlots, writes_at_once
from portal.staff.models import User
from portal.worker import stop_requested

logger = logging.getLogger("portal.jobs")

_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0
_PENDING_POLL = 1.0
#: After the soft time limit, how long items under way may take to finish: one upstream call
#: (connect + read timeout) and a margin, well inside the minute before the hard limit.
_STOP_MARGIN = 5.0
_STOP_CAP = 45.0
#: How stale the runner's knowledge of a cancel may get while no item ends (each item that
#: ends reads it back with the job's count).
_CANCEL_POLL = 1.0


@dataclass(frozen=True)
class ItemRun:
    """One attempt at one item, as the handler sees it."""

    job: Job
    item: JobItem
    attempt: int
    #: What the kind's ``ahead`` read for this item while earlier items ran (waits for it);
    #: None when the kind reads nothing ahead or the item runs on its own.
    prepared: Callable[[], Any] | None = None

    @property
    def actor(self) -> User:
        return self.job.owner

    @property
    def context(self) -> AuditContext:
        return AuditContext.from_dict(self.job.origin)

    @property
    def idempotency_key(self) -> str:
        return item_key(self.job.pk, self.item.position, self.attempt)

    @property
    def retry_of(self) -> int | None:
        """The intent of this item's previous attempt (pass it to ``mutation_run``)."""
        if self.attempt <= 1:
            return None
        return intent_of(item_key(self.job.pk, self.item.position, self.attempt - 1))

    @property
    def reason(self) -> Reason:
        """The item's own reason where its payload names it, else the job's intent's, field by
        field: a payload that holds ``reason_text`` (even blank: a bulk row's "found" is
        "Card found", nothing more) never takes the job's text."""
        payload = self.item.payload
        intent = self.job.intent
        code = payload.get("reason_code") or (intent.reason_code if intent else "")
        if "reason_text" in payload:
            text = payload["reason_text"] or ""
        else:
            text = intent.reason_text if intent else ""
        return Reason(code=str(code), text=str(text))


@dataclass(frozen=True)
class ItemResult:
    outcome: str
    message: str = ""
    intent_id: int | None = None
    #: Nothing reached upstream and trying again may work: retry under a new key.
    retry: bool = False
    #: Another process is still on this attempt: ask the door again with the same key.
    in_progress: bool = False
    #: A replayed attempt whose outcome is still unknown (its worker died): read it back later.
    settling: bool = False
    #: A replayed attempt that reading back settled as not applied: it never reached upstream.
    not_applied: bool = False

    @classmethod
    def from_mutation(cls, result: MutationResult, message: str = "") -> ItemResult:
        text = message or " ".join(
            part for part in (result.error_code, result.error_message) if part
        )
        if result.in_progress:
            return cls(Outcome.UNKNOWN, text, result.intent_id, in_progress=True)
        outcome = result.outcome if result.outcome in ItemOutcome.values else ItemOutcome.UNKNOWN
        if result.outcome == Outcome.FAILED and result.account_suspended:
            # Upstream answered, and its answer is that the account is now suspended: an
            # outcome of its own, not a failure to do the work (nothing to retry either).
            outcome = ItemOutcome.SUSPENDED
        # Failed and transient: nothing reached upstream (the door records a failure only when
        # provably nothing was applied), so a new key may try again. So also when replayed: a
        # worker that died after recording it (a connect that timed out) never got to retry.
        retry = result.outcome == Outcome.FAILED and result.transient
        settled = result.replayed and result.upstream_result == "settled"
        return cls(
            outcome,
            text,
            result.intent_id,
            retry=retry,
            settling=result.replayed and outcome == ItemOutcome.UNKNOWN,
            not_applied=settled and result.outcome == Outcome.FAILED,
        )


ItemHandler = Callable[[ItemRun], ItemResult]
#: Reads what an item's write will need, ahead of it (upstream reads only: no database).
ItemAhead = Callable[[JobItem], Any]


def _backoff(attempt: int) -> float:
    return float(min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)))


class _SameFailures:
    """Whether the job's items, from its first, all failed with one message, at least
    ``JOBS_STOP_AFTER_SAME_FAILURES`` of them (a wrong file: every card unknown upstream): then
    the rest is not started, and the job says why. Only failures upstream answered count (not
    a fault that outlasted its retries, nor a refusal or error of the console's own: those end
    the count). Counted as items end, from where the job's counts stood when this chunk began;
    the items table confirms it, and the stop is written on the job (``stop_message``, with
    ``cancel_requested``), so that every run of the job stops as for a cancel."""

    def __init__(self, job: Job) -> None:
        self._job_id = job.pk
        self.limit = settings.JOBS_STOP_AFTER_SAME_FAILURES
        self._lock = threading.Lock()
        # Off, or an item already ended otherwise (``done`` counts every ended item, ``failed``
        # those that did not end as asked).
        self._over = self.limit == 0 or job.done != job.failed
        self._count = job.done
        self._message: str | None = None

    def ended(self, outcome: str, message: str, *, answered: bool) -> bool:
        """Count an item that ended (``answered``: its failure is upstream's answer); whether
        this stopped the job."""
        message = message[:MESSAGE_LIMIT]
        with self._lock:
            if self._over:
                return False
            alike = self._message in (None, message)
            if outcome != ItemOutcome.FAILED or not answered or not alike:
                self._over = True
                return False
            self._message = message
            self._count += 1
            if self._count < self.limit:
                return False
            # Whatever follows, this count is over: the job stops now or never for it.
            self._over = True
            items = JobItem.objects.filter(job_id=self._job_id)
            failed = items.filter(outcome=ItemOutcome.FAILED, message=message)
            others = items.exclude(status=ItemStatus.PENDING).exclude(pk__in=failed.values("pk"))
            if others.exists() or failed.count() < self.limit:
                # Something else ended, or is under way elsewhere or being settled.
                return False
            # Unless its owner cancelled it first: then it is their cancel.
            return bool(
                Job.objects.filter(pk=self._job_id, cancel_requested=False).update(
                    cancel_requested=True, stop_message=message, stop_after=self.limit
                )
            )


class _CancelWatch:
    """Whether the job is to stop, for the items about to start: its owner asked (as of the last
    item that ended, as ``item_end`` reads the flag back with the job's count, or read again
    when that is ``_CANCEL_POLL`` old: one statement per item fewer than asking before each), or
    its items so far all failed alike (``failures``)."""

    def __init__(self, job: Job) -> None:
        self._job_id = job.pk
        self._asked = job.cancel_requested
        self._seen_at = time.monotonic()
        self.failures = _SameFailures(job)

    def asked(self) -> bool:
        if not self._asked and time.monotonic() - self._seen_at >= _CANCEL_POLL:
            self.seen(job_cancel_requested(self._job_id))
        return self._asked

    def seen(self, asked: bool | None) -> None:
        if asked is not None:
            self._asked = self._asked or asked
            self._seen_at = time.monotonic()


def _attempt(handle: ItemHandler, run: ItemRun) -> ItemResult:
    item_start(run.item, attempt=run.attempt)
    try:
        return handle(run)
    except SoftTimeLimitExceeded:
        raise
    except PermissionDenied as exc:
        return ItemResult(ItemOutcome.FAILED, str(exc) or "Not allowed.")
    except ValidationError as exc:
        return ItemResult(ItemOutcome.FAILED, " ".join(exc.messages))
    except Exception as exc:
        # The exception's text may hold what the item was about: log only its type.
        logger.error(
            "job %d item %d: %s in handler", run.job.pk, run.item.position, type(exc).__name__
        )
        return ItemResult(ItemOutcome.FAILED, f"Internal error ({type(exc).__name__}).")


def _finish(
    job: Job,
    item: JobItem,
    *,
    outcome: str,
    message: str,
    intent_id: int | None,
    cancel: _CancelWatch | None = None,
    attempt: int = 0,
    answered: bool = False,
) -> None:
    end = item_end(item, outcome=outcome, message=message, intent_id=intent_id, attempt=attempt)
    if end.ended:
        job_item_observed(kind=job.kind, outcome=outcome)
    if cancel is not None:
        cancel.seen(end.cancel_requested)
        if end.ended and cancel.failures.ended(outcome, message, answered=answered):
            cancel.seen(True)


def _hand_back(item: JobItem, *, next_attempt: int) -> None:
    """The worker is stopping: leave the item for the next delivery of the task, with the
    attempt it is to make (the same one while its outcome is pending elsewhere)."""
    JobItem.objects.filter(pk=item.pk).exclude(status=ItemStatus.DONE).update(
        status=ItemStatus.PENDING, attempts=next_attempt
    )


def _run_item(
    job: Job,
    item: JobItem,
    handle: ItemHandler,
    cancel: _CancelWatch,
    stopping: threading.Event | None = None,
    chunk_ends: float = float("inf"),
    prepared: Callable[[], Any] | None = None,
) -> None:
    attempt = max(item.attempts, 1)
    waited_until = min(
        chunk_ends,
        time.monotonic() + settings.AUDIT_ABANDONED_AFTER + settings.AUDIT_IN_PROGRESS_WAIT,
    )
    notes: list[str] = []
    with log_context(job_id=job.pk, job_item=item.position):
        while True:
            run = ItemRun(job=job, item=item, attempt=attempt, prepared=prepared)
            result = _attempt(handle, run)
            if stopping is not None and stopping.is_set():
                # Out of time: no further attempt or wait; this one's outcome is the item's.
                break
            waits = result.in_progress and time.monotonic() < waited_until
            retries = result.retry and attempt < settings.JOBS_ITEM_ATTEMPTS
            again = result.not_applied and attempt < settings.JOBS_ITEM_ATTEMPTS
            if (waits or retries or again) and stop_requested():
                _hand_back(item, next_attempt=attempt + 1 if retries or again else attempt)
                return
            if waits:
                time.sleep(_PENDING_POLL)
                continue
            if again:
                logger.info(
                    "job %d item %d: attempt %d never sent; trying again",
                    job.pk,
                    item.position,
                    attempt,
                )
                notes.append(never_sent(attempt))
                attempt += 1
                continue
            if retries:
                time.sleep(_backoff(attempt))
                attempt += 1
                continue
            if (result.in_progress or result.settling) and not settle_given_up(result.intent_id):
                item_settling(item, attempt=attempt)
                return
            break
        message = result.message
        if result.in_progress:
            message = "Still in progress elsewhere; the reconciler will settle it."
        elif result.settling:
            message = "Its worker stopped mid-call and reading back cannot tell yet; the "
            message += "reconciler will settle it."
        message = " ".join([*notes, message]).strip()
        _finish(
            job,
            item,
            outcome=result.outcome,
            message=message,
            intent_id=result.intent_id,
            cancel=cancel,
            attempt=attempt,
            # A failure upstream answered: recorded by the door, not a fault out of retries.
            answered=result.intent_id is not None and not result.retry,
        )


def _pending_items(job: Job) -> Any:
    return (
        JobItem.objects.filter(job=job)
        .exclude(status=ItemStatus.DONE)
        .order_by("position")
        .iterator(chunk_size=500)
    )


def _stop_wait() -> float:
    upstream_call = settings.PAYTRONIX_CONNECT_TIMEOUT + settings.PAYTRONIX_READ_TIMEOUT
    return float(min(_STOP_CAP, upstream_call + _STOP_MARGIN))


def _stop_threads(
    work: queue.Queue[_Work], threads: list[threading.Thread], stopping: threading.Event
) -> None:
    """Out of time: take back the items not started, let the ones under way finish (bounded)."""
    stopping.set()
    while True:
        try:
            work.get_nowait()
        except queue.Empty:
            break
    for _ in threads:
        work.put_nowait(None)
    deadline = time.monotonic() + _stop_wait()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


class _UnderWay:
    """The items this worker's threads hold (started, not yet ended), by id: what the time
    limit finds under way, whatever their rows say (a first attempt writes nothing when it
    starts: ``item_start``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    @contextmanager
    def holding(self, item: JobItem) -> Iterator[None]:
        """The item is held while it runs; one the time limit interrupts stays held."""
        with self._lock:
            self._ids.add(item.pk)
        yield
        with self._lock:
            self._ids.discard(item.pk)

    def __contains__(self, item_id: object) -> bool:
        with self._lock:
            return item_id in self._ids


#: How many items the time limit's end looks up together (their attempts' intents).
_LEFT_AT_ONCE = 500


def _left_end(job: Job, under_way: _UnderWay, *, cancelled: bool, stopped: bool = False) -> None:
    """End what a stop left, the time limit's or a cancel's: an item under way ends
    ``unknown`` (its audit outcome decides); one never started fails as out of time, or is
    cancelled; one being settled ends ``unknown`` for the reconciler (``settling_end``). Under
    way is an item this worker still holds, one on a later attempt (marked ``running``), or
    one whose attempt's intent is recorded (a worker that stopped started it: a first attempt
    writes nothing as it starts). ``stopped``: the runner cancelled it, its items all failing
    alike."""
    left = list(
        JobItem.objects.filter(job=job, status__in=[ItemStatus.PENDING, ItemStatus.RUNNING])
        .order_by("position")
        .values_list("pk", "position", "attempts", "status")
    )
    why = "stopped" if stopped else "was cancelled" if cancelled else "ran out of time"
    for start in range(0, len(left), _LEFT_AT_ONCE):
        rows = left[start : start + _LEFT_AT_ONCE]
        intents = attempt_intents(job.pk, [(pk, at, tries) for pk, at, tries, _ in rows])
        for pk, position, attempts, status in rows:
            item = JobItem(pk=pk, job=job, position=position, attempts=attempts, status=status)
            intent = intents.get(pk)
            if pk in under_way or status == ItemStatus.RUNNING or intent is not None:
                _finish(
                    job,
                    item,
                    outcome=ItemOutcome.UNKNOWN,
                    message=f"Still under way when the job {why}; the audit log settles it.",
                    intent_id=intent,
                    attempt=max(attempts, 1),
                )
            elif not cancelled:
                _finish(
                    job,
                    item,
                    outcome=ItemOutcome.FAILED,
                    message="The job ran out of time before this item.",
                    intent_id=None,
                )
    if cancelled:
        # What is left never started: cancelled in one statement.
        if stopped:
            message = "The job stopped before it: its first items all failed the same way."
            outcome = ItemOutcome.NOT_STARTED
        else:
            message, outcome = "Cancelled before it started.", ItemOutcome.CANCELLED
        for _ in range(items_cancel(job, message, outcome)):
            job_item_observed(kind=job.kind, outcome=outcome)
    settling_end(job)


def _run_inline(
    job: Job, handle: ItemHandler, chunk_ends: float, under_way: _UnderWay, cancel: _CancelWatch
) -> bool:
    for item in _pending_items(job):
        if cancel.asked():
            return True
        if stop_requested() or time.monotonic() >= chunk_ends:
            break
        with under_way.holding(item):
            _run_item(job, item, handle, cancel, chunk_ends=chunk_ends)
    return False


_Work = tuple[JobItem, Callable[[], Any] | None] | None


def _slot_wait() -> float:
    """How long an item's write waits for a slot, its intent already recorded: with its own
    call and every retry of it, within ``AUDIT_ABANDONED_AFTER``, so the reconciler never takes
    a write still waiting (or then sent) for an abandoned one. One not sent in time fails as
    never sent and is tried again. The call in the slot is a write: it is retried only after a
    fault that proves nothing was sent (``ClientConfig.longest_call``)."""
    call = config_from_settings().longest_call(retryable=False)
    return max(0.0, (settings.AUDIT_ABANDONED_AFTER - call) / 2)


#: Items under way per write in flight (``_run_threaded``).
_ITEMS_PER_WRITE = 2


def _prepared(future: Future[Any]) -> Callable[[], Any]:
    return future.result


def _run_threaded(
    job: Job,
    handle: ItemHandler,
    concurrency: int,
    chunk_ends: float,
    under_way: _UnderWay,
    cancel: _CancelWatch,
    ahead: ItemAhead | None = None,
) -> bool:
    wait = _slot_wait()
    # Where the settings leave no time to wait for a slot, one item per write, as many as
    # there are slots: a worker never waits for one.
    workers = (_ITEMS_PER_WRITE if wait > 0 else 1) * concurrency
    # Room for every worker's stop sentinel (``_stop_threads``).
    work: queue.Queue[_Work] = queue.Queue(maxsize=workers)
    cancelled = threading.Event()
    stopping = threading.Event()
    checks = ChecksTogether()
    # The reads ahead run beside the writes, at most ``concurrency`` at once, for the items in
    # the queue (so never more than ``2 * workers`` items are held: memory stays flat).
    reads = (
        ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix=f"job-{job.pk}-ahead",
            initializer=share_checks,
            initargs=(checks,),
        )
        if ahead is not None
        else None
    )

    # Twice as many items run as writes may be in flight: while one item's write is upstream,
    # another records its intent or its outcome, so ``concurrency`` writes stay in flight.
    slots = WriteSlots(
        threading.BoundedSemaphore(concurrency),
        wait=wait,
        ends=chunk_ends,
        stopping=stopping,
    )

    def worker() -> None:
        share_checks(checks)
        try:
            with writes_at_once(slots):
                while (taken := work.get()) is not None:
                    item, prepared = taken
                    # Past the chunk's end an item not started waits for the next chunk.
                    if stopping.is_set() or stop_requested() or time.monotonic() >= chunk_ends:
                        continue
                    # Items waiting in the queue have not started: a cancel stops them too.
                    if cancelled.is_set() or cancel.asked():
                        cancelled.set()
                        continue
                    with under_way.holding(item):
                        _run_item(job, item, handle, cancel, stopping, chunk_ends, prepared)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, name=f"job-{job.pk}-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for item in _pending_items(job):
            if cancelled.is_set() or cancel.asked():
                cancelled.set()
                break
            if stop_requested() or time.monotonic() >= chunk_ends:
                break
            prepared = _prepared(reads.submit(ahead, item)) if reads and ahead else None
            work.put((item, prepared))
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
    except BaseException:
        # The soft time limit (or anything else) while submitting or waiting.
        _stop_threads(work, threads, stopping)
        raise
    finally:
        if reads is not None:
            reads.shutdown(wait=False, cancel_futures=True)
    return cancelled.is_set()


def job_run_items(
    job_id: int,
    handle: ItemHandler,
    *,
    concurrency: int | None = None,
    ahead: ItemAhead | None = None,
) -> Job | None:
    """Run one chunk of job ``job_id``: its items not yet ended, through ``handle``, for up to
    ``JOBS_CHUNK_SECONDS``; end the job if nothing is left (``job_next_run`` says when the task
    should come back otherwise).

    ``concurrency`` (default ``JOBS_CONCURRENCY``) is how many items run at once, for an app
    whose upstream calls have a limit of their own (``CARDS_BULK_CONCURRENCY``). ``ahead``
    reads what an item will need (its card's account) while the items before it run, so each
    item's own upstream call is its write alone; its answer reaches the handler as
    ``run.prepared()``.
    Returns the job, or None if it had already ended (a duplicate delivery) or was cancelled
    before it started.
    """
    job = job_start(job_id)
    if job is None:
        return None
    concurrency = max(1, int(settings.JOBS_CONCURRENCY if concurrency is None else concurrency))
    chunk_ends = time.monotonic() + settings.JOBS_CHUNK_SECONDS
    under_way = _UnderWay()
    cancel = _CancelWatch(job)
    try:
        if concurrency == 1:
            stopped = _run_inline(job, handle, chunk_ends, under_way, cancel)
        else:
            stopped = _run_threaded(job, handle, concurrency, chunk_ends, under_way, cancel, ahead)
    except SoftTimeLimitExceeded:
        logger.warning("job %d reached the task time limit; ending what is left", job.pk)
        # The limit strikes this thread wherever it is, a query of its own included, whose
        # connection it then leaves unusable ("another command is already in progress"):
        # what is left is ended on a fresh one (inside a caller's transaction there is none
        # to take).
        if not connection.in_atomic_block:
            connection.close()
        _left_end(job, under_way, cancelled=False)
        return job_finish(job)
    if stopped:
        stopped_alike = stop_words(job) is not None
        if stopped_alike:
            logger.info("job %d stopped: its first items all failed alike", job.pk)
        _left_end(job, under_way, cancelled=True, stopped=stopped_alike)
    elif stop_requested() and job.items.exclude(status=ItemStatus.DONE).exists():
        logger.info("job %d handed back to the broker: the worker is stopping", job.pk)
        raise Reject("the worker is stopping", requeue=True)
    if job.items.exclude(status=ItemStatus.DONE).exists():
        logger.info("job %d: chunk ended, %d items left", job.pk, items_left(job))
        return job
    return job_finish(job)
