"""Cached guest reads, and how a mutation drops them: one module both sides agree on.

Every cached read of a guest is stored under a key built by ``guest_cache_key``, which folds in
a *version* for each identifier the read names (account id, printed card number, username).
``guest_cache_invalidate`` replaces those versions, so every key built from them before the
change is never looked up again: nothing has to know which reads were cached. The audit door
calls it after every mutation; readers use ``guest_cached`` (or the key function directly).

Pass every identifier the read depends on, and every parameter that changes its reply
(``accessFilterStoreGroupCode`` above all: a store manager's read must never be served to
someone else). Identifiers are hashed before they enter a key, and values are stored as JSON
with every full card number taken out (``portal.guestcache.codec``): a cache server never sees
a card number, and the portal never unpickles what it reads back.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from portal.audit.scrub import card_hash
from portal.guestcache.codec import CACHE_FORMAT, CacheShapeError, cache_decode, cache_encode
from portal.guestcache.consumed import guest_cache_consumed, noted
from portal.guestcache.failures import failure_memory
from portal.recent import Recent
from portal.requestscope import after_response, request_shared

__all__ = [
    "MISSING",
    "failure_memory",
    "guest_cache",
    "guest_cache_consumed",
    "guest_cache_get",
    "guest_cache_invalidate",
    "guest_cache_key",
    "guest_cache_prefetch",
    "guest_cache_set",
    "guest_cache_version_entries",
    "guest_cache_versions_pinned",
    "guest_cached",
]


def guest_cache() -> BaseCache:
    """The cache of guest reads: the default cache's store, JSON on Redis (see settings)."""
    return caches["guests"]


# A version outlives every read cached under it, so an evicted version cannot bring back
# data cached before the change it marked.
_VERSION_TTL = 24 * 60 * 60
_INITIAL_VERSION = "0"


def _digest(text: str) -> str:
    key = f"guest-cache:{settings.AUDIT_HASH_KEY}".encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def _identities(
    account_id: int | None,
    printed_card_number: str | None,
    username: str | None,
    hashed_card: str = "",
) -> list[str]:
    """A card is named by its keyed hash (the audit records' own), so a change that has only
    the hash (a cached account's card) drops the card's reads as its full number would."""
    found = []
    if account_id is not None:
        found.append(f"account:{int(account_id)}")
    card = card_hash(printed_card_number) if printed_card_number else hashed_card
    if card:
        found.append(f"card:{card}")
    if username:
        found.append(f"user:{username.strip().lower()}")
    return found


def _version_keys(identities: list[str]) -> list[str]:
    return [f"guestver:{_digest(identity)}" for identity in identities]


#: The versions a page load has read (``guest_cache_versions_pinned``); None outside one.
_pinned: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "guest_cache_pinned_versions", default=None
)
#: The entries a page load has looked up at once (``guest_cache_prefetch``): key -> the stored
#: text, or None for a miss; None outside a page load.
_prefetched: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "guest_cache_prefetched", default=None
)


def guest_cache_version_entries(*, account_id: int) -> list[tuple[str, str]]:
    """Where the versions of the reads by ``account_id`` are kept (cache alias, key), for
    ``portal.redis_cache.looked_up_together``."""
    return [("guests", key) for key in _version_keys(_identities(account_id, None, None))]


def _versions_of(version_keys: list[str]) -> dict[str, Any]:
    pinned = _pinned.get()
    if pinned is None:
        return guest_cache().get_many(version_keys)
    missing = [key for key in version_keys if key not in pinned]
    if missing:
        found = guest_cache().get_many(missing)
        pinned.update({key: found.get(key, _INITIAL_VERSION) for key in missing})
    return {key: pinned[key] for key in version_keys}


@contextmanager
def guest_cache_versions_pinned() -> Iterator[None]:
    """Within it, each guest's cache version is read once: a page's reads of one guest all
    build their keys from the same version, at the cost of one cache round trip instead of
    one per read. Only for reads (a change inside it would not be seen by the keys)."""
    token = _pinned.set({})
    prefetched = _prefetched.set({})
    try:
        yield
    finally:
        _prefetched.reset(prefetched)
        _pinned.reset(token)


def guest_cache_prefetch(keys: list[str]) -> None:
    """Within ``guest_cache_versions_pinned()``, look ``keys`` up in one round trip: the reads
    that follow (each in its own thread, which would otherwise ask one by one) take them from
    here, and what a read caches meanwhile replaces its entry. Does nothing outside it."""
    held = _prefetched.get()
    if held is None:
        return
    wanted = [key for key in keys if key not in held]
    if wanted:
        found = guest_cache().get_many(wanted)
        held.update({key: found.get(key) for key in wanted})


def guest_cache_key(
    kind: str,
    *,
    account_id: int | None = None,
    printed_card_number: str | None = None,
    username: str | None = None,
    **params: Any,
) -> str:
    """The cache key for one read (``kind``, e.g. ``"account"``, ``"history"``) of a guest.

    At least one identifier is required. ``params`` are the read's other arguments.
    """
    identities = _identities(account_id, printed_card_number, username)
    if not identities:
        raise ValueError("guest_cache_key needs an account id, a card number or a username")
    version_keys = _version_keys(identities)
    versions = _versions_of(version_keys)
    stamp = ".".join(str(versions.get(key, _INITIAL_VERSION)) for key in version_keys)
    who = _digest("|".join(identities))
    what = _digest(json.dumps(params, sort_keys=True, default=str)) if params else "-"
    return f"guest:{CACHE_FORMAT}:{kind}:{who}:{what}:{_digest(stamp)}"


def guest_cache_invalidate(
    *,
    account_id: int | None = None,
    printed_card_number: str | None = None,
    card_hash: str = "",
    username: str | None = None,
) -> None:
    """Drop every cached read that names any of these identifiers (a card by its full number
    or by its keyed hash, ``portal.audit.scrub.card_hash``)."""
    identities = _identities(account_id, printed_card_number, username, card_hash)
    if identities:
        fresh = uuid.uuid4().hex
        guest_cache().set_many(
            dict.fromkeys(_version_keys(identities), fresh), timeout=_VERSION_TTL
        )


#: What ``guest_cache_get`` answers for a key with no usable entry.
MISSING: Any = object()


class _DecodedMemo:
    """The last values decoded in this process, by key and the text they were decoded from:
    the same text (a warm page reads the same entries again and again) is not decoded again.
    Replies are frozen dataclasses; a list is handed out as a copy."""

    def __init__(self, size: int) -> None:
        self._recent: Recent[str, tuple[str, Any]] = Recent(size)

    def decode(self, key: str, text: Any) -> Any:
        found = self._recent.get(key)
        if found is not None and found[0] == text:
            value = found[1]
        else:
            value = cache_decode(text)
            if isinstance(value, (dict, list)) and not _is_reply_list(value):
                return value  # plain JSON: mutable, decoded afresh each time
            self._recent.put(key, (text, value))
        return list(value) if isinstance(value, list) else value

    def clear(self) -> None:
        self._recent.clear()


def _is_reply_list(value: Any) -> bool:
    return isinstance(value, list) and all(dataclasses.is_dataclass(item) for item in value)


_decoded = _DecodedMemo(512)


def guest_cache_get(key: str) -> Any:
    """The value cached under ``key`` (card numbers masked: see ``codec``), or ``MISSING``."""
    waiting = _written_now()
    if waiting is not None:
        value = waiting.get(key)
        if value is not MISSING:
            noted(key, None)
            return list(value) if isinstance(value, list) else value
    held = _prefetched.get()
    text = held[key] if held is not None and key in held else guest_cache().get(key)
    if text is None:
        return MISSING
    noted(key, text)
    try:
        return _decoded.decode(key, text)
    except CacheShapeError:
        return MISSING


def guest_cache_set(
    key: str, value: Any, *, timeout: int | None = None, text: str | None = None
) -> None:
    """Cache ``value`` under ``key`` for ``timeout`` seconds (``GUEST_CACHE_SECONDS``).

    In a web request, a reply (or list of replies, or a plain scalar) is written once the
    response is sent (``portal.requestscope.after_response``), with the request's other writes
    in one round trip: encoding them is not what the CSR waits for. The request itself reads
    them back from its own memo. ``text``: ``cache_encode(value)``, where the caller made it
    already (while it waited for something else), so it is not made again."""
    seconds = settings.GUEST_CACHE_SECONDS if timeout is None else timeout
    if _immutable(value):
        waiting = _written_now()
        if waiting is not None:
            waiting.add(key, value, seconds, text)
            return
    text = cache_encode(value) if text is None else text
    guest_cache().set(key, text, timeout=seconds)
    held = _prefetched.get()
    if held is not None and key in held:
        held[key] = text


class _Waiting:
    """What a web request cached and has not written yet: read back by the request, written
    together once its response is sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[Any, int, str | None]] = {}

    def add(self, key: str, value: Any, seconds: int, text: str | None = None) -> None:
        """Keep ``value`` (and its cache ``text``, if made) for the write after the response.
        The first value since the last write asks for one: once the response is sent,
        ``after_response`` runs it at once."""
        with self._lock:
            first = not self._values
            kept = list(value) if isinstance(value, list) else value
            self._values[key] = (kept, seconds, text)
        if first:
            after_response(self.write)

    def get(self, key: str) -> Any:
        found = self._values.get(key)
        return MISSING if found is None else found[0]

    def write(self) -> None:
        with self._lock:
            values, self._values = self._values, {}
        by_timeout: dict[int, dict[str, str]] = {}
        for key, (value, seconds, text) in values.items():
            by_timeout.setdefault(seconds, {})[key] = cache_encode(value) if text is None else text
        for seconds, texts in by_timeout.items():
            guest_cache().set_many(texts, timeout=seconds)


def _written_now() -> _Waiting | None:
    """This web request's writes waiting for its response (None outside one, or once sent)."""
    return request_shared(_WAITING, _Waiting)


_WAITING = "guestcache:waiting"


def _immutable(value: Any) -> bool:
    """Safe to hand out again as is, and to encode later: a frozen reply, a list of them
    (copied), a scalar."""
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, list):
        return _is_reply_list(value) and all(_frozen(item) for item in value)
    return _frozen(value)


def _frozen(value: Any) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return bool(params is not None and params.frozen)


def guest_cached[T](
    kind: str,
    fetch: Callable[[], T],
    *,
    account_id: int | None = None,
    printed_card_number: str | None = None,
    username: str | None = None,
    timeout: int | None = None,
    **params: Any,
) -> T:
    """``fetch()`` once per ``GUEST_CACHE_SECONDS`` for this read of this guest.

    Errors are not cached: an exception from ``fetch`` propagates and the next call tries again.
    What ``fetch()`` returned is answered as is; a copy from the cache has its card numbers
    masked (``codec``).
    """
    key = guest_cache_key(
        kind,
        account_id=account_id,
        printed_card_number=printed_card_number,
        username=username,
        **params,
    )
    found = guest_cache_get(key)
    if found is not MISSING:
        return cast(T, found)
    value = fetch()
    guest_cache_set(key, value, timeout=timeout)
    return value
