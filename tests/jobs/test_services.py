"""Queueing, cancelling and finishing jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.types import AuditContext, Reason
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobStatus
from portal.jobs.selectors import job_of_owner
from portal.jobs.services import ItemSpec, job_cancel, job_create
from portal.jobs.tasks import job_run_task
from portal.staff.models import User
from tests.jobs.conftest import RecordingTask, active_cards

pytestmark = pytest.mark.django_db


def test_queueing_records_the_jobs_intent_and_its_items(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    cards = active_cards(sandbox, 3)

    job = bulk_job(cards)

    assert (job.kind, job.status, job.total, job.owner) == (
        "bulk.card_status",
        JobStatus.QUEUED,
        3,
        supervisor,
    )
    intent = AuditRecord.objects.get(kind=Kind.INTENT)
    assert job.intent == intent
    assert (intent.action, intent.job_id, intent.reason_text) == (
        "bulk.card_status",
        job.pk,
        "Stolen batch",
    )
    assert intent.params == {"action": "disable", "cards": 3, "items": 3}
    assert [i.label for i in job.items.all()] == [f"card ending {c[-6:]}" for c in cards]


def test_the_task_is_sent_the_job_id_only_after_the_commit(
    sandbox: Any, bulk_job: Callable[..., Job], django_capture_on_commit_callbacks: Any
) -> None:
    cards = active_cards(sandbox, 2)

    with mock.patch.object(job_run_task, "apply_async") as send:
        with django_capture_on_commit_callbacks() as callbacks:
            job = bulk_job(cards, task=job_run_task)
        assert send.call_count == 0
        for callback in callbacks:
            callback()

    send.assert_called_once()
    args, kwargs = send.call_args
    message = json.dumps([args, kwargs], default=str)
    assert args[0] == (job.pk,)
    for card in cards:
        assert card not in message
    assert "Stolen" not in message


def test_a_second_submit_of_the_same_form_returns_the_first_job(
    sandbox: Any, bulk_job: Callable[..., Job], django_capture_on_commit_callbacks: Any
) -> None:
    task = RecordingTask()
    cards = active_cards(sandbox, 2)

    with django_capture_on_commit_callbacks(execute=True):
        first = bulk_job(cards, task=task)
        second = bulk_job(cards, task=task)

    assert second.pk == first.pk
    assert task.sent == [first.pk]
    assert Job.objects.count() == 1
    assert AuditRecord.objects.filter(kind=Kind.INTENT).count() == 1


def test_a_job_is_refused_to_a_role_without_its_permission(
    sandbox: Any, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = RecordingTask()
    monkeypatch.setattr("portal.jobs.services.job_run_task", task)
    with pytest.raises(PermissionDenied):
        job_create(
            owner=agent,
            kind="bulk.card_status",
            idempotency_key="k",
            context=AuditContext(),
            items=[ItemSpec(label="x", payload={"card_number": "1"})],
            reason=Reason(text="r"),
        )

    assert not Job.objects.exists()
    assert task.sent == []
    assert AuditRecord.objects.get().outcome == Outcome.DENIED


def test_cancelling_a_queued_job_ends_it_and_every_item(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 3))

    job = job_cancel(job=job, actor=supervisor)

    assert job.status == JobStatus.CANCELLED
    assert set(job.items.values_list("status", "outcome")) == {
        (ItemStatus.DONE, ItemOutcome.CANCELLED)
    }
    assert [item.payload for item in job.items.all()] == [{}, {}, {}]
    outcome = AuditRecord.objects.get(kind=Kind.OUTCOME)
    assert (outcome.intent, outcome.upstream_result) == (job.intent, "cancelled")


def test_only_the_owner_cancels_a_job(
    sandbox: Any, agent: User, bulk_job: Callable[..., Job]
) -> None:
    job = bulk_job(active_cards(sandbox, 1))

    with pytest.raises(PermissionDenied):
        job_cancel(job=job, actor=agent)

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def test_the_reconciler_leaves_a_long_job_alone(
    sandbox: Any, bulk_job: Callable[..., Job], settings: Any
) -> None:
    job = bulk_job(active_cards(sandbox, 1))
    later = timezone.now() + timedelta(seconds=settings.AUDIT_ABANDONED_AFTER + 60)

    with time_machine.travel(later):
        summary = unknown_outcomes_reconcile()

    assert summary.abandoned == 0
    assert not AuditRecord.objects.filter(intent=job.intent).exists()


def test_reading_ones_own_job_loads_its_intent_and_owner_in_one_query(
    sandbox: Any, supervisor: User, bulk_job: Callable[..., Job], django_assert_num_queries: Any
) -> None:
    created = bulk_job(active_cards(sandbox, 1))

    with django_assert_num_queries(1):
        job = job_of_owner(owner=supervisor, job_id=created.pk)
        assert job is not None
        assert (job.owner.username, job.intent.action) == (  # type: ignore[union-attr]
            supervisor.username,
            "bulk.card_status",
        )
