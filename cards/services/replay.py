"""A change form submitted again with the key of a change already made: its answer comes from
the door (the first outcome replayed, or an unknown one settled by reading back), never from a
new preview. A preview read after the change would find the state the change left (a closed
source account, an exchanged card) and refuse what is in fact done."""

from __future__ import annotations

from typing import NoReturn

from portal.audit.door import mutation_run
from portal.audit.outcome import ChangeOutcome
from portal.audit.selectors import intent_of_key
from portal.audit.types import Submission, Target
from portal.paytronix.client import PaytronixClient


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
