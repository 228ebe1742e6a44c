"""The guest's timeline: one chronological list of what happened to the account, filtered from
the query string (so a reload or Back shows the same list)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from guests.forms import TimelineFilterForm
from guests.selectors.timeline import guest_timeline
from guests.views.page import guest_errors
from portal.staff.access import requires, user_may
from portal.web import HtmxHttpRequest, viewer_of

TIMELINE_TEMPLATE = "guests/timeline.html"


@require_GET
@requires("lookup_guests")
@guest_errors
def timeline(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The timeline page; for htmx (the filters), only its list."""
    form = TimelineFilterForm(request.GET or None)
    context = {
        "account_id": account_id,
        "form": form,
        "timeline": guest_timeline(
            viewer=viewer_of(request), account_id=account_id, query=form.timeline_query()
        ),
        "may_read_audit": user_may(request.user, "view_audit_log"),
    }
    template = f"{TIMELINE_TEMPLATE}#timeline-body" if request.htmx else TIMELINE_TEMPLATE
    return render(request, template, context)
