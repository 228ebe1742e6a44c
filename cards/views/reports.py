"""The adjustments report: by reason, agent, store and period, totals per wallet and the
approvals, on screen (filters in the URL) and as CSV (at once, or a job for a large range).
Every look is itself recorded (``report.view``)."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cards.forms import AdjustmentsExportForm, AdjustmentsReportForm
from cards.report_export import adjustments_export_start, csv_write
from cards.reports import AdjustmentFilters, adjustment_lines, adjustments_report, lines_count
from portal.audit.records import event_record
from portal.staff.access import requires
from portal.web import audit_context, viewer_of


def _seen(request: HttpRequest, filters: AdjustmentFilters, what: str) -> None:
    event_record(
        action="report.view",
        actor=request.user,
        context=audit_context(request),
        params={"report": "adjustments", "as": what, "filters": filters.as_query()},
    )


@require_GET
@requires("view_reports")
def adjustments_report_page(request: HttpRequest) -> HttpResponse:
    form = AdjustmentsReportForm(request.GET or None)
    report = None
    if not request.GET or form.is_valid():
        filters = form.filters() if form.is_bound else AdjustmentFilters()
        report = adjustments_report(filters)
        _seen(request, filters, "screen")
    export_form = AdjustmentsExportForm(initial=dict(request.GET.items()))
    return render(
        request,
        "cards/adjustments_report.html",
        {"form": form, "report": report, "export_form": export_form},
    )


@require_POST
@requires("view_reports")
def adjustments_report_export(request: HttpRequest) -> HttpResponse:
    """The CSV of the posted filters: written now for up to ``REPORT_CSV_INLINE_ROWS``
    adjustments and voids, else queued as a job (its page offers the file)."""
    form = AdjustmentsExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The CSV could not be made: the filters are not valid.")
        return redirect("cards:adjustments_report")
    filters = form.filters()
    if lines_count(filters) > settings.REPORT_CSV_INLINE_ROWS:
        try:
            job = adjustments_export_start(
                owner=viewer_of(request),
                filters=filters,
                idempotency_key=form.cleaned_data["idempotency_key"],
                context=audit_context(request),
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("cards:adjustments_report")
        return redirect("jobs:detail", job_id=job.pk)
    out = io.StringIO()
    csv_write(out, adjustment_lines(filters))
    _seen(request, filters, "csv")
    name = f"adjustments-{timezone.localdate():%Y%m%d}.csv"
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
