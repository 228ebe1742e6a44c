"""Run every benchmark with sizes that finish in a minute or two on the 2-core machine.

    make bench            # or: .venv/bin/python -m bench

The audit-log benchmark fills a throw-away PostgreSQL database; it runs when DATABASE_URL
points at PostgreSQL and says how to run it otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys

RUNS = [
    ["bench.guest_page", "--latency", "0.1"],
    ["bench.client", "--calls", "300"],
]


def main() -> int:
    env = {**os.environ, "LOYALTY_ENV": os.environ.get("LOYALTY_ENV", "test")}
    runs = list(RUNS)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        runs.append(["bench.audit_pages", "--records", "1000000"])
    else:
        print(
            "bench.audit_pages skipped: it needs PostgreSQL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyaltydesk make bench\n"
        )
    failed = 0
    for run in runs:
        print(f"== {run[0]}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", *run], env=env)  # noqa: S603
        print(flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
