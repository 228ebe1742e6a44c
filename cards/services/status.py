"""Enabling and disabling one card, through the audit door (``card.enable`` / ``card.disable``)."""

from __future__ import annotations

from typing import Literal

from cards.selectors import AccountCard, GuestCards
from guests.pending import PendingChange, pending_watch
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import Submission, Target
from portal.sentences import CARD_STATUS_WORDS, words

CardStatus = Literal["ACTIVE", "DISABLED"]

STATUS_WORDS: dict[str, str] = {"ACTIVE": "enabled", "DISABLED": "disabled"}
#: The status a card must have for a change to ``status``: only an active card is disabled,
#: only a disabled one enabled (upstream refuses an exchanged card, and one never activated).
_CHANGES_FROM: dict[str, str] = {"DISABLED": "ACTIVE", "ACTIVE": "DISABLED"}


def status_change_offered(card_status: str, status: str) -> bool:
    """Whether a card of ``card_status`` is offered the change to ``status`` (the guest page's
    Disable and Enable buttons, and their confirmation screens)."""
    return _CHANGES_FROM[status] == card_status


def status_change_refusal(card_status: str, status: str, masked: str) -> str:
    """Why a card of ``card_status`` is not offered the change to ``status`` ("" when it is)."""
    if status_change_offered(card_status, status):
        return ""
    if card_status == status:
        return f"Card ending {masked} is already {STATUS_WORDS[status]}: there is nothing to do."
    needed = "an active" if _CHANGES_FROM[status] == "ACTIVE" else "a disabled"
    return (
        f"Card ending {masked} is {words(CARD_STATUS_WORDS, card_status)}: only {needed} card "
        f"can be {STATUS_WORDS[status]}."
    )


def card_status_change(
    submission: Submission, *, guest: GuestCards, card: AccountCard, status: CardStatus
) -> ChangeOutcome:
    """Enable (``ACTIVE``) or disable (``DISABLED``) one card, audited as ``card.enable`` /
    ``card.disable``. Raises ``PermissionDenied`` or ``ValidationError`` (a missing reason)
    before anything is sent."""
    number = card.full_number
    action = "card.disable" if status == "DISABLED" else "card.enable"
    outcome = change_run(
        submission,
        action=action,
        target=Target(
            account_id=guest.account_id, printed_card_number=number, username=guest.username
        ),
        params={"printedCardNumber": number, "status": status},
        call=lambda client: client.guest.change_card_status(
            printed_card_number=number, status=status
        ),
        success=f"Card ending {card.masked_card_number} is now {STATUS_WORDS[status]}.",
    )
    # The guest page says it is pending until the card reads so (or the audit log settles it).
    pending_watch(
        outcome,
        account_id=guest.account_id,
        change=PendingChange(
            action=action,
            panel="cards",
            sources=("account",),
            check="card_status",
            expected={"masked": card.masked_card_number, "status": status},
            about=f"card {card.masked_card_number}",
            summary=f"Card ending {card.masked_card_number} {STATUS_WORDS[status]}",
        ),
    )
    return outcome
