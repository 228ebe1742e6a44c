"""Combining an attached account into the guest's main account of its program
(``cards.combine``): a job of one item (``portal.jobs``), whose write goes through the audit
door. Combine needs no secret, so it runs on Celery: the item's payload holds the card (emptied
when the item ends) and the task gets only the job id. Attach-and-combine, which may need a
password, is one write in the request instead (``cards.services.attach``).

The audit names the account being combined (the card's own), not the main account it goes
into: upstream picks that one, and the settle function proves the combine by the combined
account being closed.

Whoever lacks the permission ``combine_without_approval`` (agents) asks for the combine instead
(``combine_request``, an approval request); the supervisor who approves it makes it as theirs,
one write in their request (``combine_approved``, the approval kind registered in
``CardsConfig.ready()``), and its outcome, a suspension (``accountSuspended``) included, is kept
on the request. The door refuses such a role's combine otherwise (``cards.limits``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError

from cards.selectors import AccountCard, CombinePreview, GuestCards, combine_preview
from guests.selectors.load import GuestUnavailableError
from portal.approvals.kinds import NowTable, approval_params
from portal.approvals.models import ApprovalRequest, Status
from portal.approvals.services import approval_request
from portal.audit.door import mutation_run
from portal.audit.models import SURVIVING_ACCOUNT, Outcome
from portal.audit.outcome import ChangeOutcome, change_run, outcome_sentence
from portal.audit.scrub import card_hash, card_mask
from portal.audit.types import MutationResult, Submission, Target
from portal.jobs.models import Job
from portal.jobs.runner import ItemResult, ItemRun
from portal.jobs.services import ItemSpec, job_create
from portal.paytronix.client import PaytronixClient
from portal.paytronix.errors import InvalidStatusError, PaytronixError
from portal.sentences import MERGED, NotShownError, explain
from portal.templatetags.amounts import amount


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
        target=_target(guest, card.full_number),
    )


def _surviving_account_id(result: MutationResult) -> int | None:
    value = result.value
    if value is not None and getattr(value, "surviving_account_id", None) is not None:
        return int(value.surviving_account_id)
    recorded = result.detail.get(SURVIVING_ACCOUNT)
    return int(recorded) if isinstance(recorded, int) else None


def _request_params(preview: CombinePreview) -> dict[str, Any]:
    """What a combine request records (no full card number: the request keeps its hash)."""
    return {
        "card_ending": preview.card.masked_card_number,
        "main_account_id": preview.main_account_id,
    }


def combine_waiting(card: AccountCard, *, besides: str = "") -> ApprovalRequest | None:
    """The request to combine ``card`` that waits for a decision, if any (other than the one
    submitted with the key ``besides``). A card read from the cache is known by its hash."""
    hashed = card.card_hash or card_hash(card.full_number)
    waiting = ApprovalRequest.objects.filter(
        action="cards.combine", status=Status.OPEN, card_hash=hashed
    )
    return waiting.exclude(idempotency_key=besides).first() if besides else waiting.first()


def combine_waiting_exists(*, account_id: int, card_masked: str) -> bool:
    """Whether a request to combine the account's card ending ``card_masked`` waits for a
    decision (the guest page, which knows its cards by their masks only)."""
    return ApprovalRequest.objects.filter(
        action="cards.combine", status=Status.OPEN, account_id=account_id, card_masked=card_masked
    ).exists()


def combine_request(submission: Submission, *, preview: CombinePreview) -> ApprovalRequest:
    """Ask a supervisor to combine the previewed account (an approval request; nothing is
    sent upstream). A second submit of the same form answers the first request; another
    request for a card whose combine already waits is refused (``ValidationError``)."""
    card = preview.card
    waiting = combine_waiting(card, besides=submission.idempotency_key)
    if waiting is not None:
        raise ValidationError(
            f"A combine of this card is already waiting for approval (request #{waiting.pk}, "
            f"asked by {waiting.requester_username}).",
            code="already_requested",
        )
    main = preview.main_account_id
    return approval_request(
        submission,
        action="cards.combine",
        target=_target(preview.guest, card.full_number),
        params=_request_params(preview),
        summary=(
            f"Combine account {preview.guest.account_id} (card ending {card.masked_card_number}) "
            + (f"into the main account {main}" if main else "into the guest's main account")
        ),
        also_account_id=main,
    )


def _target(guest: GuestCards, number: str) -> Target:
    return Target(account_id=guest.account_id, printed_card_number=number, username=guest.username)


def combine_approved(submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
    """The approval kind's ``run``: the requested combine, made now as the approver, one write
    through the door linked to the request. The account is read again first: a card that is
    no longer there, no longer combinable, or a main account other than the one the request
    named is a failed run, said in words, with nothing sent."""
    if request.account_id is None:
        return ChangeOutcome(outcome=Outcome.FAILED, message="The request names no account.")
    try:
        preview = combine_preview(
            viewer=submission.actor,
            account_id=request.account_id,
            masked_card_number=request.card_masked,
        )
    except (NotShownError, PaytronixError) as unread:
        return _unread(unread, request)
    number = preview.card.full_number
    if card_hash(number) != request.card_hash:
        return ChangeOutcome(
            outcome=Outcome.FAILED, message="The account no longer holds the requested card."
        )
    if not preview.combinable:
        return ChangeOutcome(outcome=Outcome.FAILED, message=preview.why_not)
    if preview.main_account_id != request.params.get("main_account_id"):
        return ChangeOutcome(
            outcome=Outcome.FAILED,
            message=(
                "The guest's main account is not the one the request named any more: nothing "
                "was combined. Ask for the combine again from the guest's cards."
            ),
        )
    main = preview.main_account_id
    outcome = change_run(
        submission,
        action="cards.combine",
        target=_target(preview.guest, number),
        params={
            "printedCardNumber": number,
            **_request_params(preview),
            **approval_params(request),
        },
        call=lambda client: _combine_call(client, number),
        success=(
            f"Approved and done: account {request.account_id} (card ending "
            f"{preview.card.masked_card_number}) was combined into account {main}."
        ),
        also_invalidate=[Target(account_id=main)] if main else [],
    )
    if outcome.account_suspended:
        return replace(
            outcome,
            # Its sentence says what happened and what to do; the code, for whoever checks.
            message=f"{outcome.message} (The loyalty system answered accountSuspended.)",
        )
    return outcome


def _merged(error: NotShownError | PaytronixError) -> bool:
    """Whether reading the account failed because it is merged into another one (``ABANDONED``,
    as a combine leaves it): combined since the request was made."""
    unusable = isinstance(error, InvalidStatusError | GuestUnavailableError)
    return unusable and getattr(error, "account_status", "") == MERGED


def _already_combined(request: ApprovalRequest) -> str:
    return (
        f"account {request.account_id} is already merged into another account (combined since "
        "the request was made), so there is nothing left to combine."
    )


def _unread(unread: NotShownError | PaytronixError, request: ApprovalRequest) -> ChangeOutcome:
    """The account could not be read before the combine: nothing is sent, and approving again
    tries again; or it reads as merged into another account: combined meanwhile. (After an
    earlier run whose outcome is not known, the approval says that instead:
    ``portal.approvals.services``.)"""
    if _merged(unread):
        return ChangeOutcome(
            outcome=Outcome.FAILED,
            message=f"Nothing was combined: {_already_combined(request)}",
        )
    why = unread.sentence if isinstance(unread, NotShownError) else explain(unread)
    return ChangeOutcome(
        outcome=Outcome.FAILED,
        message=f"The account could not be read, so nothing was combined. {why}",
    )


def _combine_call(client: PaytronixClient, number: str) -> Any:
    return client.guest.combine_card(printed_card_number=number)


def combine_describe(request: ApprovalRequest) -> str:
    """What approving does, for the approver."""
    main = request.params.get("main_account_id")
    into = f"the guest's main account {main}" if main else "the guest's main account"
    return (
        f"You combine account {request.account_id} (card ending {request.card_masked}) into "
        f"{into}: its balances and cards move there and account {request.account_id} is "
        "closed. The change is yours: the audit log names you as its maker, for this request. "
        "The account is read again before: if it changed, nothing is sent. Combining many "
        "cards into one account can make the loyalty system suspend the main account for a "
        "review; then nothing is combined. It cannot be undone here."
    )


def combine_now(request: ApprovalRequest, viewer: Any) -> str | NowTable:
    """The balances of both accounts now and after, as the requester's preview showed them
    (read from upstream within the approver's store group), or why the account cannot be
    combined now (combined meanwhile, closed): for the approver who may decide. Approving
    reads the account again before it acts."""
    try:
        preview = combine_preview(
            viewer=viewer,
            account_id=int(request.account_id or 0),
            masked_card_number=request.card_masked,
        )
    except (NotShownError, PaytronixError) as error:
        if _merged(error):
            return f"It cannot be combined now: {_already_combined(request)} Decline it."
        why = error.sentence if isinstance(error, NotShownError) else explain(error)
        return f"The account could not be read now: {why}"
    if not preview.combinable:
        return f"It cannot be combined now: {preview.why_not}"
    if preview.main_account_id is None or not preview.wallets:
        return ""
    main = preview.main_account_id
    return NowTable(
        caption=f"Balances now, and in main account {main} after the combine",
        columns=("Balance", f"Main account {main}", f"Account {request.account_id}", "After"),
        rows=tuple(
            (line.name, amount(line.this_account), amount(line.other_account), amount(line.after))
            for line in preview.wallets
        ),
    )


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
        call=lambda client: _combine_call(client, number),
        also_invalidate=[Target(account_id=int(other))] if other else [],
    )
    if result.ok:
        surviving = _surviving_account_id(result)
        message = f"Card ending {card_mask(number)} combined into account {surviving}."
    else:
        message = outcome_sentence(result)
    return ItemResult.from_mutation(result, message=message)
