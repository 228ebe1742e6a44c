"""The shell's own views: home (liveness, readiness and metrics are in portal/health.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.staff.access import any_role, public


@require_GET
@any_role
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_GET
@public
def favicon(request: HttpRequest) -> FileResponse:
    """``/favicon.ico``, which browsers ask for on their own whatever the pages link to (the
    pages link to the static icons)."""
    icon = settings.BASE_DIR / "static" / "favicon.ico"
    response = FileResponse(icon.open("rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
