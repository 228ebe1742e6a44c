"""Maker-checker: a request, a decision by someone else, the approved change as the approver's
action linked to the request, and nothing made twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.approvals.models import ApprovalRequest, Status
from portal.approvals.selectors import approval_authorizes, open_count
from portal.approvals.services import LOOK_AGAIN, approval_decide, approval_withdraw
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.records import outcome_record
from portal.staff.models import User
from portal.staff.roles import Role
from tests.approvals.conftest import ACCOUNT, ACTION, Writes, submission

pytestmark = pytest.mark.django_db

Ask = Callable[..., ApprovalRequest]


def records(action: str, kind: str = Kind.INTENT) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action, kind=kind).order_by("seq"))


def test_a_request_is_recorded_once_and_waits(agent: User, ask: Ask) -> None:
    first = ask(agent)
    again = ask(agent)

    assert again.pk == first.pk
    assert (first.status, first.requester_username, first.account_id) == (
        Status.OPEN,
        "alice.agent",
        ACCOUNT,
    )
    assert first.params == {"amount": "900"}
    [intent] = records("approval.request")
    assert intent.params == {"action": ACTION, "amount": "900", "summary": "Give 900"}
    assert (intent.actor_username, intent.reason_text) == ("alice.agent", "Guest was promised it")
    assert first.request_record_id == intent.pk
    [outcome] = records("approval.request", Kind.OUTCOME)
    assert (outcome.outcome, outcome.params) == (Outcome.SUCCEEDED, {"approval_request": first.pk})
    assert open_count() == 1


def test_a_request_needs_the_reason_of_its_change(agent: User, writes: Writes) -> None:
    from portal.approvals.services import approval_request
    from portal.audit.types import Target

    with pytest.raises(ValidationError):
        approval_request(
            submission(agent, "no-reason", text=""),
            action=ACTION,
            target=Target(account_id=ACCOUNT),
            params={"amount": "1"},
            summary="Give 1",
        )
    assert ApprovalRequest.objects.count() == 0


def test_the_requester_can_never_decide_their_own_request(
    make_staff: Callable[..., User], ask: Ask, writes: Writes
) -> None:
    boss = make_staff(Role.SUPERVISOR, username="sue.supervisor")
    request = ask(boss)

    with pytest.raises(PermissionDenied, match="another supervisor"):
        approval_decide(submission(boss, "self-approve"), request.pk, approve=True)

    request.refresh_from_db()
    assert request.status == Status.OPEN
    assert writes.calls == []
    [denial] = AuditRecord.objects.filter(action="approval.approve", outcome=Outcome.DENIED)
    assert denial.params == {"approval_request": request.pk, "own_request": True}
    assert denial.actor_username == "sue.supervisor"


def test_an_agent_cannot_decide(
    agent: User, make_staff: Callable[..., User], ask: Ask, writes: Writes
) -> None:
    other_agent = make_staff(Role.AGENT, username="bob.agent")
    request = ask(agent)

    with pytest.raises(PermissionDenied):
        approval_decide(submission(other_agent, "agent-approve"), request.pk, approve=True)

    assert ApprovalRequest.objects.get().status == Status.OPEN
    assert writes.calls == []


def test_an_approved_change_runs_once_as_the_approver_and_names_both_people(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)

    outcome = approval_decide(
        submission(supervisor, "approve-1", text="Checked the receipt"), request.pk, approve=True
    )
    again = approval_decide(submission(supervisor, "approve-2"), request.pk, approve=True)

    assert outcome.ok
    assert outcome.message == "The big change is made."
    assert again.ok
    assert again.replayed
    assert writes.calls == ["sam.supervisor"]
    [change] = records(ACTION)
    assert change.actor_username == "sam.supervisor"
    assert change.params == {
        "amount": "900",
        "approval_request": request.pk,
        "requested_by": "alice.agent",
        "approved_by": "sam.supervisor",
    }
    assert change.reason_text == "Guest was promised it"
    [decision] = records("approval.approve")
    assert (decision.actor_username, decision.reason_text) == (
        "sam.supervisor",
        "Checked the receipt",
    )
    request.refresh_from_db()
    assert (request.status, request.decided_by_username, request.decision_reason) == (
        Status.APPROVED,
        "sam.supervisor",
        "Checked the receipt",
    )
    assert (request.change_outcome, request.change_record_id) == (Outcome.SUCCEEDED, change.pk)
    assert request.decision_record_id == decision.pk
    assert open_count() == 0
    assert approval_authorizes(
        request.pk, actor=supervisor, action=ACTION, account_id=ACCOUNT, params={"amount": "900"}
    )
    assert not approval_authorizes(
        request.pk, actor=supervisor, action=ACTION, account_id=ACCOUNT, params={"amount": "901"}
    )
    assert not approval_authorizes(
        request.pk, actor=agent, action=ACTION, account_id=ACCOUNT, params={"amount": "900"}
    )


def test_an_unknown_outcome_settled_since_is_reported_on_the_request_without_running_again(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)
    writes.reply_lost = True
    first = approval_decide(submission(supervisor, "approve-1"), request.pk, approve=True)
    assert first.outcome == Outcome.UNKNOWN
    [change] = records(ACTION)
    # The reconciler reads it back: applied. What the run would read first now shows the
    # change's own doing (a combined account closed, a deleted guest gone).
    outcome_record(
        intent=change,
        outcome=Outcome.SUCCEEDED,
        upstream_result="settled",
        error_message="the big change is there",
        params={"settled_by": "reconciler"},
    )
    writes.readable = False

    again = approval_decide(submission(supervisor, "approve-2"), request.pk, approve=True)

    assert (again.outcome, again.replayed, again.intent_id) == (Outcome.SUCCEEDED, True, change.pk)
    assert again.message == "Done, as the loyalty system shows it now."
    assert writes.calls == ["sam.supervisor"]
    request.refresh_from_db()
    assert (request.change_outcome, request.change_record_id, request.change_message) == (
        Outcome.SUCCEEDED,
        change.pk,
        again.message,
    )


def _approved_with_reply_lost(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> tuple[ApprovalRequest, AuditRecord]:
    """A request approved once, its change sent and the reply lost (outcome unknown)."""
    request = ask(agent)
    writes.reply_lost = True
    approval_decide(submission(supervisor, "approve-1"), request.pk, approve=True)
    [change] = records(ACTION)
    return request, change


def test_an_outcome_still_unknown_stays_so_when_the_run_stops_before_the_door(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request, change = _approved_with_reply_lost(agent, supervisor, ask, writes)
    writes.readable = False

    again = approval_decide(submission(supervisor, "approve-2"), request.pk, approve=True)

    # Not "failed": the first write may have been applied, and the request keeps its record
    # for the reconciler's answer.
    assert (again.outcome, again.intent_id) == (Outcome.UNKNOWN, change.pk)
    assert again.message == (
        "The change's outcome is not known yet, and this check sent nothing. " + LOOK_AGAIN
    )
    assert writes.calls == ["sam.supervisor"]
    request.refresh_from_db()
    assert (request.change_outcome, request.change_record_id) == (Outcome.UNKNOWN, change.pk)


def test_a_refusal_of_a_later_run_is_said_and_the_unknown_outcome_kept(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request, change = _approved_with_reply_lost(agent, supervisor, ask, writes)
    writes.refusal = "The guest's account is not active."

    again = approval_decide(submission(supervisor, "approve-2"), request.pk, approve=True)

    assert (again.outcome, again.intent_id) == (Outcome.UNKNOWN, change.pk)
    assert again.message == (
        "The change's outcome is not known yet, and this check sent nothing. This check was "
        "refused: The guest's account is not active. " + LOOK_AGAIN
    )


def test_a_rejected_request_makes_no_change_and_cannot_be_approved_after(
    agent: User, supervisor: User, make_staff: Callable[..., User], ask: Ask, writes: Writes
) -> None:
    other = make_staff(Role.SUPERVISOR, username="sue.supervisor")
    request = ask(agent)

    rejected = approval_decide(
        submission(supervisor, "reject-1", text="No receipt"), request.pk, approve=False
    )
    late = approval_decide(submission(other, "approve-late"), request.pk, approve=True)

    assert rejected.ok
    assert "rejected" in rejected.message
    assert not late.ok
    assert late.message == "This request was already rejected by sam.supervisor."
    assert writes.calls == []
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (Status.REJECTED, "No receipt")
    assert records(ACTION) == []
    assert [r.actor_username for r in records("approval.reject")] == ["sam.supervisor"]
    assert records("approval.approve") == []


def test_a_decision_needs_a_reason(agent: User, supervisor: User, ask: Ask) -> None:
    request = ask(agent)
    with pytest.raises(ValidationError):
        approval_decide(submission(supervisor, "no-why", text=""), request.pk, approve=True)
    assert ApprovalRequest.objects.get().status == Status.OPEN


def test_the_open_count_is_one_query(agent: User, ask: Ask) -> None:
    ask(agent, "a")
    ask(agent, "b")
    with CaptureQueriesContext(connection) as queries:
        assert open_count() == 2
    assert len(queries) == 1


def test_the_door_never_takes_an_approval_by_its_own_requester(
    make_staff: Callable[..., User], ask: Ask
) -> None:
    boss = make_staff(Role.SUPERVISOR, username="sue.supervisor")
    request = ask(boss)
    # Even a row saying so (written around the service) does not let the requester through.
    ApprovalRequest.objects.filter(pk=request.pk).update(status=Status.APPROVED, decided_by=boss)

    assert not approval_authorizes(
        request.pk, actor=boss, action=ACTION, account_id=ACCOUNT, params={"amount": "900"}
    )


def test_a_requester_withdraws_an_open_request_and_nobody_can_approve_it_after(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)

    withdrawn = approval_withdraw(
        submission(agent, "withdraw-1", text="Guest found the receipt"), request.pk
    )
    late = approval_decide(submission(supervisor, "approve-late"), request.pk, approve=True)

    assert withdrawn.ok
    assert withdrawn.message == "Request withdrawn: nobody can approve it now."
    assert not late.ok
    assert late.message == "This request was already withdrawn by alice.agent."
    assert writes.calls == []
    request.refresh_from_db()
    assert (request.status, request.decided_by_username, request.decision_reason) == (
        Status.WITHDRAWN,
        "alice.agent",
        "Guest found the receipt",
    )
    [intent] = records("approval.withdraw")
    assert (intent.actor_username, intent.reason_text) == ("alice.agent", "Guest found the receipt")
    assert intent.params == {"approval_request": request.pk, "action": ACTION}
    assert request.decision_record_id == intent.pk
    [outcome] = records("approval.withdraw", Kind.OUTCOME)
    assert outcome.outcome == Outcome.SUCCEEDED
    assert records("approval.approve") == []
    assert open_count() == 0
    assert not approval_authorizes(
        request.pk, actor=supervisor, action=ACTION, account_id=ACCOUNT, params={"amount": "900"}
    )


def test_withdrawing_again_answers_the_first_withdrawal_and_needs_no_reason(
    agent: User, ask: Ask
) -> None:
    request = ask(agent)

    first = approval_withdraw(submission(agent, "withdraw-1", text=""), request.pk)
    again = approval_withdraw(submission(agent, "withdraw-1", text=""), request.pk)
    # Another form (a second tab), with its own reason: told the request was withdrawn before,
    # not that this withdrawal (and its reason) was recorded.
    other = approval_withdraw(submission(agent, "withdraw-2", text="Second tab"), request.pk)

    assert first.ok
    assert again.ok
    assert again.replayed
    assert again.intent_id == first.intent_id
    assert not other.ok
    assert other.message == "This request was already withdrawn by alice.agent."
    assert len(records("approval.withdraw")) == 1
    request.refresh_from_db()
    assert request.decision_reason == ""


def test_only_the_requester_may_withdraw_and_a_refusal_is_recorded(
    agent: User, supervisor: User, ask: Ask
) -> None:
    request = ask(agent)

    with pytest.raises(PermissionDenied, match="Only the person who asked"):
        approval_withdraw(submission(supervisor, "withdraw-theirs"), request.pk)

    request.refresh_from_db()
    assert request.status == Status.OPEN
    [denied] = AuditRecord.objects.filter(action="approval.withdraw")
    assert (denied.kind, denied.outcome, denied.actor_username) == (
        Kind.EVENT,
        Outcome.DENIED,
        "sam.supervisor",
    )
    assert denied.params == {"approval_request": request.pk, "not_requester": True}


def test_a_decided_request_cannot_be_withdrawn(
    agent: User, supervisor: User, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)
    approval_decide(submission(supervisor, "approve-1"), request.pk, approve=True)

    late = approval_withdraw(submission(agent, "withdraw-late"), request.pk)

    assert not late.ok
    assert late.message == "This request was already approved by sam.supervisor."
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert records("approval.withdraw") == []
    assert writes.calls == ["sam.supervisor"]


def test_open_combine_requests_made_before_also_account_get_their_main_account(agent) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("portal.approvals.migrations.0003_request_also_account")

    def made(action: str, status: str, params: dict[str, Any], key: str) -> ApprovalRequest:
        return ApprovalRequest.objects.create(
            action=action,
            status=status,
            summary="s",
            params=params,
            account_id=9000052,
            requester=agent,
            requester_username=agent.username,
            idempotency_key=key,
        )

    waiting = made("cards.combine", "open", {"main_account_id": 9000051}, "a")
    decided = made("cards.combine", "approved", {"main_account_id": 9000051}, "b")
    other = made("points.adjust", "open", {"main_account_id": 9000051}, "c")
    unnamed = made("cards.combine", "open", {"main_account_id": None}, "d")

    migration.combines_into_their_main_account(apps, None)

    found = dict(ApprovalRequest.objects.values_list("pk", "also_account_id"))
    assert found == {waiting.pk: 9000051, decided.pk: None, other.pk: None, unnamed.pk: None}
