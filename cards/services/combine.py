"""Combining an attached account into the guest's main account of its program
(``cards.combine``): a job of one item (``portal.jobs``), whose write goes through the audit
door. Combine needs no secret, so it runs on Celery: the item's payload holds the card (emptied
when the item ends) and the task gets only the job id. Attach-and-combine, which may need a
password, is one write in the request instead (``cards.services.attach``).

The audit names the account being combined (the card's own), not the main account it goes
into: upstream picks that one, and the settle function proves the combine by the combined
account being closed.
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
    submission: Submission, *, guest: GuestCards, card: AccountCard, main_account_id: int | None
) -> Job:
    """Queue the combine of ``guest``'s account (through ``card``) into the guest's main
    account of its program, ``main_account_id`` as the preview read it (a job)."""
    # The job's page leads back to the account that will hold the balances.
    back_to = main_account_id or guest.account_id
    return job_create(
        owner=submission.actor,
        kind="cards.combine",
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        params={"account_id": back_to, "printedCardNumber": card.full_number},
        items=[
            ItemSpec(
                label=f"Account {guest.account_id} (card ending {card.masked_card_number}) "
                "into the main account",
                payload={
                    "account_id": guest.account_id,
                    "other_account_id": main_account_id,
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
