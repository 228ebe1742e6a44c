"""Referrals: refer friends by email, create the guest's referral code."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest

from guests.pending import PendingChange
from guests.selectors.guest import guest_account
from guests.selectors.scope import Viewer
from guests.services.door import (
    Change,
    ChangeResult,
    change_run,
)
from portal.paytronix.models import ReferralCode


def referrals_add(
    *,
    actor: Viewer,
    account_id: int,
    emails: Sequence[str],
    message: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Refer friends by email on the guest's behalf (upstream emails each of them)."""
    account = guest_account(viewer=actor, account_id=account_id)
    emails = list(emails)
    count = f"{len(emails)} referral{'s' if len(emails) != 1 else ''}"
    change = Change(
        action="referrals.add",
        params={"accountId": account_id, "emails": emails, "message": message},
        call=lambda client: client.guest.add_referrals_by_account_id(
            account_id=account_id, emails=emails, message=message or None
        ),
        success=f"{count} sent: " + ", ".join(emails) + ".",
        watch=PendingChange(
            action="referrals.add",
            panel="referrals",
            sources=("referrals",),
            check="referral_emails",
            expected=emails,
            summary=f"{count}: " + ", ".join(emails),
        ),
    )
    outcome, _ = change_run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome


def referral_code_create(
    *,
    actor: Viewer,
    account_id: int,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Create the guest's referral code and enrolment link. ``value`` is the ``ReferralCode``
    (also for a second submit of the same form, rebuilt from the audit record)."""
    account = guest_account(viewer=actor, account_id=account_id)
    change = Change(
        action="referrals.create_code",
        params={"accountId": account_id},
        call=lambda client: client.guest.create_referral_code_by_account_id(account_id=account_id),
        success="Referral code created. Give the guest the code or the link.",
    )
    outcome, result = change_run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    if outcome.ok and outcome.value is None:
        code = ReferralCode(
            code=str(result.detail.get("code") or "") or None,
            name=str(result.detail.get("name") or "") or None,
            url=str(result.detail.get("url") or "") or None,
        )
        return ChangeResult(outcome.level, outcome.message, code)
    return outcome
