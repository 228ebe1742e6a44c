"""Helpers of the guests tests: the audit records of an action, and the upstream calls made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from portal.audit.models import AuditRecord

#: Extra arguments of a test client request that make it an htmx request.
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


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
def upstream_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of every upstream call the client sends, in order."""
    from portal.paytronix.session import Transport

    calls: list[str] = []
    original = Transport.call

    def counting(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        calls.append(endpoint.path)
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", counting)
    return calls


def search(client: Any, text: str) -> Any:
    """Send ``text`` through the search box, as the CSR does."""
    from django.urls import reverse

    return client.post(reverse("guests:search"), {"q": text})
