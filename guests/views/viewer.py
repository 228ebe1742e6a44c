"""The request as the guests views see it: typed ``request.htmx``, and the staff user."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from portal.staff.models import User


class HtmxHttpRequest(HttpRequest):
    """An ``HttpRequest`` that went through ``HtmxMiddleware`` (every request does)."""

    htmx: HtmxDetails


def viewer_of(request: HttpRequest) -> User:
    """The logged-in staff user (every guests view is behind an access policy)."""
    user = request.user
    assert isinstance(user, User)
    return user
