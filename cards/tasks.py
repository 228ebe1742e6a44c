"""Celery tasks of the cards app: each takes a job id and runs the job's items through a
service handler (``portal.jobs.runner``). No card number, reason or secret is ever in a task
message: the items in the database hold what the work needs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cards.services.bulk import bulk_uploads_purge, card_status_item
from cards.services.combine import card_combine_item
from portal.jobs.runner import job_run_items


@shared_task
def cards_combine_task(job_id: int) -> None:
    job_run_items(job_id, card_combine_item)


@shared_task
def cards_bulk_status_task(job_id: int) -> None:
    job_run_items(job_id, card_status_item, concurrency=settings.CARDS_BULK_CONCURRENCY)


@shared_task
def cards_uploads_purge_task() -> int:
    """Hourly (``CELERY_BEAT_SCHEDULE``): delete bulk uploads never started in time."""
    return bulk_uploads_purge()
