"""Visit codes: credit a checked visit code to the account."""

from __future__ import annotations

from django.http import HttpRequest

from guests.pending import PendingChange, pending_add
from guests.selectors.guest import guest_account
from guests.selectors.scope import Viewer
from guests.services.door import (
    Change,
    ChangeResult,
    change_run,
)
from portal.paytronix.client import PaytronixClient
from portal.paytronix.models import AddRedeemReply


def visit_code_apply(
    *,
    actor: Viewer,
    account_id: int,
    code: str,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> ChangeResult:
    """Credit a visit code to the account (check it first with ``visit_code_check``)."""
    account = guest_account(viewer=actor, account_id=account_id)

    def apply(client: PaytronixClient) -> AddRedeemReply:
        return client.guest.apply_visit_code(code=code, account_id=account_id)

    change = Change(
        action="visit_code.apply",
        params={"accountId": account_id, "code": code},
        call=apply,
        success="Visit code applied.",
    )
    outcome, _ = change_run(
        actor=actor,
        account_id=account_id,
        account=account,
        change=change,
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
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
        return ChangeResult("success", f"Visit code applied: {earned}.", reply)
    return outcome
