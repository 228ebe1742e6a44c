"""Celery tasks of the audit log: the periodic reconciler and the chain's anchor. (The CSV
export is a job kind, run by ``portal.jobs.tasks.job_run_task``.)"""

from __future__ import annotations

from celery import shared_task

from portal.audit.anchor import anchor_publish_head
from portal.audit.reconcile import unknown_outcomes_reconcile


@shared_task
def audit_reconcile_task() -> None:
    """Settle unknown outcomes (scheduled by CELERY_BEAT_SCHEDULE)."""
    unknown_outcomes_reconcile()


@shared_task
def audit_anchor_task() -> None:
    """Publish the chain's head to the anchor sinks (scheduled by CELERY_BEAT_SCHEDULE); fails,
    and so shows in the worker's log, when a sink could not be written."""
    failed = anchor_publish_head()
    if failed:
        raise RuntimeError("audit anchor not written to " + "; ".join(failed))
