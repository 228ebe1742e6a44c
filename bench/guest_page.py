"""The guest page costs about one upstream round trip, not one per panel.

    .venv/bin/python -m bench.guest_page [--latency 0.1]

Runs the sandbox in-process with a fixed latency on every upstream request, then times the
guest page's reads for the demo guest: cold (nothing cached), opened after a search (the
account already cached) and warm (everything cached). Prints upstream requests and wall time
next to what the same requests would cost one after another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOYALTY_ENV", "test")
django.setup()

from django.core.cache import cache  # noqa: E402

from bench._sandbox import bench_sandbox  # noqa: E402
from guests.selectors import guest_account, guest_page  # noqa: E402
from portal.sandbox import demo  # noqa: E402


@dataclass
class BenchViewer:
    username: str = "bench"
    store_group_code: int | None = None

    @property
    def is_store_scoped(self) -> bool:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per upstream call")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    viewer = BenchViewer()
    account_id = demo.DEMO_ACCOUNT_ID
    print(f"guest page of account {account_id}, {args.latency * 1000:.0f} ms per upstream call")

    def after_search() -> None:
        cache.clear()
        guest_account(viewer=viewer, account_id=account_id)

    with bench_sandbox() as sandbox:
        sandbox.app.faults.latency(args.latency)
        for label, prepare in (
            ("cold (nothing cached)", cache.clear),
            ("after a search (account cached)", after_search),
            ("warm (all cached)", lambda: guest_page(viewer=viewer, account_id=account_id)),
        ):
            timings, calls = [], 0
            for _ in range(args.runs):
                prepare()
                before = sandbox.count
                started = time.perf_counter()
                guest_page(viewer=viewer, account_id=account_id)
                timings.append(time.perf_counter() - started)
                calls = sandbox.count - before
            wall = statistics.median(timings)
            serial = calls * args.latency
            print(
                f"  {label:<34} {calls} upstream calls  {wall * 1000:7.0f} ms"
                f"  (one after another: {serial * 1000:5.0f} ms;"
                f" round trips: {wall / args.latency:.1f})"
            )


if __name__ == "__main__":
    main()
