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


def _counting_mgets(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every MGET the shared client sends, by its keys."""
    from portal.redis_cache import SharedRedisCacheClient

    sent: list[list[str]] = []
    real = SharedRedisCacheClient.get_many
    real_get = SharedRedisCacheClient.get

    def get_many(self: Any, keys: Any) -> Any:
        sent.append(list(keys))
        return real(self, keys)

    def get(self: Any, key: Any, default: Any) -> Any:
        sent.append([key])
        return real_get(self, key, default)

    monkeypatch.setattr(SharedRedisCacheClient, "get_many", get_many)
    monkeypatch.setattr(SharedRedisCacheClient, "get", get)
    return sent


def test_entries_looked_up_together_are_one_round_trip_each_taken_once(
    on_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.redis_cache import looked_up_together

    caches["guests"].set("pending", [1], 30)
    caches["default"].set("missing-a", True, 30)
    caches["default"].delete("missing-b")
    sent = _counting_mgets(monkeypatch)
    entries = [("guests", "pending"), ("default", "missing-a"), ("default", "missing-b")]
    with looked_up_together(entries):
        assert len(sent) == 1  # both aliases share the client: one MGET for all three
        assert caches["guests"].get("pending") == [1]
        assert caches["default"].get_many(["missing-a", "missing-b", "other"]) == {
            "missing-a": True
        }
        # Only "other" was asked for: the other two came from the read ahead.
        assert sent[1:] == [[caches["default"].make_key("other")]]
        # Each value is taken once: a second read asks Redis, and sees what was written since.
        caches["guests"].set("pending", [1, 2], 30)
        assert caches["guests"].get("pending") == [1, 2]
        assert caches["default"].get("missing-b", "absent") == "absent"
    assert len(sent) == 4
    with looked_up_together([]):
        assert caches["guests"].get("pending") == [1, 2]
    assert len(sent) == 5


def test_a_read_thread_takes_what_its_page_read_ahead(
    on_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextvars

    from portal.redis_cache import looked_up_together

    caches["guests"].set("version", "7", 30)
    sent = _counting_mgets(monkeypatch)
    seen: list[Any] = []
    with looked_up_together([("guests", "version")]):
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(lambda: seen.append(caches["guests"].get("version")),)
        )
        thread.start()
        thread.join()
    assert seen == ["7"]
    assert len(sent) == 1


def test_the_guest_page_reads_the_cache_in_two_round_trips_before_its_reads(
    on_redis: str, monkeypatch: pytest.MonkeyPatch, sandbox: Any, agent_client: Any
) -> None:
    """Its pending changes, the guest's cache versions, the services found missing and the
    account's open approval requests in one; the page's cached reads, by those versions, in
    the other; and none while upstream answers."""
    from portal.paytronix import session
    from portal.sandbox import demo

    caches["default"].clear()
    sent = _counting_mgets(monkeypatch)
    calls: list[int] = []
    real = session.Transport.call

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(sent))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(session.Transport, "call", call)
    assert agent_client.get(f"/guests/{demo.DEMO_ACCOUNT_ID}/").status_code == 200
    # The viewer's access is the middleware's, not the page's.
    page = [keys for keys in sent if not all("staff-access" in key for key in keys)]
    assert len(page) == 2, page
    first = " ".join(page[0])
    for read in ("guests:pending:", "guestver:", "paytronix-unavailable:", "approvals-open:"):
        assert read in first
    assert len(sent) == max(calls)
