"""What a page load read from the guests' cache, named by one digest
(``guest_cache_consumed``): two loads that read the same entries, the same texts, show the
same. ``noted`` is told of every entry answered from (``portal.guestcache.guest_cache_get``) and
of every failure answered from memory instead (``failures``), which no stored text stands for.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Consumed:
    """The stored entries a page load read (``guest_cache_consumed``), for its digest."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._pure = True

    def note(self, key: str, text: Any) -> None:
        if isinstance(text, str):
            self._texts[key] = text
        else:
            self._pure = False

    def digest(self, *also: Any) -> str:
        """A digest of every entry read (key and stored text) and of ``also``; "" when a value
        or an error came from elsewhere (this request's own writes, a failure remembered in
        this process), which no text stands for."""
        if not self._pure or not self._texts:
            return ""
        hashed = hashlib.blake2b(repr(also).encode(), digest_size=16)
        for key in sorted(self._texts):
            hashed.update(b"\0" + key.encode() + b"\0" + self._texts[key].encode())
        return hashed.hexdigest()


_consumed: contextvars.ContextVar[Consumed | None] = contextvars.ContextVar(
    "guest_cache_consumed", default=None
)


@contextmanager
def guest_cache_consumed() -> Iterator[Consumed]:
    """Within it (in this thread and the read threads its context is copied to), every entry
    ``guest_cache_get`` answers from is noted: what was read from the cache is then named by
    one digest (the guest page's drawn parts are kept by it,
    ``guests.templatetags.fragments``)."""
    consumed = Consumed()
    token = _consumed.set(consumed)
    try:
        yield consumed
    finally:
        _consumed.reset(token)


def noted(key: str, text: Any) -> None:
    """Tell the page load under way, if any, that ``key`` answered with ``text`` (None: with
    something that is not a stored text)."""
    consumed = _consumed.get()
    if consumed is not None:
        consumed.note(key, text)
