"""Referrals: refer friends by email, create the guest's referral code."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from guests.pending import PendingChange, pending_watch
from guests.selectors.guest import guest_account
from guests.selectors.reads import referrals_of_account
from guests.services.account import account_target
from portal.audit.door import mutation_run
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason
from portal.paytronix.errors import PaytronixError
from portal.paytronix.models import ReferralCode
from portal.staff.models import User


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
    actor: User,
    context: AuditContext,
    account_id: int,
    emails: Sequence[str],
    message: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Refer friends by email on the guest's behalf (upstream emails each of them)."""
    account = guest_account(viewer=actor, account_id=account_id)
    emails = list(emails)
    count = f"{len(emails)} referral{'s' if len(emails) != 1 else ''}"
    params: dict[str, object] = {"accountId": account_id, "emails": emails, "message": message}
    already = _already_referred(account_id, emails)
    if already is not None:
        params["alreadyReferred"] = already
    outcome = change_run(
        actor=actor,
        action="referrals.add",
        target=account_target(actor, account_id, account),
        params=params,
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.guest.add_referrals_by_account_id(
            account_id=account_id, emails=emails, message=message or None
        ),
        success=f"{count} sent: " + ", ".join(emails) + ".",
    )
    pending_watch(
        outcome,
        account_id=account_id,
        change=PendingChange(
            action="referrals.add",
            panel="referrals",
            sources=("referrals",),
            check="referral_emails",
            expected=emails,
            summary=f"{count}: " + ", ".join(emails),
        ),
    )
    return outcome


def referral_code_create(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Create the guest's referral code and enrolment link. ``value`` is the ``ReferralCode``
    (also for a second submit of the same form, rebuilt from the audit record)."""
    account = guest_account(viewer=actor, account_id=account_id)
    result = mutation_run(
        actor=actor,
        action="referrals.create_code",
        target=account_target(actor, account_id, account),
        params={"accountId": account_id},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.guest.create_referral_code_by_account_id(account_id=account_id),
    )
    outcome = ChangeOutcome.of(
        result, success="Referral code created. Give the guest the code or the link."
    )
    if outcome.ok and outcome.value is None:
        code = ReferralCode(
            code=str(result.detail.get("code") or "") or None,
            name=str(result.detail.get("name") or "") or None,
            url=str(result.detail.get("url") or "") or None,
        )
        return dataclasses.replace(outcome, value=code)
    return outcome
