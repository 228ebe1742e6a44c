"""Run a page's upstream reads at the same time, so it costs one round trip, not one per read.

Each read runs in a worker thread inside a copy of the caller's context (request id for the
logs, and the circuit breaker's check the fan-out's reads share; nothing else: the client's
write permission is never set in a read). An upstream failure is kept as that read's outcome
for its panel to explain; any other exception is a bug and is raised after every read has
finished.

With a ``deadline`` a page stops waiting: a read still running then ends, for its panel, as a
``TransportError`` ("did not answer in time") and the page is drawn without it. The read's
thread is left to finish on its own (its call is bounded by the client's timeouts; a read sends
nothing that changes upstream), and the breaker learns from its timeout.

The threads are kept (``ReadThreads``): starting eight threads for every page put the page's
last read on the wire several milliseconds after its first, and the page waits for its last.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connections

from portal.inflight import InFlight
from portal.paytronix.breaker import ChecksTogether, share_checks
from portal.paytronix.errors import PaytronixError, TransportError

#: More reads than this at once (of one fan-out) queue up instead of opening more upstream
#: connections.
MAX_PARALLEL_READS = 8

#: The most read threads a process keeps. They are started as reads need them (a thread is
#: started only when none is idle) and kept; a page at a time needs at most
#: ``MAX_PARALLEL_READS``, so this is reached only when many reads hang until their timeouts.
KEPT_READ_THREADS = 256

_kept_lock = threading.Lock()
_kept: tuple[int, ThreadPoolExecutor] | None = None
_in_kept_thread = threading.local()


def _mark_kept_thread() -> None:
    _in_kept_thread.value = True


def _kept_threads() -> ThreadPoolExecutor:
    """This process's kept read threads (a forked child, a gunicorn worker, makes its own)."""
    global _kept
    kept = _kept
    if kept is None or kept[0] != os.getpid():
        with _kept_lock:
            kept = _kept
            if kept is None or kept[0] != os.getpid():
                kept = _kept = (
                    os.getpid(),
                    ThreadPoolExecutor(
                        max_workers=KEPT_READ_THREADS,
                        thread_name_prefix="guest-read",
                        initializer=_mark_kept_thread,
                    ),
                )
    return kept[1]


#: Reads the kept threads are running now.
_running = InFlight()


def kept_reads_ended(timeout: float) -> bool:
    """Wait (at most ``timeout`` seconds) until no read runs in the kept threads; whether none
    does. For a test's end: a read its page stopped waiting for must not answer, and fill the
    cache, in the next test."""
    return _running.wait_none(timeout)


def _run_read[T](context: contextvars.Context, read: Callable[[], T]) -> T:
    _running.start()
    try:
        return context.run(read)
    finally:
        # A kept thread holds no database connection between reads (a read that opened one,
        # as a short-lived thread's ended with it).
        connections.close_all()
        _running.end()


class ReadThreads:
    """The threads one fan-out's reads run in, at most ``MAX_PARALLEL_READS`` at once.

    From a request's thread, the process's kept threads: queued first come, first served, so a
    read that waits for another (the page's reads wait for the account) waits only for one
    submitted, hence started, before it. From inside a read (a read that fans out in turn),
    threads of its own, so that a kept thread never waits for a read queued behind it.
    """

    def __init__(self) -> None:
        self._own: ThreadPoolExecutor | None = None
        if getattr(_in_kept_thread, "value", False):
            self._own = ThreadPoolExecutor(
                max_workers=MAX_PARALLEL_READS, thread_name_prefix="guest-read"
            )
        self._slots = threading.BoundedSemaphore(MAX_PARALLEL_READS)
        self._breaker_checks = ChecksTogether()
        self._closed = False
        self._futures: list[Future[Any]] = []

    def submit[T](self, read: Callable[[], T]) -> Future[T]:
        """``read()`` in a read thread, in a copy of this thread's context; the reads of one
        fan-out ask the circuit breaker's shared state once (``ChecksTogether``)."""
        context = contextvars.copy_context()
        context.run(share_checks, self._breaker_checks)
        if self._own is not None:
            future = self._own.submit(context.run, read)
        else:
            future = _kept_threads().submit(_run_read, context, self._within_slots(read))
        self._futures.append(future)
        return future

    def _within_slots[T](self, read: Callable[[], T]) -> Callable[[], T]:
        def limited() -> T:
            with self._slots:
                if self._closed:
                    # Waited for a slot until the fan-out was closed: dropped, as if queued.
                    raise CancelledError
                return read()

        return limited

    def done_submitting(self) -> None:
        """No more reads: the ones submitted still run (threads of its own end after them)."""
        if self._own is not None:
            self._own.shutdown(wait=False)

    def close(self, *, wait_for_running: bool) -> None:
        """Reads not started yet are dropped; with ``wait_for_running``, the ones under way are
        waited for (none then outlives the caller), otherwise left to end on their own."""
        self._closed = True
        for future in self._futures:
            future.cancel()
        if self._own is not None:
            self._own.shutdown(wait=wait_for_running, cancel_futures=True)
        elif wait_for_running:
            wait(self._futures)


@dataclass(frozen=True)
class ReadResult[T]:
    """A read's value, or the upstream error that stopped it."""

    value: T | None = None
    error: PaytronixError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def get(self) -> T:
        """The value; re-raises the upstream error of a failed read."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def attempt[T](read: Callable[[], T]) -> ReadResult[T]:
    try:
        return ReadResult(value=read())
    except PaytronixError as error:
        return ReadResult(error=error)


def late(name: str, deadline: float) -> TransportError:
    return TransportError(f"{name}: no answer within the page's {deadline:g}s", endpoint=name)


def late_result(name: str, deadline: float) -> ReadResult[Any]:
    """The outcome of a read the page stopped waiting for."""
    return ReadResult(error=late(name, deadline))


def run_reads(
    reads: Mapping[str, Callable[[], Any]], *, deadline: float | None = None
) -> dict[str, ReadResult[Any]]:
    """Run every read concurrently; return each one's outcome under its name. A read not done
    within ``deadline`` seconds (if given) is returned as failed and no longer waited for."""
    if len(reads) <= 1 and deadline is None:
        return {name: attempt(read) for name, read in reads.items()}
    futures: dict[str, Future[ReadResult[Any]]] = {}
    threads = ReadThreads()
    try:
        for name, read in reads.items():
            futures[name] = threads.submit(partial(attempt, read))
        finished, _ = wait(futures.values(), timeout=deadline)
    finally:
        threads.close(wait_for_running=deadline is None)
    return {
        name: future.result() if future in finished else late_result(name, deadline or 0)
        for name, future in futures.items()
    }


def read_within[T](read: Callable[[], T], *, name: str, deadline: float) -> T:
    """``read()``, or ``TransportError`` if it has not answered within ``deadline`` seconds;
    whatever it raises is raised here."""
    threads = ReadThreads()
    future = threads.submit(read)
    threads.done_submitting()
    try:
        return future.result(timeout=deadline)
    except FutureTimeoutError:
        raise late(name, deadline) from None
