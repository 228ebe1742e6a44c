"""The write guard: a write reaches Paytronix only from inside ``permit_writes()``.

Every mutation of a guest or card must pass through the audit door (``portal/audit``), which
records the intent before calling upstream. The door is the only code that opens this guard;
any other code path that tries a write (a view, a selector, a task calling the client directly)
gets ``WriteNotPermittedError`` before a byte leaves the process.

The flag lives in a ``ContextVar`` so that it follows the current thread or asyncio task and
nothing else: a write permitted in one request cannot leak into a concurrent one, and a worker
thread started inside the door does not inherit the permission unless the door hands its
context over explicitly (``contextvars.copy_context().run``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_writes_permitted: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "paytronix_writes_permitted", default=False
)


@contextlib.contextmanager
def permit_writes() -> Iterator[None]:
    """Allow client write methods inside the ``with`` block (for the audit door only)."""
    token = _writes_permitted.set(True)
    try:
        yield
    finally:
        _writes_permitted.reset(token)


def writes_permitted() -> bool:
    """True inside ``permit_writes()`` in the current context."""
    return _writes_permitted.get()
