"""The reconciler: settles changes whose outcome is unknown, and marks the rest for review.

Two kinds of loose end: an outcome recorded as ``unknown`` (a write's transport failed after it
may have reached upstream), and an intent with no outcome at all (its process died mid-call).
The second gets an ``unknown`` outcome first. Each unknown is then settled with its action's
``settle`` function, which reads upstream state back; one that cannot be settled is tried again
on later runs, and marked ``needs_review`` once it is older than ``AUDIT_REVIEW_AFTER`` (at
once if its action has no way to settle). Every verdict is a new record, never an edit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.utils import timezone

from portal.audit.actions import ACTIONS, action_get
from portal.audit.door import intent_abandon, outcome_settle
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.records import outcome_record_if_latest
from portal.metrics import reconcile_observed
from portal.paytronix.client import PaytronixClient, client_from_settings

logger = logging.getLogger("portal.audit")

#: How far back the reconciler looks; older loose ends were settled or marked long ago.
WINDOW = timedelta(days=7)
BATCH = 500


@dataclass
class ReconcileSummary:
    abandoned: int = 0
    settled: int = 0
    reviewed: int = 0
    waiting: int = 0


def _abandoned_intents_query(now: datetime) -> QuerySet[AuditRecord]:
    upstream_actions = [name for name, spec in ACTIONS.items() if spec.upstream]
    has_outcome = AuditRecord.objects.filter(intent_id=OuterRef("pk"))
    return (
        AuditRecord.objects.filter(
            kind=Kind.INTENT,
            action__in=upstream_actions,
            occurred_at__gte=now - WINDOW,
            occurred_at__lt=now - timedelta(seconds=settings.AUDIT_ABANDONED_AFTER),
        )
        .filter(~Exists(has_outcome))
        # A job's own intent gets its outcome when the job ends, however long it runs.
        .filter(job__isnull=True)
    )


def _open_unknowns_query(now: datetime) -> QuerySet[AuditRecord]:
    later = AuditRecord.objects.filter(intent_id=OuterRef("intent_id"), seq__gt=OuterRef("seq"))
    return AuditRecord.objects.filter(
        kind=Kind.OUTCOME, outcome=Outcome.UNKNOWN, occurred_at__gte=now - WINDOW
    ).filter(~Exists(later))


def _abandoned_intents(now: datetime) -> list[AuditRecord]:
    return list(_abandoned_intents_query(now).order_by("seq")[:BATCH])


def _open_unknowns(now: datetime) -> list[AuditRecord]:
    return list(
        _open_unknowns_query(now)
        .filter(intent__occurred_at__lt=now - timedelta(seconds=settings.AUDIT_SETTLE_AFTER))
        .select_related("intent")
        .order_by("seq")[:BATCH]
    )


def unknown_backlog(*, now: datetime) -> tuple[int, datetime | None]:
    """The reconciler's backlog, for metrics: how many changes have an unknown outcome not yet
    settled or marked for review (or no outcome at all, their process gone), and when the
    oldest of them was made."""
    unknowns = _open_unknowns_query(now).aggregate(n=Count("pk"), at=Min("intent__occurred_at"))
    abandoned = _abandoned_intents_query(now).aggregate(n=Count("pk"), at=Min("occurred_at"))
    times = [when for when in (unknowns["at"], abandoned["at"]) if when is not None]
    return unknowns["n"] + abandoned["n"], min(times, default=None)


def unknown_outcomes_reconcile(
    *, client: PaytronixClient | None = None, now: datetime | None = None
) -> ReconcileSummary:
    """One reconciler pass; see the module docstring."""
    client = client or client_from_settings()
    now = now or timezone.now()
    summary = ReconcileSummary()
    for intent in _abandoned_intents(now):
        intent_abandon(intent)
        summary.abandoned += 1
    review_before = now - timedelta(seconds=settings.AUDIT_REVIEW_AFTER)
    for unknown in _open_unknowns(now):
        changed = unknown.intent
        assert changed is not None
        if outcome_settle(changed, unknown, client=client, settled_by="reconciler") is not None:
            summary.settled += 1
            continue
        if action_get(changed.action).settle is not None and changed.occurred_at > review_before:
            summary.waiting += 1
            continue
        outcome_record_if_latest(
            changed,
            unknown,
            outcome=Outcome.NEEDS_REVIEW,
            error_code="needs_review",
            error_message=(
                "Upstream state could not tell whether this change was applied: check the "
                "guest's account and act on what it shows."
            ),
            params={"settled_by": "reconciler"},
        )
        summary.reviewed += 1
    reconcile_observed(summary)
    if summary.abandoned or summary.settled or summary.reviewed or summary.waiting:
        logger.info(
            "reconciler: %d abandoned, %d settled, %d marked for review, %d waiting",
            summary.abandoned,
            summary.settled,
            summary.reviewed,
            summary.waiting,
        )
    return summary
