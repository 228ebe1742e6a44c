"""The one Celery task of every job: it is sent a job id, and runs the job as its kind says."""

from __future__ import annotations

import time

from celery import Task, shared_task

from portal.jobs.kinds import job_kind
from portal.jobs.models import Job
from portal.jobs.settling import job_next_run


@shared_task(bind=True)
def job_run_task(self: Task, job_id: int) -> None:
    """Run one chunk of job ``job_id`` and queue the next (a redelivery after a worker died
    picks up where it stopped)."""
    kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    job_kind(kind).run(job_id)
    countdown = job_next_run(job_id)
    if countdown is None:
        return
    # The next chunk is a new message, sent before this one is acknowledged: a worker dying
    # in between leaves two, and the second finds nothing left or the items' keys already used.
    if self.app.conf.task_always_eager:
        # Run in-process (tests), where a countdown is not honoured: wait it out here.
        time.sleep(countdown)
    # To the queue this chunk came from (a worker may serve only some queues).
    queue = (self.request.delivery_info or {}).get("routing_key")
    if queue:
        self.apply_async(args=(job_id,), countdown=countdown, queue=queue)
    else:
        self.apply_async(args=(job_id,), countdown=countdown)
