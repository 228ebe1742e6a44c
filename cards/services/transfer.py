"""Moving balances from one card to another (``balance.transfer``), through the audit door.

The intent records both cards (masked and hashed), the source account and the amounts the
preview showed would move: the settle function (``portal.audit.settle_balances``) proves the
transfer by a transaction accruing exactly those amounts, never by a balance difference.
"""

from __future__ import annotations

from cards.previews import TransferPreview
from cards.services.outcomes import service_outcome
from guests.selectors.optional import BALANCE_TRANSFER
from portal.audit.door import mutation_run
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission, Target


def _success(preview: TransferPreview) -> str:
    assert preview.destination_card is not None
    sentence = (
        f"Balances of card ending {preview.source_masked} moved to card ending "
        f"{preview.destination_card.masked_card_number}."
    )
    if preview.closes_source:
        sentence += " The loyalty system may have closed the old card's account for good."
    return sentence


def balances_transfer(submission: Submission, *, preview: TransferPreview) -> ChangeOutcome:
    """Move the source card's balances to the destination as ``preview`` (read just before,
    with no ``problem``) shows them. Raises ``PermissionDenied`` or ``ValidationError`` (a
    missing reason) before anything is sent."""
    if not preview.possible or preview.destination_card is None or preview.source is None:
        raise ValueError("a transfer is made only from a preview without a problem")
    destination = preview.destination_card.full_number
    source = preview.source_number
    must_all = preview.must_transfer_all
    guest = preview.guest
    result = mutation_run(
        actor=submission.actor,
        action="balance.transfer",
        target=Target(
            account_id=guest.account_id, printed_card_number=destination, username=guest.username
        ),
        params={
            "printedCardNumber": destination,
            "fromPrintedCardNumber": source,
            "fromAccountId": preview.source_account_id,
            "mustTransferAllWalletBalances": must_all,
            "moves": [
                {"wallet_code": line.wallet_code, "name": line.name, "amount": str(line.source)}
                for line in preview.moving
            ],
            "closesSource": preview.closes_source,
        },
        reason=submission.reason,
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        call=lambda client: client.balance_transfer.transfer_balances(
            printed_card_number=destination,
            from_printed_card_number=source,
            must_transfer_all_wallet_balances=must_all,
        ),
        also_invalidate=[Target(account_id=preview.source_account_id, printed_card_number=source)],
    )
    return service_outcome(result, success=_success(preview), service=BALANCE_TRANSFER)
