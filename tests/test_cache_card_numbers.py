"""No full card number in the cache: the card and guest flows run against the sandbox, then every
cache entry is read raw (locmem here; Redis in the ``redis`` test, which CI runs) and searched for
every card number the sandbox holds. The writes that need a number still send the full one."""

from __future__ import annotations

import json
import os
import pickle
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Kind
from portal.audit.scrub import card_hash
from portal.guestcache.codec import CACHE_FORMAT
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import HTMX, UpstreamCalls
from tests.guests.conftest import search

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
GUEST_URL = reverse("guests:guest", args=[ACCOUNT])
MAIN, OTHER = demo.DEMO_COMBINABLE_PAIR


def _card_flows(sandbox: SandboxController, agent: Client, supervisor: Client) -> None:
    """What CSRs do every day, each step answered as it should be (a flow that failed would
    leave the cache emptier and the scan proving less)."""
    for text in (demo.DEMO_ACTIVE_CARD, str(ACCOUNT), demo.DEMO_EMAIL):
        assert search(agent, text).status_code in (200, 302, 303)
    assert agent.get(GUEST_URL).status_code == 200
    active, disabled = demo.DEMO_ACTIVE_CARD[-6:], demo.DEMO_DISABLED_CARD[-6:]
    assert agent.get(reverse("cards:disable", args=[ACCOUNT, active])).status_code == 200
    assert agent.get(reverse("cards:enable", args=[ACCOUNT, disabled])).status_code == 200
    attached = agent.post(
        reverse("cards:attach_submit", args=[ACCOUNT]),
        {
            "idempotency_key": "a1",
            "other_card_number": demo.DEMO_ATTACHABLE_CARD,
            "reason_text": "Guest request",
        },
    )
    assert attached.status_code == 303
    sent = agent.post(
        reverse("cards:disable_submit", args=[ACCOUNT, active]),
        {"idempotency_key": "d1", "reason_code": "lost"},
    )
    assert sent.status_code == 303
    assert agent.get(GUEST_URL).status_code == 200
    note = agent.post(
        reverse("guests:note_add", args=[ACCOUNT]),
        {"note-note": "Called about a card.", "note-idempotency_key": "n1"},
        headers=HTMX,
    )
    assert "Note added." in note.content.decode()
    main_account = sandbox.state.account_for_card(MAIN).account_id
    # Combine acts on the attached account, through its card.
    other_account = sandbox.state.account_for_card(OTHER).account_id
    preview = reverse("cards:combine", args=[other_account, OTHER[-6:]])
    assert supervisor.get(preview).status_code == 200
    assert supervisor.get(preview).status_code == 200
    combined = supervisor.post(
        reverse("cards:combine_submit", args=[other_account, OTHER[-6:]]),
        {"idempotency_key": "c1", "reason_text": "Guest has two cards", "understood": "on"},
    )
    assert combined.status_code == 303
    for account_id in (ACCOUNT, main_account):
        assert agent.get(reverse("guests:guest", args=[account_id])).status_code == 200


def _sandbox_numbers(sandbox: SandboxController) -> list[str]:
    numbers = list(sandbox.state.live.cards)
    assert demo.DEMO_ACTIVE_CARD in numbers
    return numbers


def _leaks(entries: dict[str, bytes], numbers: list[str]) -> list[str]:
    return [
        f"{key}: ...{number[-4:]}"
        for key, raw in entries.items()
        for number in numbers
        if number.encode() in raw or number in key
    ]


@pytest.fixture
def locmem_cache(settings: Any) -> None:
    """The default and guests caches in this process's memory, whatever ``CACHE_URL`` says
    (CI points it at Redis, which ``test_with_redis_...`` scans)."""
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "scan"}
    settings.CACHES = {"default": local, "guests": local}


def _locmem_entries() -> dict[str, bytes]:
    stored = cache._cache  # type: ignore[attr-defined]
    return {str(key): bytes(raw) for key, raw in stored.items()}


@pytest.mark.usefixtures("locmem_cache")
def test_after_the_card_and_guest_flows_no_cache_entry_holds_a_card_number(
    sandbox: SandboxController, agent_client: Client, supervisor_client: Client
) -> None:
    _card_flows(sandbox, agent_client, supervisor_client)
    entries = _locmem_entries()
    guest_reads = {key: raw for key, raw in entries.items() if f"guest:{CACHE_FORMAT}:" in key}
    assert len(guest_reads) >= 10
    assert _leaks(entries, _sandbox_numbers(sandbox)) == []
    # Every cached guest read is JSON text: nothing read back is an object to unpickle.
    assert all(isinstance(pickle.loads(raw), str) for raw in guest_reads.values())  # noqa: S301


@pytest.mark.usefixtures("locmem_cache")
def test_the_scan_finds_a_number_that_is_cached(sandbox: SandboxController) -> None:
    cache.set("planted", {"printedCardNumber": demo.DEMO_ACTIVE_CARD})
    assert _leaks(_locmem_entries(), _sandbox_numbers(sandbox)) == [":1:planted: ...0011"]


def test_changes_made_from_cached_screens_send_the_full_number(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    assert agent_client.get(GUEST_URL).status_code == 200
    active = demo.DEMO_ACTIVE_CARD[-6:]
    assert agent_client.get(reverse("cards:disable", args=[ACCOUNT, active])).status_code == 200
    agent_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, active]),
        {"idempotency_key": "d1", "reason_code": "lost"},
    )
    agent_client.get(GUEST_URL)
    agent_client.post(
        reverse("guests:note_add", args=[ACCOUNT]),
        {"note-note": "Filed under the card.", "note-idempotency_key": "n1"},
        headers=HTMX,
    )
    status = upstream_calls.to("guest/changeCardStatus.json")
    notes = upstream_calls.to("csr/addAccountComment.json")
    assert [call["printedCardNumber"] for call in status] == [demo.DEMO_ACTIVE_CARD]
    assert [call["printedCardNumber"] for call in notes] == [demo.DEMO_ACTIVE_CARD]
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    note_intent = AuditRecord.objects.get(action="account_note.add", kind=Kind.INTENT)
    assert note_intent.card_hash == card_hash(demo.DEMO_ACTIVE_CARD)


def test_a_guest_change_from_the_cached_page_names_the_primary_card_in_its_record(
    sandbox: SandboxController, agent_client: Client
) -> None:
    assert agent_client.get(GUEST_URL).status_code == 200
    agent_client.post(
        reverse("guests:message_frequency", args=[ACCOUNT]),
        {
            "frequency-preference": "SNOOZE",
            "frequency-reason_text": "Guest asked",
            "frequency-idempotency_key": "f1",
        },
        headers=HTMX,
    )
    intent = AuditRecord.objects.get(action="messaging.frequency", kind=Kind.INTENT)
    assert (intent.card_masked, intent.card_hash) == (
        demo.DEMO_ACTIVE_CARD[-6:],
        card_hash(demo.DEMO_ACTIVE_CARD),
    )


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[tuple[Any, str]]:
    """The default cache on the Redis server of ``REDIS_URL``, under a prefix of this test's own,
    and a client to read that server raw."""
    import redis

    url = os.environ["REDIS_URL"]
    prefix = f"cache-scan-{uuid.uuid4().hex}"
    # As portal/settings.py builds them for a redis:// CACHE_URL (test_security checks that).
    default = {
        "BACKEND": "portal.redis_cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "OPTIONS": {"serializer": "portal.guestcache.codec.JsonSerializer"},
    }
    settings.CACHES = {"default": default, "guests": default}
    server = redis.Redis.from_url(url)
    yield server, prefix
    for key in server.scan_iter(match=f"{prefix}:*"):
        server.delete(key)


@pytest.mark.redis
def test_with_redis_no_cache_entry_holds_a_card_number(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    redis_cache: tuple[Any, str],
) -> None:
    server, prefix = redis_cache
    _card_flows(sandbox, agent_client, supervisor_client)
    entries: dict[str, bytes] = {}
    for key in server.scan_iter(match=f"{prefix}:*"):
        value = server.get(key)
        if value is not None:
            entries[key.decode()] = value
    guest_reads = [raw for key, raw in entries.items() if f"guest:{CACHE_FORMAT}:" in key]
    assert len(guest_reads) >= 10
    assert _leaks(entries, _sandbox_numbers(sandbox)) == []
    # Stored as JSON by the guests alias's serializer: nothing here is unpickled when read.
    assert all(isinstance(json.loads(raw), str) for raw in guest_reads)


@pytest.mark.redis
def test_with_redis_the_default_cache_stores_json_and_reads_a_pickle_as_a_miss(
    redis_cache: tuple[Any, str],
) -> None:
    server, prefix = redis_cache
    cache.set("readyz", "ok")
    cache.set("flag", True)
    cache.set("count", 3)
    assert (cache.get("readyz"), cache.get("flag"), cache.incr("count")) == ("ok", True, 4)
    raw = {
        key.decode().rsplit(":", 1)[-1]: server.get(key) for key in server.scan_iter(f"{prefix}:*")
    }
    assert raw == {"readyz": b'"ok"', "flag": b"true", "count": b"4"}
    server.set(f"{prefix}:1:readyz", pickle.dumps("planted"))
    assert cache.get("readyz") is None
