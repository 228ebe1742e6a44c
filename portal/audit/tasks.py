"""Celery tasks of the audit log: the periodic reconciler. (The CSV export is a job kind, run
by ``portal.jobs.tasks.job_run_task``.)"""

from __future__ import annotations

from celery import shared_task

from portal.audit.reconcile import unknown_outcomes_reconcile


@shared_task
def audit_reconcile_task() -> None:
    """Settle unknown outcomes (scheduled by CELERY_BEAT_SCHEDULE)."""
    unknown_outcomes_reconcile()
