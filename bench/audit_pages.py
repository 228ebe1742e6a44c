"""Audit log pages at scale: a first page and a page deep in the log cost the same.

    LOYALTY_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1/loyaltydesk \
        .venv/bin/python -m bench.audit_pages --records 1000000

Creates its own throw-away test database (never touches the configured one), fills it with
synthetic records by SQL (hash values are fakes: this measures reads, not the chain), then
prints the time of each screen filter's first page, of a page a long way down (keyset, by the
``before`` cursor), the time of the CSV export of the whole log run as its job runs (chunk after
chunk) with the CPU it took a record, and, on PostgreSQL, the plan of the filtered query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOYALTY_ENV", "test")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    override_settings,
    setup_databases,
    teardown_databases,
)

from portal.audit.export import audit_export_run  # noqa: E402
from portal.audit.models import AuditRecord  # noqa: E402
from portal.audit.selectors import AuditFilters, audit_page, audit_rows_filter  # noqa: E402
from portal.jobs.models import Job, JobStatus  # noqa: E402
from portal.staff.models import User  # noqa: E402

_COLUMNS = (
    "id, intent_id, seq, prev_hash, record_hash, kind, occurred_at, actor_id, actor_username, "
    "actor_role, ip, user_agent, request_id, action, merchant_id, account_id, card_masked, "
    "card_hash, params, reason_code, reason_text, outcome, upstream_result, error_code, "
    "error_message, upstream_detail, transient, idempotency_key"
)
# Every third record an intent, the one after it its outcome (linked: the audit list and the
# export read each change's outcome), the next an event.
_VALUES = (
    "n, CASE WHEN n %% 3 = 1 AND n > 1 THEN n - 1 END, "
    "n, md5((n - 1)::text) || md5('p'), md5(n::text) || md5('r'), "
    "(ARRAY['intent','outcome','event'])[1 + n %% 3], "
    "now() - (n || ' seconds')::interval, n %% 40, 'user' || (n %% 40), 'agent', '10.0.0.1', "
    "'bench', md5(n::text), "
    "(ARRAY['card.disable','card.enable','messaging.frequency','auth.login','audit.view'])"
    "[1 + n %% 5], "
    "1001, 9000000 + n %% 50000, lpad((n %% 999999)::text, 6, '0'), "
    "md5((n %% 50000)::text) || md5('c'), '{}', '', '', "
    "(ARRAY['pending','succeeded','failed','recorded'])[1 + n %% 4], '', '', '', '{}', false, "
    "CASE WHEN n %% 3 = 0 THEN 'bench-' || n ELSE '' END"
)


#: The table's indexes but its primary key: name, definition, and the constraint they back.
_INDEXES = """
SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid),
       constraint_.conname, pg_get_constraintdef(constraint_.oid)
FROM pg_index AS index
LEFT JOIN pg_constraint AS constraint_ ON constraint_.conindid = index.indexrelid
    AND constraint_.conrelid = index.indrelid
WHERE index.indrelid = 'audit_auditrecord'::regclass AND NOT index.indisprimary
"""


def _fill(records: int) -> None:
    """Write the records with the indexes set aside, then build each index once as it was (in
    a sort, not row by row: at 1M records about 2.5x faster), so pages read the same indexes."""
    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark fills its data with PostgreSQL's generate_series.")
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES)
        indexes = cursor.fetchall()
        for name, _, constraint, _ in indexes:
            if constraint:
                cursor.execute(f'ALTER TABLE audit_auditrecord DROP CONSTRAINT "{constraint}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            f"INSERT INTO audit_auditrecord ({_COLUMNS}) "  # noqa: S608  (constants only)
            f"SELECT {_VALUES} FROM generate_series(1, %s) AS n",
            [records],
        )
        # The ids were given (an outcome names its intent's): the sequence goes on after them.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditrecord', 'id'), %s)", [records]
        )
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _, definition, constraint, constraint_definition in indexes:
            if constraint:
                cursor.execute(
                    f'ALTER TABLE audit_auditrecord ADD CONSTRAINT "{constraint}" '
                    f"{constraint_definition}"
                )
            else:
                cursor.execute(definition)
        cursor.execute("ANALYZE audit_auditrecord")


def _ms(run: object) -> float:
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    _ALL.extend(timings)
    return statistics.median(timings)


#: Every page timing, for the 95th percentile over all filters.
_ALL: list[float] = []


def _rss_mb() -> float:
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _export() -> tuple[float, float, float, float, int]:
    """The whole log exported as an auditor's job writes it (chunk after chunk, as the job's
    tasks would run them, to a file in a temporary folder): seconds, seconds of this process's
    CPU, resident MB before and after, rows."""
    owner = User.objects.create(username="bench.auditor")
    job = Job.objects.create(kind="audit.export", owner=owner, params={"filters": {}})
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as files, override_settings(JOBS_FILES_DIR=files):
        while Job.objects.filter(pk=job.pk, finished_at=None).exists():
            audit_export_run(job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        raise SystemExit(f"the export ended {job.status}: {job.summary}")
    return seconds, cpu, before, _rss_mb(), job.done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    records = parser.parse_args().records
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        _fill(records)
        print(f"{records:,} audit records written in {time.perf_counter() - started:.1f}s")
        middle = AuditRecord.objects.filter(seq=records // 2).values_list("id", flat=True).get()
        filters = {
            "no filter": AuditFilters(),
            "user": AuditFilters(username="user7"),
            "action": AuditFilters(action="card.disable"),
            "outcome": AuditFilters(outcome="failed"),
            "account": AuditFilters(account_id=9000123),
            "card": AuditFilters(card_hash=AuditRecord.objects.get(seq=123).card_hash),
            "reads too": AuditFilters(reads=True),
        }
        print(f"{'filter':<10} {'first page':>12} {'deep page':>12}")
        for name, chosen in filters.items():
            # A page is read with its rows joined to their outcomes, as the screen shows it.
            first = _ms(lambda chosen=chosen: audit_page(chosen).entries)
            deep = _ms(lambda chosen=chosen: audit_page(chosen, before=middle).entries)
            print(f"{name:<10} {first:>10.1f}ms {deep:>10.1f}ms")
        ordered = sorted(_ALL)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        print(f"P5 audit pages p95 {p95:.1f} ms (target <= 25 ms; ratio {p95 / 25:.2f})")
        seconds, cpu, before, after, rows = _export()
        print(
            f"P5 CSV export of {rows:,} records {seconds:.1f} s (target <= 30 s; ratio "
            f"{seconds / 30:.2f}); worker CPU {cpu / rows * 1e6:.1f} us a record; memory "
            f"{before:.0f} MB before, {after:.0f} MB after"
        )
        with connection.cursor() as cursor:
            query = audit_rows_filter(filters["action"]).newest_first()[:51].query
            sql, params = query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            print("\nplan of the action filter's first page:")
            for (line,) in cursor.fetchall():
                print("  " + line)
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
