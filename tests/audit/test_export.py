"""A large audit export runs in chunks (one task each, none near the soft time limit), reads a
bounded batch at a time, and writes every record exactly once even when a worker dies mid-write."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit import export
from portal.audit.chain import chain_append
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.selectors import AuditFilters, audit_records_filter
from portal.audit.types import AuditContext
from portal.jobs.kinds import JOB_KINDS, JobKind
from portal.jobs.models import Job, JobStatus
from portal.jobs.tasks import job_run_task
from portal.staff.models import User

pytestmark = pytest.mark.django_db

RECORDS = 23
BATCH = 4


@pytest.fixture
def small_chunks(settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 records, and a chunk that ends after its first batch."""
    settings.JOBS_FILES_DIR = tmp_path
    settings.JOBS_CHUNK_SECONDS = 1e-9
    monkeypatch.setattr(export, "CHUNK", BATCH)


@pytest.fixture
def wanted() -> list[int]:
    """The ids an export of every card.disable record holds, newest first."""
    ids = [
        chain_append(kind=Kind.EVENT, action="card.disable", outcome=Outcome.SUCCEEDED).pk
        for _ in range(RECORDS)
    ]
    return list(reversed(ids))


@pytest.fixture
def new_export(auditor: User) -> Callable[[], Job]:
    def create() -> Job:
        return export.audit_export_create(
            owner=auditor,
            filters=AuditFilters.from_query({"action": "card.disable"}),
            idempotency_key="big-export",
            context=AuditContext(),
        )

    return create


def _exported(job: Job) -> list[int]:
    job.refresh_from_db()
    path = export._partial(job.params["export"]).with_name(job.result_file)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return [int(row["id"]) for row in rows]


def test_a_large_export_runs_chunk_by_chunk_and_writes_every_record_once(
    small_chunks: None,
    wanted: list[int],
    new_export: Callable[[], Job],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chunks: list[int] = []
    run = export.audit_export_run

    def counted(job_id: int) -> None:
        chunks.append(job_id)
        run(job_id)

    monkeypatch.setitem(JOB_KINDS, "audit.export", JobKind("audit.export", counted))
    job = new_export()

    job_run_task.apply(args=(job.pk,))

    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, RECORDS, RECORDS)
    assert _exported(job) == wanted
    # One batch per chunk (each task ends once its time is up), the last one short.
    assert len(chunks) == -(-RECORDS // BATCH)


def test_every_read_of_records_is_one_bounded_batch(
    small_chunks: None, wanted: list[int], new_export: Callable[[], Job], settings: Any
) -> None:
    settings.JOBS_CHUNK_SECONDS = 60
    job = new_export()

    with CaptureQueriesContext(connection) as queries:
        export.audit_export_run(job.pk)

    reads = [
        q["sql"]
        for q in queries.captured_queries
        # The records' reads (newest first), not the count, the newest id or the job's intent.
        if f'FROM "{AuditRecord._meta.db_table}"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    job.refresh_from_db()
    assert len(reads) == -(-RECORDS // BATCH)
    assert all(f"LIMIT {BATCH}" in sql for sql in reads)
    assert _exported(job) == wanted


def test_a_chunk_after_a_worker_died_mid_write_cuts_the_torn_row_and_goes_on(
    small_chunks: None, wanted: list[int], new_export: Callable[[], Job]
) -> None:
    job = new_export()
    export.audit_export_run(job.pk)
    job.refresh_from_db()
    # Records written after the export started are not in it.
    chain_append(kind=Kind.EVENT, action="card.disable", outcome=Outcome.SUCCEEDED)
    # The worker wrote half a row of the next batch, then died before saving its place.
    with export._partial(job.params["export"]).open("a", encoding="utf-8") as part:
        part.write(f"{wanted[BATCH]},99,2026-01-01T00:0")

    while Job.objects.get(pk=job.pk).status == JobStatus.RUNNING:
        export.audit_export_run(job.pk)

    assert _exported(job) == wanted


@pytest.mark.postgres
def test_a_batch_deep_in_the_export_reads_an_index_range_not_every_newer_record(
    small_chunks: None, wanted: list[int], new_export: Callable[[], Job]
) -> None:
    job = new_export()
    export.audit_export_run(job.pk)
    job.refresh_from_db()
    state = job.params["export"]
    batch = (
        audit_records_filter(AuditFilters())
        .filter(id__lte=state["upto"])
        .newest_first()
        .filter(export._after(state))[:BATCH]
    )
    sql, params = batch.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    # The place reached bounds the index scan itself: the batch starts where the last ended.
    # (As a filter alone, each batch would scan past every record exported before it.)
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "occurred_at <=" in index_cond, plan
