"""Celery tasks of the audit log: the periodic reconciler and the CSV export."""

from __future__ import annotations

from celery import shared_task

from portal.audit.export import audit_export_run
from portal.audit.reconcile import unknown_outcomes_reconcile


@shared_task
def audit_reconcile_task() -> None:
    """Settle unknown outcomes (scheduled by CELERY_BEAT_SCHEDULE)."""
    unknown_outcomes_reconcile()


@shared_task
def audit_export_task(job_id: int) -> None:
    audit_export_run(job_id)
