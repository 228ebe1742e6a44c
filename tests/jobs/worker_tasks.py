"""A bulk job of the tests: disable cards, each through the door. A real worker imports this
module (``celery worker -I tests.jobs.worker_tasks``) to run it."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from portal.audit.services import Target, mutation_run
from portal.jobs.runner import ItemResult, ItemRun, job_run_items


def disable_item(run: ItemRun) -> ItemResult:
    card = str(run.item.payload["card_number"])

    def call(client: Any) -> None:
        client.guest.change_card_status(printed_card_number=card, status="DISABLED")

    result = mutation_run(
        actor=run.actor,
        action="card.disable",
        target=Target(printed_card_number=card),
        params={"printedCardNumber": card, "status": "DISABLED"},
        reason=run.reason,
        idempotency_key=run.idempotency_key,
        context=run.context,
        job_id=run.job.pk,
        call=call,
    )
    return ItemResult.from_mutation(result)


@shared_task(name="tests.jobs.disable_cards_task")
def disable_cards_task(job_id: int) -> None:
    job_run_items(job_id, disable_item)
