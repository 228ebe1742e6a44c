"""What the card services share: a one-card outcome in words, and a door result as a sentence."""

from __future__ import annotations

from dataclasses import dataclass

from guests.messages import explain, explain_recorded
from portal.audit.models import Outcome
from portal.audit.services import MutationResult


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
    """The sentence for a door result, fresh (from its exception) or replayed (from what the
    audit recorded: a replay has no exception object)."""
    if result.ok:
        return ""
    if result.error is not None:
        return explain(result.error)
    if result.in_progress:
        return "This change is still being made. Reload the page in a moment to see how it went."
    return explain_recorded(
        upstream_result=result.upstream_result,
        error_code=result.error_code,
        error_message=result.error_message,
        detail=result.detail,
        unknown=result.outcome == Outcome.UNKNOWN,
    )


def card_change_from(result: MutationResult, success: str) -> CardChange:
    return CardChange(
        outcome=result.outcome,
        message=success if result.ok else result_sentence(result),
        fields=tuple(result.fields),
        replayed=result.replayed,
    )
