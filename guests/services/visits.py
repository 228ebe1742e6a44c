"""Visit codes: credit a checked visit code to the account."""

from __future__ import annotations

import dataclasses

from guests.pending import PendingChange, pending_add
from guests.selectors.load import guest_account
from guests.services.account import account_change
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission
from portal.paytronix.client import PaytronixClient
from portal.paytronix.replies import AddRedeemReply
from portal.templatetags.amounts import amount


def visit_code_apply(submission: Submission, *, account_id: int, code: str) -> ChangeOutcome:
    """Credit a visit code to the account (check it first with ``visit_code_check``)."""
    account = guest_account(viewer=submission.actor, account_id=account_id)

    def apply(client: PaytronixClient) -> AddRedeemReply:
        return client.guest.apply_visit_code(code=code, account_id=account_id)

    outcome = account_change(
        submission,
        account_id=account_id,
        account=account,
        action="visit_code.apply",
        params={"accountId": account_id, "code": code},
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
        earned = ", ".join(f"{w.name} now {amount(w.balance)}" for w in reply.wallet_contents)
        pending_add(
            account_id=account_id,
            change=PendingChange(
                action="visit_code.apply",
                panel="wallets",
                sources=("account",),
                check="wallet_balances",
                expected=balances,
                summary=f"Visit code {code}: {earned}",
                intent_id=outcome.intent_id,
                confirmed=True,
            ),
        )
        return dataclasses.replace(outcome, message=f"Visit code applied: {earned}.")
    return outcome
