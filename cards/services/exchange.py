"""Replacing a lost or damaged card with a new one (``card.exchange``), through the audit door.

The intent names the old card (its record's card) and the new one (masked and hashed in its
params): the settle function (``portal.audit.settle_balances``) proves the exchange by the new
card being on the account and the old one exchanged.
"""

from __future__ import annotations

from cards.previews import ExchangeCheck
from cards.services.outcomes import service_outcome
from guests.selectors.optional import TRANSACTIONS
from portal.audit.door import mutation_run
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission, Target
from portal.paytronix.transaction import MAX_REFERENCE_LENGTH

#: The exchange's reference (``posTransactionId``): this prefix and the form's key.
REFERENCE_PREFIX = "EX-"


def exchange_reference(idempotency_key: str) -> str:
    """One reference per exchange form, within the Transaction Service's length."""
    return (REFERENCE_PREFIX + idempotency_key)[:MAX_REFERENCE_LENGTH]


def exchange_success(old_masked: str, new_masked: str) -> str:
    return (
        f"Card ending {old_masked} is replaced by card ending {new_masked}: the new card holds "
        f"the account and its balances, and card ending {old_masked} no longer works."
    )


def card_exchange(submission: Submission, *, check: ExchangeCheck) -> ChangeOutcome:
    """Replace ``check.card`` with ``check``'s new card (checked just before, possible).
    Raises ``PermissionDenied`` or ``ValidationError`` (a missing reason) before anything is
    sent."""
    if not check.possible:
        raise ValueError("an exchange is made only from a check without a problem")
    old, new = check.card.full_number, check.new_number
    reference = exchange_reference(submission.idempotency_key)
    operator = str(submission.actor.pk)
    guest = check.guest
    result = mutation_run(
        actor=submission.actor,
        action="card.exchange",
        target=Target(
            account_id=guest.account_id, printed_card_number=old, username=guest.username
        ),
        params={
            "printedCardNumber": old,
            "newPrintedCardNumber": new,
            "reference": reference,
            "wasPrimary": check.card.is_primary,
        },
        reason=submission.reason,
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        call=lambda client: client.transaction.exchange(
            printed_card_number=old,
            new_printed_card_number=new,
            reference=reference,
            operator_id=operator,
        ),
        also_invalidate=[Target(printed_card_number=new)],
    )
    return service_outcome(
        result,
        success=exchange_success(check.card.masked_card_number, check.new_masked),
        service=TRANSACTIONS,
    )
