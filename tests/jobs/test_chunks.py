"""A job runs in short chunks, and an item whose worker died before its write left is read back
until it is settled, then tried again (linked to the first attempt) if it was not applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from portal.audit.actions import action_get
from portal.audit.door import intent_claim
from portal.audit.models import AuditRecord, Kind
from portal.audit.types import AuditContext, Reason, Target
from portal.jobs import runner
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem, JobStatus
from portal.jobs.runner import job_run_items
from portal.jobs.settling import job_next_run
from portal.jobs.tasks import job_run_task
from portal.staff.models import User
from tests.jobs.conftest import active_cards
from tests.jobs.handlers import disable_item

pytestmark = pytest.mark.django_db


def _died_before_sending(job: Job, card: str, supervisor: User) -> AuditRecord:
    """What a worker killed between the intent's commit and the request leaves behind."""
    JobItem.objects.filter(job=job, position=1).update(status=ItemStatus.RUNNING, attempts=1)
    with transaction.atomic():
        intent, _ = intent_claim(
            actor=supervisor,
            spec=action_get("card.disable"),
            target=Target(printed_card_number=card),
            params={"printedCardNumber": card, "status": "DISABLED"},
            reason=Reason(text="Stolen batch"),
            idempotency_key=f"job:{job.pk}:item:1:try:1",
            context=AuditContext(),
            job_id=job.pk,
        )
    return intent


def test_a_job_runs_in_chunks_and_the_task_queues_the_next_one(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = active_cards(sandbox, 3)
    job = bulk_job(cards)
    settings.JOBS_CHUNK_SECONDS = 0.2
    sandbox.faults.latency(0.3, endpoint="changeCardStatus")

    job_run_items(job.pk, disable_item)

    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.RUNNING, 1)
    assert job_next_run(job.pk) == 0.0
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(job_run_task, "apply_async", lambda **kw: sent.append(kw))

    job_run_task.run(job.pk)

    assert sent == [{"args": (job.pk,), "countdown": 0.0}]
    job.refresh_from_db()
    assert job.done == 2


def test_the_eager_task_runs_every_chunk_to_the_end(
    sandbox: Any,
    bulk_job: Callable[..., Job],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cards = active_cards(sandbox, 3)
    settings.JOBS_CHUNK_SECONDS = 0.01
    sandbox.faults.latency(0.05, endpoint="changeCardStatus")
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_job(cards, task=job_run_task)

    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, 3, 0)
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    assert job_next_run(job.pk) is None


def test_an_item_whose_write_never_left_is_tried_again_linked_to_the_first(
    sandbox: Any,
    supervisor: User,
    bulk_job: Callable[..., Job],
    settings: Any,
    upstream_calls: Any,
) -> None:
    [card] = active_cards(sandbox, 1)
    job = bulk_job([card])
    first = _died_before_sending(job, card, supervisor)
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    settings.AUDIT_ABANDONED_AFTER = 0
    settings.AUDIT_NOT_APPLIED_AFTER = 0

    job_run_items(job.pk, disable_item)

    item = job.items.get()
    assert (item.outcome, item.attempts) == (ItemOutcome.SUCCEEDED, 2)
    assert item.message.startswith("Attempt 1 never reached the loyalty system")
    assert sandbox.state.card(card).status == "DISABLED"
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 1
    second = AuditRecord.objects.get(kind=Kind.INTENT, idempotency_key=f"job:{job.pk}:item:1:try:2")
    assert second.params["retry_of"] == first.pk
    assert item.intent_id == second.pk
    settled = AuditRecord.objects.filter(intent=first).order_by("-seq").first()
    assert settled is not None
    assert (settled.outcome, settled.upstream_result) == ("failed", "settled")
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, 1, 0)


def test_an_item_that_cannot_be_settled_yet_waits_and_the_job_comes_back_for_it(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job], settings: Any
) -> None:
    cards = active_cards(sandbox, 2)
    job = bulk_job(cards)
    _died_before_sending(job, cards[0], supervisor)
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    settings.AUDIT_ABANDONED_AFTER = 0
    # Upstream may not show a write yet: "still active" does not mean "not applied".
    settings.AUDIT_NOT_APPLIED_AFTER = 3600

    job_run_items(job.pk, disable_item)

    first, second = job.items.order_by("position")
    assert (first.status, first.attempts) == (ItemStatus.SETTLING, 1)
    assert second.outcome == ItemOutcome.SUCCEEDED
    assert job_next_run(job.pk) == settings.JOBS_SETTLE_POLL
    assert sandbox.state.card(cards[0]).status == "ACTIVE"

    settings.AUDIT_NOT_APPLIED_AFTER = 0
    job_run_items(job.pk, disable_item)

    first.refresh_from_db()
    assert (first.outcome, first.attempts) == (ItemOutcome.SUCCEEDED, 2)
    assert sandbox.state.card(cards[0]).status == "DISABLED"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job_next_run(job.pk) is None


def test_an_item_never_settled_ends_unknown_for_the_reconciler(
    sandbox: Any,
    supervisor: User,
    bulk_job: Callable[..., Job],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [card] = active_cards(sandbox, 1)
    job = bulk_job([card])
    _died_before_sending(job, card, supervisor)
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    settings.AUDIT_ABANDONED_AFTER = 0
    settings.AUDIT_NOT_APPLIED_AFTER = 3600
    monkeypatch.setattr(runner, "settle_given_up", lambda intent_id: True)

    job_run_items(job.pk, disable_item)

    item = job.items.get()
    assert (item.status, item.outcome) == (ItemStatus.DONE, ItemOutcome.UNKNOWN)
    assert "reconciler will settle it" in item.message
    assert sandbox.state.card(card).status == "ACTIVE"
