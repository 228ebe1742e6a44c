"""What one request works out once, and what it leaves until its response is sent.

``RequestIdMiddleware`` opens the scope around every request; the page's read threads copy the
request's context, so they share it. Outside a request (a Celery task, a management command)
there is no scope: ``request_scoped`` computes every time and ``after_response`` runs the work
at once.

``after_response(work)`` is for what the user need not wait for (filling the guest cache with
what the page read): the web server sends the response, then calls its ``close()``, which sends
Django's ``request_finished`` in the same thread; ``run_after_response`` (connected to it) runs
the work then. A failure is logged and never reaches the user, whose page is already sent.
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
#: The work queued by this thread's request, until its response is sent.
_sent = threading.local()
_AFTER = "requestscope:after-response"


@contextmanager
def request_scope(*, after_response: bool = False) -> Iterator[None]:
    """A memo for one request; with ``after_response`` (the web request's own scope), work
    queued by ``after_response()`` waits for ``run_after_response``, otherwise it runs at
    once."""
    memo: dict[str, Any] = {}
    if after_response:
        run_after_response()  # anything a request before left unrun (its close never came)
        _sent.pending = memo[_AFTER] = []
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


def request_forget(name: str) -> None:
    """Drop ``name`` from this request's memo: what it held has just changed."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(name, None)


def response_pending() -> bool:
    """Whether work given to ``after_response`` now waits for the response to be sent."""
    memo = _memo.get()
    return memo is not None and _AFTER in memo


def after_response(work: Callable[[], None]) -> None:
    """Run ``work`` once this request's response is sent (at once outside a web request)."""
    memo = _memo.get()
    if memo is not None and _AFTER in memo:
        memo[_AFTER].append(work)
        return
    work()


def run_after_response(**_: Any) -> None:
    """Run the work this thread's request queued (``request_finished``'s receiver)."""
    pending: list[Callable[[], None]] | None = getattr(_sent, "pending", None)
    _sent.pending = None
    for work in pending or ():
        try:
            work()
        except Exception:
            logger.exception("work left until after the response failed")
