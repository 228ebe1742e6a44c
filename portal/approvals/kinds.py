"""What each kind of change does once approved: a registry each app fills in its
``AppConfig.ready()`` with ``approval_kind_register``.

``run(submission, request)`` makes the approved change through the audit door as the
approver's action and answers its ``ChangeOutcome``. The ``submission`` it gets is the
approver's (their user and request context), with the request's own reason and an idempotency
key fixed for the request, so running it twice makes the change once. The change's params must
include ``approval_params(request)``: that links its audit record to the request and names both
people, and it is what lets the action's limit (portal/audit/actions.py ``limit_register``) know
the change was approved. ``describe(request)`` says in words what will happen, for the approver
(the request's page shows it only while they may decide; otherwise the request's summary).
``later(requests)``, optional, says what became of approved changes since they were made (an
adjustment voided after...), by request id, for the requester's list and the request's page.
``now(request, viewer)``, optional, says what stands now that the change would change (a
wallet's balance, read as the guest page reads it), for the approver who may decide: a
sentence, or a ``NowTable`` of figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.audit.actions import action_get

if TYPE_CHECKING:
    from portal.approvals.models import ApprovalRequest
    from portal.audit.outcome import ChangeOutcome
    from portal.audit.types import Submission

RunFunc = Callable[["Submission", "ApprovalRequest"], "ChangeOutcome"]
DescribeFunc = Callable[["ApprovalRequest"], str]
LaterFunc = Callable[[list["ApprovalRequest"]], dict[int, str]]


@dataclass(frozen=True)
class NowTable:
    """Figures ``now`` shows as a table: ``caption`` says what they are; the first column of
    each row names it, the others are amounts (already in words)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


NowFunc = Callable[["ApprovalRequest", Any], "str | NowTable"]


@dataclass(frozen=True)
class ApprovalKind:
    action: str
    run: RunFunc
    describe: DescribeFunc
    later: LaterFunc | None = None
    now: NowFunc | None = None


KINDS: dict[str, ApprovalKind] = {}


def approval_kind_register(
    action: str,
    *,
    run: RunFunc,
    describe: DescribeFunc,
    later: LaterFunc | None = None,
    now: NowFunc | None = None,
) -> None:
    """Let changes of ``action`` (a registered audit action) wait for a second person."""
    action_get(action)
    KINDS[action] = ApprovalKind(action, run, describe, later, now)


def approval_kind_get(action: str) -> ApprovalKind:
    try:
        return KINDS[action]
    except KeyError:
        raise LookupError(f"no approval kind for {action!r}") from None


def approval_params(request: ApprovalRequest) -> dict[str, Any]:
    """What the approved change's audit record carries: the request and both people."""
    return {
        "approval_request": request.pk,
        "requested_by": request.requester_username,
        "approved_by": request.decided_by_username,
    }
