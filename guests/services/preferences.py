"""Preferences: message frequency, language, and the email address as username."""

from __future__ import annotations

from guests import labels
from guests.pending import PendingChange, pending_watch
from guests.selectors import reads
from guests.selectors.guest import guest_account
from guests.services.account import ChangeRefusedError, account_target, registered_username
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason
from portal.staff.models import User


def message_frequency_change(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    preference: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Set how often the guest gets marketing messages (one of ``labels.MESSAGE_FREQUENCIES``)."""
    account = guest_account(viewer=actor, account_id=account_id)
    username = registered_username(account)
    choice = labels.message_frequency(preference)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed message frequencies.")
    summary = f"Message frequency: {choice.label}"
    outcome = change_run(
        actor=actor,
        action="messaging.frequency",
        target=account_target(actor, account_id, account),
        params={"username": username, "preference": preference},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.guest.update_message_frequency(
            username=username, preference=preference
        ),
        success=f"{summary}. {choice.explanation}",
    )
    pending_watch(
        outcome,
        account_id=account_id,
        change=PendingChange(
            action="messaging.frequency",
            panel="header",
            sources=("user",),
            check="message_frequency",
            expected=preference,
            summary=summary,
        ),
    )
    return outcome


def language_change(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    language_code: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Set the guest's language preference (one of ``labels.LANGUAGES``)."""
    account = guest_account(viewer=actor, account_id=account_id)
    registered_username(account)
    choice = labels.language(language_code)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed languages.")
    summary = f"Language: {choice.label}"
    outcome = change_run(
        actor=actor,
        action="language.set",
        target=account_target(actor, account_id, account),
        params={"accountId": account_id, "languageCode": language_code},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.guest.update_language_preference_by_account_id(
            account_id=account_id, language_code=language_code
        ),
        success=summary + ".",
    )
    pending_watch(
        outcome,
        account_id=account_id,
        change=PendingChange(
            action="language.set",
            panel="header",
            sources=("user",),
            check="language",
            expected=language_code,
            summary=summary,
        ),
    )
    return outcome


def username_migrate(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    email: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Make the guest's email address their username. ``email`` is the address the CSR was
    shown; it must still be the one on file (read afresh)."""
    account = guest_account(viewer=actor, account_id=account_id)
    username = registered_username(account)
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
    outcome = change_run(
        actor=actor,
        action="username.migrate_email",
        target=account_target(actor, account_id, account),
        params={"username": username, "email": on_file},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.guest.migrate_email_as_username(
            username=username, email=on_file
        ),
        success=f"{summary}. The guest now signs in with their email address.",
    )
    pending_watch(
        outcome,
        account_id=account_id,
        change=PendingChange(
            action="username.migrate_email",
            panel="header",
            sources=("account", "user"),
            check="username",
            expected=on_file,
            summary=summary,
        ),
    )
    return outcome
