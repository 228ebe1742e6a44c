"""The audit screens: the filtered log, one change with its intent and outcomes, the export.

Every view of the log is itself recorded (``audit.view``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.audit.export import audit_export_create
from portal.audit.forms import AuditExportForm, AuditFilterForm
from portal.audit.records import event_record
from portal.audit.selectors import AuditFilters, audit_page, audit_story
from portal.staff.access import requires
from portal.web import audit_context, viewer_of


def _cursor(value: str | None) -> int | None:
    # isascii: isdigit accepts "²", which int() refuses; 18 digits: a record id fits 64 bits.
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _list_page(request: HttpRequest, form: AuditFilterForm, filters: AuditFilters) -> HttpResponse:
    if form.errors:
        # A filter that cannot be read shows nothing (not the whole log, as if unfiltered),
        # and offers nothing to export: its errors say what to fix.
        return render(request, "audit/list.html", {"form": form, "filters": filters}, status=422)
    before, after = _cursor(request.GET.get("before")), _cursor(request.GET.get("after"))
    page = audit_page(filters, before=before, after=after)
    event_record(
        action="audit.view",
        actor=request.user,
        context=audit_context(request),
        params={"filters": filters.as_query(), "before": before, "after": after},
    )
    export_form = AuditExportForm()
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "filters": filters,
            "filter_query": urlencode(filters.as_query()),
            "page": page,
            "export_form": export_form,
        },
    )


@require_GET
@requires("view_audit_log")
def record_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else AuditFilters()
    return _list_page(request, form, filters)


@require_POST
@requires("view_audit_log")
def record_search(request: HttpRequest) -> HttpResponse:
    """The filter form posts here, so a card number never appears in a URL or an access log:
    it comes back as a redirect to the list with the card's keyed hash instead."""
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, AuditFilters())
    query = urlencode(form.filters().as_query())
    return HttpResponseRedirect(reverse("audit:list") + (f"?{query}" if query else ""))


@require_GET
@requires("view_audit_log")
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    story = audit_story(record_id)
    if story is None:
        raise Http404("No such audit record.")
    event_record(
        action="audit.view",
        actor=request.user,
        context=audit_context(request),
        params={"record": record_id},
    )
    return render(request, "audit/detail.html", {"story": story, "record": story.record})


@require_POST
@requires("view_audit_log", "export_audit_log")
def export_create(request: HttpRequest) -> HttpResponse:
    form = AuditExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The export could not start: the filters are not valid.")
        return redirect("audit:list")
    try:
        job = audit_export_create(
            owner=viewer_of(request),
            filters=form.filters(),
            idempotency_key=form.cleaned_data["idempotency_key"],
            context=audit_context(request),
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("audit:list")
    return redirect("jobs:detail", job_id=job.pk)
