"""Request ids: one per request, on the response, in every log line, in audit records; and
the request's memo (``portal.requestscope``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from portal.requestscope import request_scope, run_after_response

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# Accept a caller's id (from a proxy) only when it looks like one, so logs cannot be forged.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            with request_scope(after_response=True):
                response = self.get_response(request)
            if _leads_on(response):
                # The browser asks for the next page at once, which may need what this
                # request left for after the response (a search's reads for the guest page).
                run_after_response()
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _leads_on(response: HttpResponse) -> bool:
    """A redirect, or htmx told to load another address or this one again."""
    return 300 <= response.status_code < 400 or any(
        name in response for name in ("HX-Redirect", "HX-Location", "HX-Refresh")
    )


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in user and on every
    download: guest data, audit records and job results must stay out of the browser's cache
    and any shared proxy (what the next person on the computer could open). Static files are
    served by WhiteNoise before this runs, and keep their long cache lifetime."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        download = response.get("Content-Disposition", "").startswith("attachment")
        if download or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
        return response
