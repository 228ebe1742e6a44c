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
    rows = list(csv.DictReader(io.StringIO(_file_of(job))))
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
    assert job.summary == f"{RECORDS} records ({RECORDS} events) exported"
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


def test_each_cell_is_written_as_the_record_holds_it_and_no_cell_reads_as_a_formula(
    small_chunks: None, new_export: Callable[[], Job]
) -> None:
    def event(**fields: Any) -> AuditRecord:
        return chain_append(kind=Kind.EVENT, action="card.disable", **fields)

    record = event(
        outcome=Outcome.FAILED,
        actor_username="+ann",
        ip="-1",
        user_agent='say "hi", then\nleave',
        reason_text="=SUM(A1)",
        upstream_result="\rres",
        error_code="\tcode",
        error_message="@evil",
        params={"z": [1, 2.5, None, True], "a": {"é": "=x"}},
        duration_ms=7,
    )
    scalar = event(outcome=Outcome.SUCCEEDED, params="=cmd", account_id=9001, merchant_id=12)
    empty = event(outcome=Outcome.SUCCEEDED, params=[])
    job = new_export()
    export.audit_export_run(job.pk)
    while Job.objects.get(pk=job.pk).status == JobStatus.RUNNING:
        export.audit_export_run(job.pk)

    job.refresh_from_db()
    path = export._partial(job.params["export"]).with_name(job.result_file)
    text = path.read_bytes().decode()
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert header == [*export.COLUMNS, "latest_outcome"]
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [int(row["id"]) for row in cells] == [empty.pk, scalar.pk, record.pk]
    assert cells[2] == {
        "id": str(record.pk),
        "seq": str(record.seq),
        "occurred_at": record.occurred_at.isoformat(),
        "kind": "event",
        "action": "card.disable",
        "outcome": "failed",
        "actor_id": "",
        "actor_username": "'+ann",
        "actor_role": "",
        "ip": "'-1",
        "user_agent": 'say "hi", then\nleave',
        "request_id": "",
        "merchant_id": "",
        "account_id": "",
        "card_masked": "",
        "card_hash": "",
        "reason_code": "",
        "reason_text": "'=SUM(A1)",
        # JSON with its keys sorted, written as it reads (not escaped to ASCII).
        "params": '{"a": {"é": "=x"}, "z": [1, 2.5, null, true]}',
        "upstream_result": "'\rres",
        "error_code": "'\tcode",
        "error_message": "'@evil",
        "duration_ms": "7",
        "intent_id": "",
        "job_id": "",
        "record_hash": record.record_hash,
        "latest_outcome": "",
    }
    assert (cells[1]["params"], cells[1]["account_id"], cells[1]["merchant_id"]) == (
        "'=cmd",
        "9001",
        "12",
    )
    assert cells[0]["params"] == "[]"
    # Quoted as the csv module quotes, each row ending in CRLF.
    assert '"say ""hi"", then\nleave"' in text
    assert text.count("\r\n") == 4


def test_the_summary_counts_changes_apart_from_their_outcomes_as_the_list_shows_them(
    settings: Any, tmp_path: Any, new_export: Callable[[], Job]
) -> None:
    # The audit list shows a change (its intent) with its outcomes as one row; the file has a
    # row for each record: the summary says both, so the two can be matched.
    settings.JOBS_FILES_DIR = tmp_path
    for n in range(2):
        intent = chain_append(
            kind=Kind.INTENT,
            action="card.disable",
            outcome=Outcome.PENDING,
            idempotency_key=f"summary-{n}",
        )
        chain_append(
            kind=Kind.OUTCOME, action="card.disable", outcome=Outcome.SUCCEEDED, intent=intent
        )
    chain_append(kind=Kind.EVENT, action="card.disable", outcome=Outcome.DENIED)
    job = new_export()

    job_run_task.apply(args=(job.pk,))

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.summary == "5 records (2 changes with 2 outcomes, 1 event) exported"


def test_a_change_reads_with_its_latest_outcome_as_the_list_shows_it(
    small_chunks: None, new_export: Callable[[], Job]
) -> None:
    # An intent is recorded "pending" before the change is made: the file also says how the
    # change went, as of the export, so an auditor need not join its outcome rows.
    def change(key: str, *outcomes: str) -> AuditRecord:
        intent = chain_append(
            kind=Kind.INTENT, action="card.disable", outcome=Outcome.PENDING, idempotency_key=key
        )
        for outcome in outcomes:
            chain_append(kind=Kind.OUTCOME, action="card.disable", outcome=outcome, intent=intent)
        return intent

    waiting = change("waiting")  # the oldest: in the export's second batch
    settled = change("settled", Outcome.UNKNOWN, Outcome.SUCCEEDED)
    failed = change("failed", Outcome.FAILED)
    job = new_export()
    export.audit_export_run(job.pk)  # fixes what the export holds; writes its first batch
    # Recorded after the export began: not in it, and not its latest outcome either.
    chain_append(kind=Kind.OUTCOME, action="card.disable", outcome=Outcome.FAILED, intent=waiting)
    while Job.objects.get(pk=job.pk).status == JobStatus.RUNNING:
        export.audit_export_run(job.pk)

    rows = list(csv.DictReader(io.StringIO(_file_of(job))))
    latest = {int(row["id"]): (row["kind"], row["outcome"], row["latest_outcome"]) for row in rows}
    assert latest[settled.pk] == ("intent", "pending", "succeeded")
    assert latest[failed.pk] == ("intent", "pending", "failed")
    assert latest[waiting.pk] == ("intent", "pending", "")
    assert {value for kind, _, value in latest.values() if kind == "outcome"} == {""}
    assert len(rows) == 6


def test_an_export_begun_without_the_latest_outcome_column_goes_on_without_it(
    small_chunks: None, wanted: list[int], new_export: Callable[[], Job]
) -> None:
    # Begun by the code before the column (its header has none): its rows match its header.
    job = new_export()
    export.audit_export_run(job.pk)
    job.refresh_from_db()
    state = {**job.params["export"]}
    del state[export.LATEST_OUTCOME]
    path = export._partial(state)
    header = ",".join(export.COLUMNS) + "\r\n"
    path.write_text(header, encoding="utf-8", newline="")
    state |= {"after": None, "bytes": len(header.encode()), "written": 0}
    Job.objects.filter(pk=job.pk).update(params={**job.params, "export": state})
    while Job.objects.get(pk=job.pk).status == JobStatus.RUNNING:
        export.audit_export_run(job.pk)

    rows = list(csv.reader(io.StringIO(_file_of(job), newline="")))
    assert rows[0] == list(export.COLUMNS)
    assert {len(row) for row in rows} == {len(export.COLUMNS)}
    assert [int(row[0]) for row in rows[1:]] == wanted


def _file_of(job: Job) -> str:
    job.refresh_from_db()
    path = export._partial(job.params["export"]).with_name(job.result_file)
    return path.read_text(encoding="utf-8")
