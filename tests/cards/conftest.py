"""Helpers of the card tests: audit records of an action, and counting upstream calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from portal.audit.models import AuditRecord, Kind


@pytest.fixture
def records() -> Callable[..., list[AuditRecord]]:
    """Audit records of ``action`` (intents and outcomes), oldest first."""

    def of(action: str, kind: str | None = None) -> list[AuditRecord]:
        found = AuditRecord.objects.filter(action=action).order_by("seq")
        if kind is not None:
            found = found.filter(kind=kind)
        return list(found)

    return of


@pytest.fixture
def upstream_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every upstream call the client sends, as (endpoint path, parameters)."""
    from portal.paytronix.session import Transport

    calls: list[tuple[str, dict[str, Any]]] = []
    original = Transport.call

    def counting(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        calls.append((endpoint.path, dict(params)))
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", counting)
    return calls


def writes(calls: list[tuple[str, dict[str, Any]]], path: str) -> list[dict[str, Any]]:
    return [params for called, params in calls if called == path]


INTENT = Kind.INTENT
OUTCOME = Kind.OUTCOME


@pytest.fixture
def upstream_refuses(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make the sandbox answer ``endpoint`` with ``result``/``code`` over HTTP, for the codes
    its model has no state to produce (``card_status.internal_error``...)."""
    from dataclasses import replace

    from portal.sandbox.endpoints.registry import ENDPOINTS
    from portal.sandbox.errors import Failure

    def refuse(endpoint: str, code: str, *, result: str = "failure", **extra: Any) -> None:
        def handler(request: Any) -> Any:
            raise Failure(code, result=result, **extra)

        monkeypatch.setitem(ENDPOINTS, endpoint, replace(ENDPOINTS[endpoint], handler=handler))

    return refuse
