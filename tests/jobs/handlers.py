"""An item handler of the tests: disable one card through the door (the runner's tests hand it
to ``job_run_items`` directly)."""

from __future__ import annotations

from typing import Any

from portal.audit.door import mutation_run
from portal.audit.types import Target
from portal.jobs.runner import ItemResult, ItemRun


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
        retry_of=run.retry_of,
        call=call,
    )
    return ItemResult.from_mutation(result)
