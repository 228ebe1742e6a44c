"""The kinds of job, and how each one runs: a registry each app fills in ``AppConfig.ready()``.

A kind is named by its audit action (``bulk.card_status``, ``audit.export``). Item-by-item work
registers the handler of one item (``portal.jobs.runner``), with the number of items to run at
once when the app has a limit of its own; work that is not items (an export) registers a
function that runs the whole job. ``job_run_task`` finds the kind of the job it is given here,
so no app's tasks or services import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from portal.jobs.runner import ItemAhead, ItemHandler, job_run_items

if TYPE_CHECKING:
    from portal.jobs.models import Job


#: Result rows (``JobItem.as_row``'s columns) of what the job's input held and the job never
#: ran: a bulk file's refused lines.
NotRun = Callable[["Job"], Iterable[dict[str, Any]]]
#: How many that is, without reading them (the job page shows it on every view).
NotRunCount = Callable[["Job"], int]


@dataclass(frozen=True)
class JobKind:
    name: str
    #: Runs job ``job_id`` to its end (``job_run_items`` for item-by-item work).
    run: Callable[[int], object]
    not_run: NotRun | None = None
    not_run_count: NotRunCount | None = None


JOB_KINDS: dict[str, JobKind] = {}


def job_kind_register(
    name: str,
    *,
    items: ItemHandler | None = None,
    concurrency: Callable[[], int] | None = None,
    ahead: ItemAhead | None = None,
    run: Callable[[int], object] | None = None,
    not_run: NotRun | None = None,
    not_run_count: NotRunCount | None = None,
) -> JobKind:
    """Register how jobs of ``name`` run: ``items`` (a handler of one item, ``concurrency()``
    items at a time, ``JOBS_CONCURRENCY`` by default, with ``ahead`` reading what an item
    needs while the items before it run) or ``run`` (the whole job). ``not_run`` gives the
    result rows of what the job's input held and the job never ran (the results download lists
    them after the items), ``not_run_count`` how many there are, from what the job kept (the
    rows are not read for it)."""
    if (not_run is None) != (not_run_count is None):
        raise ValueError("a job kind gives what it never ran and how many together, or neither")
    if (items is None) == (run is None):
        raise ValueError("a job kind runs either item by item or as a whole: give one of them")
    if items is not None:
        handler = items
        how_many = concurrency or (lambda: settings.JOBS_CONCURRENCY)

        def run_items(job_id: int) -> object:
            return job_run_items(job_id, handler, concurrency=how_many(), ahead=ahead)

        run = run_items
    assert run is not None
    kind = JobKind(name=name, run=run, not_run=not_run, not_run_count=not_run_count)
    JOB_KINDS[name] = kind
    return kind


def job_kind(name: str) -> JobKind:
    try:
        return JOB_KINDS[name]
    except KeyError:
        raise LookupError(f"no such job kind: {name!r} (register it in AppConfig.ready)") from None
