"""CSV export of a filtered view of the audit log, run as a job (the kind ``audit.export``,
registered in ``AuditConfig.ready``).

The rows are those that existed when the export started (a fixed upper record id), written in
chunks straight from a database cursor to a file, so memory stays flat whatever the size. Cells
that a spreadsheet would read as a formula are quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from typing import Any

from django.db.models import Max

from portal.audit.models import AuditRecord
from portal.audit.selectors import AuditFilters, audit_records_filter
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
    """Write the export of job ``job_id`` (an ``audit.export`` job) and end the job."""
    job = job_start(job_id)
    if job is None:
        return
    filters = AuditFilters.from_query(job.params.get("filters", {}))
    upto = AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0
    records = audit_records_filter(filters).filter(id__lte=upto).newest_first()
    total = records.count()
    job_progress(job, done=0, total=total)
    name, path = job_file_path(job, "csv")
    partial = path.with_suffix(".part")
    written = 0
    cancelled = False
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in export_rows(records.iterator(chunk_size=CHUNK)):
            writer.writerow(row)
            written += 1
            if written % CHUNK == 0:
                job_progress(job, done=written)
                if job_cancel_requested(job.pk):
                    cancelled = True
                    break
    if cancelled:
        partial.unlink(missing_ok=True)
        job_finish(job, status=JobStatus.CANCELLED, summary=f"cancelled after {written} records")
        return
    os.replace(partial, path)
    job_progress(job, done=written)
    job_finish(
        job,
        status=JobStatus.SUCCEEDED,
        summary=f"{written} records exported",
        result_file=name,
    )


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
