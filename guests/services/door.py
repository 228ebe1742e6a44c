"""The one way a guests service goes through the audit door, and what it tells the CSR.

Every service reads the account first with the CSR's scope (the door's store-group check and
the target's identifiers come from it), sends one upstream write through ``mutation_run`` with
the form's idempotency key and reason, and turns the outcome into a ``ChangeResult``: a
sentence for the CSR and, for a change upstream will show later, a pending change the page
watches (``guests.pending``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from guests.messages import explain, explain_recorded
from guests.pending import PendingChange, pending_add
from guests.selectors.scope import Viewer, scope_of
from portal.audit.models import Outcome
from portal.audit.services import MutationResult, Reason, Target, mutation_run
from portal.paytronix.client import PaytronixClient
from portal.paytronix.models import AccountInformation


class ChangeRefusedError(Exception):
    """A change that cannot be asked for; the message says why, for the CSR."""


@dataclass(frozen=True)
class ChangeResult:
    """How a change went, for the CSR: ``level`` is success, warning or error."""

    level: str
    message: str
    value: Any = None

    @property
    def ok(self) -> bool:
        return self.level == "success"


@dataclass(frozen=True)
class Change:
    """One door call: the action, what the record shows, the write, and what to watch for."""

    action: str
    params: dict[str, Any]
    call: Callable[[PaytronixClient], Any]
    success: str
    watch: PendingChange | None = None


def _target(viewer: Viewer, account: AccountInformation, account_id: int) -> Target:
    card = account.primary_card.printed_card_number if account.primary_card else None
    return Target(
        account_id=account_id,
        printed_card_number=card or "",
        username=account.username or "",
        store_group_code=scope_of(viewer),
    )


def change_run(
    *,
    actor: Viewer,
    account_id: int,
    account: AccountInformation,
    change: Change,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None,
) -> tuple[ChangeResult, MutationResult]:
    result = mutation_run(
        actor=actor,
        action=change.action,
        target=_target(actor, account, account_id),
        params=change.params,
        reason=Reason(text=reason),
        idempotency_key=idempotency_key,
        call=change.call,
        request=request,
    )
    if result.ok:
        if change.watch is not None:
            pending_add(account_id=account_id, change=change.watch)
        return ChangeResult("success", change.success, result.value), result
    if result.in_progress:
        message = "This change is still being made. Wait a moment, then reload the page."
        return ChangeResult("warning", message), result
    if result.outcome == Outcome.UNKNOWN:
        if change.watch is not None:
            pending_add(account_id=account_id, change=change.watch)
        message = explain(result.error) if result.error else explain_recorded(unknown=True)
        return ChangeResult("warning", message), result
    if result.error is not None:
        return ChangeResult("error", explain(result.error)), result
    message = explain_recorded(
        upstream_result=result.upstream_result,
        error_code=result.error_code,
        error_message=result.error_message,
        detail=result.detail,
    )
    return ChangeResult("error", message), result


def registered_username(account: AccountInformation) -> str:
    if not account.username:
        raise ChangeRefusedError(
            "This card is not registered to a guest, so it has no preferences to change."
        )
    return account.username
