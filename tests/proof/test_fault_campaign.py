"""A fault campaign: 200 card changes through the door against the sandbox, each under one
fault (latency, an error, a hang, a dropped connection, a malformed reply, each before and after
upstream carried the write out) or none, each submitted twice. Then the reconciler.

What it proves: no change takes effect twice (the second submit never calls upstream), every
intent has an outcome, and every unknown outcome is settled to what upstream actually did."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from portal.audit.door import mutation_run
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.scrub import card_hash
from portal.audit.selectors import latest_outcome
from portal.audit.types import AuditContext, Reason, Target
from portal.paytronix.client import reset_client
from portal.staff.models import User
from tests.jobs.conftest import active_cards

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

#: (fault kind, carried out upstream before the fault?) for each change in turn.
PLAN: list[tuple[str, bool | None]] = [
    ("none", None),
    ("latency", None),
    ("error", False),
    ("error", True),
    ("hang", False),
    ("hang", True),
    ("drop", False),
    ("drop", True),
    ("malformed", False),
    ("malformed", True),
]
ROUNDS = 20  # 200 changes


def _fault(sandbox: Any, kind: str, processed: bool | None) -> None:
    endpoint = "guest/changeCardStatus"
    if kind == "latency":
        sandbox.faults.latency(0.05, endpoint=endpoint, times=1)
    elif kind == "error":
        sandbox.faults.error(503, endpoint=endpoint, process=processed, times=1)
    elif kind == "hang":
        sandbox.faults.hang(2.0, endpoint=endpoint, process=processed, times=1)
    elif kind == "drop":
        sandbox.faults.drop(endpoint=endpoint, process=processed, times=1)
    elif kind == "malformed":
        sandbox.faults.malformed(endpoint=endpoint, process=processed, times=1)


def _disable(card: str) -> Callable[[Any], object]:
    def call(client: Any) -> object:
        return client.guest.change_card_status(printed_card_number=card, status="DISABLED")

    return call


def test_every_change_under_every_fault_takes_effect_at_most_once_and_is_settled_truly(
    sandbox: Any,
    supervisor: User,
    settings: Any,
    counted_status_changes: Counter[str],
    upstream_calls: Any,
    figures: Callable[..., None],
) -> None:
    # Short timeouts keep hangs cheap; a breaker that never opens keeps every change tried.
    settings.PAYTRONIX_READ_TIMEOUT = 0.3
    settings.PAYTRONIX_CONNECT_TIMEOUT = 0.5
    settings.PAYTRONIX_BREAKER_THRESHOLD = 10_000
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    reset_client()
    changes = len(PLAN) * ROUNDS
    cards = active_cards(sandbox, changes)
    assert len(cards) == changes, "the sandbox has fewer active cards than the campaign needs"
    started = time.monotonic()
    first: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    for n, card in enumerate(cards):
        kind, processed = PLAN[n % len(PLAN)]
        kinds[kind if processed is None else f"{kind} ({'after' if processed else 'before'})"] += 1
        _fault(sandbox, kind, processed)
        for _ in range(2):  # the double click
            result = mutation_run(
                actor=supervisor,
                action="card.disable",
                # As the services build it: the reconciler reads the account back by its id.
                target=Target(
                    printed_card_number=card, account_id=sandbox.state.card(card).account_id
                ),
                params={"printedCardNumber": card, "status": "DISABLED"},
                reason=Reason(code="stolen"),
                idempotency_key=f"campaign-{n}",
                context=AuditContext(),
                call=_disable(card),
            )
            first.setdefault(card, result.outcome)
        sandbox.faults.clear()
    campaign_seconds = time.monotonic() - started

    intents = list(AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable"))
    without_outcome = [i for i in intents if latest_outcome(i) is None]
    sends = Counter(
        call["printedCardNumber"] for call in upstream_calls.to("guest/changeCardStatus.json")
    )
    duplicate_effects = sum(1 for count in counted_status_changes.values() if count > 1)
    unknown_before = sum(1 for outcome in first.values() if outcome == Outcome.UNKNOWN)

    # The reconciler, once upstream's grace periods have passed.
    settings.AUDIT_SETTLE_AFTER = 0
    settings.AUDIT_NOT_APPLIED_AFTER = 0
    summary = unknown_outcomes_reconcile(now=timezone.now() + timedelta(seconds=1))

    wrong: list[str] = []
    still_unknown = 0
    by_card = {i.card_hash: i for i in intents}
    for card in cards:
        latest = latest_outcome(by_card[card_hash(card)])
        assert latest is not None
        applied = counted_status_changes[card] == 1
        if latest.outcome == Outcome.UNKNOWN:
            still_unknown += 1
        elif (latest.outcome == Outcome.SUCCEEDED) != applied:
            wrong.append(f"{card[-4:]}: {first[card]} → {latest.outcome}, applied={applied}")
        assert (sandbox.state.card(card).status == "DISABLED") == applied

    figures(
        "fault campaign through the door",
        changes=changes,
        submits=2 * changes,
        faults=dict(kinds),
        seconds=round(campaign_seconds, 1),
        upstream_writes_sent=sum(sends.values()),
        writes_carried_out=sum(counted_status_changes.values()),
        duplicate_effects=duplicate_effects,
        intents_without_an_outcome=len(without_outcome),
        unknown_after_the_first_submit=unknown_before,
        settled_by_the_reconciler=summary.settled,
        unknown_after_the_reconciler=still_unknown,
        settled_wrongly=len(wrong),
    )
    assert len(intents) == changes
    assert max(sends.values()) == 1, "a second submit or a retry sent a write again"
    assert duplicate_effects == 0
    assert without_outcome == []
    assert unknown_before > 0, "the campaign produced no unknown outcome to settle"
    assert still_unknown == 0
    assert wrong == []
