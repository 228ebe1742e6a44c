"""Adjusting a guest's wallet and voiding an adjustment, through the audit door
(``wallet.adjust`` / ``wallet.void``, both ``transaction/adminAdjust.json``).

An adjustment within the CSR's ceilings is made at once; above them it becomes an approval
request (``portal.approvals``) that a supervisor approves, which then makes it as theirs
(``wallet_adjust_approved``, the approval kind registered in ``CardsConfig.ready()``). The door
enforces the ceilings itself (``cards.limits``), so a form that skipped this check could not go
above them. The audit params are what the adjustments report reads: ``wallet_code``,
``quantity`` (signed, in the wallet's unit), ``reason_code``, ``comment``, ``expiration``, and
the ``reference`` upstream's history transaction carries, by which a lost reply is settled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from cards.adjustments import (
    AdjustableWallet,
    Adjustment,
    adjustable_wallet,
    amount_words,
)
from cards.limits import wallet_adjust_limit
from cards.selectors import GuestCards, guest_cards, primary_card_number
from guests.pending import PendingChange, pending_watch
from guests.selectors import guest_account
from guests.selectors.optional import TRANSACTIONS
from portal.approvals.kinds import approval_params
from portal.approvals.models import ApprovalRequest
from portal.approvals.services import approval_request
from portal.audit.actions import action_get
from portal.audit.models import Outcome
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import Reason, Submission, Target
from portal.paytronix.client import PaytronixClient
from portal.paytronix.errors import PaytronixError
from portal.paytronix.transaction import (
    CONSOLE_REFERENCE_PREFIX,
    MAX_COMMENT_LENGTH,
    ActivityType,
)
from portal.sentences import NotShownError, explain

BELOW_ZERO = "This would take the balance below zero. Take away at most the balance."


def adjustment_reference(idempotency_key: str) -> str:
    """The reference upstream keeps with the adjustment (``posTransactionId``): fixed by the
    change's idempotency key, so a resubmit and the settling read agree on it."""
    return CONSOLE_REFERENCE_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class WalletChange:
    """What a CSR asks: add to or take away from one wallet, an amount in its unit, maybe an
    expiration for what is added."""

    wallet: AdjustableWallet
    add: bool
    amount: Decimal
    expiration: date | None = None

    @property
    def signed(self) -> Decimal:
        return self.wallet.amount(self.amount if self.add else -self.amount)

    @property
    def after(self) -> Decimal:
        return self.wallet.balance + self.signed

    @property
    def activity_type(self) -> ActivityType:
        return "ADD" if self.add else "REDEEM"

    def words(self) -> str:
        """``Add 25 to Points`` / ``Take $5.00 from Stored Value``."""
        verb, preposition = ("Add", "to") if self.add else ("Take", "from")
        return f"{verb} {self.wallet.words(self.amount)} {preposition} {self.wallet.name}"

    def params(self, reason: Reason) -> dict[str, Any]:
        """The audit params (without the reference, which the change's key fixes)."""
        return {
            "wallet_code": self.wallet.wallet_code,
            "wallet_name": self.wallet.name,
            "limit_kind": self.wallet.kind,
            "quantity": str(self.signed),
            "activity_type": self.activity_type,
            "reason_code": reason.code,
            "comment": reason.text,
            "expiration": self.expiration.isoformat() if self.expiration else None,
        }


@dataclass(frozen=True)
class AdjustAnswer:
    """An adjustment made (``outcome``), or sent for approval (``request``, with ``limit``
    saying which ceiling it is above)."""

    outcome: ChangeOutcome | None = None
    request: ApprovalRequest | None = None
    limit: str = ""


def _target(guest: GuestCards) -> tuple[Target, str]:
    number = primary_card_number(guest)
    target = Target(
        account_id=guest.account_id, printed_card_number=number, username=guest.username
    )
    return target, number


def wallet_adjust_over_limit(
    submission: Submission, *, guest: GuestCards, change: WalletChange
) -> str:
    """Why the CSR could not make ``change`` alone (the door's own check), or ``""``."""
    params = change.params(submission.reason)
    params["reference"] = adjustment_reference(submission.idempotency_key)
    return wallet_adjust_limit(submission.actor, Target(account_id=guest.account_id), params)


def _recorded_amount(params: dict[str, Any], quantity: Decimal) -> str:
    """An amount recorded in params, unsigned, as the guest page shows it (``$2.50``, ``1,000``),
    in the scale of the wallet kind the params name."""
    return amount_words(str(params.get("limit_kind") or ""), abs(quantity))


def _comment(params: dict[str, Any], label: str) -> str:
    """What upstream keeps with the transaction: the reason and the CSR's words."""
    text = f"{label}: {params.get('comment') or ''}".strip().rstrip(":")
    return text[:MAX_COMMENT_LENGTH]


def _unavailable() -> ChangeOutcome:
    return ChangeOutcome(outcome=Outcome.FAILED, message=TRANSACTIONS.sentence)


def _adjust(
    submission: Submission, *, target: Target, number: str, params: dict[str, Any], success: str
) -> ChangeOutcome:
    reference = adjustment_reference(submission.idempotency_key)
    params = {**params, "reference": reference}
    reason = action_get("wallet.adjust").reason_label(str(params.get("reason_code")))
    expiration = params.get("expiration")
    quantity = Decimal(str(params["quantity"]))

    def call(client: PaytronixClient) -> Any:
        return client.transaction.admin_adjust(
            printed_card_number=number,
            wallet_code=int(params["wallet_code"]),
            quantity=abs(quantity),
            activity_type=params["activity_type"],
            comment=_comment(params, reason or "Adjustment"),
            reference=reference,
            operator_id=str(submission.actor.pk),
            expiration=date.fromisoformat(expiration) if expiration else None,
        )

    outcome = _through_door(
        submission, action="wallet.adjust", target=target, params=params, call=call, success=success
    )
    if target.account_id is not None:
        # The guest page says it is pending until the history shows its transaction.
        pending_watch(
            outcome,
            account_id=target.account_id,
            change=PendingChange(
                action="wallet.adjust",
                panel="wallets",
                sources=("history",),
                check="history_reference",
                expected=reference,
                summary=f"{params.get('wallet_name') or 'Wallet'} adjusted by {quantity:+,}",
            ),
        )
    return outcome


def _through_door(
    submission: Submission,
    *,
    action: str,
    target: Target,
    params: dict[str, Any],
    call: Any,
    success: str,
) -> ChangeOutcome:
    """``change_run``, unless the integration has no Transaction Service (switched off)."""
    if not TRANSACTIONS.available():
        return _unavailable()
    return change_run(
        submission, action=action, target=target, params=params, call=call, success=success
    )


def wallet_adjust(
    submission: Submission, *, guest: GuestCards, change: WalletChange
) -> AdjustAnswer:
    """Make ``change`` on the guest's wallet, or, above the CSR's ceilings, ask a supervisor
    (an approval request; nothing is sent upstream). Raises ``ValidationError`` for a result
    below zero or a missing reason, ``PermissionDenied`` for a role that may not adjust."""
    if change.after < 0:
        raise ValidationError(BELOW_ZERO, code="below_zero")
    if not TRANSACTIONS.available():
        return AdjustAnswer(outcome=_unavailable())
    target, number = _target(guest)
    store = guest.account.enrollment_store
    # The adjustments report groups by the guest's enrollment store (cards/reports.py).
    params = {**change.params(submission.reason), "store_code": store.code if store else None}
    over = wallet_adjust_over_limit(submission, guest=guest, change=change)
    if over:
        request = approval_request(
            submission,
            action="wallet.adjust",
            target=target,
            params=params,
            summary=f"{change.words()} (account {guest.account_id})",
        )
        return AdjustAnswer(request=request, limit=over)
    success = (
        f"{change.words()}: done. {change.wallet.name} went from "
        f"{change.wallet.words(change.wallet.balance)} to {change.wallet.words(change.after)}."
    )
    return AdjustAnswer(
        outcome=_adjust(submission, target=target, number=number, params=params, success=success)
    )


def wallet_adjust_approved(submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
    """The approval kind's ``run``: the requested adjustment, made as the approver, on the
    account's primary card as upstream shows it now."""
    assert request.account_id is not None
    try:
        guest = guest_cards(viewer=submission.actor, account_id=request.account_id, fresh=True)
        target, number = _target(guest)
        wallet = adjustable_wallet(guest.account, int(request.params["wallet_code"]))
    except PaytronixError as error:
        return ChangeOutcome(outcome=Outcome.FAILED, message=explain(error))
    quantity = Decimal(str(request.params["quantity"]))
    if wallet.balance + quantity < 0:
        return ChangeOutcome(outcome=Outcome.FAILED, message=BELOW_ZERO)
    params = {**request.params, **approval_params(request)}
    success = (
        f"Approved and done: {wallet.name} of account {request.account_id} went from "
        f"{wallet.words(wallet.balance)} to {wallet.words(wallet.balance + quantity)}."
    )
    return _adjust(submission, target=target, number=number, params=params, success=success)


def wallet_adjust_describe(request: ApprovalRequest) -> str:
    """What approving will do, in words (under "If you approve"; the requester's reason is
    shown beside it)."""
    params = request.params
    quantity = Decimal(str(params.get("quantity", "0")))
    amount = _recorded_amount(params, quantity)
    wallet = params.get("wallet_name", "the wallet")
    change = f"add {amount} to {wallet}" if quantity > 0 else f"take {amount} away from {wallet}"
    expires = f", expiring {params['expiration']}" if params.get("expiration") else ""
    return (
        f"You {change} on account {request.account_id}{expires}. The change is yours: the "
        "audit log names you as its maker, for this request."
    )


def wallet_adjust_now(request: ApprovalRequest, viewer: Any) -> str:
    """The wallet's balance now, as the guest page reads it (the account alone, within the
    approver's store group), and what approving makes it: for the approver who may decide.
    Approving reads it again from upstream before it acts."""
    try:
        quantity = Decimal(str(request.params.get("quantity", "0")))
        account = guest_account(viewer=viewer, account_id=int(request.account_id or 0))
        wallet = adjustable_wallet(account, int(request.params["wallet_code"]))
    except PaytronixError as error:
        return f"Its balance could not be read now: {explain(error)}"
    except NotShownError as error:
        return f"Its balance could not be read now: {error.sentence}"
    except (KeyError, ValueError, ArithmeticError):
        return "Its balance could not be read now: the request does not name its wallet."

    def said(value: Decimal) -> str:
        return ("-" if value < 0 else "") + wallet.words(value)

    now = f"{wallet.name} now: {said(wallet.balance)}"
    if wallet.balance + quantity < 0:
        return f"{now}; approving would leave it below zero, so it would fail."
    return f"{now}; after approving: {said(wallet.balance + quantity)}."


def wallet_void(
    submission: Submission, *, guest: GuestCards, adjustment: Adjustment
) -> ChangeOutcome:
    """Void an adjustment that went through: the same wallet and amount the other way
    (``VOID_ADD`` / ``VOID_REDEEM``), linked to it. Idempotent: a void that went through is
    answered again, whoever asks, without a second write; one under way is settled rather than
    sent again (its key is fixed by the adjustment and the failed attempts before it)."""
    done = adjustment.void
    if done is not None:
        return ChangeOutcome(
            outcome=Outcome.SUCCEEDED,
            message=f"This adjustment was already voided by {done.actor_username}.",
            replayed=True,
            intent_id=done.pk,
        )
    if not adjustment.applied:
        raise ValidationError(
            "Only an adjustment that went through can be voided.", code="not_applied"
        )
    original = adjustment.intent.params
    quantity = -adjustment.quantity
    wallet_name = str(original.get("wallet_name", ""))
    params: dict[str, Any] = {
        "voids": adjustment.intent.pk,
        "voided_reference": original.get("reference"),
        "wallet_code": original.get("wallet_code"),
        "wallet_name": wallet_name,
        # The report nets a void against its adjustment's store (cards/reports.py).
        "store_code": original.get("store_code"),
        "limit_kind": original.get("limit_kind"),
        "quantity": str(quantity),
        "activity_type": "VOID_ADD" if original.get("activity_type") == "ADD" else "VOID_REDEEM",
        "reason_code": submission.reason.code,
        "comment": submission.reason.text,
    }
    key = f"void-{adjustment.intent.pk}-{adjustment.failed_voids}"
    under_way = adjustment.void_under_way
    if under_way is not None and under_way.actor_id != submission.actor.pk:
        return ChangeOutcome(
            outcome=Outcome.PENDING,
            message=f"{under_way.actor_username} is voiding this adjustment; reload in a moment.",
        )
    void_submission = Submission(
        actor=submission.actor,
        context=submission.context,
        reason=submission.reason,
        idempotency_key=key,
    )
    target, number = _target(guest)
    reference = adjustment_reference(key)
    params["reference"] = reference
    code = submission.reason.code
    comment = f"Void of {original.get('reference')}: " + (
        action_get("wallet.void").reason_label(code) or code
    )
    if submission.reason.text:
        comment += f", {submission.reason.text}"

    def call(client: PaytronixClient) -> Any:
        return client.transaction.admin_adjust(
            printed_card_number=number,
            wallet_code=int(original["wallet_code"]),
            quantity=abs(quantity),
            activity_type=params["activity_type"],
            comment=comment[:MAX_COMMENT_LENGTH],
            reference=reference,
            operator_id=str(submission.actor.pk),
        )

    direction = "given back to" if quantity > 0 else "taken from"
    return _through_door(
        void_submission,
        action="wallet.void",
        target=target,
        params=params,
        call=call,
        success=(
            f"Adjustment voided: {_recorded_amount(original, quantity)} {direction} {wallet_name}."
        ),
    )
