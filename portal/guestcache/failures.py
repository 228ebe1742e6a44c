"""Guest reads that failed upstream, remembered briefly in this process.

A failure is never put in the shared cache (an error is not a reply to decode), but asking
again on every view would make a warm page pay a round trip for the source that is failing. So
the failure is kept here, under the read's cache key, for ``GUEST_FAILURE_SECONDS``: the key
carries the guest's cache version, so a change to the guest asks again at once.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from portal.guestcache.consumed import noted
from portal.paytronix.errors import PaytronixError

#: More remembered failures than this: the oldest are forgotten first.
_MAX_ENTRIES = 4096

#: Set while the reads of a CSR's explicit retry run (contextvars reach the page's read threads).
_asking_again: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "guest_failures_asking_again", default=False
)


class FailureMemory:
    """Cache key -> (the upstream error, when it stops being remembered)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[PaytronixError, float]] = {}

    def remember(self, key: str, error: PaytronixError) -> None:
        seconds = float(settings.GUEST_FAILURE_SECONDS)
        if seconds <= 0:
            return
        with self._lock:
            if len(self._failed) >= _MAX_ENTRIES:
                del self._failed[next(iter(self._failed))]
            self._failed[key] = (error, time.monotonic() + seconds)

    @contextmanager
    def asking_again(self, again: bool = True) -> Iterator[None]:
        """Within it (when ``again``), remembered failures are asked again: a CSR's "Try
        again" must not be answered with the failure it is retrying."""
        token = _asking_again.set(again)
        try:
            yield
        finally:
            _asking_again.reset(token)

    def raise_if_failed(self, key: str) -> None:
        """Raise (a copy of) the error remembered for ``key``, if it is still remembered."""
        if _asking_again.get():
            return
        with self._lock:
            found = self._failed.get(key)
            if found is None:
                return
            error, until = found
            if time.monotonic() >= until:
                del self._failed[key]
                return
        noted(key, None)  # a page that shows it has no digest of what it read
        raise _copy(error)

    def clear(self) -> None:
        with self._lock:
            self._failed.clear()


def _copy(error: PaytronixError) -> PaytronixError:
    """A fresh instance of ``error`` with its fields (raised in several threads at once, one
    exception object would share its traceback). Not ``copy.copy``: that calls the class with
    the exception's ``args``, which the result errors (keyword arguments only) refuse."""
    clone = type(error).__new__(type(error))
    clone.__dict__.update(error.__dict__)
    clone.args = error.args
    return clone


failure_memory = FailureMemory()
