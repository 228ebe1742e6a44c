"""What a change did, told to the CSR: one type for every app, built once from the door's
``MutationResult``, and the one place where an outcome becomes a sentence.

``change_run`` is how a service makes the one change a ``Submission`` asks for: the door
(``portal.audit.door.mutation_run``) and then ``ChangeOutcome.of``. Guests, cards and every
service to come answer with a ``ChangeOutcome``; views read ``ok``, ``needs_more_info`` (with
``fields`` to ask for), ``level`` and ``message``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.audit.door import mutation_run
from portal.audit.models import Outcome
from portal.audit.types import MutationResult, Submission, Target
from portal.paytronix.client import PaytronixClient
from portal.paytronix.errors import ACCOUNT_SUSPENDED, FieldValidationError
from portal.sentences import explain, explain_code, explain_recorded

IN_PROGRESS = "This change is still being made. Reload the page in a moment to see how it went."

#: How each outcome reads on a page: a success, something to watch, or a refusal.
_LEVELS = {
    Outcome.SUCCEEDED: "success",
    Outcome.PENDING: "warning",
    Outcome.UNKNOWN: "warning",
}


def field_error_sentences(result: MutationResult) -> dict[str, tuple[str, ...]]:
    """The fields upstream refused (``errorsByField``), each with its sentences: upstream's own
    words when fresh, the sentence of each code when replayed (the audit keeps codes only)."""
    if isinstance(result.error, FieldValidationError):
        return {
            name: tuple(e.message or explain_code(e.code) for e in errors)
            for name, errors in result.error.field_errors.items()
        }
    recorded = result.detail.get("errorsByField")
    if not isinstance(recorded, dict):
        return {}
    return {
        str(name): tuple(explain_code(str(code)) for code in codes)
        for name, codes in recorded.items()
        if isinstance(codes, list)
    }


def outcome_sentence(result: MutationResult) -> str:
    """The sentence for a door result that is not a success: from its exception when fresh, or
    from what the audit recorded when replayed (a replay has no exception object)."""
    if result.error is not None:
        return explain(result.error)
    if result.in_progress:
        return IN_PROGRESS
    return explain_recorded(
        upstream_result=result.upstream_result,
        error_code=result.error_code,
        error_message=result.error_message,
        detail=result.detail,
        unknown=result.outcome == Outcome.UNKNOWN,
    )


@dataclass(frozen=True)
class ChangeOutcome:
    """How a change went, in words a CSR can read to the guest.

    ``outcome`` is the audit's (succeeded, failed, unknown, needs_more_info, or pending while
    the first submit of the same form is still running); ``fields`` the upstream field names to
    ask for (``needs_more_info``); ``value`` what the write returned (fresh successes only);
    ``field_errors`` the sentences of each field upstream refused (``errorsByField``).
    """

    outcome: str
    message: str
    fields: tuple[str, ...] = ()
    value: Any = None
    replayed: bool = False
    intent_id: int | None = None
    field_errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Upstream's ``result`` (``accountSuspended``...), fresh or replayed; empty if none.
    upstream_result: str = ""

    @classmethod
    def of(cls, result: MutationResult, *, success: str) -> ChangeOutcome:
        return cls(
            outcome=result.outcome,
            message=success if result.ok else outcome_sentence(result),
            fields=tuple(result.fields),
            value=result.value,
            replayed=result.replayed,
            intent_id=result.intent_id,
            field_errors=field_error_sentences(result),
            upstream_result=result.upstream_result,
        )

    @property
    def account_suspended(self) -> bool:
        """Upstream answered ``accountSuspended``: a combine's result, not a refusal (nothing
        moved; the main account is suspended for a review). Trying again cannot help."""
        return self.outcome == Outcome.FAILED and self.upstream_result == ACCOUNT_SUSPENDED

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED

    @property
    def needs_more_info(self) -> bool:
        return self.outcome == Outcome.NEEDS_MORE_INFO

    @property
    def failed(self) -> bool:
        """Refused or not applied: trying again (with a new key) is a new attempt. Not so for an
        unknown or pending outcome, which must be resubmitted with the same key so the door
        settles it instead of sending it twice."""
        return self.outcome == Outcome.FAILED

    @property
    def may_have_applied(self) -> bool:
        """Succeeded, or may have: upstream will show the change (now or later)."""
        return self.outcome in (Outcome.SUCCEEDED, Outcome.UNKNOWN)

    @property
    def level(self) -> str:
        """``success``, ``warning`` (not known yet) or ``error``: how the page shows it."""
        return _LEVELS.get(Outcome(self.outcome), "error")


def change_run[T](
    submission: Submission,
    *,
    action: str,
    target: Target,
    params: Mapping[str, Any],
    call: Callable[[PaytronixClient], T],
    success: str,
    also_invalidate: Sequence[Target] = (),
) -> ChangeOutcome:
    """Make the one audited upstream write ``submission`` asks for, through the door, and say
    how it went (``success`` is the sentence for a success). Raises what the door raises
    before anything is sent."""
    result = mutation_run(
        actor=submission.actor,
        action=action,
        target=target,
        params=params,
        reason=submission.reason,
        idempotency_key=submission.idempotency_key,
        context=submission.context,
        call=call,
        also_invalidate=also_invalidate,
    )
    return ChangeOutcome.of(result, success=success)
