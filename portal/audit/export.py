"""CSV export of a filtered view of the audit log, run as a job (the kind ``audit.export``,
registered in ``AuditConfig.ready``).

The rows are those that existed when the export started (a fixed upper record id), read as
plain values (no model instances) and written in batches of ``CHUNK`` records straight to a
file, so memory stays flat whatever the size, and in chunks of ``JOBS_CHUNK_SECONDS`` (one task
each), so no task nears the soft time limit. Cells that a spreadsheet would read as a formula
are quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import repeat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import CharField, DateTimeField, JSONField, Max, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.template.defaultfilters import pluralize

from portal.audit.models import AuditRecord, Kind
from portal.audit.selectors import (
    AuditFilters,
    audit_records_filter,
    latest_outcomes,
    records_before,
)
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
from portal.spreadsheet import FORMULA_START, spreadsheet_cell
from portal.staff.models import User

CHUNK = 5000
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
#: After the record's own columns: for a change (an intent, whose own outcome is "pending", as
#: recorded before the change was made), the outcome of its latest outcome record as the export
#: found it, so that a change reads as the audit list shows it without joining rows; empty for
#: the other records (their outcome is their own) and for a change with no outcome yet.
LATEST_OUTCOME = "latest_outcome"
HEADER = (*COLUMNS, LATEST_OUTCOME)
#: Where a row's keyset position is: its time and its id.
_AT, _ID, _KIND = COLUMNS.index("occurred_at"), COLUMNS.index("id"), COLUMNS.index("kind")


def _cell(value: Any) -> Any:
    """A text or JSON value as its cell: JSON with its keys sorted, text that a spreadsheet
    would read as a formula after an apostrophe (``spreadsheet_cell``)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return spreadsheet_cell(value)


def _texts(values: Sequence[str]) -> Sequence[str]:
    # One pass in C finds the rare column holding a cell to guard; only that one is rebuilt.
    if any(map(str.startswith, values, repeat(FORMULA_START))):
        return [_cell(value) for value in values]
    return values


def _times(values: Sequence[datetime]) -> list[str]:
    return list(map(datetime.isoformat, values))


def _json_texts(texts: Sequence[str]) -> list[Any]:
    # Read as JSON text: a value repeated in the batch (often "{}") is decoded and written once.
    cells = {text: _cell(json.loads(text)) for text in set(texts)}
    return [cells[text] for text in texts]


def _as_is(values: Sequence[Any]) -> Sequence[Any]:
    # Numbers, or None (an empty cell: the csv writer writes None as "").
    return values


def _column_cells(field: object) -> Callable[[Sequence[Any]], Sequence[Any]]:
    if isinstance(field, DateTimeField):
        return _times
    if isinstance(field, CharField | TextField):
        return _texts
    if isinstance(field, JSONField):
        return _json_texts
    return _as_is


_FIELDS = tuple(AuditRecord._meta.get_field(name) for name in COLUMNS)
#: What is read of each column: its value, or a JSON column's text.
_READ = tuple(
    Cast(name, TextField()) if isinstance(field, JSONField) else name
    for name, field in zip(COLUMNS, _FIELDS, strict=True)
)
#: How each column's values become cells, by the column's type (what ``_cell`` makes of each).
_COLUMN_CELLS = tuple(_column_cells(field) for field in _FIELDS)


def export_rows(
    rows: Sequence[Sequence[Any]], latest: Sequence[str] | None = None
) -> Iterator[tuple[Any, ...]]:
    """``rows`` (``COLUMNS`` as ``_READ`` reads them) as the file's rows of cells, the same as
    ``_cell`` makes of each value, worked out a column at a time; then, with ``latest``, each
    row's ``LATEST_OUTCOME``."""
    if not rows:
        return iter(())
    columns = zip(*rows, strict=True)
    cells = [to_cells(values) for to_cells, values in zip(_COLUMN_CELLS, columns, strict=True)]
    if latest is not None:
        cells.append(latest)
    return zip(*cells, strict=True)


def _latest_outcomes(rows: Sequence[Sequence[Any]], upto: int) -> list[str]:
    """Each row's ``LATEST_OUTCOME``: for an intent, the outcome of its newest outcome record
    up to record ``upto`` (the export's last), read for the batch's intents at once."""
    newest = latest_outcomes([row[_ID] for row in rows if row[_KIND] == Kind.INTENT], upto=upto)
    return [newest.get(row[_ID], "") for row in rows]


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
    records = (
        audit_records_filter(filters)
        .filter(id__lte=state["upto"])
        .newest_first()
        .values_list(*_READ)
    )
    with partial.open("r+", newline="", encoding="utf-8") as out:
        out.truncate(state["bytes"])
        out.seek(state["bytes"])
        writer = csv.writer(out)
        while True:
            count, after, kinds = _batch_write(
                records.filter(_after(state))[:CHUNK],
                writer,
                # An export begun before the column was added goes on without it (its header).
                latest_upto=state["upto"] if state.get(LATEST_OUTCOME) else None,
            )
            out.flush()
            if count:
                counted = state.get("kinds", {})
                state = {
                    **state,
                    "after": after,
                    "bytes": out.tell(),
                    "written": state["written"] + count,
                    "kinds": {k: counted.get(k, 0) + kinds.get(k, 0) for k in Kind.values},
                }
                _export_save(job, state)
            if count < CHUNK:
                break
            if job_cancel_requested(job.pk):
                partial.unlink(missing_ok=True)
                summary = f"cancelled after {_records_words(state)}"
                job_finish(job, status=JobStatus.CANCELLED, summary=summary)
                return
            if time.monotonic() >= chunk_ends:
                return
    name = state["file"]
    os.replace(partial, partial.with_name(name))
    job_finish(
        job,
        status=JobStatus.SUCCEEDED,
        summary=f"{_records_words(state)} exported",
        result_file=name,
    )


def _batch_write(
    batch: QuerySet[Any, Any], writer: Any, *, latest_upto: int | None
) -> tuple[int, list[Any] | None, Counter[str]]:
    """Write the rows of ``batch``: how many, where the last one stands (its time and id), and
    how many of each kind; with ``latest_upto``, each row's ``LATEST_OUTCOME`` up to that
    record. The rows are let go on return, before the next batch is read, so one batch at a
    time is held."""
    rows = list(batch)
    latest = _latest_outcomes(rows, latest_upto) if latest_upto is not None else None
    writer.writerows(export_rows(rows, latest))
    if not rows:
        return 0, None, Counter()
    return len(rows), [rows[-1][_AT].isoformat(), rows[-1][_ID]], Counter(r[_KIND] for r in rows)


def _records_words(state: dict[str, Any]) -> str:
    """``1,204 records (600 changes with 602 outcomes, 2 events)``: the audit list shows a
    change (an intent) with its outcomes as one row, the file has a row for each record."""
    kinds = state.get("kinds", {})
    written = state["written"]
    intents, outcomes, events = (
        kinds.get(kind, 0) for kind in (Kind.INTENT, Kind.OUTCOME, Kind.EVENT)
    )
    parts = [
        f"{intents:,} change{pluralize(intents)} with {outcomes:,} outcome{pluralize(outcomes)}"
        if intents or outcomes
        else "",
        f"{events:,} event{pluralize(events)}" if events else "",
    ]
    said = ", ".join(part for part in parts if part)
    return f"{written:,} record{pluralize(written)}" + (f" ({said})" if said else "")


def _export_begin(job: Job, filters: AuditFilters) -> dict[str, Any]:
    """The first chunk: fix the records the export holds, create the file with its header."""
    upto = AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0
    total = audit_records_filter(filters).filter(id__lte=upto).count()
    name, path = job_file_path(job, "csv")
    with path.with_suffix(".part").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(HEADER)
        size = out.tell()
    state = {
        "upto": upto,
        "file": name,
        "after": None,
        "bytes": size,
        "written": 0,
        # The header has the column (an export's rows match the header it began with).
        LATEST_OUTCOME: True,
    }
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
