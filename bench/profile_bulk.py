"""Where a bulk disable job's worker CPU goes: CPU and SQL statements per card, and a cProfile.

    .venv/bin/python -m bench.profile_bulk [--cards 500] [--concurrency 4] [--top 30] [--save F]

On ``BENCH_DATABASE_URL`` against the sandbox in its own process (as ``bench.bulk``), runs two
jobs of ``--cards`` fresh cards each:

* as production runs it, ``--concurrency`` rows at once: this process's CPU per card and the
  SQL statements per card (every connection, every thread), by statement and table;
* one row at a time (the runner's inline path, so that one thread does all the work) under
  cProfile: the functions with the most cumulative and own time. cProfile follows one thread
  only, so the reads ahead of the threaded path are not in it; the inline path makes them
  inside each row instead. Its clock is the thread's CPU time, so waits on upstream and the
  database do not count; its own overhead inflates small calls (compare shares, not totals).
  Its count of function calls a card is the figure that does not move with the machine's load.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.bulk import bench_environment, bench_job_start, bench_upload

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


class StatementCount:
    """Counts the SQL statements of every database connection, by verb and first table."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        table = _TABLE.search(sql)
        name = f"{verb} {table.group(1)}" if table and verb != "SAVEPOINT" else verb
        if verb == "SELECT" and "FOR UPDATE" in sql.upper():
            name += " FOR UPDATE"
        with self._lock:
            self.counts[name] += 1
        return execute(sql, params, many, context)

    def install(self) -> None:
        from django.db import connection
        from django.db.backends.signals import connection_created

        connection.execute_wrappers.append(self)
        connection_created.connect(self._on_connection, weak=False)

    def _on_connection(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=500, help="cards per job")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per upstream call")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", help="also write the profile to this file (for pstats)")
    args = parser.parse_args()
    with bench_environment(cards=args.cards * 2, latency=args.latency) as bench:
        owner = bench.owner
        from django.conf import settings

        statements = StatementCount()
        statements.install()
        settings.CARDS_BULK_CONCURRENCY = args.concurrency
        upload = bench_upload(owner, first=0, cards=args.cards)
        cpu = time.process_time()
        bench_job_start(owner, upload)
        cpu_ms = (time.process_time() - cpu) * 1000 / args.cards
        total = sum(statements.counts.values())
        print(
            f"C={args.concurrency}, {args.cards} cards: worker CPU {cpu_ms:.1f} ms a card, "
            f"{total / args.cards:.1f} SQL statements a card"
        )
        for name, count in statements.counts.most_common():
            print(f"  {count / args.cards:6.2f}  {name}")

        settings.CARDS_BULK_CONCURRENCY = 1
        upload = bench_upload(owner, first=args.cards, cards=args.cards)
        # CPU time of this thread only: waits on upstream and the database are not counted.
        profile = cProfile.Profile(time.thread_time)
        cpu = time.process_time()
        profile.enable()
        bench_job_start(owner, upload)
        profile.disable()
        cpu_ms = (time.process_time() - cpu) * 1000 / args.cards
    stats = pstats.Stats(profile)
    # Function calls do not vary with the machine's load as its CPU times do: the steady
    # figure to compare two versions by on a shared machine.
    print(
        f"one row at a time under cProfile: {cpu_ms:.1f} ms of CPU a card (profiler's own), "
        f"{stats.total_calls / args.cards:.0f} function calls a card"  # type: ignore[attr-defined]
    )
    if args.save:
        profile.dump_stats(args.save)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
