"""What the card services share: a one-card outcome in words, and a door result as a sentence."""

from __future__ import annotations

from dataclasses import dataclass

from guests.messages import explain
from portal.audit.models import Outcome
from portal.audit.services import MutationResult
from portal.paytronix.errors import RESULT_ERRORS, OutcomeUnknownError, TransportError


@dataclass(frozen=True)
class CardChange:
    """How a one-card change went, in words a CSR can read to the guest."""

    outcome: str
    message: str
    #: upstream field names to ask for (``needs_more_info``).
    fields: tuple[str, ...] = ()
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED

    @property
    def needs_more_info(self) -> bool:
        return self.outcome == Outcome.NEEDS_MORE_INFO


def result_sentence(result: MutationResult) -> str:
    """The sentence for a door result, fresh or replayed (a replay has no exception object,
    so the error is rebuilt from what the audit recorded)."""
    if result.ok:
        return ""
    if result.error is not None:
        return explain(result.error)
    if result.in_progress:
        return "This change is still being made. Reload the page in a moment to see how it went."
    error_class = RESULT_ERRORS.get(result.upstream_result)
    if error_class is not None:
        return explain(
            error_class(
                result=result.upstream_result,
                error_code=result.error_code,
                error_message=result.error_message,
                extra=result.detail,
            )
        )
    if result.outcome == Outcome.UNKNOWN:
        return explain(OutcomeUnknownError(result.error_message))
    return explain(TransportError(result.error_message))


def card_change_from(result: MutationResult, success: str) -> CardChange:
    return CardChange(
        outcome=result.outcome,
        message=success if result.ok else result_sentence(result),
        fields=tuple(result.fields),
        replayed=result.replayed,
    )
