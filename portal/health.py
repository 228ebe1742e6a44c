"""Liveness, readiness and metrics: the pages an orchestrator, a load balancer and Prometheus
call.

* ``/healthz`` (liveness): the process answers. It touches nothing else, so a database outage
  does not get every web process restarted.
* ``/readyz`` (readiness): the database, the cache and the broker answer, every migration is
  applied, and the audit chain's head is readable and matches its last record. 503 otherwise,
  naming the checks that failed (never why: the log says that).
* ``/metrics``: Prometheus text, only for ``METRICS_ALLOWED_IPS``; anyone else gets a 404.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from portal.audit.models import AuditChainHead, AuditRecord
from portal.celery import app as celery_app
from portal.metrics import metrics_text
from portal.staff.access import public

logger = logging.getLogger(__name__)

_migrations_applied = False


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("readyz", "ok", timeout=5)
    if cache.get("readyz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        if conn.transport_cls == "filesystem":
            # The embedded broker "connects" without touching anything: its folders are the
            # broker, so they are what must be there and writable.
            options = conn.transport_options or {}
            for key in ("data_folder_in", "data_folder_out"):
                folder = options.get(key)
                if folder and not os.access(folder, os.W_OK):
                    raise RuntimeError(f"the broker's {key} is missing or read-only")


def _check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        # The code of a running process does not change: once its migrations are all
        # applied, reading the migration files again on every probe would be wasted work.
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migrations not applied")
    _migrations_applied = True


def _check_audit_chain() -> None:
    head = AuditChainHead.objects.values_list("seq", "last_hash").first()
    if head is None:
        return  # nothing written yet: the first append creates the head
    seq, last_hash = head
    if not AuditRecord.objects.filter(seq=seq, record_hash=last_hash).exists():
        raise RuntimeError("the audit chain head does not match its last record")


#: Every readiness check by name (tests/test_healthz.py checks each one is reported).
READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "migrations": _check_migrations,
    "audit_chain": _check_audit_chain,
}


@never_cache
@require_GET
@public
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
@public
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, 503 naming those that failed."""
    checks: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "down"; the log says why
            logger.warning("readyz: %s is down: %s", name, type(exc).__name__)
            checks[name] = "down"
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "down", "checks": checks},
        status=200 if ready else 503,
    )


@never_cache
@require_GET
@public
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(str(request.META.get("REMOTE_ADDR", ""))):
        raise Http404
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)
