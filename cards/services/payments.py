"""The guest's stored-value payments, on the guest's request: turn auto-recharge off
(``payment.autorecharge.disable``) and remove a saved payment method (``payment.method.remove``),
each one upstream write through the audit door, made in the request.

What the audit records of a payment method is its label (brand and last four digits) and a
keyed hash of upstream's reference to it (``paymentMethodHash``: the settle function finds the
method by it); the stored-value card is masked and hashed by the door as every card is. The
console never takes card data: there is no change here that recharges or saves a payment card.
"""

from __future__ import annotations

from cards.selectors.payments import (
    AUTO_RECHARGE_OFF,
    METHOD_REMOVED,
    GuestPayments,
    PaymentMethodRow,
    PendingPayment,
    pending_payment_add,
)
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.scrub import card_hash
from portal.audit.types import Submission, Target


def _target(payments: GuestPayments, number: str) -> Target:
    return Target(
        account_id=payments.account_id,
        printed_card_number=number,
        username=payments.account.username or "",
    )


def auto_recharge_disable(submission: Submission, *, payments: GuestPayments) -> ChangeOutcome:
    """Turn the stored-value card's auto-recharge off; its saved payment methods stay.

    ``payments`` is read fresh (``guest_payments(fresh=True)``): the full card number is taken
    from it. Raises ``PermissionDenied`` or ``ValidationError`` as the door does, before
    anything is sent.
    """
    number = payments.card_number
    outcome = change_run(
        submission,
        action=AUTO_RECHARGE_OFF,
        target=_target(payments, number),
        params={"printedCardNumber": number},
        call=lambda client: client.payment.disable_auto_recharge(printed_card_number=number),
        success=(
            "Auto-recharge is now off: the guest's payment card will not be charged "
            "automatically any more."
        ),
    )
    _watch(outcome, payments, PendingPayment(AUTO_RECHARGE_OFF, "Turning auto-recharge off"))
    return outcome


def payment_method_remove(
    submission: Submission, *, payments: GuestPayments, row: PaymentMethodRow
) -> ChangeOutcome:
    """Remove one saved payment method (``row``, of the fresh ``payments``) from the guest's
    stored-value card. Raises as the door does, before anything is sent."""
    number = payments.card_number
    reference = row.method.payment_method_id or ""
    outcome = change_run(
        submission,
        action=METHOD_REMOVED,
        target=_target(payments, number),
        params={
            "printedCardNumber": number,
            "paymentMethod": row.label,
            "paymentMethodHash": card_hash(reference),
        },
        call=lambda client: client.payment.delete_payment_method(
            printed_card_number=number, payment_method_id=reference
        ),
        success=f"{row.label} is no longer saved for this guest.",
    )
    _watch(outcome, payments, PendingPayment(METHOD_REMOVED, f"Removing {row.label}", row.token))
    return outcome


def _watch(outcome: ChangeOutcome, payments: GuestPayments, change: PendingPayment) -> None:
    """The panel waits to see a change that was applied, or may have been (upstream is
    eventually consistent)."""
    if outcome.may_have_applied:
        pending_payment_add(account_id=payments.account_id, change=change)
