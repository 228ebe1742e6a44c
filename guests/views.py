from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.staff.access import requires


@require_GET
@requires("lookup_guests")
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "guests/search.html", {"query": request.GET.get("q", "").strip()})
