"""Django's Redis cache with connections that outlive the thread that opened them.

Django keeps one cache object per thread (``caches`` is thread-local) and each builds its own
client and connection pool. A guest page's reads run in short-lived threads, so every read
opened a fresh connection (TCP connect, ``HELLO``, ``CLIENT SETINFO``, the library's version
read from its metadata) and dropped it when the thread ended: about a millisecond of CPU each.
Here one client per server list and options serves every thread of the process; redis-py's
connection pool is thread-safe and starts afresh in a forked child.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_lock = threading.Lock()
_clients: dict[str, SharedRedisCacheClient] = {}


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
