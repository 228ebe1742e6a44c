"""A change that waits for a second person: asked for by one staff user, decided by another.

The request keeps what the change needs to be made later (the action, its parameters as the
audit log shows them, the reason, the account and the card's mask and keyed hash; never a full
card number, which the change reads again from upstream when it runs), who asked, who decided
and why, and how the approved change went (its audit intent). The audit log has the same story
as records (``approval.request``, ``approval.approve`` / ``approval.reject``, then the change
itself); this table is the queue and what the requester sees.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    OPEN = "open", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    #: Taken back by its requester before anyone decided it.
    WITHDRAWN = "withdrawn", "Withdrawn"


class ApprovalRequest(models.Model):
    action = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    summary = models.TextField(help_text="What the change does, in the requester's words.")
    params = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    reason_text = models.TextField(blank=True)

    # What it is about (see portal.audit.types.Target).
    account_id = models.BigIntegerField(null=True, blank=True)
    #: Another account the change touches (a combine's main account, which the combined one
    #: goes into): its guest page lists the request too.
    also_account_id = models.BigIntegerField(null=True, blank=True)
    card_masked = models.CharField(max_length=16, blank=True)
    card_hash = models.CharField(max_length=64, blank=True)
    store_group_code = models.IntegerField(null=True, blank=True)

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    requester_username = models.CharField(max_length=150)
    requested_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=100, unique=True)
    #: The ``approval.request`` audit intent.
    request_record_id = models.BigIntegerField(null=True, blank=True)

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval_decisions",
    )
    decided_by_username = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    #: The ``approval.approve`` / ``approval.reject`` / ``approval.withdraw`` audit intent (a
    #: withdrawn request is "decided" by its requester).
    decision_record_id = models.BigIntegerField(null=True, blank=True)

    #: How the approved change went: its audit outcome, the sentence, its audit intent.
    change_outcome = models.CharField(max_length=16, blank=True)
    change_message = models.TextField(blank=True)
    change_record_id = models.BigIntegerField(null=True, blank=True)

    #: Not stored: what became of the approved change since, in words (an adjustment voided
    #: later...), as ``selectors.with_later`` reads it for the screens; "" otherwise.
    later: str = ""

    class Meta:
        ordering: ClassVar[list[str]] = ["-requested_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # The navigation's open count and the queue: one index range each.
            models.Index(fields=["status", "-requested_at"], name="approval_status_idx"),
            models.Index(fields=["requester", "-requested_at"], name="approval_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN
