"""A kind of change that waits for approval, made up for these tests: its write is a function
that counts its calls (the door does not care what a write does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portal.approvals.kinds import KINDS, approval_kind_register, approval_params
from portal.approvals.models import ApprovalRequest
from portal.approvals.services import approval_request
from portal.audit.actions import ACTIONS, ActionSpec, action_register
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason, Submission, Target
from portal.staff.models import User

ACTION = "test.big_change"
ACCOUNT = 9000001


class Writes:
    def __init__(self) -> None:
        self.calls: list[str] = []


@pytest.fixture
def writes() -> Iterator[Writes]:
    counter = Writes()

    def run(submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
        def call(client: Any) -> str:
            counter.calls.append(submission.actor.get_username())
            return "done"

        return change_run(
            submission,
            action=ACTION,
            target=Target(account_id=request.account_id),
            params={**request.params, **approval_params(request)},
            call=call,
            success="The big change is made.",
        )

    action_register(ActionSpec(ACTION, "Make a big change", "adjust_wallets", reason_required=True))
    approval_kind_register(
        ACTION, run=run, describe=lambda request: f"Give {request.params['amount']} to the guest."
    )
    yield counter
    KINDS.pop(ACTION, None)
    ACTIONS.pop(ACTION, None)


def submission(user: User, key: str, *, text: str = "Guest was promised it") -> Submission:
    return Submission(
        actor=user,
        context=AuditContext(ip="10.0.0.5", user_agent="pytest", request_id="req-1"),
        reason=Reason(text=text),
        idempotency_key=key,
    )


@pytest.fixture
def ask(writes: Writes) -> Callable[..., ApprovalRequest]:
    def make(user: User, key: str = "ask-1", amount: str = "900") -> ApprovalRequest:
        return approval_request(
            submission(user, key),
            action=ACTION,
            target=Target(account_id=ACCOUNT, store_group_code=100),
            params={"amount": amount},
            summary=f"Give {amount}",
        )

    return make
