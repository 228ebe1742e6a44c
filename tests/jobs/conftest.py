"""Helpers of the job tests: active sandbox cards, a task that records what it is sent, and a
bulk disable job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from portal.audit.actions import action_get
from portal.audit.door import intent_claim
from portal.audit.scrub import card_mask
from portal.audit.types import AuditContext, Reason, Target
from portal.jobs.models import Job
from portal.jobs.services import ItemSpec, job_create
from portal.staff.models import User


class RecordingTask:
    """Stands in for a Celery task: records each job id it is sent, runs nothing."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def delay(self, job_id: int) -> None:
        self.sent.append(job_id)


def active_cards(sandbox: Any, count: int) -> list[str]:
    model = sandbox.state.live
    return sorted(
        card.number
        for card in model.cards.values()
        if card.status == "ACTIVE" and model.accounts[card.account_id].status == "ACTIVE"
    )[:count]


def started_by_a_stopped_worker(job: Job, actor: User, card: str, position: int) -> int:
    """As a worker that died mid-item leaves a first attempt (and as one under way looks):
    its intent recorded, its row still pending (a first attempt writes nothing as it
    starts). The intent's id."""
    with transaction.atomic():
        intent, _ = intent_claim(
            actor=actor,
            spec=action_get("card.disable"),
            target=Target(printed_card_number=card),
            params={},
            reason=Reason(text="Stolen batch"),
            idempotency_key=f"job:{job.pk}:item:{position}:try:1",
            context=AuditContext(),
            job_id=job.pk,
        )
    return intent.pk


@pytest.fixture
def bulk_job(supervisor: User, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Job]:
    """``bulk_job(cards, task=..., key=...)``: a queued bulk disable job of ``supervisor``;
    ``task`` stands in for ``job_run_task`` (by default a ``RecordingTask``: nothing runs)."""

    def create(cards: list[str], *, task: Any = None, key: str = "bulk-1") -> Job:
        monkeypatch.setattr("portal.jobs.services.job_run_task", task or RecordingTask())
        return job_create(
            owner=supervisor,
            kind="bulk.card_status",
            idempotency_key=key,
            context=AuditContext(),
            params={"action": "disable", "cards": len(cards)},
            items=[
                ItemSpec(
                    label=f"card ending {card_mask(card)}",
                    payload={"card_number": card, "action": "disable", "reason_code": "stolen"},
                )
                for card in cards
            ],
            reason=Reason(text="Stolen batch"),
        )

    return create
