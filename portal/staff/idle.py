"""Idle timeout without a database write per request, and what the browser is told of it.

The session cookie and its database row expire SESSION_COOKIE_AGE (the idle timeout) after the
session was last saved. Saving on every request (SESSION_SAVE_EVERY_REQUEST) would write the
session row for every click and every htmx poll; instead the session is marked for saving when
it was last renewed more than RENEW_EVERY seconds ago, so the idle timeout holds to within that.

The browser (``static/js/app.js``) warns a minute before the session ends and offers to stay
signed in (``session_keepalive``): every page carries the seconds left
(``data-session-seconds`` on ``<body>``, from ``session_seconds_left``), every response the
same in ``X-Session-Expires-In``. A request that arrives after the end goes to the login page
with ``expired=1`` (``portal.staff.access``), which says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from portal.staff.access import logged_in

RENEW_EVERY = 60
_RENEWED = "_idle_renewed"
#: The response header that tells the browser how many seconds the session has left.
EXPIRES_HEADER = "X-Session-Expires-In"


def _renewed_at(session: Mapping[str, Any]) -> int:
    try:
        return int(session.get(_RENEWED, 0))
    except (TypeError, ValueError):
        return 0


def session_seconds_left(session: Mapping[str, Any], *, now: int | None = None) -> int:
    """Seconds until the session ends if nothing else happens, counting this request's own
    renewal (made when the last one is over ``RENEW_EVERY`` seconds old). A lower bound: a
    session saved for another reason lives a little longer."""
    now = int(time.time()) if now is None else now
    renewed = _renewed_at(session)
    if now - renewed >= RENEW_EVERY:
        renewed = now
    return max(0, renewed + settings.SESSION_COOKIE_AGE - now)


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - _renewed_at(session) >= RENEW_EVERY:
                session[_RENEWED] = now
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                response[EXPIRES_HEADER] = str(session_seconds_left(session, now=now))
        return response


@require_POST
@logged_in
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": renew the session now (whatever ``RENEW_EVERY`` says) and answer the
    seconds it has left. An ended session never gets here: the access policy sends it to the
    login page."""
    now = int(time.time())
    request.session[_RENEWED] = now
    return JsonResponse({"expiresIn": session_seconds_left(request.session, now=now)})
