"""A bulk upload waiting for its owner to confirm it.

The validated rows wait here, in the database, between the upload and the "Start" button: the
person sees every problem first and nothing runs until they confirm. Starting copies the rows
into the job's items and empties ``rows``, so full card numbers live in one place only.
An upload nobody starts is deleted after ``CARDS_UPLOAD_TTL_HOURS`` (``cards_uploads_purge_task``,
hourly), so its numbers do not wait for a confirm that never comes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from cards.bulk_file import NO_ACTION


class BulkUpload(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="card_bulk_uploads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200, blank=True)
    action = models.CharField(
        max_length=16,
        blank=True,
        help_text="Action of rows that name none: disable, enable, or empty (each names its own).",
    )
    reason = models.CharField(max_length=200, help_text="Default reason for rows without one.")
    #: [{"line", "card_number", "action", "reason", "problem"}], emptied once the job starts.
    rows = models.JSONField(default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    bad_row_count = models.PositiveIntegerField(default=0)
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="bulk_upload"
    )
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"bulk upload {self.pk} ({self.row_count} rows)"

    def __repr__(self) -> str:
        # Never the rows: they hold full card numbers.
        return f"<BulkUpload {self.pk} rows={self.row_count} bad={self.bad_row_count}>"

    @property
    def started(self) -> bool:
        return self.job_id is not None

    @property
    def good_row_count(self) -> int:
        return self.row_count - self.bad_row_count

    @property
    def no_action_count(self) -> int:
        """How many rows name no action, none chosen for them (``BulkUploadActionForm``)."""
        return sum(1 for row in self.rows if row.get("problem") == NO_ACTION)

    def bad_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row.get("problem")]

    def action_counts(self) -> list[tuple[str, int]]:
        """How many good rows each action has (disable first), leaving out an action with
        none: rows name their own action, which need not be the file's default."""
        counts = {"disable": 0, "enable": 0}
        for row in self.rows:
            if not row.get("problem") and row.get("action") in counts:
                counts[row["action"]] += 1
        return [(action, count) for action, count in counts.items() if count]

    @property
    def start_label(self) -> str:
        """What the start button does, e.g. ``disable 60 cards, enable 60 cards``."""
        parts = [f"{action} {n} card{'s' if n != 1 else ''}" for action, n in self.action_counts()]
        return ", ".join(parts) or "nothing to do"
