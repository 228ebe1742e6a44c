"""Finding a guest: the global search box and the advanced search form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from guests.forms import AdvancedSearchForm, SearchForm
from guests.selectors import Query, SearchResult, guests_search
from guests.selectors.query import MAX_READINGS
from portal.paytronix.errors import PaytronixError
from portal.sentences import explain
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, viewer_of


def _run(request: HtmxHttpRequest, query: Query) -> tuple[SearchResult | None, str]:
    try:
        return guests_search(viewer=viewer_of(request), query=query), ""
    except PaytronixError as error:
        return None, explain(error)


def _respond(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], result: SearchResult | None
) -> HttpResponse:
    """One match opens the guest page; otherwise the list (or why there is none)."""
    if result is not None and result.single is not None:
        # 303: the browser GETs the guest page, and reloading it does not post the search again.
        return _see_other(reverse("guests:guest", args=[result.single.account_id]))
    status = 503 if context.get("problem") else 200
    return render(request, template, {**context, "result": result}, status=status)


def _see_other(url: str) -> HttpResponse:
    """A 303 redirect: the answer to a POST, followed with a GET."""
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


# Searches are posted: what a caller gives (card number, email, phone) stays out of URLs,
# and so out of browser history, proxy and server logs. GET shows the empty form.


@require_http_methods(["GET", "POST"])
@requires("lookup_guests")
def search(request: HtmxHttpRequest) -> HttpResponse:
    """``q``: what the caller said, whatever it is. One match opens the guest page."""
    text = request.POST.get("q", "").strip() if request.method == "POST" else ""
    # A search sent empty is bound, so that it says what to type (the box is required).
    form = SearchForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {
        "form": form,
        "query": text,
        "problem": "",
        "max_readings": MAX_READINGS,
    }
    if not text or not form.is_valid():
        return render(request, "guests/search.html", context)
    result, context["problem"] = _run(request, form.cleaned_data["q"])
    return _respond(request, "guests/search.html", context, result)


@require_http_methods(["GET", "POST"])
@requires("lookup_guests")
def advanced_search(request: HtmxHttpRequest) -> HttpResponse:
    """Each field on its own; any mix of email, phone, name and postal code together."""
    data = request.POST if request.method == "POST" else {}
    given = any(data.get(name, "").strip() for name in AdvancedSearchForm.base_fields)
    form = AdvancedSearchForm(
        request.POST if given else None,
        initial={"eclub_template": settings.GUESTS_ECLUB_TEMPLATE_CODE},
    )
    context: dict[str, Any] = {"form": form, "advanced": True, "problem": ""}
    if not given or not form.is_valid():
        return render(request, "guests/search.html", context)
    result, context["problem"] = _run(request, form.cleaned_data["query"])
    return _respond(request, "guests/search.html", context, result)
