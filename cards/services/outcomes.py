"""How a card change on an optional service answers: its outcome (``service_outcome``: a
service the merchant turns out not to have is remembered and said calmly), and the outcome of a
form submitted again with the key of a change already made (``change_replay``).

A resubmitted form's answer comes from the door (the first outcome replayed, or an unknown one
settled by reading back), never from a new preview: a preview read after the change would find
the state the change left (a closed source account, an exchanged card) and refuse what is in
fact done."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from portal.audit.door import mutation_run
from portal.audit.outcome import ChangeOutcome
from portal.audit.selectors import intent_of_key
from portal.audit.types import MutationResult, Submission, Target
from portal.paytronix.client import PaytronixClient
from portal.paytronix.errors import service_unavailable

if TYPE_CHECKING:
    from guests.selectors.optional import OptionalService


def service_outcome(
    result: MutationResult, *, success: str, service: OptionalService
) -> ChangeOutcome:
    """The door's result as the CSR reads it; an upstream without ``service`` (404, not
    authorised) is remembered, so the screens stop offering it, and said in one calm sentence."""
    outcome = ChangeOutcome.of(result, success=success)
    if result.error is None or not service_unavailable(result.error):
        return outcome
    service.remember_unavailable(result.error)
    return ChangeOutcome(
        outcome=outcome.outcome, message=service.sentence, intent_id=outcome.intent_id
    )


def already_submitted(submission: Submission) -> bool:
    """Whether this form's key already started a change."""
    return intent_of_key(submission.idempotency_key) is not None


def _never_sent(client: PaytronixClient) -> NoReturn:
    raise RuntimeError("a change submitted again is answered from its first outcome")


def change_replay(
    submission: Submission, *, action: str, target: Target, success: str
) -> ChangeOutcome:
    """The outcome of the change this form's key started, through the door (which checks
    the permission again and makes no second write)."""
    result = mutation_run(
        actor=submission.actor,
        action=action,
        target=target,
        params={},
        reason=submission.reason,
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        call=_never_sent,
    )
    return ChangeOutcome.of(result, success=success)
