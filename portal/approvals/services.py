"""Asking for a second person's approval, and deciding: the maker-checker of the console.

``approval_request`` records a change that is above what its maker may do alone (a wallet
adjustment over the role's ceiling) or that the program marks sensitive; ``approval_decide``
lets another staff user with ``approve_requests`` approve it (the change then goes through the
audit door as the approver's action, linked to the request) or reject it, with a reason. The
approver is never the requester: refused here and recorded as a denial. Until someone decides
it, its requester may take it back (``approval_withdraw``): nobody can approve it then. Each
step is audited: ``approval.request``, ``approval.approve`` / ``approval.reject`` /
``approval.withdraw``, then the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.approvals.kinds import approval_kind_get
from portal.approvals.models import ApprovalRequest, Status
from portal.audit.actions import ActionSpec, action_get
from portal.audit.door import intent_claim, mutation_check, reason_check
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.outcome import ChangeOutcome
from portal.audit.records import event_record, outcome_record
from portal.audit.scrub import card_hash, card_mask, params_scrub
from portal.audit.selectors import intent_of_key, latest_outcome
from portal.audit.types import Reason, Submission, Target
from portal.staff.access import user_may
from portal.staff.models import User

logger = logging.getLogger(__name__)

OWN_REQUEST = "You cannot decide your own request: another supervisor has to."
REQUEST_SENT = "Sent for approval: a supervisor will approve or reject it."


def _denied(
    actor: User, action: str, submission: Submission, target: Target | None, **why: Any
) -> None:
    event_record(
        action=action,
        outcome=Outcome.DENIED,
        actor=actor,
        context=submission.context,
        params=why,
        target=target,
    )


def request_target(request: ApprovalRequest) -> Target:
    """The account a request is about, as the audit records name it (no full card number)."""
    return Target(account_id=request.account_id, store_group_code=request.store_group_code)


def approval_request(
    submission: Submission,
    *,
    action: str,
    target: Target,
    params: Mapping[str, Any],
    summary: str,
    also_account_id: int | None = None,
) -> ApprovalRequest:
    """Ask for ``action`` on ``target`` with ``params`` (as its audit record would show them)
    to be approved by a second person; ``summary`` says what it does; ``also_account_id``:
    another account the change touches, whose guest page lists the request too. Audited as
    ``approval.request``. A second submit of the same form (its idempotency key) answers the
    first request. Raises ``PermissionDenied`` (recorded) when the requester could not make such
    a change at all, ``ValidationError`` for a missing or wrong reason; ``LookupError`` when
    ``action`` has no approval kind."""
    approval_kind_get(action)
    spec = action_get(action)
    actor = submission.actor
    recorded = {"action": action, **params_scrub(params), "summary": summary}
    request_spec = mutation_check(
        actor=actor,
        action="approval.request",
        target=target,
        params=recorded,
        reason=submission.reason,
        context=submission.context,
    )
    if not user_may(actor, spec.permission):
        _denied(actor, "approval.request", submission, target, missing_permission=spec.permission)
        raise PermissionDenied(f"Your role does not allow this: {spec.label}.")
    reason_check(spec, submission.reason)
    with transaction.atomic(durable=True):
        intent, created = intent_claim(
            actor=actor,
            spec=request_spec,
            target=target,
            params=recorded,
            reason=submission.reason,
            idempotency_key=submission.idempotency_key,
            context=submission.context,
        )
        if not created:
            first = ApprovalRequest.objects.filter(idempotency_key=intent.idempotency_key).first()
            if first is None or first.requester_id != actor.pk:
                raise ValidationError(
                    "This form was already used for a different change. Reload the page and "
                    "try again.",
                    code="idempotency_conflict",
                )
            return first
        request = ApprovalRequest.objects.create(
            action=action,
            summary=summary,
            params=params_scrub(params),
            reason_code=submission.reason.code.strip()[:64],
            reason_text=submission.reason.text.strip(),
            account_id=target.account_id,
            also_account_id=also_account_id,
            card_masked=card_mask(target.printed_card_number),
            card_hash=card_hash(target.printed_card_number),
            store_group_code=target.store_group_code,
            requester=actor,
            requester_username=actor.get_username(),
            idempotency_key=submission.idempotency_key,
            request_record_id=intent.pk,
        )
        outcome_record(
            intent=intent,
            outcome=Outcome.SUCCEEDED,
            upstream_result="recorded",
            params={"approval_request": request.pk},
            context=submission.context,
        )
    logger.info("approval requested: request=%d action=%s by=%s", request.pk, action, actor)
    return request


def _approved_by(request: ApprovalRequest, actor: User) -> bool:
    return request.status == Status.APPROVED and request.decided_by_id == actor.pk


def _decided(request: ApprovalRequest) -> ChangeOutcome:
    """A request decided (or withdrawn) before this submit: what became of it, and by whom."""
    word = Status(request.status).label.lower()
    return ChangeOutcome(
        outcome=Outcome.FAILED,
        message=f"This request was already {word} by {request.decided_by_username}.",
        replayed=True,
        intent_id=request.decision_record_id,
    )


NOT_YOURS = "Only the person who asked for it can withdraw a request."
WITHDRAWN = "Request withdrawn: nobody can approve it now."


def _decided_by_key(request: ApprovalRequest, submission: Submission) -> bool:
    """Whether ``submission`` is the one that decided (or withdrew) ``request``: the same form
    sent again."""
    if request.decision_record_id is None:
        return False
    key = AuditRecord.objects.filter(pk=request.decision_record_id).values_list(
        "idempotency_key", flat=True
    )
    return key.first() == submission.idempotency_key


def approval_withdraw(submission: Submission, request_id: int) -> ChangeOutcome:
    """Take back request ``request_id``, as its requester, before anyone decides it (the
    reason, optional, is kept with it). Audited as ``approval.withdraw``. The same form sent
    again answers the first withdrawal; any other, like a request decided meanwhile, says what
    became of it and by whom (its reason is not recorded). Raises
    ``PermissionDenied`` (recorded) for anyone else, and ``ApprovalRequest.DoesNotExist`` for
    an unknown request."""
    actor = submission.actor
    request = ApprovalRequest.objects.get(pk=request_id)
    target = request_target(request)
    if request.requester_id != actor.pk:
        _denied(
            actor,
            "approval.withdraw",
            submission,
            target,
            approval_request=request.pk,
            not_requester=True,
        )
        raise PermissionDenied(NOT_YOURS)
    params = {"approval_request": request.pk, "action": request.action}
    spec = mutation_check(
        actor=actor,
        action="approval.withdraw",
        target=target,
        params=params,
        reason=submission.reason,
        context=submission.context,
    )
    with transaction.atomic(durable=True):
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if not request.is_open:
            if request.status == Status.WITHDRAWN and _decided_by_key(request, submission):
                return ChangeOutcome(
                    outcome=Outcome.SUCCEEDED,
                    message=WITHDRAWN,
                    replayed=True,
                    intent_id=request.decision_record_id,
                )
            return _decided(request)
        intent_id = _close(request, Status.WITHDRAWN, submission, spec, target, params)
    logger.info("approval withdrawn: request=%d by=%s", request.pk, actor)
    return ChangeOutcome(outcome=Outcome.SUCCEEDED, message=WITHDRAWN, intent_id=intent_id)


def _close(
    request: ApprovalRequest,
    status: Status,
    submission: Submission,
    spec: ActionSpec,
    target: Target,
    params: Mapping[str, Any],
) -> int:
    """Record the decision (or withdrawal) on the open ``request``, locked by the caller's
    transaction: its audit intent and outcome, and who, when and why on the request. Answers
    the intent's id."""
    actor = submission.actor
    intent, _ = intent_claim(
        actor=actor,
        spec=spec,
        target=target,
        params=params,
        reason=submission.reason,
        idempotency_key=submission.idempotency_key,
        context=submission.context,
    )
    request.status = status
    request.decided_by = actor
    request.decided_by_username = actor.get_username()
    request.decided_at = timezone.now()
    request.decision_reason = submission.reason.text.strip()
    request.decision_record_id = intent.pk
    request.save()
    outcome_record(
        intent=intent,
        outcome=Outcome.SUCCEEDED,
        upstream_result="recorded",
        context=submission.context,
    )
    return int(intent.pk)


def approval_decide(submission: Submission, request_id: int, *, approve: bool) -> ChangeOutcome:
    """Approve or reject request ``request_id`` as ``submission.actor``, with its reason.

    Approving runs the change through the door as the approver's action (the kind's ``run``);
    the answer is that change's ``ChangeOutcome``, also kept on the request for the requester
    to see. Rejecting answers a success that says so. Submitting the same decision again (a
    double click, or "check again" after an unknown outcome) runs nothing twice: the change's
    idempotency key is fixed for the request, so the door answers the first outcome (settling
    it if it was unknown). Raises ``PermissionDenied`` (recorded) for the requester themself or
    a role that may not decide, ``ValidationError`` without a reason, and
    ``ApprovalRequest.DoesNotExist`` for an unknown request.
    """
    actor = submission.actor
    decision = "approval.approve" if approve else "approval.reject"
    request = ApprovalRequest.objects.get(pk=request_id)
    target = request_target(request)
    if request.requester_id == actor.pk:
        _denied(actor, decision, submission, target, approval_request=request.pk, own_request=True)
        raise PermissionDenied(OWN_REQUEST)
    params = {"approval_request": request.pk, "action": request.action}
    spec = mutation_check(
        actor=actor,
        action=decision,
        target=target,
        params=params,
        reason=submission.reason,
        context=submission.context,
    )
    kind = approval_kind_get(request.action)
    change = action_get(request.action)
    if approve and not user_may(actor, change.permission):
        _denied(
            actor,
            decision,
            submission,
            target,
            approval_request=request.pk,
            missing=change.permission,
        )
        raise PermissionDenied(f"Your role does not allow this: {change.label}.")
    with transaction.atomic(durable=True):
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.is_open:
            status = Status.APPROVED if approve else Status.REJECTED
            _close(request, status, submission, spec, target, params)
        elif not (approve and _approved_by(request, actor)):
            return _decided(request)
    if not approve:
        return ChangeOutcome(
            outcome=Outcome.SUCCEEDED,
            message=f"Request rejected. {request.requester_username} will see why.",
            intent_id=request.decision_record_id,
        )
    return _run(kind_run=kind.run, submission=submission, request=request)


#: The outcomes a change ends in; an unknown one is settled into one of them later.
FINAL = (Outcome.SUCCEEDED, Outcome.FAILED)
#: After "not known yet": what the approver can do.
LOOK_AGAIN = "The console reads it back from the loyalty system by itself; look again later."


def _change_latest(request: ApprovalRequest) -> AuditRecord | None:
    """The latest outcome of the change an earlier run of ``request`` sent through the door, as
    its audit record is now (the door or the reconciler may have settled it since the run);
    None when no run reached the door or no outcome is recorded yet."""
    if request.change_record_id is None:
        return None
    intent = AuditRecord.objects.filter(pk=request.change_record_id, kind=Kind.INTENT).first()
    return latest_outcome(intent) if intent is not None else None


def _ended(request: ApprovalRequest, latest: AuditRecord) -> ChangeOutcome:
    """A change that ended: in the run's own words, or, settled since (the run's words were
    "not known yet"), as the read back found it."""
    if latest.outcome == request.change_outcome:
        message = request.change_message
    else:
        done = "Done" if latest.outcome == Outcome.SUCCEEDED else "Not done"
        message = f"{done}, as the loyalty system shows it now."
    return ChangeOutcome(
        outcome=latest.outcome, message=message, replayed=True, intent_id=request.change_record_id
    )


def _still_open(
    request: ApprovalRequest, latest: AuditRecord | None, *, refused: str = ""
) -> ChangeOutcome:
    """An earlier run's change may have been applied, and this run stopped before the door:
    that change as it stands, with its record (never "failed": it must not be made again). Not
    in the run's words, which are about its own read (a combined account reads as closed),
    except a refusal of the approver (``refused``), which the approver must see."""
    if latest is not None and latest.outcome == Outcome.NEEDS_REVIEW:
        outcome, then = Outcome.NEEDS_REVIEW, latest.error_message
    else:
        outcome, then = Outcome.UNKNOWN, LOOK_AGAIN
    why = f" This check was refused: {refused}" if refused else ""
    return ChangeOutcome(
        outcome=outcome,
        message=f"The change's outcome is not known yet, and this check sent nothing.{why} {then}",
        intent_id=request.change_record_id,
    )


def _run(kind_run: Any, *, submission: Submission, request: ApprovalRequest) -> ChangeOutcome:
    """Make the approved change as the approver, with the request's reason and a key fixed
    for the request, and keep its outcome on the request. A change that reached the door and
    ended (succeeded or failed, when it was made or settled since) is answered from its audit
    record: a kind's run reads upstream before the door, and what it reads after the change (a
    combined account closed, a deleted guest) must not overwrite how the change went. For the
    same reason a change whose outcome is not known stays so, with its record, when a run
    stops before the door."""
    key = f"approval-{request.pk}"
    if request.change_record_id is None:
        # A run that reached the door but stopped before keeping its outcome on the request
        # (its process died): its change is found by its key, as it would have been kept.
        earlier = intent_of_key(key)
        request.change_record_id = earlier.pk if earlier is not None else None
    latest = _change_latest(request)
    if latest is not None and latest.outcome in FINAL:
        ended = _ended(request, latest)
        if ended.outcome != request.change_outcome:
            _keep(request, ended)
        return ended
    as_approver = Submission(
        actor=submission.actor,
        context=submission.context,
        reason=Reason(code=request.reason_code, text=request.reason_text),
        idempotency_key=key,
    )
    refused = ""
    try:
        outcome: ChangeOutcome = kind_run(as_approver, request)
    except (PermissionDenied, ValidationError) as refusal:
        words = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
        refused = " ".join(words)
        outcome = ChangeOutcome(outcome=Outcome.FAILED, message=refused)
    sent_before = request.change_record_id is not None and (
        latest is None or latest.outcome != Outcome.NEEDS_MORE_INFO
    )
    if sent_before and outcome.intent_id is None:
        outcome = _still_open(request, latest, refused=refused)
    _keep(request, outcome)
    logger.info(
        "approval run: request=%d action=%s outcome=%s", request.pk, request.action, outcome.outcome
    )
    return outcome


def _keep(request: ApprovalRequest, outcome: ChangeOutcome) -> None:
    """What the requester and the request's page see of the change."""
    ApprovalRequest.objects.filter(pk=request.pk).update(
        change_outcome=outcome.outcome,
        change_message=outcome.message,
        change_record_id=outcome.intent_id,
    )
