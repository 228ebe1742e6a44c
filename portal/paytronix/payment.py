"""Payment Service: the guest's saved payment methods, auto-recharge and recharge history
(vendor page ``pxs_api_reference/payment.html``).

Only the page's first endpoint (``recharge.json``) is readable: its B2B/OAuth styles, its
``success`` / ``invalidInputs`` result words and its ``ChargeResponse``. The paths, parameters
and replies of the endpoints below are ASSUMED from the page's endpoint titles (docs/wire-notes.md,
"Payment Service"). The console never takes card data: there is deliberately no method here
that recharges, or saves a payment method, with card details.
"""

from __future__ import annotations

from decimal import Decimal

from .endpoint import Endpoint
from .replies import AutoRecharge, Recharge, SavedPaymentMethod
from .session import Transport

#: The Payment Service's own word for a request it could not validate (DOC, recharge.json).
_ERRORS = frozenset({"invalidInputs"})

SAVED_PAYMENT_METHODS = Endpoint("payment/savedPaymentMethods.json", "GET", errors=_ERRORS)
AUTO_RECHARGE_STATUS = Endpoint("payment/autoRechargeStatus.json", "GET", errors=_ERRORS)
RECHARGE_HISTORY = Endpoint("payment/rechargeHistory.json", "GET", errors=_ERRORS)
ENABLE_AUTO_RECHARGE = Endpoint(
    "payment/enableAutoRecharge.json", "POST", write=True, errors=_ERRORS
)
DISABLE_AUTO_RECHARGE = Endpoint(
    "payment/disableAutoRecharge.json", "POST", write=True, errors=_ERRORS
)
DELETE_PAYMENT_METHOD = Endpoint(
    "payment/deletePaymentMethod.json", "POST", write=True, errors=_ERRORS
)


class PaymentService:
    """The Payment Service endpoints the console uses, bound to one ``Transport``. Every call
    names the stored-value card by its printed number."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def saved_payment_methods(self, *, printed_card_number: str) -> list[SavedPaymentMethod]:
        """The payment methods the guest saved for this card (brand and last four only)."""
        reply = self._transport.call(
            SAVED_PAYMENT_METHODS, {"printedCardNumber": printed_card_number}
        )
        return [SavedPaymentMethod.from_wire(item) for item in reply.get("paymentMethods") or []]

    def auto_recharge_status(self, *, printed_card_number: str) -> AutoRecharge:
        """Whether the card recharges itself, and its threshold, amount and funding method."""
        reply = self._transport.call(
            AUTO_RECHARGE_STATUS, {"printedCardNumber": printed_card_number}
        )
        return AutoRecharge.from_wire(reply.get("autoRecharge") or {})

    def recharge_history(
        self, *, printed_card_number: str, max_number_of_results: int | None = None
    ) -> list[Recharge]:
        """The card's recharges, newest first (the newest ``max_number_of_results``)."""
        if max_number_of_results is not None and max_number_of_results < 1:
            raise ValueError("max_number_of_results must be at least 1")
        reply = self._transport.call(
            RECHARGE_HISTORY,
            {
                "printedCardNumber": printed_card_number,
                "maxNumberOfResults": max_number_of_results,
            },
        )
        return [Recharge.from_wire(item) for item in reply.get("recharges") or []]

    def enable_auto_recharge(
        self,
        *,
        printed_card_number: str,
        payment_method_id: str,
        threshold_amount: Decimal,
        recharge_amount: Decimal,
    ) -> None:
        """*Write*: recharge ``recharge_amount`` from a saved method whenever the balance falls
        below ``threshold_amount``. (The console does not offer it: a guest turns it on
        themselves; the sandbox and tests use it.)"""
        if threshold_amount < 0 or recharge_amount <= 0:
            raise ValueError("the threshold must be 0 or more and the amount more than 0")
        self._transport.call(
            ENABLE_AUTO_RECHARGE,
            {
                "printedCardNumber": printed_card_number,
                "paymentMethodId": payment_method_id,
                "thresholdAmount": threshold_amount,
                "rechargeAmount": recharge_amount,
            },
        )

    def disable_auto_recharge(self, *, printed_card_number: str) -> None:
        """*Write*: stop the card recharging itself (the saved payment method stays)."""
        self._transport.call(DISABLE_AUTO_RECHARGE, {"printedCardNumber": printed_card_number})

    def delete_payment_method(self, *, printed_card_number: str, payment_method_id: str) -> None:
        """*Write*: remove a saved payment method from the guest's card."""
        self._transport.call(
            DELETE_PAYMENT_METHOD,
            {"printedCardNumber": printed_card_number, "paymentMethodId": payment_method_id},
        )
