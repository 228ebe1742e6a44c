"""Referrals: refer friends by email, create the guest's referral code."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from guests.pending import PendingChange
from guests.selectors.load import guest_account
from guests.selectors.reads import referrals_of_account
from guests.services.account import ChangeRefusedError, account_change
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import identifier_record, text_personal_mask
from portal.audit.selectors import recorded_reply
from portal.audit.types import Submission
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import ReferralCode, ReferralList


def _already_referred(
    listing: ReferralList | None, emails: Sequence[str]
) -> list[dict[str, str]] | None:
    """Which of ``emails`` the guest had referred before this write (``identifier_record``s),
    or None if unknown.

    Recorded with the intent so the reconciler can tell, after a write whose outcome is
    unknown, a referral this write made from one that was already there.
    """
    if listing is None:
        return None
    known = {(referral.email or "").lower() for referral in listing.user_referrals}
    return [identifier_record(email) for email in sorted(emails) if email.lower() in known]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _over_allowance(listing: ReferralList | None, asked: int) -> str:
    """Why ``asked`` referrals cannot be sent, in exact numbers, or "" (also when the
    allowance is not known: upstream then decides)."""
    left = listing.number_of_available_user_referrals if listing is not None else None
    if left is None or asked <= left:
        return ""
    if left <= 0:
        return f"The guest has no referrals left to send; you asked for {asked}."
    return (
        f"You asked for {_plural(asked, 'referral')}; the guest has {left} left. "
        f"Remove {asked - left} of the addresses, or send these later."
    )


def referrals_add(
    submission: Submission, *, account_id: int, emails: Sequence[str], message: str
) -> ChangeOutcome:
    """Refer friends by email on the guest's behalf (upstream emails each of them)."""
    account = guest_account(viewer=submission.actor, account_id=account_id)
    emails = list(emails)
    try:
        listing: ReferralList | None = referrals_of_account(account_id=account_id)
    except PaytronixError:
        listing = None
    refusal = _over_allowance(listing, len(emails))
    if refusal:
        raise ChangeRefusedError(refusal)
    count = _plural(len(emails), "referral")
    # The friends' addresses and the message as the audit keeps them: masked (and hashed).
    params: dict[str, object] = {
        "accountId": account_id,
        "emails": [identifier_record(email) for email in emails],
        "message": text_personal_mask(message),
    }
    already = _already_referred(listing, emails)
    if already is not None:
        params["alreadyReferred"] = already
    return account_change(
        submission,
        account_id=account_id,
        account=account,
        action="referrals.add",
        params=params,
        # The reply lists every friend's address: only how many referrals are left is kept.
        call=lambda client: (
            client.guest.add_referrals_by_account_id(
                account_id=account_id, emails=emails, message=message or None
            ).number_of_available_user_referrals
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


def referral_code_create(submission: Submission, *, account_id: int) -> ChangeOutcome:
    """Create the guest's referral code and enrolment link. ``value`` is the ``ReferralCode``:
    the reply's, or for a second submit of the same form, rebuilt from the audit record."""
    account = guest_account(viewer=submission.actor, account_id=account_id)
    outcome = account_change(
        submission,
        account_id=account_id,
        account=account,
        action="referrals.create_code",
        params={"accountId": account_id},
        call=lambda client: client.guest.create_referral_code_by_account_id(account_id=account_id),
        success="Referral code created. Give the guest the code or the link.",
    )
    if outcome.ok and outcome.value is None and outcome.intent_id is not None:
        return dataclasses.replace(outcome, value=_recorded_code(outcome.intent_id))
    return outcome


def _recorded_code(intent_id: int) -> ReferralCode:
    """The code as the audit recorded upstream's reply to the first submit."""
    detail = recorded_reply(intent_id)
    return ReferralCode(
        code=str(detail.get("code") or "") or None,
        name=str(detail.get("name") or "") or None,
        url=str(detail.get("url") or "") or None,
    )
