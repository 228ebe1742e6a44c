"""The shell's own views: home (liveness, readiness and metrics are in portal/health.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.staff.access import any_role


@require_GET
@any_role
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
