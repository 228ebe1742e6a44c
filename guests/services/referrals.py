"""Referrals: refer friends by email, create the guest's referral code."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest

from guests.pending import PendingChange
from guests.selectors.guest import guest_account
from guests.selectors.reads import referrals_of_account
from guests.selectors.scope import Viewer
from guests.services.door import (
    Change,
    ChangeResult,
    change_run,
)
from portal.paytronix.errors import PaytronixError
from portal.paytronix.models import ReferralCode


def _already_referred(account_id: int, emails: Sequence[str]) -> list[str] | None:
    """Which of ``emails`` the guest had referred before this write, or None if unknown.

    Recorded with the intent so the reconciler can tell, after a write whose outcome is
    unknown, a referral this write made from one that was already there.
    """
    try:
        listing = referrals_of_account(account_id=account_id)
    except PaytronixError:
        return None
    known = {(referral.email or "").lower() for referral in listing.user_referrals}
    return sorted(email for email in emails if email.lower() in known)


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
    params: dict[str, object] = {"accountId": account_id, "emails": emails, "message": message}
    already = _already_referred(account_id, emails)
    if already is not None:
        params["alreadyReferred"] = already
    change = Change(
        action="referrals.add",
        params=params,
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
