"""Reading jobs: a user's recent jobs, one of their jobs, a page of its items."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from portal.jobs.kinds import JOB_KINDS
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem
from portal.jobs.settling import attempt_intents
from portal.staff.models import User

RECENT = 50
ITEMS_PAGE = 100


def jobs_recent(*, owner: User, limit: int = RECENT) -> QuerySet[Job]:
    # The intent names the account a one-account job acts on (what the list shows per job).
    return (
        Job.objects.filter(owner=owner).select_related("intent").order_by("-created_at", "-id")
    )[:limit]


def job_of_owner(*, owner: User, job_id: int) -> Job | None:
    """The job if ``owner`` started it: other people's jobs do not exist for them."""
    return Job.objects.filter(pk=job_id, owner=owner).select_related("intent", "owner").first()


@dataclass(frozen=True)
class ItemsPage:
    items: list[JobItem]
    next_after: int | None
    #: Items of the page whose change is under way: pending, their attempt's intent recorded
    #: (a first attempt writes nothing on the item as it starts; see ``item_start``).
    under_way: frozenset[int] = frozenset()


#: The outcomes of items that did not do what they were asked ("not succeeded" on the page):
#: what the owner filters for to see what needs another look. Cancelled items never started.
NOT_SUCCEEDED = (
    ItemOutcome.FAILED,
    ItemOutcome.NEEDS_MORE_INFO,
    ItemOutcome.UNKNOWN,
    ItemOutcome.SUSPENDED,
)


def job_items_page(
    job: Job, *, after: int = 0, size: int = ITEMS_PAGE, not_succeeded: bool = False
) -> ItemsPage:
    """A page of the job's items after position ``after``; with ``not_succeeded``, only the
    items that ended without succeeding."""
    items = job.items.filter(position__gt=after)
    if not_succeeded:
        items = items.filter(outcome__in=NOT_SUCCEEDED)
    rows = list(items.order_by("position")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return ItemsPage(rows, rows[-1].position if more and rows else None, _under_way(job, rows))


def _under_way(job: Job, rows: list[JobItem]) -> frozenset[int]:
    """The ids of ``rows`` still pending whose first attempt has begun its change."""
    if job.is_finished:
        return frozenset()
    pending = [
        (item.pk, item.position, item.attempts)
        for item in rows
        if item.status == ItemStatus.PENDING and not item.outcome
    ]
    return frozenset(attempt_intents(job.pk, pending))


def job_items_rows(job: Job) -> Iterator[dict[str, Any]]:
    """Every item's result, in order, read in chunks, then what the job's input held and the
    job never ran (its kind's ``not_run``: a bulk file's refused lines), for the results
    download."""
    for item in job.items.order_by("position").iterator(chunk_size=1000):
        yield item.as_row()
    yield from _not_run(job)


def _not_run(job: Job) -> Iterable[dict[str, Any]]:
    kind = JOB_KINDS.get(job.kind)
    return kind.not_run(job) if kind is not None and kind.not_run is not None else ()


def job_not_run_count(job: Job) -> int:
    """How many of the job's input were refused before it started (its kind's
    ``not_run_count``: from what the job kept, without reading its input)."""
    kind = JOB_KINDS.get(job.kind)
    return kind.not_run_count(job) if kind is not None and kind.not_run_count is not None else 0
