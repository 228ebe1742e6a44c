"""What a role may adjust alone: the door's limits of ``wallet.adjust`` and ``wallet.void``
(registered in ``CardsConfig.ready()`` with ``portal.audit.actions.limit_register``).

A wallet adjustment above the role's ceiling per adjustment, or that would take the guest's
adjustments today above the role's ceiling per guest per day (``WALLET_ADJUST_LIMITS``), is
refused by the door unless a supervisor approved exactly this change
(``portal.approvals.selectors.approval_authorizes``). A void is of one's own adjustment, unless
the role may void anyone's. A combine (``cards.combine``) by someone without
``combine_without_approval`` is refused unless it is the approver's run of an approved request
for this card; attach-and-combine, whose credentials a request must not keep, is refused to
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from cards.adjustments import adjusted_today, adjustment_intent, amount_words
from portal.approvals.selectors import approval_authorizes
from portal.audit.models import AuditRecord
from portal.audit.scrub import card_hash
from portal.audit.types import Target
from portal.staff.access import user_may
from portal.staff.models import User


def wallet_adjust_limit(actor: User, target: Target | None, params: Mapping[str, Any]) -> str:
    """Why ``actor`` may not make this adjustment alone, or ``""``."""
    account_id = target.account_id if target is not None else None
    if approval_authorizes(
        params.get("approval_request"),
        actor=actor,
        action="wallet.adjust",
        account_id=account_id,
        params=params,
    ):
        return ""
    kind = str(params.get("limit_kind", ""))
    try:
        amount = abs(Decimal(str(params.get("quantity", ""))))
    except InvalidOperation:
        return "The amount of this adjustment cannot be read."
    role = actor.role.value if actor.role is not None else ""
    ceilings = settings.WALLET_ADJUST_LIMITS.get(role)
    if ceilings is None or kind not in ceilings["per_adjustment"]:
        return "Your role may not adjust balances without a supervisor's approval."
    per_adjustment = ceilings["per_adjustment"][kind]

    def said(value: Decimal) -> str:
        return amount_words(kind, value, unit=True)

    if amount > per_adjustment:
        return f"{said(amount)} is above your limit of {said(per_adjustment)} per adjustment."
    per_day = ceilings["per_day"][kind]
    today = adjusted_today(account_id, kind, besides=str(params.get("reference") or ""))
    if today + amount > per_day:
        return (
            f"This guest already had {said(today)} adjusted today: {said(amount)} more is above "
            f"your limit of {said(per_day)} per guest per day."
        )
    return ""


def may_void(actor: User, adjustment: AuditRecord) -> bool:
    """Whether ``actor`` may void the adjustment ``adjustment`` (its ``wallet.adjust`` intent):
    their own with ``void_adjustments``, anyone's with ``void_any_adjustment`` too."""
    return user_may(actor, "void_adjustments") and (
        adjustment.actor_id == actor.pk or user_may(actor, "void_any_adjustment")
    )


def wallet_void_limit(actor: User, target: Target | None, params: Mapping[str, Any]) -> str:
    """A void is of one's own adjustment unless the role may void anyone's."""
    voids = params.get("voids")
    voided = adjustment_intent(voids) if isinstance(voids, int) else None
    if voided is None or (target is not None and voided.account_id != target.account_id):
        return "There is no such adjustment on this account to void."
    if not may_void(actor, voided):
        return (
            f"You can void only your own adjustments: this one is {voided.actor_username}'s. "
            "Ask a supervisor."
        )
    return ""


COMBINE_NEEDS_APPROVAL = (
    "A supervisor approves the combines your role makes: ask for it from the combine screen."
)
ATTACH_THEN_COMBINE = (
    "A supervisor approves the combines your role makes: attach the card, then ask for its "
    "account to be combined from the guest's cards."
)


def combine_needs_approval(user: User | AnonymousUser) -> bool:
    """Whether ``user``'s combines are approval requests: without ``combine_without_approval``
    (agents, by their role)."""
    return not user_may(user, "combine_without_approval")


def combine_limit(actor: User, target: Target | None, params: Mapping[str, Any]) -> str:
    """The door's limit of ``cards.combine``: for a role whose combines need approval, only
    the approver's run of an approved request for this card of this account."""
    if not combine_needs_approval(actor):
        return ""
    if target is None or not target.printed_card_number:
        return COMBINE_NEEDS_APPROVAL
    approved = approval_authorizes(
        params.get("approval_request"),
        actor=actor,
        action="cards.combine",
        account_id=target.account_id,
        params=params,
        card_hash=card_hash(target.printed_card_number),
    )
    return "" if approved else COMBINE_NEEDS_APPROVAL


def attach_and_combine_limit(actor: User, target: Target | None, params: Mapping[str, Any]) -> str:
    """The door's limit of ``cards.attach_and_combine``: not for a role whose combines need
    approval (they attach, then ask for the combine)."""
    return ATTACH_THEN_COMBINE if combine_needs_approval(actor) else ""
