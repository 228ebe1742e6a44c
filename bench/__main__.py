"""Run every benchmark, each figure printed beside its target and its ceiling (a few minutes on
the 2-core machine).

    make bench            # or: .venv/bin/python -m bench

Needs PostgreSQL and Redis (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/loyaltydesk_bench, created if missing; ``BENCH_CACHE_URL``,
default redis://127.0.0.1:6379/10, flushed) and wrk (Debian: ``apt-get install -y wrk``).

* ``bench.web``: P1, P2, P3, P6 and search -> guest page, under gunicorn 2 x 16 gthread, beside
  a trivial view, a 200-row template view and a one-upstream-call view, at L = 50 ms;
* ``bench.bulk``: P4, a bulk disable at C = 4 and C = 16, at L = 20 ms, run by a real Celery
  worker (the prefork pool, as ``docs/deploy.md`` runs it; the broker in Redis db 12);
* ``bench.audit_pages``: P5, the audit log's pages and CSV export at 1,000,000 records (in a
  throw-away ``test_`` database beside the bench database);
* ``bench.client``: the client's own overhead per call.
"""

from __future__ import annotations

import os
import subprocess
import sys

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loyaltydesk_bench"
)

RUNS = [
    ["bench.web"],
    ["bench.bulk"],
    ["bench.audit_pages", "--records", "1000000"],
    ["bench.client", "--calls", "300"],
]


def main() -> int:
    env = {
        **os.environ,
        "LOYALTY_ENV": os.environ.get("LOYALTY_ENV", "test"),
        "BENCH_DATABASE_URL": DATABASE_URL,
    }
    failed = 0
    for run in RUNS:
        print(f"== {run[0]}", flush=True)
        # The audit pages fill a test database named after this one.
        run_env = {**env, "DATABASE_URL": DATABASE_URL} if run[0] == "bench.audit_pages" else env
        failed |= subprocess.call([sys.executable, "-m", *run], env=run_env)  # noqa: S603
        print(flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
