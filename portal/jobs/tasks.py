"""The one Celery task of every job: it is sent a job id, and runs the job as its kind says."""

from __future__ import annotations

from celery import shared_task

from portal.jobs.kinds import job_kind
from portal.jobs.models import Job


@shared_task
def job_run_task(job_id: int) -> None:
    """Run job ``job_id`` (a redelivery after a worker died picks up where it stopped)."""
    kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    job_kind(kind).run(job_id)
