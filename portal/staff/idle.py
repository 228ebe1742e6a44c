"""Idle timeout without a database write per request.

The session cookie and its database row expire SESSION_COOKIE_AGE (the idle timeout) after the
session was last saved. Saving on every request (SESSION_SAVE_EVERY_REQUEST) would write the
session row for every click and every htmx poll; instead the session is marked for saving when
it was last renewed more than RENEW_EVERY seconds ago, so the idle timeout holds to within that.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

RENEW_EVERY = 60
_RENEWED = "_idle_renewed"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(_RENEWED, 0)) >= RENEW_EVERY:
                session[_RENEWED] = now
        return response
