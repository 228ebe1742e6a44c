"""The write guard: a write reaches Paytronix only from inside ``permit_writes()``.

Every mutation of a guest or card must pass through the audit door (``portal/audit``), which
records the intent before calling upstream. The door is the only code that opens this guard;
any other code path that tries a write (a view, a selector, a task calling the client directly)
gets ``WriteNotPermittedError`` before a byte leaves the process.

The flag lives in a ``ContextVar`` so that it follows the current thread or asyncio task and
nothing else: a write permitted in one request cannot leak into a concurrent one, and a worker
thread started inside the door does not inherit the permission unless the door hands its
context over explicitly (``contextvars.copy_context().run``).

``cached_only()`` closes the client altogether for a moment: a page that can be drawn from the
cache alone is tried that way first, and any call it would make is refused before it leaves.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

_writes_permitted: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "paytronix_writes_permitted", default=False
)


@contextlib.contextmanager
def _holding[T](variable: contextvars.ContextVar[T], value: T) -> Iterator[None]:
    """``variable`` set to ``value`` inside the ``with`` block, in the current context only."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def permit_writes() -> contextlib.AbstractContextManager[None]:
    """Allow client write methods inside the ``with`` block (for the audit door only)."""
    return _holding(_writes_permitted, True)


def writes_permitted() -> bool:
    """True inside ``permit_writes()`` in the current context."""
    return _writes_permitted.get()


class UpstreamNotAskedError(Exception):
    """A call was about to leave inside ``cached_only()``: what was wanted is not cached. Not
    a ``PaytronixError``: nothing was sent, and the caller takes the slower path."""


_cached_only: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "paytronix_cached_only", default=False
)


def cached_only() -> contextlib.AbstractContextManager[None]:
    """Within the ``with`` block no call leaves: the client raises ``UpstreamNotAskedError``
    instead (a page answered from the cache alone, or not at all)."""
    return _holding(_cached_only, True)


def upstream_closed() -> bool:
    """True inside ``cached_only()`` in the current context."""
    return _cached_only.get()


@dataclass(frozen=True)
class WriteSlots:
    """At most ``slots``' count of writes in flight at once among the threads that share them
    (a bulk job's). A write waits for one at most ``wait`` seconds, never past ``ends`` (a
    ``time.monotonic()`` deadline: the job's chunk) and not once ``stopping`` is set."""

    slots: threading.BoundedSemaphore
    wait: float
    ends: float = float("inf")
    stopping: threading.Event | None = None

    def take(self) -> bool:
        """One slot, or False when none came free in time (then nothing may be sent)."""
        if self.slots.acquire(blocking=False):
            return True
        give_up = min(time.monotonic() + self.wait, self.ends)
        while self.stopping is None or not self.stopping.is_set():
            left = give_up - time.monotonic()
            if left <= 0:
                return False
            if self.slots.acquire(timeout=min(left, _STOP_CHECK_EVERY)):
                return True
        return False


#: How often a write waiting for a slot looks whether its job is stopping (seconds).
_STOP_CHECK_EVERY = 0.25


_write_slots: contextvars.ContextVar[WriteSlots | None] = contextvars.ContextVar(
    "paytronix_write_slots", default=None
)


def writes_at_once(slots: WriteSlots) -> contextlib.AbstractContextManager[None]:
    """Within the ``with`` block a write holds one of ``slots`` while it is sent and answered.
    One that finds none free in time (``WriteSlots.take``) is not sent at all (the client
    raises a plain ``TransportError``: provably not applied), so the wait adds a known bound to
    the time between a write's audit intent and its answer."""
    return _holding(_write_slots, slots)


def write_slots() -> WriteSlots | None:
    """The slots a write holds (``writes_at_once``), if any, in the current context."""
    return _write_slots.get()
