"""The threads a page's reads run in are kept between pages, never wait for a read queued
behind them, and hold no database connection between reads."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest
from django.db import connection

from guests.selectors.fanout import MAX_PARALLEL_READS, ReadThreads, kept_reads_ended, run_reads


def _thread_name() -> str:
    return threading.current_thread().name


def test_the_threads_of_one_page_serve_the_next_instead_of_new_ones() -> None:
    first = run_reads({str(n): _thread_name for n in range(4)})
    second = run_reads({str(n): _thread_name for n in range(4)})

    names = {result.get() for result in first.values()}
    assert all(name.startswith("guest-read") for name in names)
    # No thread was started for the second page: its reads ran in the first page's threads.
    assert {result.get() for result in second.values()} <= names | {
        thread.name for thread in threading.enumerate()
    }
    assert len({t.ident for t in threading.enumerate() if t.name.startswith("guest-read")}) >= len(
        names
    )


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
    def outer() -> tuple[str, list[str]]:
        inner = run_reads({str(n): _thread_name for n in range(3)})
        return _thread_name(), [result.get() for result in inner.values()]

    found = run_reads({"outer": outer, "beside": _thread_name})["outer"].get()

    kept, inner = found
    assert kept.startswith("guest-read")
    assert kept not in inner
    assert all(name.startswith("guest-read") for name in inner)


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
