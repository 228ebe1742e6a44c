"""Django's Redis cache with connections that outlive the thread that opened them.

Django keeps one cache object per thread (``caches`` is thread-local) and each builds its own
client and connection pool. A guest page's reads run in short-lived threads, so every read
opened a fresh connection (TCP connect, ``HELLO``, ``CLIENT SETINFO``, the library's version
read from its metadata) and dropped it when the thread ended: about a millisecond of CPU each.
Here one client per server list and options serves every thread of the process; redis-py's
connection pool is thread-safe and starts afresh in a forked child.

``looked_up_together`` reads, in one round trip, entries that code about to run reads one at a
time in separate places (a guest page's pending changes, its cache versions, the services
found missing): each of those reads then takes its value from what was read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_lock = threading.Lock()
_clients: dict[str, SharedRedisCacheClient] = {}

#: What ``looked_up_together`` read: each key as Redis knows it -> its value, or ``_MISSING``;
#: None outside. Shared with the threads that copy the context (a page's read threads).
_ahead: ContextVar[dict[str, Any] | None] = ContextVar("redis_cache_read_ahead", default=None)
_MISSING = object()
_NOT_AHEAD = object()


class SharedRedisCacheClient(RedisCacheClient):
    """A cache client whose redis-py clients (one per server) are made once and shared."""

    # Set by Django's client (its stubs do not declare them).
    _servers: list[str]
    _pool_class: Any
    _pool_options: dict[str, Any]
    _client: Any
    _get_connection_pool_index: Any

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with _lock:
                client = self._redis.get(index)
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = self._redis[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` sharing one client per process for
    every alias and thread with the same servers and options."""

    # Set by Django's backend (its stubs do not declare them).
    _servers: list[str]
    _options: dict[str, Any]

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        identity = repr((list(self._servers), sorted(self._options.items())))
        with _lock:
            found = _clients.get(identity)
            if found is None:
                found = _clients[identity] = SharedRedisCacheClient(
                    list(self._servers), **self._options
                )
        return found

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        ahead = _ahead.get()
        if ahead:
            found = ahead.pop(self.make_and_validate_key(key, version=version), _NOT_AHEAD)
            if found is not _NOT_AHEAD:
                return default if found is _MISSING else found
        return super().get(key, default, version)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        ahead = _ahead.get()
        if not ahead:
            return super().get_many(keys, version)
        found: dict[Any, Any] = {}
        rest = []
        for key in keys:
            value = ahead.pop(self.make_and_validate_key(key, version=version), _NOT_AHEAD)
            if value is _NOT_AHEAD:
                rest.append(key)
            elif value is not _MISSING:
                found[key] = value
        if rest:
            found.update(super().get_many(rest, version))
        return found


@contextmanager
def looked_up_together(entries: Iterable[tuple[str, str]]) -> Iterator[None]:
    """Within it, a read of one of ``entries`` (cache alias, key) on this backend takes the
    value one round trip found for all of them (one ``MGET`` for every alias on the same
    client), instead of asking Redis on its own. Each value is taken once: a second read of a
    key asks Redis, so a value written meanwhile is seen by the next read. Entries of another
    backend are not read ahead (their reads are as usual)."""
    by_client: dict[int, tuple[SharedRedisCacheClient, list[str]]] = {}
    for alias, key in entries:
        cache = caches[alias]
        if isinstance(cache, RedisCache):
            client = cache._cache
            by_client.setdefault(id(client), (client, []))[1].append(
                cache.make_and_validate_key(key)
            )
    ahead: dict[str, Any] = {}
    for client, keys in by_client.values():
        found = client.get_many(keys)
        ahead.update({key: found.get(key, _MISSING) for key in keys})
    token = _ahead.set({**(_ahead.get() or {}), **ahead})
    try:
        yield
    finally:
        _ahead.reset(token)
