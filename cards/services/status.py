"""Enabling and disabling one card, through the audit door (``card.enable`` / ``card.disable``)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest

from cards.selectors import GuestCard, GuestCards
from cards.services.common import CardChange, card_change_from
from portal.audit.services import AuditContext, Reason, Target, mutation_run

CardStatus = Literal["ACTIVE", "DISABLED"]

STATUS_WORDS: dict[str, str] = {"ACTIVE": "enabled", "DISABLED": "disabled"}


def card_status_change(
    *,
    actor: Any,
    request: HttpRequest | None,
    guest: GuestCards,
    card: GuestCard,
    status: CardStatus,
    reason: Reason,
    idempotency_key: str,
    context: AuditContext | None = None,
    job_id: int | None = None,
) -> CardChange:
    """Enable (``ACTIVE``) or disable (``DISABLED``) one card, audited as ``card.enable`` /
    ``card.disable``. Raises ``PermissionDenied`` or ``ValidationError`` (a missing reason)
    before anything is sent."""
    number = card.printed_card_number
    result = mutation_run(
        actor=actor,
        action="card.disable" if status == "DISABLED" else "card.enable",
        target=Target(
            account_id=guest.account_id, printed_card_number=number, username=guest.username
        ),
        params={"printedCardNumber": number, "status": status},
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
        context=context,
        job_id=job_id,
        call=lambda client: client.guest.change_card_status(
            printed_card_number=number, status=status
        ),
    )
    return card_change_from(
        result, f"Card ending {card.masked_card_number} is now {STATUS_WORDS[status]}."
    )
