"""The threads a page's reads run in are kept between pages, never wait for a read queued
behind them, and hold no database connection between reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError

import pytest
from django.db import connection

from guests.selectors.fanout import MAX_PARALLEL_READS, ReadThreads, kept_reads_ended, run_reads


def _kept() -> set[int | None]:
    return {t.ident for t in threading.enumerate() if t.name.startswith("guest-read")}


def _together(count: int) -> dict[str, Callable[[], int]]:
    """``count`` reads that each wait for all the others to be running: they need ``count``
    threads at once."""
    barrier = threading.Barrier(count, timeout=5)

    def read() -> int:
        barrier.wait()
        return threading.get_ident()

    return {str(n): read for n in range(count)}


def test_the_threads_of_one_page_serve_the_next_instead_of_new_ones() -> None:
    first = run_reads(_together(4))
    kept = _kept()
    assert {result.get() for result in first.values()} <= kept
    # A thread says it is idle a moment after its read's answer is handed over (the executor's
    # own bookkeeping); two pages are further apart than that.
    time.sleep(0.2)

    second = run_reads(_together(4))

    # No thread was started for the second page: its reads ran in threads already there.
    assert _kept() == kept
    assert {result.get() for result in second.values()} <= kept


def test_no_more_than_max_parallel_reads_of_one_fan_out_run_at_once() -> None:
    lock = threading.Lock()
    running = {"now": 0, "most": 0}
    release = threading.Event()

    def read() -> int:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        release.wait(0.05)
        with lock:
            running["now"] -= 1
        return 1

    outcomes = run_reads({str(n): read for n in range(MAX_PARALLEL_READS * 2)})

    assert [result.get() for result in outcomes.values()] == [1] * (MAX_PARALLEL_READS * 2)
    assert running["most"] == MAX_PARALLEL_READS


def test_a_read_that_fans_out_in_turn_gets_threads_of_its_own() -> None:
    def here() -> tuple[str, int | None]:
        thread = threading.current_thread()
        return thread.name, thread.ident

    def outer() -> tuple[tuple[str, int | None], list[tuple[str, int | None]]]:
        inner = run_reads({str(n): here for n in range(3)})
        return here(), [result.get() for result in inner.values()]

    found = run_reads({"outer": outer, "beside": here})["outer"].get()

    (kept_name, kept_ident), inner = found
    assert kept_name.startswith("guest-read")
    assert kept_ident not in {ident for _, ident in inner}
    assert all(name.startswith("guest-read") for name, _ in inner)


def test_reads_not_started_when_the_page_stops_are_dropped() -> None:
    release = threading.Event()
    started = threading.Semaphore(0)
    ran: list[int] = []

    def blocking() -> bool:
        started.release()
        return release.wait(5)

    threads = ReadThreads()
    running = [threads.submit(blocking) for _ in range(MAX_PARALLEL_READS)]
    for _ in running:
        assert started.acquire(timeout=5)
    # Every slot is taken: this one waits for a slot when the page stops.
    queued = threads.submit(lambda: ran.append(1))

    threads.close(wait_for_running=False)
    release.set()

    for future in running:
        assert future.result(timeout=5) is True
    with pytest.raises(CancelledError):
        queued.result(timeout=5)
    assert ran == []


@pytest.mark.django_db(transaction=True)
def test_a_read_thread_keeps_no_database_connection_after_its_read() -> None:
    def query_then_report() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return connection.connection is not None

    def still_connected() -> bool:
        return connection.connection is not None

    assert run_reads({"query": query_then_report})["query"].get() is True
    # Every kept thread, the one that queried included, starts its next read unconnected.
    after = run_reads({str(n): still_connected for n in range(MAX_PARALLEL_READS)})
    assert not any(result.get() for result in after.values())


def test_a_tests_end_waits_for_the_reads_still_running_in_the_kept_threads() -> None:
    release, started = threading.Event(), threading.Event()

    def stuck() -> bool:
        started.set()
        return release.wait(5)

    threads = ReadThreads()
    future = threads.submit(stuck)
    assert started.wait(5)
    threads.close(wait_for_running=False)

    assert kept_reads_ended(timeout=0.2) is False
    release.set()
    assert kept_reads_ended(timeout=5) is True
    assert future.result() is True
