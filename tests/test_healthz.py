from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditChainHead
from portal.celery import app as celery_app
from portal.health import READINESS_CHECKS

pytestmark = pytest.mark.django_db


@pytest.fixture
def celery_conf(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Change the Celery app's configuration for one test."""
    saved: dict[str, Any] = {}
    # Celery reads these variables before its own configuration (CI sets CELERY_BROKER_URL).
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "CELERY_BROKER_READ_URL"):
        monkeypatch.delenv(name, raising=False)

    def change(**values: Any) -> None:
        for key, value in values.items():
            saved.setdefault(key, celery_app.conf[key])
            celery_app.conf[key] = value

    yield change
    celery_app.conf.update(saved)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


ALL_OK = {
    "database": "ok",
    "cache": "ok",
    "broker": "ok",
    "migrations": "ok",
    "audit_chain": "ok",
}


def fail(*args: object, **kwargs: object) -> None:
    raise DatabaseError("connection refused")


def test_healthz_says_the_process_answers_even_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(READINESS_CHECKS, "database", fail)
    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", fail)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_with_every_check_ok(client: Client) -> None:
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == ALL_OK


@pytest.mark.parametrize("url", ["healthz", "readyz"])
def test_probes_are_public_json(client: Client, url: str) -> None:
    response = client.get(reverse(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", ["healthz", "readyz"])
def test_probes_are_never_cached(client: Client, url: str) -> None:
    cache_control = {part.strip() for part in client.get(reverse(url))["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "max-age=0"} <= cache_control


def test_every_readiness_check_is_reported() -> None:
    assert set(READINESS_CHECKS) == set(ALL_OK)


def test_readyz_answers_503_naming_the_database_when_it_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(READINESS_CHECKS, "database", fail)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"] == ALL_OK | {"database": "down"}


def test_readyz_answers_503_when_a_migration_is_not_applied(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("portal.health._migrations_applied", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("staff", "9999_pending")],
    )
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"] == ALL_OK | {"migrations": "down"}


@pytest.mark.table_owner  # A bad restore, written by the owner past the trigger.
def test_readyz_answers_503_when_the_audit_chain_head_does_not_match_its_records(
    client: Client,
) -> None:
    if connection.vendor == "postgresql":
        # The database refuses such a head (a trigger): what a bad restore could still leave.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditChainHead.objects.create(pk=1, seq=41, last_hash="f" * 64)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"] == ALL_OK | {"audit_chain": "down"}


def test_readyz_is_ok_once_records_were_written(client: Client, agent: Any) -> None:
    from portal.audit.chain import chain_append
    from portal.audit.models import Kind

    chain_append(kind=Kind.EVENT, action="staff.login", actor_username=agent.username)
    response = client.get(reverse("readyz"))
    assert response.json()["checks"] == ALL_OK


def test_readyz_answers_503_naming_the_cache_when_it_is_down(client: Client, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"] == ALL_OK | {"cache": "down"}


def test_readyz_answers_503_naming_the_broker_when_it_is_down(
    client: Client, celery_conf: Callable[..., None]
) -> None:
    celery_conf(broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"] == ALL_OK | {"broker": "down"}


def test_readyz_answers_503_when_the_embedded_brokers_folder_is_unusable(
    client: Client, celery_conf: Callable[..., None], tmp_path: Path
) -> None:
    missing = str(tmp_path / "gone")
    options = celery_app.conf.broker_transport_options | {
        "data_folder_in": missing,
        "data_folder_out": missing,
    }
    celery_conf(broker_url="filesystem://", broker_transport_options=options)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"


def test_readyz_does_not_say_why_a_part_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(READINESS_CHECKS, "database", fail)
    assert b"connection refused" not in client.get(reverse("readyz")).content


@pytest.mark.redis
def test_readyz_is_ok_with_redis_as_cache_and_broker(
    client: Client, settings: Any, celery_conf: Callable[..., None]
) -> None:
    redis_url = os.environ["REDIS_URL"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    celery_conf(broker_url=redis_url)
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["checks"] == ALL_OK
