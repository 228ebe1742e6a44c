"""A kind of change that waits for approval, made up for these tests: its write is a function
that counts its calls (the door does not care what a write does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from portal.approvals.kinds import KINDS, approval_kind_register, approval_params
from portal.approvals.models import ApprovalRequest
from portal.approvals.services import approval_request
from portal.audit.actions import ACTIONS, ActionSpec, action_register
from portal.audit.models import Outcome
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import AuditContext, Reason, Submission, Target
from portal.paytronix.errors import OutcomeUnknownError
from portal.staff.models import User

ACTION = "test.big_change"
ACCOUNT = 9000001


class Writes:
    def __init__(self) -> None:
        self.calls: list[str] = []
        #: The write's reply is lost after upstream received it (its outcome unknown).
        self.reply_lost = False
        #: What the run reads before its write can be read (a real kind's read may fail because
        #: of the change itself: a combined account is closed, a deleted guest gone).
        self.readable = True
        #: The run refuses the approver (a rule of the kind, checked before its write).
        self.refusal = ""


@pytest.fixture
def writes() -> Iterator[Writes]:
    counter = Writes()

    def run(submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
        if counter.refusal:
            raise ValidationError(counter.refusal)
        if not counter.readable:
            return ChangeOutcome(
                outcome=Outcome.FAILED, message="The guest could not be read, so nothing was sent."
            )

        def call(client: Any) -> str:
            counter.calls.append(submission.actor.get_username())
            if counter.reply_lost:
                raise OutcomeUnknownError("the reply was lost", endpoint="test/bigChange")
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
