"""Run a page's upstream reads at the same time, so it costs one round trip, not one per read.

Each read runs in a worker thread inside a copy of the caller's context (request id for the
logs, and nothing else: the client's write permission is never set in a read). An upstream
failure is kept as that read's outcome for its panel to explain; any other exception is a bug
and is raised after every read has finished.

With a ``deadline`` a page stops waiting: a read still running then ends, for its panel, as a
``TransportError`` ("did not answer in time") and the page is drawn without it. The read's
thread is left to finish on its own (its call is bounded by the client's timeouts; a read sends
nothing that changes upstream), and the breaker learns from its timeout.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from typing import Any

from portal.paytronix.errors import PaytronixError, TransportError

#: More reads than this at once queue up instead of opening more upstream connections.
MAX_PARALLEL_READS = 8


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
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(MAX_PARALLEL_READS, len(reads))), thread_name_prefix="guest-read"
    )
    try:
        for name, read in reads.items():
            context = contextvars.copy_context()
            futures[name] = pool.submit(context.run, attempt, read)
        finished, _ = wait(futures.values(), timeout=deadline)
    finally:
        pool.shutdown(wait=deadline is None, cancel_futures=True)
    return {
        name: future.result() if future in finished else late_result(name, deadline or 0)
        for name, future in futures.items()
    }


def read_within[T](read: Callable[[], T], *, name: str, deadline: float) -> T:
    """``read()``, or ``TransportError`` if it has not answered within ``deadline`` seconds;
    whatever it raises is raised here."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guest-read")
    try:
        future = pool.submit(contextvars.copy_context().run, read)
    finally:
        pool.shutdown(wait=False)
    try:
        return future.result(timeout=deadline)
    except FutureTimeoutError:
        raise late(name, deadline) from None
