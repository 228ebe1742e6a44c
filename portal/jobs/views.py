"""Job pages: the user's recent jobs, one job with live progress, cancel, downloads."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from portal.audit.actions import ACTIONS
from portal.audit.records import event_record
from portal.jobs.models import Job, JobStatus
from portal.jobs.selectors import (
    job_items_page,
    job_items_rows,
    job_not_run_count,
    job_of_owner,
    jobs_recent,
)
from portal.jobs.services import job_cancel
from portal.spreadsheet import spreadsheet_cell
from portal.staff.access import requires, user_may
from portal.web import HtmxHttpRequest, audit_context, viewer_of

_ROW_FIELDS = ("position", "item", "status", "outcome", "message", "audit_record")
#: A page polls a running job for progress only this long after the last progress it saw (or
#: its load): each poll is a request that keeps the session alive, and an unattended page
#: must not outlive the idle timeout.
POLL_IDLE_SECONDS = 600


def _own_job(request: HttpRequest, job_id: int) -> Job:
    job = job_of_owner(owner=viewer_of(request), job_id=job_id)
    if job is None:
        raise Http404("No such job.")
    return job


@require_GET
@requires("view_jobs")
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/list.html", {"jobs": jobs_recent(owner=viewer_of(request))})


def _watching_since(request: HttpRequest, job: Job) -> int | None:
    """Since when (epoch seconds) the page has seen no progress, or None to stop polling.

    A page load starts the clock; the job's progress (``updated_at``) restarts it.
    """
    now = int(timezone.now().timestamp())
    raw = request.GET.get("watching_since", "")
    since = min(int(raw), now) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else now
    since = max(since, min(int(job.updated_at.timestamp()), now))
    return since if now - since < POLL_IDLE_SECONDS else None


def progress_context(job: Job) -> dict[str, Any]:
    """What a page showing ``job``'s progress needs when it is loaded: the job, and the clock
    its polling starts from (every job page renders ``jobs/detail.html#progress`` with it;
    without it the partial has nothing to poll with and says it stopped updating)."""
    return {"job": job, "watching_since": int(timezone.now().timestamp())}


def _progress(request: HttpRequest, job: Job) -> HttpResponse:
    return render(
        request,
        "jobs/detail.html#progress",
        {"job": job, "watching_since": _watching_since(request, job)},
    )


@require_GET
@requires("view_jobs")
def job_detail(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    """The job page; an htmx poll gets just its progress, and a page reload once it ends."""
    job = _own_job(request, job_id)
    if request.htmx:
        if job.is_finished:
            return HttpResponseClientRefresh()
        if request.GET.get("part") == "items":
            context = _items_context(request, job)
            context["watching_since"] = _watching_since(request, job)
            return render(request, "jobs/detail.html#items", context)
        return _progress(request, job)
    return render(
        request,
        "jobs/detail.html",
        progress_context(job)
        | _items_context(request, job)
        | {
            "not_run": job_not_run_count(job),
            # Once asked to stop, there is nothing more to cancel: the button goes.
            "cancellable": not job.is_finished and not job.cancel_requested,
        },
    )


def _items_context(request: HtmxHttpRequest, job: Job) -> dict[str, Any]:
    """The page of items the address asks for (``after``, ``show``), and the address that
    polls it while the job runs (its rows end while the page is open)."""
    after = request.GET.get("after", "")
    position = after.isascii() and after.isdigit() and len(after) <= 18
    not_succeeded = request.GET.get("show") == "not-succeeded"
    page = job_items_page(job, after=int(after) if position else 0, not_succeeded=not_succeeded)
    kept = {"part": "items"}
    if position:
        kept["after"] = after
    if not_succeeded:
        kept["show"] = "not-succeeded"
    return {
        "job": job,
        "page": page,
        "not_succeeded": not_succeeded,
        "items_poll_url": f"{reverse('jobs:detail', args=[job.pk])}?{urlencode(kept)}",
    }


@require_POST
@requires("view_jobs")
def job_cancel_view(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    job = job_cancel(job=_own_job(request, job_id), actor=viewer_of(request))
    if request.htmx:
        return _progress(request, job)
    if job.status == JobStatus.CANCELLED:
        messages.info(request, "The job was cancelled.")
    else:
        messages.info(request, "The job stops after the items under way.")
    return redirect("jobs:detail", job_id=job.pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The results as CSV lines; an item's message can hold upstream's words, so every cell is
    made safe to open in a spreadsheet."""
    writer = csv.writer(_Echo())
    yield writer.writerow(_ROW_FIELDS)
    for row in rows:
        yield writer.writerow([spreadsheet_cell(row[name]) for name in _ROW_FIELDS])


@require_GET
@requires("view_jobs")
def job_results(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """Every item's result as CSV, streamed."""
    job = _own_job(request, job_id)
    response = StreamingHttpResponse(_csv_lines(job_items_rows(job)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-results.csv"'
    return response


@require_GET
@requires("view_jobs")
def job_file(request: HttpRequest, job_id: int) -> FileResponse:
    """The job's output file (an export), for its owner while they may still do its action."""
    job = _own_job(request, job_id)
    spec = ACTIONS.get(job.kind)
    if spec is None or not user_may(request.user, spec.permission) or not job.result_file:
        raise Http404("No file to download.")
    directory = Path(settings.JOBS_FILES_DIR).resolve()
    path = (directory / job.result_file).resolve()
    if path.parent != directory or not path.is_file():
        raise Http404("No file to download.")
    event_record(
        action="job.download",
        actor=request.user,
        context=audit_context(request),
        params={"job": job.pk, "kind": job.kind},
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.kind.replace('.', '-')}-{job.pk}{path.suffix}",
        content_type="text/csv",
    )
