"""Account notes (CSR comments), signed by the staff user."""

from __future__ import annotations

from guests.pending import PendingChange, pending_watch
from guests.selectors.guest import guest_account
from guests.services.account import ChangeRefusedError, account_target
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason
from portal.staff.models import User


def account_note_add(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    note: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Add a CSR note to the account, signed with the staff user's username."""
    account = guest_account(viewer=actor, account_id=account_id)
    card = account.primary_card.printed_card_number if account.primary_card else None
    if not card:
        raise ChangeRefusedError("This account has no card to file the note under.")
    author = actor.username
    outcome = change_run(
        actor=actor,
        action="account_note.add",
        target=account_target(actor, account_id, account),
        params={"printedCardNumber": card, "comment": note, "author": author},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=lambda client: client.csr.add_account_comment(
            printed_card_number=card, comment=note, author=author
        ),
        success="Note added.",
    )
    pending_watch(
        outcome,
        account_id=account_id,
        change=PendingChange(
            action="account_note.add",
            panel="notes",
            sources=("notes",),
            check="note",
            expected={"comment": note, "author": author},
            summary=f"Note by {author}",
        ),
    )
    return outcome
