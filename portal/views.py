"""The shell's own views: home, health check, error pages."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app
from portal.staff.access import any_role, public

logger = logging.getLogger(__name__)


@require_GET
@any_role
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("healthz", "ok", timeout=5)
    if cache.get("healthz") != "ok":
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


@never_cache
@require_GET
@public
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker state; 200 when all are up, 503 otherwise."""
    checks: dict[str, Any] = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "down"; the log says why
            logger.warning("healthz: %s is down: %s", name, type(exc).__name__)
            checks[name] = "down"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks},
        status=200 if healthy else 503,
    )
