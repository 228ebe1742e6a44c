"""What one request works out once: a memo that lives as long as the request.

``RequestIdMiddleware`` opens the scope around every request; the page's read threads copy the
request's context, so they share it. Outside a request (a Celery task, a management command)
there is no scope and ``request_scoped`` computes every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict[str, Any] | None] = ContextVar("request_scope", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    token = _memo.set({})
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
