"""Finding a guest: the global search box and the advanced search form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from guests.forms import AdvancedSearchForm, SearchForm
from guests.messages import explain
from guests.selectors import Query, SearchResult, guests_search
from guests.views.viewer import HtmxHttpRequest, viewer_of
from portal.paytronix.errors import PaytronixError
from portal.staff.access import requires


def _run(request: HtmxHttpRequest, query: Query) -> tuple[SearchResult | None, str]:
    try:
        return guests_search(viewer=viewer_of(request), query=query), ""
    except PaytronixError as error:
        return None, explain(error)


def _respond(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], result: SearchResult | None
) -> HttpResponse:
    if result is not None and result.single is not None:
        return redirect(reverse("guests:guest", args=[result.single.account_id]))
    status = 503 if context.get("problem") else 200
    return render(request, template, {**context, "result": result}, status=status)


@require_GET
@requires("lookup_guests")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """``?q=``: what the caller said, whatever it is. One match opens the guest page."""
    text = request.GET.get("q", "").strip()
    form = SearchForm(request.GET if text else None)
    context: dict[str, Any] = {"form": form, "query": text, "problem": ""}
    if not text or not form.is_valid():
        return render(request, "guests/search.html", context)
    result, context["problem"] = _run(request, form.cleaned_data["q"])
    return _respond(request, "guests/search.html", context, result)


@require_GET
@requires("lookup_guests")
def advanced_search(request: HtmxHttpRequest) -> HttpResponse:
    """Each field on its own; any mix of email, phone, name and postal code together."""
    given = any(request.GET.get(name, "").strip() for name in AdvancedSearchForm.base_fields)
    form = AdvancedSearchForm(
        request.GET if given else None,
        initial={"eclub_template": settings.GUESTS_ECLUB_TEMPLATE_CODE},
    )
    context: dict[str, Any] = {"form": form, "advanced": True, "problem": ""}
    if not given or not form.is_valid():
        return render(request, "guests/search.html", context)
    result, context["problem"] = _run(request, form.cleaned_data["query"])
    return _respond(request, "guests/search.html", context, result)
