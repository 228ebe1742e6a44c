"""Ceilings: the least a view can cost under the same server, middleware and login.

* ``trivial``: a Django view that answers a constant.
* ``rows``: a template of 200 rows of five cells (the size of a full guest page's tables).
* ``one_call``: one upstream read (accountInformationById of the demo account), no cache.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.http import require_GET

from portal.paytronix.client import client_from_settings
from portal.sandbox import demo
from portal.staff.access import requires

_ROWS_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>rows</title><table>"
    "{% for row in rows %}<tr><td>{{ row.0 }}</td><td>{{ row.1 }}</td><td>{{ row.2 }}</td>"
    "<td>{{ row.3|floatformat:2 }}</td><td>{{ row.4|date:'Y-m-d H:i' }}</td></tr>{% endfor %}"
    "</table>"
)


@require_GET
@requires("lookup_guests")
def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@requires("lookup_guests")
def rows(request: HttpRequest) -> HttpResponse:
    from datetime import UTC, datetime
    from decimal import Decimal

    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    table = [(n, f"Store {n % 17}", f"Check {n * 7}", Decimal(n) / 3, moment) for n in range(200)]
    return HttpResponse(_ROWS_TEMPLATE.render({"rows": table}, request))


@require_GET
@requires("lookup_guests")
def one_call(request: HttpRequest) -> HttpResponse:
    account = client_from_settings().guest.account_information_by_id(
        account_id=demo.DEMO_ACCOUNT_ID
    )
    return HttpResponse(str(account.account_id), content_type="text/plain")
