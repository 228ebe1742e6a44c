"""Visit codes: credit a checked visit code to the account."""

from __future__ import annotations

import dataclasses

from guests.pending import PendingChange, pending_add
from guests.selectors.guest import guest_account
from guests.services.account import account_target
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason
from portal.paytronix.client import PaytronixClient
from portal.paytronix.models import AddRedeemReply
from portal.staff.models import User


def visit_code_apply(
    *,
    actor: User,
    context: AuditContext,
    account_id: int,
    code: str,
    reason: Reason,
    idempotency_key: str,
) -> ChangeOutcome:
    """Credit a visit code to the account (check it first with ``visit_code_check``)."""
    account = guest_account(viewer=actor, account_id=account_id)

    def apply(client: PaytronixClient) -> AddRedeemReply:
        return client.guest.apply_visit_code(code=code, account_id=account_id)

    outcome = change_run(
        actor=actor,
        action="visit_code.apply",
        target=account_target(actor, account_id, account),
        params={"accountId": account_id, "code": code},
        reason=reason,
        idempotency_key=idempotency_key,
        context=context,
        call=apply,
        success="Visit code applied.",
    )
    reply = outcome.value
    if outcome.ok and isinstance(reply, AddRedeemReply) and reply.wallet_contents:
        balances = {
            str(w.wallet_code): str(w.balance)
            for w in reply.wallet_contents
            if w.wallet_code is not None and w.balance is not None
        }
        earned = ", ".join(f"{w.name} now {w.balance}" for w in reply.wallet_contents)
        pending_add(
            account_id=account_id,
            change=PendingChange(
                action="visit_code.apply",
                panel="wallets",
                sources=("account",),
                check="wallet_balances",
                expected=balances,
                summary=f"Visit code {code}: {earned}",
            ),
        )
        return dataclasses.replace(outcome, message=f"Visit code applied: {earned}.")
    return outcome
