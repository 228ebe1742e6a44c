"""The life of a job once queued: started, its progress, each item ended once, cancelled items,
and the job ended once with its audit outcome. The runner and whole-job handlers (an export)
call these; ``portal.jobs.services`` creates and cancels jobs.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from portal.audit.models import Outcome
from portal.audit.records import outcome_record
from portal.jobs.models import FINISHED_STATUSES, ItemOutcome, ItemStatus, Job, JobItem, JobStatus

logger = logging.getLogger("portal.jobs")


def job_start(job_id: int) -> Job | None:
    """Mark a job running (a redelivered task finds it running already); None if it has
    finished or was cancelled before it started."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED_STATUSES:
            return None
        if job.status == JobStatus.QUEUED:
            job.status = JobStatus.RUNNING
            job.started_at = now
            job.updated_at = now
            job.save(update_fields=["status", "started_at", "updated_at"])
    # Every item reads the owner (the door's actor) and the intent (the reason): load them once.
    return Job.objects.select_related("owner", "intent").get(pk=job_id)


def job_cancel_requested(job_id: int) -> bool:
    return bool(Job.objects.filter(pk=job_id).values_list("cancel_requested", flat=True).first())


def job_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Report progress of a job that has no items (an export)."""
    changes: dict[str, Any] = {"done": done, "updated_at": timezone.now()}
    if total is not None:
        changes["total"] = total
    Job.objects.filter(pk=job.pk).update(**changes)


@dataclass(frozen=True)
class ItemEnd:
    """What ending an item did: whether this call ended it, and whether the job's owner has
    asked the job to stop (read back with the job's count, so the runner need not ask)."""

    ended: bool
    cancel_requested: bool | None = None


# The statements every item of a bulk job runs, written once: built by the ORM per item they
# cost more CPU than the item's own work around them (bench.profile_bulk). Values are prepared
# by their fields, as ``QuerySet.update`` does.
@dataclass(frozen=True)
class _ItemSql:
    started: str
    ended: str
    counted: str
    #: ``ended`` and ``counted`` as one statement (PostgreSQL's data-modifying WITH): atomic
    #: without a transaction, so one round trip where BEGIN, two updates and COMMIT were four.
    ended_and_counted: str | None


@functools.cache
def _item_sql(vendor: str) -> _ItemSql:
    quote = connection.ops.quote_name
    items = quote(JobItem._meta.db_table)
    jobs = quote(Job._meta.db_table)
    returning = (
        " RETURNING cancel_requested" if connection.features.can_return_rows_from_update else ""
    )
    # Table names from the models' metadata only; every value is a parameter.
    ended = (
        f"UPDATE {items} SET status = %s, outcome = %s, message = %s, intent_id = %s, "  # noqa: S608
        "payload = %s, finished_at = %s, attempts = CASE WHEN attempts < %s THEN %s ELSE "
        "attempts END WHERE id = %s AND NOT status = %s"
    )
    counted = f"UPDATE {jobs} SET done = done + 1, failed = failed + %s, updated_at = %s"  # noqa: S608
    return _ItemSql(
        started=f"UPDATE {items} SET status = %s, attempts = %s WHERE id = %s",  # noqa: S608
        ended=ended,
        counted=f"{counted} WHERE id = %s{returning}",
        ended_and_counted=(
            f"WITH ended AS ({ended} RETURNING job_id) {counted} FROM ended "
            f"WHERE {jobs}.id = ended.job_id RETURNING {jobs}.cancel_requested"
            if vendor == "postgresql"
            else None
        ),
    )


def _at(model: type[Job] | type[JobItem], name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)  # type: ignore[union-attr]


def item_start(item: JobItem, *, attempt: int) -> None:
    """Mark an item under way in its ``attempt`` (what a redelivered task goes on from), where
    that is not the attempt it is already known to be on: the first attempt of an item never
    tried, or the one a stopped worker left it on, is the one a redelivered task takes anyway,
    so it writes nothing (one statement less for every item of a bulk job). Such an item stays
    ``pending`` (or ``settling``) while it runs: what it started is its attempt's audit intent
    (``portal.jobs.runner._left_end``)."""
    if attempt == max(item.attempts, 1):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _item_sql(connection.vendor).started, [ItemStatus.RUNNING.value, attempt, item.pk]
        )


def item_end(
    item: JobItem,
    *,
    outcome: str,
    message: str = "",
    intent_id: int | None = None,
    attempt: int = 0,
) -> ItemEnd:
    """End one item with its outcome and drop its payload; count it once, even when a
    redelivered task reaches the same item again. ``attempt``: the last attempt made, which
    the item's count of attempts takes if it is behind (a first attempt is not written when
    it starts)."""
    now = timezone.now()
    sql = _item_sql(connection.vendor)
    ended = [
        ItemStatus.DONE.value,
        str(outcome),
        message[:MESSAGE_LIMIT],
        intent_id,
        _at(JobItem, "payload", {}),
        _at(JobItem, "finished_at", now),
        attempt,
        attempt,
        item.pk,
        ItemStatus.DONE.value,
    ]
    counted = [0 if outcome in ENDED_AS_ASKED else 1, _at(Job, "updated_at", now)]
    if outcome == ItemOutcome.CANCELLED:
        with connection.cursor() as cursor:
            cursor.execute(sql.ended, ended)
            return ItemEnd(ended=bool(cursor.rowcount))
    if sql.ended_and_counted is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql.ended_and_counted, [*ended, *counted])
            row = cursor.fetchone()
        return ItemEnd(ended=row is not None, cancel_requested=bool(row[0]) if row else None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.ended, ended)
        if not cursor.rowcount:
            return ItemEnd(ended=False)
        cursor.execute(sql.counted, [*counted, item.job_id])
        row = cursor.fetchone() if cursor.description else None
    return ItemEnd(ended=True, cancel_requested=bool(row[0]) if row else None)


#: The longest item message kept.
MESSAGE_LIMIT = 2000


def stop_words(job: Job) -> tuple[str, str] | None:
    """Why the runner stopped ``job`` and what to do (its summary's words); None if it did not."""
    stopped = Job.objects.filter(pk=job.pk).values_list("stop_message", "stop_after").first()
    if not stopped or not stopped[0]:
        return None
    message, after = stopped
    return (
        f"Stopped: its first {after} items all failed the same way",
        f"Check the file, then upload it again. Each said: \u201c{message}\u201d",
    )


#: An item that ended as it asked: made so, or found so already.
ENDED_AS_ASKED = (ItemOutcome.SUCCEEDED, ItemOutcome.UNCHANGED)

_JOB_OUTCOME = {
    JobStatus.SUCCEEDED: Outcome.SUCCEEDED,
    JobStatus.PARTLY_FAILED: Outcome.FAILED,
    JobStatus.FAILED: Outcome.FAILED,
    JobStatus.CANCELLED: Outcome.FAILED,
    JobStatus.STOPPED: Outcome.FAILED,
    JobStatus.SUSPENDED: Outcome.FAILED,
}


def _items_summary(job: Job) -> tuple[JobStatus, str, int, int]:
    counts: dict[str, int] = {
        row["outcome"]: row["n"]
        for row in job.items.filter(status=ItemStatus.DONE)
        .values("outcome")
        .annotate(n=Count("id"))
    }
    succeeded = sum(counts.get(outcome, 0) for outcome in ENDED_AS_ASKED)
    cancelled = counts.get(ItemOutcome.CANCELLED, 0)
    not_started = counts.get(ItemOutcome.NOT_STARTED, 0)
    suspended = counts.get(ItemOutcome.SUSPENDED, 0)
    ended = sum(counts.values()) - cancelled - not_started
    not_ok = ended - succeeded
    parts = [f"{counts[o]} {ItemOutcome(o).label.lower()}" for o in ItemOutcome if counts.get(o)]
    summary = ", ".join(parts) or "nothing to do"
    if cancelled:
        status = JobStatus.CANCELLED
    elif not_started:
        status = JobStatus.STOPPED
    elif not_ok == 0:
        status = JobStatus.SUCCEEDED
    elif suspended == not_ok and succeeded == 0:
        status = JobStatus.SUSPENDED
    elif succeeded == 0:
        status = JobStatus.FAILED
    else:
        status = JobStatus.PARTLY_FAILED
    return status, summary, ended, not_ok


def job_finish(
    job: Job,
    *,
    status: JobStatus | None = None,
    summary: str = "",
    result_file: str = "",
) -> Job:
    """End a job once (its audit outcome is recorded by whichever call ends it).

    Without ``status``, it follows from the items' outcomes: cancelled if any was cancelled,
    else succeeded, account suspended (every item that did not succeed was answered
    ``accountSuspended`` and none succeeded), failed or partly failed; or stopped, where the
    runner stopped it (``stop_words``): the summary says why, the counts, then what to do.
    """
    now = timezone.now()
    changes: dict[str, Any] = {"finished_at": now, "updated_at": now}
    if status is None:
        status, summary, done, failed = _items_summary(job)
        changes.update(done=done, failed=failed)
        stopped = stop_words(job)
        if stopped is not None:
            why, advice = stopped
            status, summary = JobStatus.STOPPED, f"{why} ({summary}). {advice}"
    if result_file:
        changes["result_file"] = result_file
    with transaction.atomic():
        ended = (
            Job.objects.filter(pk=job.pk)
            .exclude(status__in=FINISHED_STATUSES)
            .update(status=status, summary=summary, **changes)
        )
        job.refresh_from_db()
        if ended and job.intent is not None:
            outcome_record(
                intent=job.intent,
                outcome=_JOB_OUTCOME[status],
                upstream_result=status,
                error_message=summary,
                params={"done": job.done, "failed": job.failed, "total": job.total},
            )
    if ended:
        logger.info("job %d %s: %s", job.pk, status, summary)
    return job


def items_cancel(
    job: Job,
    message: str = "Cancelled before it started.",
    outcome: ItemOutcome = ItemOutcome.CANCELLED,
) -> int:
    """End every item that has not started with ``outcome`` (``cancelled``)."""
    return job.items.filter(status=ItemStatus.PENDING).update(
        status=ItemStatus.DONE,
        outcome=outcome,
        message=message,
        payload={},
        finished_at=timezone.now(),
    )


def job_file_path(job: Job, suffix: str) -> tuple[str, Path]:
    """A fresh, unguessable file name for a job's output, and its path."""
    name = f"{job.kind.replace('.', '-')}-{job.pk}-{uuid.uuid4().hex}.{suffix}"
    directory = Path(settings.JOBS_FILES_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return name, directory / name
