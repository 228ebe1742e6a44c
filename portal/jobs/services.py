"""Creating and cancelling jobs.

``job_create`` is how any app queues slow or bulk work of a registered kind
(``portal.jobs.kinds``): it checks the owner may do the job's action, records the audit intent
of the whole job, creates the job and its items, and sends ``job_run_task`` the job's id once
all of that is committed. A second submit of the same form (same idempotency key) gets the
first job back. What happens while a job runs is ``portal.jobs.lifecycle``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.door import intent_claim, mutation_check
from portal.audit.models import AuditRecord
from portal.audit.scrub import params_scrub
from portal.audit.types import AuditContext, Reason, Target
from portal.jobs.kinds import job_kind
from portal.jobs.lifecycle import items_cancel, job_finish
from portal.jobs.models import Job, JobItem, JobStatus
from portal.jobs.tasks import job_run_task
from portal.staff.models import User

logger = logging.getLogger("portal.jobs")


@dataclass(frozen=True)
class ItemSpec:
    """One item of a bulk job: what its owner sees, and what the task needs to do it."""

    label: str
    payload: dict[str, Any] = field(default_factory=dict, repr=False)


class _AlreadyQueued(Exception):
    def __init__(self, intent: AuditRecord) -> None:
        super().__init__("already queued")
        self.intent = intent


def job_create(
    *,
    owner: User,
    kind: str,
    idempotency_key: str,
    context: AuditContext,
    params: Mapping[str, Any] | None = None,
    items: Sequence[ItemSpec] = (),
    total: int | None = None,
    reason: Reason | None = None,
    target: Target | None = None,
) -> Job:
    """Queue a job of ``kind`` (a registered job kind, and an action of
    ``portal.audit.actions``) for ``owner``.

    Raises ``PermissionDenied`` (recorded) or ``ValidationError`` as the door does. The intent,
    the job and its items commit together; ``job_run_task`` is sent the job id after the commit
    (inside the caller's transaction, after the caller's). ``params`` are scrubbed for the job
    row and the intent; item payloads are stored as given and emptied when each item ends.
    """
    job_kind(kind)
    params = dict(params or {})
    reason = reason or Reason()
    spec = mutation_check(
        actor=owner, action=kind, target=target, params=params, reason=reason, context=context
    )
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                owner=owner,
                params=params_scrub(params),
                origin=context.as_dict(),
                total=len(items) if total is None else total,
            )
            JobItem.objects.bulk_create(
                (
                    JobItem(
                        job=job, position=position, label=item.label[:100], payload=item.payload
                    )
                    for position, item in enumerate(items, start=1)
                ),
                batch_size=1000,
            )
            intent, created = intent_claim(
                actor=owner,
                spec=spec,
                target=target,
                params={**params, "items": len(items)},
                reason=reason,
                idempotency_key=idempotency_key,
                context=context,
                job_id=job.pk,
            )
            if not created:
                raise _AlreadyQueued(intent)
            job.intent = intent
            job.save(update_fields=["intent"])
            job_id = job.pk
            transaction.on_commit(lambda: job_run_task.delay(job_id))
    except _AlreadyQueued as already:
        first = Job.objects.filter(intent=already.intent, owner=owner).first()
        if first is None:
            raise ValidationError(
                "This form was already used for a different job. Reload the page and try again.",
                code="idempotency_conflict",
            ) from None
        return first
    logger.info("job %d queued: %s, %d items", job.pk, kind, job.total)
    return job


def job_cancel(*, job: Job, actor: User) -> Job:
    """Ask the job to stop (its owner only). A queued job ends at once; a running one stops
    between items, finishing the items already under way."""
    if job.owner_id != actor.pk:
        raise PermissionDenied("Only the person who started a job can cancel it.")
    if job.is_finished:
        return job
    Job.objects.filter(pk=job.pk).update(cancel_requested=True, updated_at=timezone.now())
    with transaction.atomic():
        still_queued = (
            Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.QUEUED).exists()
        )
        if still_queued:
            items_cancel(job)
            if not job.items.exists():
                return job_finish(job, status=JobStatus.CANCELLED, summary="cancelled")
            return job_finish(job)
    job.refresh_from_db()
    return job
