"""The reconciler settles unknown outcomes by reading upstream, and marks the rest for review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from portal.audit.actions import action_get
from portal.audit.door import intent_claim, mutation_run
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.tasks import audit_reconcile_task
from portal.audit.types import AuditContext, MutationResult, Reason, Target
from portal.sandbox import demo
from portal.staff.models import User
from tests.audit.conftest import ACCOUNT, CARD, outcomes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settle_at_once(settings: Any) -> None:
    settings.AUDIT_SETTLE_AFTER = 0


def _latest(intent_id: int) -> AuditRecord:
    return AuditRecord.objects.filter(intent_id=intent_id).order_by("-seq").first()  # type: ignore[return-value]


def test_an_unknown_card_disable_that_reached_upstream_is_settled_as_succeeded(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult]
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)
    result = disable_card(agent)
    assert result.outcome == Outcome.UNKNOWN

    summary = unknown_outcomes_reconcile()

    assert summary.settled == 1
    settled = _latest(result.intent_id)
    assert (settled.outcome, settled.upstream_result) == (Outcome.SUCCEEDED, "settled")
    assert settled.params == {"settled_by": "reconciler"}
    assert settled.intent_id == result.intent_id


def test_an_unknown_card_disable_that_never_arrived_is_settled_as_failed(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult], settings: Any
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=False, times=1)
    result = disable_card(agent)
    assert result.outcome == Outcome.UNKNOWN

    # Upstream is eventually consistent: "still ACTIVE" is final only after the grace period.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)):
        unknown_outcomes_reconcile()

    assert _latest(result.intent_id).outcome == Outcome.FAILED
    assert "still ACTIVE" in _latest(result.intent_id).error_message


def test_a_settled_change_is_not_settled_again(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult]
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)
    disable_card(agent)
    unknown_outcomes_reconcile()

    summary = unknown_outcomes_reconcile()

    assert (summary.settled, summary.reviewed, summary.waiting) == (0, 0, 0)
    assert len(outcomes()) == 2


def test_an_action_upstream_cannot_confirm_is_marked_for_review(sandbox: Any, agent: User) -> None:
    sandbox.faults.drop(endpoint="createReferralCodeByAccountId", process=True, times=1)
    result = mutation_run(
        actor=agent,
        action="referrals.create_code",
        target=Target(account_id=ACCOUNT, username=demo.DEMO_USERNAME),
        params={"accountId": ACCOUNT},
        reason=Reason(),
        idempotency_key="code",
        context=AuditContext(),
        call=lambda client: client.guest.create_referral_code_by_account_id(account_id=ACCOUNT),
    )
    assert result.outcome == Outcome.UNKNOWN

    audit_reconcile_task.delay()

    review = _latest(result.intent_id)
    assert (review.outcome, review.error_code) == (Outcome.NEEDS_REVIEW, "needs_review")


def test_an_unknown_that_cannot_be_told_yet_waits_then_goes_to_review(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult], settings: Any
) -> None:
    # Without an account id or card number to read back, card status cannot be checked.
    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)
    result = disable_card(agent, target=Target(printed_card_number=CARD))

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_REVIEW_AFTER + 1)):
        assert unknown_outcomes_reconcile().reviewed == 1
    assert _latest(result.intent_id).outcome == Outcome.NEEDS_REVIEW


def test_an_intent_whose_process_died_is_recorded_unknown_then_settled(
    sandbox: Any, agent: User, settings: Any
) -> None:
    with transaction.atomic():
        _intent, _ = intent_claim(
            actor=agent,
            spec=action_get("card.disable"),
            target=Target(account_id=ACCOUNT, printed_card_number=CARD),
            params={},
            reason=Reason(code="lost"),
            idempotency_key="died",
            context=AuditContext(),
        )

    # Past the abandon time and the settle grace period (the card reads "still ACTIVE").
    wait = max(settings.AUDIT_ABANDONED_AFTER + 1, settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(timezone.now() + timedelta(seconds=wait)):
        summary = unknown_outcomes_reconcile()

    assert (summary.abandoned, summary.settled) == (1, 1)
    unknown, settled = outcomes()
    assert (unknown.outcome, unknown.error_code) == (Outcome.UNKNOWN, "abandoned")
    # The card was never disabled: the dead process did not get as far as upstream.
    assert settled.outcome == Outcome.FAILED
    assert AuditRecord.objects.filter(kind=Kind.INTENT).count() == 1


def _enable_card(actor: User, key: str) -> MutationResult:
    return mutation_run(
        actor=actor,
        action="card.enable",
        target=Target(account_id=ACCOUNT, printed_card_number=CARD),
        params={"printedCardNumber": CARD, "status": "ACTIVE"},
        reason=Reason(code="found", text="Guest found it"),
        idempotency_key=key,
        context=AuditContext(),
        call=lambda client: client.guest.change_card_status(
            printed_card_number=CARD, status="ACTIVE"
        ),
    )


@pytest.mark.parametrize("first_applied", [True, False])
def test_an_unknown_status_change_made_again_is_not_settled_as_if_it_alone_made_it(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult], first_applied: bool
) -> None:
    """The agent enabled a card and the reply was lost, then enabled it again, which went
    through. Reading the card back finds it enabled whether or not the first did it: the first
    is settled as applied, saying the later change asked for the same and which made it so
    cannot be told."""
    assert disable_card(agent, key="before").ok
    sandbox.faults.drop(endpoint="changeCardStatus", process=first_applied, times=1)
    first = _enable_card(agent, "first")
    assert first.outcome == Outcome.UNKNOWN
    again = _enable_card(agent, "again")
    assert again.ok

    unknown_outcomes_reconcile()

    settled = _latest(first.intent_id)
    assert (settled.outcome, settled.upstream_result) == (Outcome.SUCCEEDED, "settled")
    # Named by its place in the chain, as the audit screens number records.
    later = AuditRecord.objects.get(pk=again.intent_id)
    assert settled.error_message == (
        "settled by reading back: the card is ACTIVE, as a later change of its status (record "
        f"#{later.seq}, by {agent.username}) also asked: which of the two made it so "
        "cannot be told"
    )


def test_an_unknown_status_change_a_later_one_undid_is_left_for_review(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult], settings: Any
) -> None:
    """A disable whose reply was lost, then an enable that went through: the card reads
    enabled, which says nothing of the disable (it may have gone through and been undone)."""
    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)
    lost = disable_card(agent)
    assert lost.outcome == Outcome.UNKNOWN
    assert _enable_card(agent, "enable").ok

    late = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(late):
        summary = unknown_outcomes_reconcile()
    assert (summary.settled, summary.waiting) == (0, 1)
    assert _latest(lost.intent_id).outcome == Outcome.UNKNOWN

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_REVIEW_AFTER + 1)):
        unknown_outcomes_reconcile()
    assert _latest(lost.intent_id).outcome == Outcome.NEEDS_REVIEW
