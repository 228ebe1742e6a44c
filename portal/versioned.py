"""A cached value that a change can never leave stale, and that cannot be planted.

Each value lives under a name beside a *version* (a random token). A change replaces the
version, now and again once its transaction commits (``versioned_bump``); a value is served
only while it was cached under the version that is current (``versioned_get``). A reader that
read the database before a change committed and caches its answer after it cached it under the
old version: nobody is served it. Values are stored signed (their name and version included),
so a value written to the cache by anyone else reads as a miss.

A value may also depend on *shared* versions, names that hold no value of their own: each
reader names them (``versioned_get(name, shared=...)``) and the value is served only while its
own version and every shared one are those it was cached under. A change that concerns every
value at once bumps the one shared name (one cache key) instead of each value's own.

A version outlives every value cached under it (``_VERSION_SECONDS``): an evicted version
cannot bring back a value cached before the change that replaced it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.core.signing import BadSignature, Signer
from django.db import transaction

_VERSION_SECONDS = 24 * 60 * 60
_INITIAL = "0"
_SIGNER = Signer(salt="portal.versioned")

#: What ``versioned_get`` answers when no value is served.
MISSING: Any = object()


def _keys(name: str) -> tuple[str, str]:
    return f"versioned:{name}:version", f"versioned:{name}:value"


def versioned_entries(name: str) -> list[tuple[str, str]]:
    """Where ``name``'s version and value are kept (cache alias, key), for
    ``portal.redis_cache.looked_up_together``."""
    return [("default", key) for key in _keys(name)]


def versioned_get(name: str, *, shared: Sequence[str] = ()) -> tuple[str, Any]:
    """The current version of ``name`` (joined with those of the ``shared`` names, whose bump
    drops its value as well) and its value (``MISSING`` when there is none for that version, or
    it is not one this module signed): one cache round trip."""
    version_keys = [_keys(each)[0] for each in (name, *shared)]
    value_key = _keys(name)[1]
    found = cache.get_many([*version_keys, value_key])
    version = ".".join(str(found.get(key) or _INITIAL) for key in version_keys)
    stored = found.get(value_key)
    if not isinstance(stored, str):
        return version, MISSING
    try:
        signed_for, value = json.loads(_SIGNER.unsign(stored))
    except (BadSignature, ValueError, TypeError):
        return version, MISSING
    if signed_for != f"{name}@{version}":
        return version, MISSING
    return version, value


def versioned_set(name: str, version: str, value: Any, *, timeout: int) -> None:
    """Cache ``value`` (JSON data) for ``name`` as read under ``version`` (as
    ``versioned_get`` answered it, shared versions included)."""
    _, value_key = _keys(name)
    text = json.dumps([f"{name}@{version}", value], separators=(",", ":"))
    cache.set(value_key, _SIGNER.sign(text), timeout=timeout)


def versioned_bump(names: list[str]) -> None:
    """``names`` changed: no value cached before is served again (a new version now, and
    another once the current transaction commits)."""
    if not names:
        return

    def bump() -> None:
        fresh = uuid.uuid4().hex
        cache.set_many({_keys(name)[0]: fresh for name in names}, timeout=_VERSION_SECONDS)

    bump()
    transaction.on_commit(bump)
