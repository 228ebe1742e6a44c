"""The password reset email (Guest Management Service), through the door, a few an hour.

Paytronix emails the guest a reset link and answers with the address it went to; the CSR is
told that address masked, and only the masked address reaches the audit record. At most
``GUESTS_PASSWORD_RESETS_PER_HOUR`` are sent to one guest in an hour from the console:
counted from the audit log (every attempt that was sent and not refused), so every CSR and
every process sees the same count.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from guests.selectors.optional import GUEST_MANAGEMENT
from guests.selectors.profile import GuestProfile
from guests.services.account import ChangeRefusedError, account_change
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import email_mask
from portal.audit.types import Submission
from portal.sentences import moment_text

ACTION = "guest.password_reset"
RESET_WINDOW = timedelta(hours=1)


def password_resets_sent(
    *, account_id: int, since: datetime, except_key: str = ""
) -> list[datetime]:
    """When each reset email to the guest of ``account_id`` was sent (or may have been) since
    ``since``, oldest first; the attempt of ``except_key`` (a resubmitted form) not counted."""
    intents = AuditRecord.objects.filter(
        kind=Kind.INTENT, action=ACTION, account_id=account_id, occurred_at__gte=since
    ).exclude(idempotency_key=except_key)
    refused = AuditRecord.objects.filter(
        kind=Kind.OUTCOME, intent__in=intents, outcome=Outcome.FAILED
    ).values("intent_id")
    return list(
        intents.exclude(pk__in=refused)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
    )


def password_reset_limit_reached(sent: list[datetime]) -> str:
    """What stops one more reset after ``sent`` (the last hour's, ``password_resets_sent``):
    the sentence saying when the next one may be sent, or "" while under the hourly limit."""
    limit = int(settings.GUESTS_PASSWORD_RESETS_PER_HOUR)
    if len(sent) < limit:
        return ""
    next_at = sent[-limit] + RESET_WINDOW
    return (
        f"{len(sent)} password reset emails were sent to this guest in the last hour, the most "
        f"allowed. The next one can be sent at {moment_text(next_at)}."
    )


def password_reset_limit_check(*, account_id: int, except_key: str = "") -> None:
    """Refuse (``ChangeRefusedError``) a reset beyond the hourly limit, saying when the next
    one may be sent."""
    sent = password_resets_sent(
        account_id=account_id, since=timezone.now() - RESET_WINDOW, except_key=except_key
    )
    refusal = password_reset_limit_reached(sent)
    if refusal:
        raise ChangeRefusedError(refusal)


def password_reset_send(submission: Submission, *, profile: GuestProfile) -> ChangeOutcome:
    """Have Paytronix email the guest a password reset link; the outcome's message names the
    (masked) address it went to."""
    password_reset_limit_check(account_id=profile.account_id, except_key=submission.idempotency_key)
    account_id = profile.account_id
    outcome = account_change(
        submission,
        account_id=account_id,
        account=profile.account,
        action=ACTION,
        params={"accountId": account_id, "emailOnFile": email_mask(profile.email)},
        call=lambda client: email_mask(
            GUEST_MANAGEMENT.write(
                lambda: client.guestmanagement.generate_and_send_guest_reset_password_code(
                    account_id=account_id
                )
            )
        ),
        success="Password reset email sent.",
    )
    if outcome.ok and outcome.value:
        return replace(
            outcome,
            message=(
                f"Password reset email sent to {outcome.value}. The link in it is valid for "
                "24 hours."
            ),
        )
    return outcome
