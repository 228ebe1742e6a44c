"""The Redis cache shares one client per process across threads and aliases."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.redis


@pytest.fixture
def on_redis(settings: Any) -> str:
    url = os.environ["REDIS_URL"]
    alias = {
        "BACKEND": "portal.redis_cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "redis-cache-test",
        "OPTIONS": {"serializer": "portal.guestcache.codec.JsonSerializer"},
    }
    settings.CACHES = {"default": alias, "guests": alias}
    return url


def _server_clients(cache: Any) -> Any:
    return cache._cache.get_client(write=True)


def test_every_thread_and_alias_uses_one_client_and_its_connections(on_redis: str) -> None:
    seen: list[Any] = []

    def in_a_thread() -> None:
        # A new thread gets its own cache objects from Django: the client is still the one.
        caches["guests"].set("shared", {"n": 1}, 30)
        seen.append(_server_clients(caches["guests"]))
        seen.append(_server_clients(caches["default"]))

    def connections_made() -> int:
        pool = _server_clients(caches["default"]).connection_pool
        return len(pool._available_connections) + len(pool._in_use_connections)

    caches["default"].get("warm")  # the process's client (other tests may share it) has one
    before = connections_made()
    for _ in range(8):  # one after another, as a page's short-lived read threads come
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    assert len({id(client) for client in seen}) == 1
    # Eight threads, no new connection: each thread took the one the last had put back.
    assert connections_made() == before
    assert caches["default"].get("shared") == {"n": 1}
    caches["default"].delete("shared")


def test_reads_and_writes_still_go_through_the_json_serializer(on_redis: str) -> None:
    import redis

    caches["default"].set("plain", {"a": [1, 2]}, 30)
    raw = redis.Redis.from_url(on_redis).get(caches["default"].make_key("plain"))
    assert raw == b'{"a":[1,2]}'
    assert caches["default"].get("plain") == {"a": [1, 2]}
    caches["default"].delete("plain")
