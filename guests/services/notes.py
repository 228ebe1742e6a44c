"""Account notes (CSR comments), signed by the staff user."""

from __future__ import annotations

from django.http import HttpRequest

from guests.pending import PendingChange
from guests.selectors.guest import guest_account
from guests.selectors.scope import Viewer
from guests.services.door import (
    Change,
    ChangeRefusedError,
    ChangeResult,
    change_run,
)


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
    change = Change(
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
    outcome, _ = change_run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason="",
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome
