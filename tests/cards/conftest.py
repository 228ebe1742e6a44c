"""Helpers of the card tests: record kinds, and an upstream that refuses with a chosen code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from portal.audit.models import Kind

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
