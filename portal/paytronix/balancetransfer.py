"""Balance Transfer Service: move wallet balances from one card's account to another's
(vendor page ``pxs_api_reference/balance_transfer.html``).

One endpoint, a write. The vendor documents its parameters, ``success`` and ``failure``; it
lists no error codes (its errors page has no Balance Transfer section) and accepts B2B or
OAuth. Its parameter table has no ``authentication`` parameter, so, as for the Guest and CSR
Services, the call is B2B by its HTTP Basic credentials and sends none (docs/wire-notes.md).
On success the source account "may be moved to a TERMINATED state and cannot be used again".
"""

from __future__ import annotations

from .endpoint import Endpoint
from .replies.balancetransfer import BalanceTransferReply
from .session import Transport

TRANSFER_BALANCES = Endpoint("balancetransfer/transferBalances.json", "POST", write=True)


class BalanceTransferService:
    """The Balance Transfer Service, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def transfer_balances(
        self,
        *,
        printed_card_number: str,
        from_printed_card_number: str,
        must_transfer_all_wallet_balances: bool | None = None,
        from_registration_code: str | None = None,
    ) -> BalanceTransferReply:
        """*Write*: move the balances of ``from_printed_card_number``'s account to
        ``printed_card_number``'s (the destination, which the call authenticates against).

        ``must_transfer_all_wallet_balances``: fail rather than move only the balances the
        destination can take. ``from_registration_code``: the source card's registration code,
        where the program asks for it. Raises ``FailureError`` for a refusal and
        ``OutcomeUnknownError`` when the reply was lost (settle by reading back).
        """
        if not printed_card_number or not from_printed_card_number:
            raise ValueError("give both the destination and the source card number")
        if printed_card_number == from_printed_card_number:
            raise ValueError("the source and the destination must be different cards")
        reply = self._transport.call(
            TRANSFER_BALANCES,
            {
                "printedCardNumber": printed_card_number,
                "fromPrintedCardNumber": from_printed_card_number,
                "mustTransferAllWalletBalances": must_transfer_all_wallet_balances,
                "fromRegCode": from_registration_code or None,
            },
        )
        return BalanceTransferReply.from_wire(reply)
