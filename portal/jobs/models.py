"""Jobs: slow or bulk work on Celery, with progress its owner can watch.

A job is created with its items in one transaction (``portal.jobs.services.job_create``), with
the audit intent of the whole job; the Celery task receives only the job's id. Each item ends
with an outcome; ``payload`` (what the task needs to do the item, e.g. a full card number) is
emptied as soon as the item ends, so such data lives no longer than the work needs it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from portal.audit.actions import action_label


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTLY_FAILED = "partly_failed", "Partly failed"
    CANCELLED = "cancelled", "Cancelled"
    #: Its items, from the first, all failed the same way (``JOBS_STOP_AFTER_SAME_FAILURES``
    #: of them): the rest were not started.
    STOPPED = "stopped", "Stopped"
    #: Upstream answered a combine with ``accountSuspended``: not a failure of the request but
    #: its result (nothing moved, the main account is suspended for a review).
    SUSPENDED = "suspended", "Account suspended"


FINISHED_STATUSES = frozenset(
    {
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.PARTLY_FAILED,
        JobStatus.CANCELLED,
        JobStatus.STOPPED,
        JobStatus.SUSPENDED,
    }
)


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    #: Its worker died mid-attempt: read back every chunk until the attempt is settled.
    SETTLING = "settling", "Being settled"
    DONE = "done", "Done"


class ItemOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    #: Already as the item asked (a card already disabled): nothing sent, nothing changed.
    UNCHANGED = "unchanged", "Already as asked"
    FAILED = "failed", "Failed"
    NEEDS_MORE_INFO = "needs_more_info", "Needs more information"
    UNKNOWN = "unknown", "Unknown (being settled)"
    CANCELLED = "cancelled", "Cancelled"
    #: Its job stopped before it, its first items all failing alike (``JobStatus.STOPPED``).
    NOT_STARTED = "not_started", "Not started"
    #: Upstream's ``accountSuspended``: the item was answered, nothing moved (see JobStatus).
    SUSPENDED = "suspended", "Account suspended"


class Job(models.Model):
    #: The audited action this job performs (``bulk.card_status``, ``audit.export``).
    kind = models.CharField(max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    #: Set when the runner stops the job (``JobStatus.STOPPED``): the message its first
    #: ``stop_after`` items all failed with. Every run of the job reads it back, as a cancel.
    stop_message = models.TextField(blank=True)
    stop_after = models.PositiveIntegerField(null=True, blank=True)
    #: What the job was asked to do, scrubbed like audit parameters.
    params = models.JSONField(default=dict, blank=True)
    #: Where it was queued from (ip, user agent, request id): what its items' records carry.
    origin = models.JSONField(default=dict, blank=True)
    intent = models.OneToOneField(
        "audit.AuditRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="job",
    )
    cancel_requested = models.BooleanField(default=False)
    #: File name under settings.JOBS_FILES_DIR of the job's output (an export), if any.
    result_file = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["owner", "-created_at"], name="jobs_owner_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk} ({self.status})"

    @property
    def label(self) -> str:
        return action_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.is_finished and self.status not in (JobStatus.CANCELLED, JobStatus.STOPPED):
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class JobItem(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    #: What the owner sees for this item: never a full card number.
    label = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    outcome = models.CharField(max_length=16, choices=ItemOutcome.choices, blank=True)
    message = models.TextField(blank=True)
    #: The attempt in progress or last made: part of the item's idempotency key.
    attempts = models.PositiveSmallIntegerField(default=0)
    intent = models.ForeignKey(
        "audit.AuditRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["job", "position"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["job", "position"], name="jobs_item_position_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["job", "status", "position"], name="jobs_item_status_idx"),
        ]

    def __str__(self) -> str:
        return f"item {self.position} of job {self.job_id}: {self.label}"

    def __repr__(self) -> str:
        # Never the payload: it may hold a full card number.
        return f"<JobItem job={self.job_id} position={self.position} status={self.status}>"

    def as_row(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "item": self.label,
            "status": self.status,
            "outcome": self.outcome,
            "message": self.message,
            "audit_record": self.intent_id or "",
        }
