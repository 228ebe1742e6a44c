"""The audit record: append-only, hash-chained, one row per attempted change or security event.

A change is two records: its *intent* (written and committed before upstream is called) and
its *outcome* (a second record pointing at the intent). A later settlement (the reconciler
reading state back) is a third record pointing at the same intent: nothing is ever edited.

Rows are written only through ``portal.audit.chain.chain_append``, which gives each one its
place in the chain (``seq``), the previous record's hash and its own hash. The model and its
queryset refuse updates and deletes; on PostgreSQL, triggers make the database refuse them too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models.fields.json import KT

from portal.audit.actions import ACTIONS, reason_parts
from portal.paytronix.errors import ACCOUNT_SUSPENDED


class AuditImmutableError(Exception):
    """An attempt to change or delete an audit record, or to write one around the chain."""


class Kind(models.TextChoices):
    INTENT = "intent", "Intent"
    OUTCOME = "outcome", "Outcome"
    EVENT = "event", "Event"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    NEEDS_MORE_INFO = "needs_more_info", "Needs more information"
    UNKNOWN = "unknown", "Unknown (being settled)"
    NEEDS_REVIEW = "needs_review", "Needs review"
    # Security events.
    RECORDED = "recorded", "Recorded"
    DENIED = "denied", "Denied"


#: The key of a combine's reply (kept in its outcome's ``upstream_detail``) naming the account
#: the combined account survives in.
SURVIVING_ACCOUNT = "surviving_account_id"


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("audit records are append-only: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit records are append-only: delete refused")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditImmutableError("audit records are append-only: update refused")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditRecord]:  # type: ignore[override]
        raise AuditImmutableError("audit records are written one at a time through the chain")

    def intents(self) -> AuditRecordQuerySet:
        return self.filter(kind=Kind.INTENT)

    def newest_first(self) -> AuditRecordQuerySet:
        return self.order_by("-occurred_at", "-id")


#: How a job ended, as its own outcome record keeps it (``upstream_result``: the job's status,
#: ``portal.jobs.models.JobStatus``, which this app does not import), in words: the console's,
#: not upstream's answer.
_JOB_ENDINGS = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "partly_failed": "Partly failed",
    "cancelled": "Cancelled",
    "stopped": "Stopped",
    "suspended": "Account suspended",
}

#: What a failed outcome's ``upstream_result`` says, in the audit screens' words and class:
#: upstream suspended the account (a combine), or a job ended so (``portal.jobs.lifecycle``).
_ENDINGS = {
    ACCOUNT_SUSPENDED: (_JOB_ENDINGS["suspended"], "suspended"),
    **{
        ending: (words, ending)
        for ending, words in _JOB_ENDINGS.items()
        if ending not in ("succeeded", "failed")
    },
}


class AuditRecord(models.Model):
    # Chain position and hashes (see portal.audit.chain).
    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    record_hash = models.CharField(max_length=64, unique=True, editable=False)

    kind = models.CharField(max_length=8, choices=Kind.choices)
    occurred_at = models.DateTimeField(help_text="When it happened (UTC).")

    # Who, as they were at the time: a plain id, not a foreign key, so nothing about a later
    # change to the user (or their deletion) can touch this row.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)

    # From where.
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    # What, on what.
    action = models.CharField(max_length=64)
    merchant_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    card_masked = models.CharField(
        max_length=16, blank=True, help_text="Last six digits, as Paytronix masks card numbers."
    )
    card_hash = models.CharField(
        max_length=64, blank=True, help_text="HMAC-SHA256 of the full number (AUDIT_HASH_KEY)."
    )
    params = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    reason_text = models.TextField(blank=True)
    job_id = models.BigIntegerField(null=True, blank=True)

    # How it went.
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    upstream_result = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    upstream_detail = models.JSONField(default=dict, blank=True)
    transient = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    intent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcomes",
        limit_choices_to={"kind": Kind.INTENT},
    )
    idempotency_key = models.CharField(max_length=100, blank=True)

    objects: ClassVar[AuditRecordQuerySet] = AuditRecordQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=models.Q(kind="intent"),
                name="audit_intent_idempotency_key_unique",
            ),
        ]
        # One index per screen filter, each ending in the keyset order (occurred_at, id), so a
        # filtered page is an index range scan whatever the table's size.
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-occurred_at", "-id"], name="audit_time_idx"),
            models.Index(fields=["actor_username", "-occurred_at", "-id"], name="audit_user_idx"),
            models.Index(fields=["action", "-occurred_at", "-id"], name="audit_action_idx"),
            models.Index(fields=["outcome", "-occurred_at", "-id"], name="audit_outcome_idx"),
            models.Index(fields=["account_id", "-occurred_at", "-id"], name="audit_account_idx"),
            models.Index(fields=["card_hash", "-occurred_at", "-id"], name="audit_card_idx"),
            # The combines into an account, by the surviving account their reply names (the
            # records are the account combined away's): a guest's timeline looks them up.
            models.Index(
                KT(f"upstream_detail__{SURVIVING_ACCOUNT}"),
                condition=models.Q(action="cards.combine", kind="outcome"),
                name="audit_combined_into_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit records are append-only: update refused")
        if not self.record_hash:
            raise AuditImmutableError("audit records are written through chain_append only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit records are append-only: delete refused")

    @property
    def _ending(self) -> tuple[str, str] | None:
        return _ENDINGS.get(self.upstream_result) if self.outcome == Outcome.FAILED else None

    @property
    def job_ending(self) -> str:
        """How the job ended, in words, where this is a job's own outcome ("" otherwise)."""
        if self.kind != Kind.OUTCOME or self.job_id is None:
            return ""
        return _JOB_ENDINGS.get(self.upstream_result, "")

    @property
    def outcome_label(self) -> str:
        """The outcome as the audit screens say it: where upstream's answer or a job's ending
        says more than "Failed" (an account suspended for review, a job that changed most of
        its cards, one cancelled), in those words."""
        ending = self._ending
        return ending[0] if ending else self.get_outcome_display()

    @property
    def outcome_class(self) -> str:
        """The status class of ``outcome_label`` (its colour)."""
        ending = self._ending
        return ending[1] if ending else str(self.outcome)

    @property
    def reason_display(self) -> str:
        """The reason as a person reads it: the code's label (``goodwill`` is "Goodwill"),
        then the words given."""
        return " · ".join(self.reason_parts)

    @property
    def reason_parts(self) -> list[str]:
        """The reason's label and its words; "Other (say why)" is the form's prompt, not a
        reason: its words alone say why."""
        return reason_parts(self.reason_label, self.reason_code, self.reason_text)

    @property
    def reason_label(self) -> str:
        """The reason code's label: the action's own, or, for a request for approval, the
        requested action's (an adjustment asked for "goodwill" says Goodwill); the code as
        recorded where neither has it."""
        code = self.reason_code
        if not code:
            return ""
        params = self.params if isinstance(self.params, dict) else {}
        for action in (self.action, params.get("action")):
            spec = ACTIONS.get(str(action or ""))
            label = spec.reason_label(code) if spec is not None else None
            if label is not None:
                return label
        return code


class AuditChainHead(models.Model):
    """One row: the last record's position and hash. Appends lock it, so the chain cannot fork."""

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"chain head at #{self.seq}"
