"""Celery tasks of the cards app. The card jobs (combine, bulk status) run through the one job
task (``portal.jobs.tasks.job_run_task``) as kinds registered in ``CardsConfig.ready``; what is
left here is housekeeping."""

from __future__ import annotations

from celery import shared_task

from cards.services.bulk import bulk_uploads_purge


@shared_task
def cards_uploads_purge_task() -> int:
    """Hourly (``CELERY_BEAT_SCHEDULE``): delete bulk uploads never started in time."""
    return bulk_uploads_purge()
