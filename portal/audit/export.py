"""CSV export of a filtered view of the audit log, run as a job (the kind ``audit.export``,
registered in ``AuditConfig.ready``).

The rows are those that existed when the export started (a fixed upper record id), written in
batches of ``CHUNK`` records straight to a file, so memory stays flat whatever the size, and in
chunks of ``JOBS_CHUNK_SECONDS`` (one task each), so no task nears the soft time limit. Cells
that a spreadsheet would read as a formula are quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max, Q

from portal.audit.models import AuditRecord
from portal.audit.selectors import AuditFilters, audit_records_filter, records_before
from portal.audit.types import AuditContext
from portal.jobs.lifecycle import (
    job_cancel_requested,
    job_file_path,
    job_finish,
    job_progress,
    job_start,
)
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_create
from portal.staff.models import User

CHUNK = 2000
COLUMNS = (
    "id",
    "seq",
    "occurred_at",
    "kind",
    "action",
    "outcome",
    "actor_id",
    "actor_username",
    "actor_role",
    "ip",
    "user_agent",
    "request_id",
    "merchant_id",
    "account_id",
    "card_masked",
    "card_hash",
    "reason_code",
    "reason_text",
    "params",
    "upstream_result",
    "error_code",
    "error_message",
    "duration_ms",
    "intent_id",
    "job_id",
    "record_hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_rows(records: Iterable[AuditRecord]) -> Iterable[list[Any]]:
    for record in records:
        yield [_cell(getattr(record, column)) for column in COLUMNS]


def audit_export_run(job_id: int) -> None:
    """Write one chunk of the export of job ``job_id`` (an ``audit.export`` job): batches of
    ``CHUNK`` records for up to ``JOBS_CHUNK_SECONDS``, then return for the task to queue the
    next chunk (``portal.jobs.settling.job_next_run``), so no task nears the soft time limit
    however large the export. The last chunk moves the file into place and ends the job.

    Where the export stands is kept in the job (``params["export"]``): the newest record it
    may include, the position of the last record written (newest first: its time and id), and
    the file's length after it. Each batch is flushed before that is saved, and a chunk after a
    worker died first cuts the file back to the saved length, so no row is lost or repeated.
    """
    job = job_start(job_id)
    if job is None:
        return
    filters = AuditFilters.from_query(job.params.get("filters", {}))
    state = job.params.get("export") or _export_begin(job, filters)
    partial = _partial(state)
    chunk_ends = time.monotonic() + settings.JOBS_CHUNK_SECONDS
    records = audit_records_filter(filters).filter(id__lte=state["upto"]).newest_first()
    with partial.open("r+", newline="", encoding="utf-8") as out:
        out.truncate(state["bytes"])
        out.seek(state["bytes"])
        writer = csv.writer(out)
        while True:
            batch = list(records.filter(_after(state))[:CHUNK])
            for row in export_rows(batch):
                writer.writerow(row)
            out.flush()
            if batch:
                last = batch[-1]
                state = {
                    **state,
                    "after": [last.occurred_at.isoformat(), last.pk],
                    "bytes": out.tell(),
                    "written": state["written"] + len(batch),
                }
                _export_save(job, state)
            if len(batch) < CHUNK:
                break
            if job_cancel_requested(job.pk):
                partial.unlink(missing_ok=True)
                summary = f"cancelled after {state['written']} records"
                job_finish(job, status=JobStatus.CANCELLED, summary=summary)
                return
            if time.monotonic() >= chunk_ends:
                return
    name = state["file"]
    os.replace(partial, partial.with_name(name))
    job_finish(
        job,
        status=JobStatus.SUCCEEDED,
        summary=f"{state['written']} records exported",
        result_file=name,
    )


def _export_begin(job: Job, filters: AuditFilters) -> dict[str, Any]:
    """The first chunk: fix the records the export holds, create the file with its header."""
    upto = AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0
    total = audit_records_filter(filters).filter(id__lte=upto).count()
    name, path = job_file_path(job, "csv")
    with path.with_suffix(".part").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(COLUMNS)
        size = out.tell()
    state = {"upto": upto, "file": name, "after": None, "bytes": size, "written": 0}
    job_progress(job, done=0, total=total)
    _export_save(job, state)
    return state


def _export_save(job: Job, state: dict[str, Any]) -> None:
    job.params = {**job.params, "export": state}
    Job.objects.filter(pk=job.pk).update(params=job.params)
    job_progress(job, done=state["written"])


def _partial(state: dict[str, Any]) -> Path:
    return (Path(settings.JOBS_FILES_DIR) / state["file"]).with_suffix(".part")


def _after(state: dict[str, Any]) -> Q:
    """The records after the last one written, newest first (time, then id)."""
    if state["after"] is None:
        return Q()
    return records_before(datetime.fromisoformat(state["after"][0]), state["after"][1])


def audit_export_create(
    *, owner: User, filters: AuditFilters, idempotency_key: str, context: AuditContext
) -> Job:
    """Queue an export of the records ``filters`` selects (needs ``export_audit_log``)."""
    return job_create(
        owner=owner,
        kind="audit.export",
        idempotency_key=idempotency_key,
        context=context,
        params={"filters": filters.as_query()},
    )
