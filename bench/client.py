"""The client's own overhead: sequential reads over loopback, no added latency.

    .venv/bin/python -m bench.client [--calls 300]

What the console adds on top of Paytronix's own time: JSON, dataclass decoding, the pooled
session, the breaker's bookkeeping. Prints the median and 95th percentile per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOYALTY_ENV", "test")
django.setup()

from bench._sandbox import bench_sandbox  # noqa: E402
from portal.paytronix.client import client_from_settings  # noqa: E402
from portal.sandbox import demo  # noqa: E402


def _measure(label: str, calls: int, call: Callable[[], object]) -> None:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    timings.sort()
    median = statistics.median(timings) * 1000
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    print(f"  {label:<44} median {median:6.2f} ms  p95 {p95:6.2f} ms  ({calls} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print("Paytronix client against the in-process sandbox over loopback HTTP")
    with bench_sandbox():
        client = client_from_settings()
        _measure(
            "accountInformation (wallets, cards)",
            args.calls,
            lambda: client.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD),
        )
        _measure(
            "transactionHistory (50 rows)",
            args.calls,
            lambda: client.guest.transaction_history_by_account_id(
                account_id=demo.DEMO_ACCOUNT_ID, max_number_of_results=50
            ),
        )
        _measure(
            "accountQuery by phone (POST, JSON body)",
            args.calls,
            lambda: client.transaction.account_query(phone=demo.DEMO_PHONE),
        )


if __name__ == "__main__":
    main()
