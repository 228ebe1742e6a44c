"""Bulk enable and disable: upload, review every problem by line, then start the job."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cards.bulk_file import MAX_FILE_BYTES, BulkAction, BulkFileError
from cards.forms import BulkConfirmForm, BulkUploadActionForm, BulkUploadForm
from cards.models import BulkUpload
from cards.selectors import bulk_upload_of_owner
from cards.services.bulk import (
    bulk_card_status_start,
    bulk_upload_action_choose,
    bulk_upload_create,
)
from portal.staff.access import requires
from portal.web import audit_context, viewer_of


@require_GET
@requires("run_bulk_jobs")
def bulk_upload_form(request: HttpRequest) -> HttpResponse:
    return render(request, "cards/bulk_upload.html", {"form": BulkUploadForm()})


@require_POST
@requires("run_bulk_jobs")
def bulk_upload_submit(request: HttpRequest) -> HttpResponse:
    form = BulkUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "cards/bulk_upload.html", {"form": form}, status=422)
    upload_file = form.cleaned_data["file"]
    try:
        upload = bulk_upload_create(
            owner=viewer_of(request),
            data=upload_file.read(MAX_FILE_BYTES + 1),
            filename=upload_file.name or "",
            action=BulkAction(form.cleaned_data["action"]) if form.cleaned_data["action"] else None,
            reason=form.cleaned_data["reason"],
        )
    except BulkFileError as unusable:
        form.add_error("file", str(unusable))
        return render(request, "cards/bulk_upload.html", {"form": form}, status=422)
    return HttpResponseRedirect(reverse("cards:bulk_review", args=[upload.pk]), status=303)


def _own_upload(request: HttpRequest, upload_id: int) -> BulkUpload:
    upload = bulk_upload_of_owner(owner=viewer_of(request), upload_id=upload_id)
    if upload is None:
        raise Http404("No such upload.")
    return upload


@require_GET
@requires("run_bulk_jobs")
def bulk_review(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Every problem of the file with its line number; nothing runs until Start."""
    upload = _own_upload(request, upload_id)
    if upload.job is not None:
        return HttpResponseRedirect(reverse("jobs:detail", args=[upload.job.pk]))
    return render(request, "cards/bulk_review.html", _review_context(upload, BulkConfirmForm()))


def _review_context(
    upload: BulkUpload, form: BulkConfirmForm, action_form: BulkUploadActionForm | None = None
) -> dict[str, Any]:
    # The check reads the file, not upstream: how a wrong file of unknown cards ends is said.
    return {
        "upload": upload,
        "form": form,
        "action_form": action_form or BulkUploadActionForm(),
        "stop_after": settings.JOBS_STOP_AFTER_SAME_FAILURES,
    }


@require_POST
@requires("run_bulk_jobs")
def bulk_action_choose(request: HttpRequest, upload_id: int) -> HttpResponse:
    """The rows that name no action get the one chosen here; back to the review."""
    upload = _own_upload(request, upload_id)
    if upload.job is not None:
        return HttpResponseRedirect(reverse("jobs:detail", args=[upload.job.pk]))
    action_form = BulkUploadActionForm(request.POST)
    if not action_form.is_valid():
        context = _review_context(upload, BulkConfirmForm(), action_form)
        return render(request, "cards/bulk_review.html", context, status=422)
    bulk_upload_action_choose(upload=upload, action=BulkAction(action_form.cleaned_data["action"]))
    return HttpResponseRedirect(reverse("cards:bulk_review", args=[upload.pk]), status=303)


@require_POST
@requires("run_bulk_jobs")
def bulk_start(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = _own_upload(request, upload_id)
    form = BulkConfirmForm(request.POST)
    context = _review_context(upload, form)
    if not form.is_valid():
        return render(request, "cards/bulk_review.html", context, status=422)
    try:
        job = bulk_card_status_start(
            owner=viewer_of(request),
            context=audit_context(request),
            upload=upload,
            skip_bad_rows=form.cleaned_data["skip_bad_rows"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return render(request, "cards/bulk_review.html", context, status=422)
    return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]), status=303)
