"""Combining an attached card into the main account of its template (``cards.combine``): a job
of one item (``portal.jobs``), whose write goes through the audit door. Combine needs no secret,
so it runs on Celery: the item's payload holds the card (emptied when the item ends) and the
task gets only the job id. Attach-and-combine, which may need a password, is one write in the
request instead (``cards.services.attach``).
"""

from __future__ import annotations

from cards.selectors import AccountCard, GuestCards
from portal.audit.door import mutation_run
from portal.audit.outcome import outcome_sentence
from portal.audit.scrub import card_mask
from portal.audit.types import MutationResult, Submission, Target
from portal.jobs.models import Job
from portal.jobs.runner import ItemResult, ItemRun
from portal.jobs.services import ItemSpec, job_create


def cards_combine_start(
    submission: Submission, *, guest: GuestCards, card: AccountCard, other_account_id: int | None
) -> Job:
    """Queue the combine of ``card`` into the main account of its template (a job)."""
    return job_create(
        owner=submission.actor,
        kind="cards.combine",
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        params={"account_id": guest.account_id, "printedCardNumber": card.full_number},
        items=[
            ItemSpec(
                label=f"Card ending {card.masked_card_number} into account {guest.account_id}",
                payload={
                    "account_id": guest.account_id,
                    "other_account_id": other_account_id,
                    "card_number": card.full_number,
                    "username": guest.username,
                },
            )
        ],
        reason=submission.reason,
        target=Target(
            account_id=guest.account_id,
            printed_card_number=card.full_number,
            username=guest.username,
        ),
    )


def _surviving_account_id(result: MutationResult) -> int | None:
    value = result.value
    if value is not None and getattr(value, "surviving_account_id", None) is not None:
        return int(value.surviving_account_id)
    recorded = result.detail.get("surviving_account_id")
    return int(recorded) if isinstance(recorded, int) else None


def card_combine_item(run: ItemRun) -> ItemResult:
    """The combine job's one item: ``combineCard`` through the door."""
    payload = run.item.payload
    number = str(payload["card_number"])
    account_id = int(payload["account_id"])
    other = payload.get("other_account_id")
    result = mutation_run(
        actor=run.actor,
        action="cards.combine",
        target=Target(
            account_id=account_id,
            printed_card_number=number,
            username=str(payload.get("username") or ""),
        ),
        params={"printedCardNumber": number},
        reason=run.reason,
        idempotency_key=run.idempotency_key,
        context=run.context,
        job_id=run.job.pk,
        retry_of=run.retry_of,
        call=lambda client: client.guest.combine_card(printed_card_number=number),
        also_invalidate=[Target(account_id=int(other))] if other else [],
    )
    if result.ok:
        surviving = _surviving_account_id(result)
        message = f"Card ending {card_mask(number)} combined into account {surviving}."
    else:
        message = outcome_sentence(result)
    return ItemResult.from_mutation(result, message=message)
