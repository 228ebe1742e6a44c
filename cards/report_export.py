"""The adjustments report as CSV: one row per adjustment or void (``cards.reports``), written
straight away for a small range, or by a job (the kind ``report.adjustments_export``, registered
in ``CardsConfig.ready``) for a large one. A job reads the log as it was when it started (a fixed
last record id), in chunks to a file, so memory stays flat whatever the range. A cell a
spreadsheet would read as a formula is quoted with a leading apostrophe."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.db.models import Max

from cards.reports import AdjustmentFilters, AdjustmentLine, adjustment_lines
from portal.audit.models import AuditRecord
from portal.audit.types import AuditContext
from portal.jobs.lifecycle import job_file_path, job_finish, job_progress, job_start
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_create
from portal.spreadsheet import spreadsheet_cell
from portal.staff.models import User

KIND = "report.adjustments_export"
#: Rows between two progress updates of an export job.
PROGRESS_EVERY = 1000
CSV_COLUMNS = (
    "occurred_at",
    "action",
    "record_id",
    "outcome",
    "agent",
    "role",
    "store_code",
    "account_id",
    "card_masked",
    "wallet_code",
    "wallet_name",
    "quantity",
    "reason_code",
    "reason",
    "comment",
    "approval_request",
    "requested_by",
    "approved_by",
    "voids",
)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    # A signed quantity stays a number.
    return spreadsheet_cell(value, numbers_kept=True)


def csv_row(line: AdjustmentLine) -> list[Any]:
    values = {
        **asdict(line),
        "reason": line.reason,
        "quantity": str(line.quantity),
        "store_code": line.store,
    }
    return [_cell(values.get(column)) for column in CSV_COLUMNS]


def csv_write(out: Any, lines: Iterable[AdjustmentLine]) -> int:
    """Write the header and one row per line to ``out``; the number of rows written."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written = 0
    for line in lines:
        writer.writerow(csv_row(line))
        written += 1
    return written


def adjustments_export_run(job_id: int) -> None:
    """Write the CSV of job ``job_id`` (a ``report.adjustments_export`` job) and end it."""
    job = job_start(job_id)
    if job is None:
        return
    filters = AdjustmentFilters.from_query(job.params.get("filters", {}))
    upto = AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0
    name, path = job_file_path(job, "csv")
    partial = path.with_suffix(".part")
    written = 0

    def counted(lines: Iterable[AdjustmentLine]) -> Iterable[AdjustmentLine]:
        nonlocal written
        for line in lines:
            yield line
            written += 1
            if written % PROGRESS_EVERY == 0:
                job_progress(job, done=written)

    with partial.open("w", newline="", encoding="utf-8") as out:
        csv_write(out, counted(adjustment_lines(filters, upto=upto)))
    os.replace(partial, path)
    job_progress(job, done=written, total=written)
    job_finish(
        job, status=JobStatus.SUCCEEDED, summary=f"{written} adjustments exported", result_file=name
    )


def adjustments_export_start(
    *, owner: User, filters: AdjustmentFilters, idempotency_key: str, context: AuditContext
) -> Job:
    """Queue the CSV of ``filters`` as a job (needs ``view_reports``; audited as the job's
    intent)."""
    return job_create(
        owner=owner,
        kind=KIND,
        idempotency_key=idempotency_key,
        context=context,
        params={"filters": filters.as_query()},
    )
