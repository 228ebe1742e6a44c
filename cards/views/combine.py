"""Combine an attached card (preview, then a job) and the page of a combine job."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cards.forms import CombineCardForm
from cards.limits import combine_needs_approval
from cards.selectors import CombinePreview, card_job_outcome, combine_preview
from cards.services.combine import cards_combine_start, combine_request, combine_waiting
from cards.views.common import card_screen, change_refused
from portal.approvals.services import REQUEST_SENT
from portal.audit.door import LimitExceededError
from portal.jobs.views import progress_context
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    form_response,
    redirect_after_change,
    submission_of,
    viewer_of,
)


def _combine_context(
    request: HtmxHttpRequest, preview: CombinePreview, form: CombineCardForm, error: str = ""
) -> dict[str, Any]:
    return {
        "preview": preview,
        "guest": preview.guest,
        "card": preview.card,
        "form": form,
        "error": error,
        # The viewer's combines are approval requests (cards.limits): said before.
        "needs_approval": combine_needs_approval(viewer_of(request)),
        # A request to combine this card already waits: the screen points to it, no form.
        "waiting": combine_waiting(preview.card) if preview.combinable else None,
    }


def _preview(
    request: HtmxHttpRequest, account_id: int, masked: str, *, fresh: bool = True
) -> CombinePreview:
    return combine_preview(
        viewer=viewer_of(request), account_id=account_id, masked_card_number=masked, fresh=fresh
    )


@require_GET
@requires("combine_cards")
@card_screen
def card_combine_form(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    """Is the account combinable, the balances before and after, the warning, and the reason."""
    preview = _preview(request, account_id, masked)
    context = _combine_context(request, preview, CombineCardForm())
    return render(request, "cards/combine.html", context)


@require_POST
@requires("combine_cards")
@card_screen
def card_combine_submit(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    """The combine as a job, or, for a role whose combines a supervisor approves, the request
    (then its page, where the requester later sees how it went)."""
    form = CombineCardForm(request.POST)
    valid = form.is_valid()
    # A form shown again with its errors takes the figures just shown from the cache.
    preview = _preview(request, account_id, masked, fresh=valid)
    context = _combine_context(request, preview, form)
    if not preview.combinable:
        context["error"] = preview.why_not
        return form_response(request, "cards/combine.html", context, status=409)
    if not valid:
        return form_response(request, "cards/combine.html", context, status=422)
    submission = submission_of(request, form)
    try:
        if context["needs_approval"]:
            asked = combine_request(submission, preview=preview)
            messages.info(request, f"{REQUEST_SENT} Nothing is combined until then.")
            return redirect_after_change(request, reverse("approvals:detail", args=[asked.pk]))
        job = cards_combine_start(
            submission,
            guest=preview.guest,
            card=preview.card,
            main_account_id=preview.main_account_id,
        )
    except LimitExceededError as over:
        context["error"] = over.sentence
        return form_response(request, "cards/combine.html", context, status=403)
    except ValidationError as refusal:
        return change_refused(request, "cards/combine.html", context, refusal)
    return redirect_after_change(request, reverse("cards:job", args=[job.pk]))


@require_GET
@requires("view_jobs")
def card_job(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    """A combine job: its progress, then the surviving account and its balances as upstream
    shows them now."""
    outcome = card_job_outcome(owner=viewer_of(request), job_id=job_id)
    if outcome is None:
        raise Http404("No such job.")
    return render(request, "cards/job.html", progress_context(outcome.job) | {"outcome": outcome})
