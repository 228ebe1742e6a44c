"""What one request works out once, and what it leaves until its response is sent.

``RequestIdMiddleware`` opens the scope around every request; the page's read threads copy the
request's context, so they share it. Outside a request (a Celery task, a management command)
there is no scope: ``request_scoped`` computes every time and ``after_response`` runs the work
at once.

``after_response(work)`` is for what the user need not wait for (filling the guest cache with
what the page read): the web server sends the response, then calls its ``close()``, which sends
Django's ``request_finished`` in the same thread; ``run_after_response`` (connected to it) runs
the work then, and closes the queue: work queued later (a read the page stopped waiting for,
answering after the response) runs at once in its own thread. A failure is logged and never
reaches the user, whose page is already sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

logger = logging.getLogger(__name__)

_memo: ContextVar[dict[str, Any] | None] = ContextVar("request_scope", default=None)
#: The queue of this thread's request, until its response is sent.
_sent = threading.local()
_AFTER = "requestscope:after-response"


class _Queue:
    """Work left until the response is sent; closed once it has run (or been dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work: list[Callable[[], None]] = []
        self.closed = False

    def add(self, work: Callable[[], None]) -> bool:
        """Queue ``work``; False when the queue is closed (the caller runs it itself)."""
        with self._lock:
            if self.closed:
                return False
            self._work.append(work)
            return True

    def close(self) -> list[Callable[[], None]]:
        with self._lock:
            self.closed = True
            work, self._work = self._work, []
            return work


@contextmanager
def request_scope(*, after_response: bool = False) -> Iterator[None]:
    """A memo for one request; with ``after_response`` (the web request's own scope), work
    queued by ``after_response()`` waits for ``run_after_response``, otherwise it runs at
    once."""
    memo: dict[str, Any] = {}
    if after_response:
        run_after_response()  # anything a request before left unrun (its close never came)
        _sent.pending = memo[_AFTER] = _Queue()
    token = _memo.set(memo)
    try:
        yield
    finally:
        _memo.reset(token)


def request_scoped[T](name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per request under ``name`` (every time outside a request)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def request_shared[T](name: str, make: Callable[[], T]) -> T | None:
    """One ``make()`` per web request under ``name``, the same for every thread of it even
    when several ask at once (``make`` must be cheap and have no effect: a loser's is
    dropped); None outside a web request, or once its response is sent."""
    memo = _memo.get()
    if not _queue_open(memo):
        return None
    assert memo is not None
    found = memo.get(name)
    # ``make()`` only when there is none yet (it is asked on every guest-cache read and write).
    return found if found is not None else memo.setdefault(name, make())


def request_forget(name: str) -> None:
    """Drop ``name`` from this request's memo: what it held has just changed."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(name, None)


def _queue_open(memo: dict[str, Any] | None) -> bool:
    queue = memo.get(_AFTER) if memo is not None else None
    return queue is not None and not queue.closed


def after_response(work: Callable[[], None]) -> None:
    """Run ``work`` once this request's response is sent (at once outside a web request, or
    once it has been sent)."""
    memo = _memo.get()
    queue: _Queue | None = memo.get(_AFTER) if memo is not None else None
    if queue is not None and queue.add(work):
        return
    work()


def _closed_queue() -> list[Callable[[], None]]:
    """This thread's request's queue, closed and taken: the work it held."""
    queue: _Queue | None = getattr(_sent, "pending", None)
    _sent.pending = None
    return queue.close() if queue is not None else []


def run_after_response(**_: Any) -> None:
    """Run the work this thread's request queued (``request_finished``'s receiver)."""
    for work in _closed_queue():
        try:
            work()
        except Exception:
            logger.exception("work left until after the response failed")


def drop_after_response() -> None:
    """Forget, unrun, what this thread's request left (tests: nothing spills into the next)."""
    _closed_queue()
