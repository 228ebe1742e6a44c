"""The changes a CSR makes on the guest page, each through the audit door (``mutation_run``).

Every service reads the account first with the CSR's scope (the door's store-group check and
the target's identifiers come from it), sends one upstream write through the door with the
form's idempotency key and reason, and turns the outcome into a ``ChangeResult``: a sentence
for the CSR, and, for a change upstream will show later, a pending change the page watches.

``PermissionDenied`` and ``ValidationError`` (a missing reason, a reused form) come from the
door before anything is sent; views show them. ``ChangeRefusedError`` says a change cannot be
asked for at all (an anonymous card has no username to change the language of).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from guests import labels
from guests.messages import explain, explain_recorded
from guests.pending import PendingChange, pending_add
from guests.selectors import reads
from guests.selectors.guest import guest_account
from guests.selectors.scope import Viewer, scope_of
from portal.audit.models import Outcome
from portal.audit.services import MutationResult, Reason, Target, mutation_run
from portal.paytronix.client import PaytronixClient
from portal.paytronix.models import AccountInformation, AddRedeemReply, ReferralCode


class ChangeRefusedError(Exception):
    """A change that cannot be asked for; the message says why, for the CSR."""


@dataclass(frozen=True)
class ChangeResult:
    """How a change went, for the CSR: ``level`` is success, warning or error."""

    level: str
    message: str
    value: Any = None

    @property
    def ok(self) -> bool:
        return self.level == "success"


@dataclass(frozen=True)
class _Change:
    """One door call: the action, what the record shows, the write, and what to watch for."""

    action: str
    params: dict[str, Any]
    call: Callable[[PaytronixClient], Any]
    success: str
    watch: PendingChange | None = None


def _target(viewer: Viewer, account: AccountInformation, account_id: int) -> Target:
    card = account.primary_card.printed_card_number if account.primary_card else None
    return Target(
        account_id=account_id,
        printed_card_number=card or "",
        username=account.username or "",
        store_group_code=scope_of(viewer),
    )


def _run(
    *,
    actor: Viewer,
    account_id: int,
    account: AccountInformation,
    change: _Change,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None,
) -> tuple[ChangeResult, MutationResult]:
    result = mutation_run(
        actor=actor,
        action=change.action,
        target=_target(actor, account, account_id),
        params=change.params,
        reason=Reason(text=reason),
        idempotency_key=idempotency_key,
        call=change.call,
        request=request,
    )
    if result.ok:
        if change.watch is not None:
            pending_add(account_id=account_id, change=change.watch)
        return ChangeResult("success", change.success, result.value), result
    if result.in_progress:
        message = "This change is still being made. Wait a moment, then reload the page."
        return ChangeResult("warning", message), result
    if result.outcome == Outcome.UNKNOWN:
        if change.watch is not None:
            pending_add(account_id=account_id, change=change.watch)
        message = explain(result.error) if result.error else explain_recorded(unknown=True)
        return ChangeResult("warning", message), result
    if result.error is not None:
        return ChangeResult("error", explain(result.error)), result
    message = explain_recorded(
        upstream_result=result.upstream_result,
        error_code=result.error_code,
        error_message=result.error_message,
        detail=result.detail,
    )
    return ChangeResult("error", message), result


def _registered(account: AccountInformation) -> str:
    if not account.username:
        raise ChangeRefusedError(
            "This card is not registered to a guest, so it has no preferences to change."
        )
    return account.username


def message_frequency_change(
    *,
    actor: Viewer,
    account_id: int,
    preference: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Set how often the guest gets marketing messages (one of ``labels.MESSAGE_FREQUENCIES``)."""
    account = guest_account(viewer=actor, account_id=account_id)
    username = _registered(account)
    choice = labels.message_frequency(preference)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed message frequencies.")
    summary = f"Message frequency: {choice.label}"
    change = _Change(
        action="messaging.frequency",
        params={"username": username, "preference": preference},
        call=lambda client: client.guest.update_message_frequency(
            username=username, preference=preference
        ),
        success=f"{summary}. {choice.explanation}",
        watch=PendingChange(
            action="messaging.frequency",
            panel="header",
            sources=("user",),
            check="message_frequency",
            expected=preference,
            summary=summary,
        ),
    )
    outcome, _ = _run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome


def language_change(
    *,
    actor: Viewer,
    account_id: int,
    language_code: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Set the guest's language preference (one of ``labels.LANGUAGES``)."""
    account = guest_account(viewer=actor, account_id=account_id)
    _registered(account)
    choice = labels.language(language_code)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed languages.")
    summary = f"Language: {choice.label}"
    change = _Change(
        action="language.set",
        params={"accountId": account_id, "languageCode": language_code},
        call=lambda client: client.guest.update_language_preference_by_account_id(
            account_id=account_id, language_code=language_code
        ),
        success=summary + ".",
        watch=PendingChange(
            action="language.set",
            panel="header",
            sources=("user",),
            check="language",
            expected=language_code,
            summary=summary,
        ),
    )
    outcome, _ = _run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome


def username_migrate(
    *,
    actor: Viewer,
    account_id: int,
    email: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Make the guest's email address their username. ``email`` is the address the CSR was
    shown; it must still be the one on file (read afresh)."""
    account = guest_account(viewer=actor, account_id=account_id)
    username = _registered(account)
    user = reads.user_of_account(account_id=account_id, fresh=True)
    on_file = (user.fields.email if user.fields else None) or ""
    if not on_file:
        raise ChangeRefusedError("The guest has no email address on file.")
    if on_file.lower() != email.strip().lower():
        raise ChangeRefusedError(
            "The guest's email address changed since this page was loaded. Reload the page."
        )
    if on_file.lower() == username.lower():
        raise ChangeRefusedError("The guest's email address is already their username.")
    summary = f"Username: {on_file}"
    change = _Change(
        action="username.migrate_email",
        params={"username": username, "email": on_file},
        call=lambda client: client.guest.migrate_email_as_username(
            username=username, email=on_file
        ),
        success=f"{summary}. The guest now signs in with their email address.",
        watch=PendingChange(
            action="username.migrate_email",
            panel="header",
            sources=("account", "user"),
            check="username",
            expected=on_file,
            summary=summary,
        ),
    )
    outcome, _ = _run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome


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
    change = _Change(
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
    outcome, _ = _run(
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
    change = _Change(
        action="referrals.create_code",
        params={"accountId": account_id},
        call=lambda client: client.guest.create_referral_code_by_account_id(account_id=account_id),
        success="Referral code created. Give the guest the code or the link.",
    )
    outcome, result = _run(
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


def visit_code_apply(
    *,
    actor: Viewer,
    account_id: int,
    code: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Credit a visit code to the account (check it first with ``visit_code_check``)."""
    account = guest_account(viewer=actor, account_id=account_id)

    def apply(client: PaytronixClient) -> AddRedeemReply:
        return client.guest.apply_visit_code(code=code, account_id=account_id)

    change = _Change(
        action="visit_code.apply",
        params={"accountId": account_id, "code": code},
        call=apply,
        success="Visit code applied.",
    )
    outcome, _ = _run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
    )
    reply = outcome.value
    if outcome.ok and isinstance(reply, AddRedeemReply) and reply.wallet_contents:
        balances = {
            str(w.wallet_code): str(w.balance)
            for w in reply.wallet_contents
            if w.wallet_code is not None and w.balance is not None
        }
        earned = ", ".join(f"{w.name} now {w.balance}" for w in reply.wallet_contents)
        pending_add(
            account_id=account_id,
            change=PendingChange(
                action="visit_code.apply",
                panel="wallets",
                sources=("account",),
                check="wallet_balances",
                expected=balances,
                summary=f"Visit code {code}: {earned}",
            ),
        )
        return ChangeResult("success", f"Visit code applied: {earned}.", reply)
    return outcome


def account_note_add(
    *,
    actor: Viewer,
    account_id: int,
    note: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Add a CSR note to the account, signed with the staff user's username."""
    account = guest_account(viewer=actor, account_id=account_id)
    card = account.primary_card.printed_card_number if account.primary_card else None
    if not card:
        raise ChangeRefusedError("This account has no card to file the note under.")
    author = actor.username
    change = _Change(
        action="account_note.add",
        params={"printedCardNumber": card, "comment": note, "author": author},
        call=lambda client: client.csr.add_account_comment(
            printed_card_number=card, comment=note, author=author
        ),
        success="Note added.",
        watch=PendingChange(
            action="account_note.add",
            panel="notes",
            sources=("notes",),
            check="note",
            expected={"comment": note, "author": author},
            summary=f"Note by {author}",
        ),
    )
    outcome, _ = _run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason="",
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome
