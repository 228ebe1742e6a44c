"""Enabling and disabling one card, through the audit door (``card.enable`` / ``card.disable``)."""

from __future__ import annotations

from typing import Literal

from cards.selectors import AccountCard, GuestCards
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import Submission, Target

CardStatus = Literal["ACTIVE", "DISABLED"]

STATUS_WORDS: dict[str, str] = {"ACTIVE": "enabled", "DISABLED": "disabled"}


def card_status_change(
    submission: Submission, *, guest: GuestCards, card: AccountCard, status: CardStatus
) -> ChangeOutcome:
    """Enable (``ACTIVE``) or disable (``DISABLED``) one card, audited as ``card.enable`` /
    ``card.disable``. Raises ``PermissionDenied`` or ``ValidationError`` (a missing reason)
    before anything is sent."""
    number = card.full_number
    return change_run(
        submission,
        action="card.disable" if status == "DISABLED" else "card.enable",
        target=Target(
            account_id=guest.account_id, printed_card_number=number, username=guest.username
        ),
        params={"printedCardNumber": number, "status": status},
        call=lambda client: client.guest.change_card_status(
            printed_card_number=number, status=status
        ),
        success=f"Card ending {card.masked_card_number} is now {STATUS_WORDS[status]}.",
    )
