"""Preferences: message frequency, language, and the email address as username."""

from __future__ import annotations

from guests import labels
from guests.pending import PendingChange
from guests.selectors import reads
from guests.selectors.load import guest_account
from guests.services.account import ChangeRefusedError, account_change, registered_username
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import identifier_record
from portal.audit.types import Submission


def message_frequency_change(
    submission: Submission, *, account_id: int, preference: str
) -> ChangeOutcome:
    """Set how often the guest gets marketing messages (one of ``labels.MESSAGE_FREQUENCIES``)."""
    account = guest_account(viewer=submission.actor, account_id=account_id)
    username = registered_username(account)
    choice = labels.message_frequency(preference)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed message frequencies.")
    summary = f"Message frequency: {choice.label}"
    return account_change(
        submission,
        account_id=account_id,
        account=account,
        action="messaging.frequency",
        params={"accountId": account_id, "preference": preference},
        call=lambda client: client.guest.update_message_frequency(
            username=username, preference=preference
        ),
        success=f"Message frequency set to {choice.label}. {choice.explanation}",
        watch=PendingChange(
            action="messaging.frequency",
            panel="header",
            sources=("user",),
            check="message_frequency",
            expected=preference,
            summary=summary,
        ),
    )


def language_change(
    submission: Submission, *, account_id: int, language_code: str
) -> ChangeOutcome:
    """Set the guest's language preference (one of ``labels.LANGUAGES``)."""
    account = guest_account(viewer=submission.actor, account_id=account_id)
    registered_username(account)
    choice = labels.language(language_code)
    if choice is None:
        raise ChangeRefusedError("Choose one of the listed languages.")
    summary = f"Language: {choice.label}"
    return account_change(
        submission,
        account_id=account_id,
        account=account,
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


def username_migrate(submission: Submission, *, account_id: int, email: str) -> ChangeOutcome:
    """Make the guest's email address their username. ``email`` is the address the CSR was
    shown; it must still be the one on file (read afresh). The audit keeps both the old
    username and the address masked, with their keyed hashes (the settle function compares)."""
    account = guest_account(viewer=submission.actor, account_id=account_id)
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
    return account_change(
        submission,
        account_id=account_id,
        account=account,
        action="username.migrate_email",
        params={"username": identifier_record(username), "email": identifier_record(on_file)},
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
