"""Run a page's upstream reads at the same time, so it costs one round trip, not one per read.

Each read runs in a worker thread inside a copy of the caller's context (request id for the
logs, and nothing else: the client's write permission is never set in a read). An upstream
failure is kept as that read's outcome for its panel to explain; any other exception is a bug
and is raised after every read has finished.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from portal.paytronix.errors import PaytronixError

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


def _attempt[T](read: Callable[[], T]) -> ReadResult[T]:
    try:
        return ReadResult(value=read())
    except PaytronixError as error:
        return ReadResult(error=error)


def run_reads(reads: Mapping[str, Callable[[], Any]]) -> dict[str, ReadResult[Any]]:
    """Run every read concurrently; return each one's outcome under its name."""
    if len(reads) <= 1:
        return {name: _attempt(read) for name, read in reads.items()}
    futures: dict[str, Future[ReadResult[Any]]] = {}
    with ThreadPoolExecutor(
        max_workers=min(MAX_PARALLEL_READS, len(reads)), thread_name_prefix="guest-read"
    ) as pool:
        for name, read in reads.items():
            context = contextvars.copy_context()
            futures[name] = pool.submit(context.run, _attempt, read)
    return {name: future.result() for name, future in futures.items()}
