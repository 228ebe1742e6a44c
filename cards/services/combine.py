"""Combining cards (``cards.combine``) and attaching-and-combining (``cards.attach_and_combine``),
each as a job of one item (``portal.jobs``), each upstream write through the audit door.

Combine needs no secret, so it runs on Celery: the task gets the job id and reads the card from
the item's payload (emptied when the item ends).

Attach-and-combine may need the registration code or the current owner's password (upstream
answers ``more_info`` to the first try). A password must never reach the broker, the database
or the logs, so this job is run in the request that submitted the form: the job, its item and
its audit records are created as for any job, and the runner is called right here with a
handler whose closure holds the credentials. Nothing but that closure ever sees them, the
item's payload holds no card number or secret, and the CSR gets the answer at once. It is one
upstream call, so running it in the request costs no more than an attach does. The first
attempt is made before the job is created: upstream's ``more_info`` is a normal step that asks
for the credentials, not a failed job. Once created, the job always ends, even when the request
fails half way.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from cards.selectors import GuestCard, GuestCards, primary_card_number
from cards.services.attach import AttachCredentials
from cards.services.common import CardChange, card_change_from, result_sentence
from portal.audit.models import Outcome
from portal.audit.records import latest_outcome
from portal.audit.scrub import card_mask
from portal.audit.services import MutationResult, Reason, Target, mutation_run
from portal.jobs.models import FINISHED_STATUSES, ItemOutcome, ItemStatus, Job, JobItem, JobStatus
from portal.jobs.runner import ItemResult, ItemRun, job_run_items
from portal.jobs.services import ItemSpec, item_finish, job_create, job_finish
from portal.paytronix.client import PaytronixClient


def cards_combine_start(
    *,
    actor: Any,
    request: HttpRequest | None,
    guest: GuestCards,
    card: GuestCard,
    other_account_id: int | None,
    reason: Reason,
    idempotency_key: str,
) -> Job:
    """Queue the combine of ``card`` into the main account of its template (a job)."""
    from cards.tasks import cards_combine_task

    return job_create(
        owner=actor,
        kind="cards.combine",
        task=cards_combine_task,
        idempotency_key=idempotency_key,
        params={"account_id": guest.account_id, "printedCardNumber": card.printed_card_number},
        items=[
            ItemSpec(
                label=f"Card ending {card.masked_card_number} into account {guest.account_id}",
                payload={
                    "account_id": guest.account_id,
                    "other_account_id": other_account_id,
                    "card_number": card.printed_card_number,
                    "username": guest.username,
                },
            )
        ],
        reason=reason,
        target=Target(
            account_id=guest.account_id,
            printed_card_number=card.printed_card_number,
            username=guest.username,
        ),
        request=request,
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
        call=lambda client: client.guest.combine_card(printed_card_number=number),
        also_invalidate=[Target(account_id=int(other))] if other else [],
    )
    if result.ok:
        surviving = _surviving_account_id(result)
        message = f"Card ending {card_mask(number)} combined into account {surviving}."
    else:
        message = result_sentence(result)
    return ItemResult.from_mutation(result, message=message)


class _RunsInTheRequest:
    """The "task" of a job that runs in the request which created it: nothing is queued."""

    def delay(self, job_id: int) -> None:
        return None


#: The summary of an attach-and-combine job whose request stopped before the job ended.
ABANDONED = (
    "This job stopped before it ended, because of an error on our side. The card may or may "
    "not have been attached and combined: check the guest's cards before trying again."
)


def _item_result(item: JobItem) -> MutationResult | None:
    if item.intent is None:
        return None
    latest = latest_outcome(item.intent)
    return MutationResult.from_record(latest, replayed=True) if latest is not None else None


def _end_abandoned(job: Job, first: MutationResult | None) -> None:
    """End a job the request could not finish: its item as unknown (the reconciler settles the
    change by its intent), the job as failed with a summary that says so."""
    intent_id = first.intent_id if first is not None else None
    for unfinished in job.items.exclude(status=ItemStatus.DONE):
        item_finish(unfinished, outcome=ItemOutcome.UNKNOWN, message=ABANDONED, intent_id=intent_id)
    job_finish(job, status=JobStatus.FAILED, summary=ABANDONED)


@sensitive_variables("credentials", "attach_and_combine", "item", "attempt")
def cards_attach_and_combine_run(
    *,
    actor: Any,
    request: HttpRequest | None,
    guest: GuestCards,
    other_card_number: str,
    credentials: AttachCredentials,
    reason: Reason,
    idempotency_key: str,
) -> tuple[Job | None, CardChange]:
    """Attach ``other_card_number`` and combine it, as a job run in this request (see the
    module docstring for why). Returns the job and how its one item went: ``attach_failure``
    and ``combine_failure`` told apart in the message. A second submit of the same form gets
    the first job and its outcome back.

    The first attempt is made before the job exists: when upstream answers ``more_info`` (a
    normal step: the form then asks for the credentials) there is no job, and the result's
    ``fields`` name what to ask for. Any other answer becomes the job's one item. Raises
    ``PermissionDenied`` or ``ValidationError`` as the door does.
    """
    primary = primary_card_number(guest)
    success = (
        f"Card ending {card_mask(other_card_number)} is attached and its balances combined "
        "into this account."
    )
    target = Target(
        account_id=guest.account_id, printed_card_number=primary, username=guest.username
    )
    params = {
        "account_id": guest.account_id,
        "printedCardNumber": primary,
        "otherPrintedCardNumber": other_card_number,
        **credentials.audit_params(),
    }
    change_params = {key: value for key, value in params.items() if key != "account_id"}
    # The job's own audit intent takes the form's key; the change itself needs one of its own.
    first_key = f"{idempotency_key}:change"

    def attach_and_combine(client: PaytronixClient) -> None:
        client.guest.attach_and_combine(
            printed_card_number=primary,
            other_printed_card_number=other_card_number,
            other_registration_code=credentials.registration_code or None,
            other_username=credentials.username or None,
            other_password=credentials.password or None,
        )

    def attempt(key: str, *, context: Any = None, job_id: int | None = None) -> MutationResult:
        return mutation_run(
            actor=actor,
            action="cards.attach_and_combine",
            target=target,
            params=change_params,
            reason=reason,
            idempotency_key=key,
            request=request,
            context=context,
            job_id=job_id,
            call=attach_and_combine,
            also_invalidate=[Target(printed_card_number=other_card_number)],
        )

    first = attempt(first_key)
    if first.outcome == Outcome.NEEDS_MORE_INFO:
        return None, card_change_from(first, success)
    unused = [first]

    def item(run: ItemRun) -> ItemResult:
        if unused:
            result = unused.pop()
        else:
            # A retry after a transient failure, or a wait for an attempt still in progress.
            key = first_key if run.attempt == 1 else run.idempotency_key
            result = attempt(key, context=run.context, job_id=run.job.pk)
        message = success if result.ok else result_sentence(result)
        return ItemResult.from_mutation(result, message=message)

    job = job_create(
        owner=actor,
        kind="cards.attach_and_combine",
        task=_RunsInTheRequest(),
        idempotency_key=idempotency_key,
        params=params,
        items=[
            ItemSpec(
                label=f"Card ending {card_mask(other_card_number)} into account {guest.account_id}",
                payload={"account_id": guest.account_id},
            )
        ],
        reason=reason,
        target=target,
        request=request,
    )
    try:
        job_run_items(job.pk, item, concurrency=1)
    finally:
        # Whatever stopped the request, the job must not stay running for ever.
        job.refresh_from_db()
        if job.status not in FINISHED_STATUSES:
            _end_abandoned(job, first)
    first_item = job.items.select_related("intent").order_by("position").first()
    result = _item_result(first_item) if first_item is not None else None
    if result is None:
        return job, CardChange(outcome="unknown", message=first_item.message if first_item else "")
    return job, card_change_from(result, success)
