"""The approval queue (supervisors), a request's page with approve / reject (or, for its
requester while it waits, withdraw), and the requester's own requests with how each went."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.approvals.forms import DecisionForm, WithdrawForm
from portal.approvals.kinds import approval_kind_get
from portal.approvals.models import ApprovalRequest
from portal.approvals.selectors import (
    ApprovalNotFoundError,
    decided_requests,
    open_requests,
    request_for,
    requests_of,
    with_later,
)
from portal.approvals.services import approval_decide, approval_withdraw
from portal.audit.actions import action_get, reason_parts
from portal.audit.outcome import ChangeOutcome
from portal.staff.access import requires, user_may
from portal.web import (
    HtmxHttpRequest,
    form_response,
    redirect_after_change,
    submission_of,
    viewer_of,
)


@require_GET
@requires("request_approvals")
def approval_queue(request: HtmxHttpRequest) -> HttpResponse:
    """Approvers see what waits and what was decided lately; everyone sees their own."""
    viewer = viewer_of(request)
    approver = user_may(viewer, "approve_requests")
    context = {
        "approver": approver,
        "open": list(open_requests()) if approver else [],
        "decided": with_later(decided_requests()) if approver else [],
        "mine": with_later(requests_of(viewer)),
    }
    return render(request, "approvals/queue.html", context)


def _request_or_404(request: HtmxHttpRequest, request_id: int) -> ApprovalRequest:
    try:
        return with_later([request_for(viewer_of(request), request_id)])[0]
    except ApprovalNotFoundError:
        raise Http404("There is no such request.") from None


def _detail_context(
    request: HtmxHttpRequest,
    found: ApprovalRequest,
    form: DecisionForm,
    error: str = "",
    withdraw_form: WithdrawForm | None = None,
) -> dict[str, Any]:
    viewer = viewer_of(request)
    approver = user_may(viewer, "approve_requests")
    own = found.requester_id == viewer.pk
    # The approver may look again when the change's outcome is not known yet, or when it
    # never reached the door (upstream could not be read): the key fixed for the request
    # makes that a settling read or the first attempt, never a second change.
    rerun = (
        found.status == "approved"
        and found.decided_by_id == viewer.pk
        and (found.change_outcome in ("unknown", "pending") or found.change_record_id is None)
    )
    label = action_get(found.action).reason_label(found.reason_code)
    kind = approval_kind_get(found.action)
    may_decide = approver and not own and found.is_open
    return {
        "req": found,
        "reason": " · ".join(
            reason_parts(label or found.reason_code, found.reason_code, found.reason_text)
        ),
        "description": kind.describe(found),
        # The decision's message at the top already says what came of the change: its line
        # under the status is not drawn again on that page (it is on every later view).
        "said_above": bool(found.change_message)
        and any(str(message) == found.change_message for message in get_messages(request)),
        # What stands now, for the one who decides (a read the guest page would make).
        "now": kind.now(found, viewer) if may_decide and kind.now is not None else "",
        "form": form,
        "may_decide": may_decide,
        "may_check_again": rerun,
        "may_withdraw": own and found.is_open,
        "withdraw_form": withdraw_form or WithdrawForm(),
        "own": own,
        "error": error,
    }


@require_GET
@requires("request_approvals")
def approval_detail(request: HtmxHttpRequest, request_id: int) -> HttpResponse:
    found = _request_or_404(request, request_id)
    return render(request, "approvals/detail.html", _detail_context(request, found, DecisionForm()))


@require_POST
@requires("approve_requests")
def approval_decide_submit(request: HtmxHttpRequest, request_id: int) -> HttpResponse:
    found = _request_or_404(request, request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, found, form)
        return form_response(request, "approvals/detail.html", context, status=422)
    try:
        outcome = approval_decide(submission_of(request, form), request_id, approve=form.approve)
    except (PermissionDenied, ValidationError) as refusal:
        words = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
        context = _detail_context(request, found, form, " ".join(words))
        return form_response(request, "approvals/detail.html", context, status=403)
    return _said(request, outcome, request_id)


def _said(request: HtmxHttpRequest, outcome: ChangeOutcome, request_id: int) -> HttpResponse:
    """Back to the request's page, which says how the decision (or withdrawal) went."""
    if outcome.ok:
        messages.success(request, outcome.message)
    elif outcome.level == "warning":
        messages.warning(request, outcome.message)
    else:
        messages.error(request, outcome.message)
    return redirect_after_change(request, reverse("approvals:detail", args=[request_id]))


@require_POST
@requires("request_approvals")
def approval_withdraw_submit(request: HtmxHttpRequest, request_id: int) -> HttpResponse:
    """The requester takes their request back, before anyone decides it."""
    found = _request_or_404(request, request_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, found, DecisionForm(), withdraw_form=form)
        return form_response(request, "approvals/detail.html", context, status=422)
    try:
        outcome = approval_withdraw(submission_of(request, form), request_id)
    except (PermissionDenied, ValidationError) as refusal:
        words = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
        context = _detail_context(request, found, DecisionForm(), " ".join(words))
        return form_response(request, "approvals/detail.html", context, status=403)
    return _said(request, outcome, request_id)
