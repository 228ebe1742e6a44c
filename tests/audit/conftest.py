"""Helpers of the audit tests: a disable-card call through the door, and raw SQL on records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from portal.audit.door import mutation_run
from portal.audit.models import AuditRecord, Kind
from portal.audit.types import AuditContext, MutationResult, Reason, Target
from portal.sandbox import demo

CARD = demo.DEMO_ACTIVE_CARD
ACCOUNT = demo.DEMO_ACCOUNT_ID


class Upstream:
    """Counts the door's calls of ``call``: each is exactly one upstream write."""

    def __init__(self) -> None:
        self.calls = 0

    def disable(self, card: str = CARD) -> Callable[[Any], None]:
        def call(client: Any) -> None:
            self.calls += 1
            client.guest.change_card_status(printed_card_number=card, status="DISABLED")

        return call


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def disable_card(upstream: Upstream) -> Callable[..., MutationResult]:
    """``disable_card(actor, key=..., reason=..., call=...)``: card.disable through the door."""

    def run(
        actor: Any,
        *,
        key: str = "form-key-1",
        card: str = CARD,
        reason: Reason | None = None,
        call: Callable[[Any], Any] | None = None,
        target: Target | None = None,
    ) -> MutationResult:
        return mutation_run(
            actor=actor,
            action="card.disable",
            target=target or Target(account_id=ACCOUNT, printed_card_number=card),
            params={"printedCardNumber": card, "status": "DISABLED"},
            reason=reason or Reason(code="lost", text="Guest lost it on the train"),
            idempotency_key=key,
            context=AuditContext(),
            call=call or upstream.disable(card),
        )

    return run


def intents() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(kind=Kind.INTENT).order_by("seq"))


def outcomes() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(kind=Kind.OUTCOME).order_by("seq"))


@pytest.fixture
def raw_sql() -> Callable[..., None]:
    """Run SQL around the model's refusals (tampering, for audit_verify to catch). On
    PostgreSQL the append-only triggers are bypassed the way only a superuser can; the test
    then goes on as the role it ran as."""

    def run(sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute(sql, params or [])
                return
            # As the owner (the test may run as the runtime role, which can do none of this).
            cursor.execute("SELECT current_user")
            role = cursor.fetchone()[0]
            cursor.execute("SET LOCAL ROLE NONE")
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params or [])
            cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")

    return run
