"""Items a dead worker left mid-attempt, and when a job's task comes back.

An item is ``settling`` when its attempt's intent was committed but no outcome came back (its
worker died before or while sending): the runner reads it back through the door once a chunk
until it is settled, and ``job_next_run`` brings the task back every ``JOBS_SETTLE_POLL``
seconds while only such items are left. Past the door's and upstream's grace periods it ends
``unknown`` for the reconciler.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from portal.audit.models import AuditRecord, Kind
from portal.jobs.lifecycle import item_end
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem
from portal.metrics import job_item_observed


def item_key(job_id: int, position: int, attempt: int) -> str:
    return f"job:{job_id}:item:{position}:try:{attempt}"


def attempt_intents(job_id: int, items: list[tuple[int, int, int]]) -> dict[int, int]:
    """Of ``items`` (id, position, attempts), those whose current attempt (the first, for an
    item never tried) has its intent recorded: each item's id with its intent's. A first
    attempt writes nothing on its item as it starts; its intent says it began."""
    keys = {item_key(job_id, position, max(attempts, 1)): pk for pk, position, attempts in items}
    return {keys[key]: intent for key, intent in intents_of(list(keys)).items()} if keys else {}


def intent_of(key: str) -> int | None:
    return intents_of([key]).get(key)


def intents_of(keys: list[str]) -> dict[str, int]:
    """``intent_of`` for many keys at once: each key that has an intent, with its id."""
    found = AuditRecord.objects.filter(kind=Kind.INTENT, idempotency_key__in=keys)
    return dict(found.values_list("idempotency_key", "pk"))


def item_settling(item: JobItem, *, attempt: int) -> None:
    """Leave the item to be read back by the next chunk, on the same attempt."""
    JobItem.objects.filter(pk=item.pk).exclude(status=ItemStatus.DONE).update(
        status=ItemStatus.SETTLING, attempts=attempt
    )


def settle_given_up(intent_id: int | None) -> bool:
    """Past every grace period (abandoned, then not applied): the reconciler takes it over."""
    if intent_id is None:
        return True
    occurred = AuditRecord.objects.filter(pk=intent_id).values_list("occurred_at", flat=True)
    at = occurred.first()
    wait = (
        settings.AUDIT_ABANDONED_AFTER
        + settings.AUDIT_NOT_APPLIED_AFTER
        + 2 * settings.JOBS_SETTLE_POLL
    )
    return at is None or (timezone.now() - at).total_seconds() > wait


def never_sent(attempt: int) -> str:
    return (
        f"Attempt {attempt} never reached the loyalty system (its worker stopped before "
        "sending; reading back showed nothing changed), so it was tried again."
    )


def settling_end(job: Job) -> None:
    """The job was cancelled: items still being settled end ``unknown`` for the reconciler."""
    for item in JobItem.objects.filter(job=job, status=ItemStatus.SETTLING).order_by("position"):
        key = item_key(job.pk, item.position, max(item.attempts, 1))
        end = item_end(
            item,
            outcome=ItemOutcome.UNKNOWN,
            message="Its worker stopped mid-call; the reconciler will settle it.",
            intent_id=intent_of(key),
        )
        if end.ended:
            job_item_observed(kind=job.kind, outcome=ItemOutcome.UNKNOWN)


def items_left(job: Job) -> int:
    return job.items.exclude(status=ItemStatus.DONE).count()


def job_next_run(job_id: int) -> float | None:
    """When the task should run job ``job_id`` again: None when it has ended, at once (0) while
    items wait to start (or a job without items has not ended), ``JOBS_SETTLE_POLL`` seconds
    when only items being settled are left."""
    job = Job.objects.filter(pk=job_id).only("status").first()
    if job is None or job.is_finished:
        return None
    left = JobItem.objects.filter(job_id=job_id).exclude(status=ItemStatus.DONE)
    if not left.exists():
        # A job without items (an export) that has not ended runs its next chunk at once.
        return None if JobItem.objects.filter(job_id=job_id).exists() else 0.0
    if left.exclude(status=ItemStatus.SETTLING).exists():
        return 0.0
    return float(settings.JOBS_SETTLE_POLL)
