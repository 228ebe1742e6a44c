"""Account notes (CSR comments), signed by the staff user."""

from __future__ import annotations

from guests.pending import PendingChange
from guests.selectors.load import guest_account
from guests.selectors.optional import NOTES
from guests.services.account import ChangeRefusedError, account_change
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import text_digest, text_personal_mask
from portal.audit.types import Submission


def account_note_add(submission: Submission, *, account_id: int, note: str) -> ChangeOutcome:
    """Add a CSR note to the account, signed with the staff user's username."""
    if not NOTES.available():
        # Switched off or found missing: nothing to send, and nothing to audit.
        raise ChangeRefusedError(NOTES.sentence)
    # Filed under the primary card's full number, which a cached copy does not hold.
    account = guest_account(viewer=submission.actor, account_id=account_id, fresh=True)
    card = account.primary_card.printed_card_number if account.primary_card else None
    if not card:
        raise ChangeRefusedError("This account has no card to file the note under.")
    author = submission.actor.username
    return account_change(
        submission,
        account_id=account_id,
        account=account,
        action="account_note.add",
        # The note as the audit keeps it: addresses and phone numbers masked, and its keyed
        # hash (the settle function finds the note upstream by it).
        params={
            "printedCardNumber": card,
            "comment": text_personal_mask(note),
            "commentHash": text_digest(note),
            "author": author,
        },
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
