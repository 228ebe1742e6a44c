"""Deny by default: a view is reachable only if it declares who may reach it.

Views declare their policy with one of the decorators below. The middleware refuses every view
that declares nothing, sends anonymous users to the login page, and answers 403 (and signals
``access_denied``, which the audit log records) when the user's role lacks a permission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from portal.staff.roles import Role

logger = logging.getLogger(__name__)

PUBLIC: Final = "public"
LOGGED_IN: Final = "logged-in"
ANY_ROLE: Final = "any-role"

#: Sent with ``request``, ``path`` and ``missing`` (the permissions the user lacked).
access_denied = Signal()

ViewFunc = Callable[..., HttpResponseBase]


def public[V: ViewFunc](view: V) -> V:
    """Reachable without logging in (login page, health check)."""
    view.access_policy = PUBLIC  # type: ignore[attr-defined]
    return view


def logged_in[V: ViewFunc](view: V) -> V:
    """Reachable by any logged-in user, even one without a role (logging out)."""
    view.access_policy = LOGGED_IN  # type: ignore[attr-defined]
    return view


def any_role[V: ViewFunc](view: V) -> V:
    """Reachable by any logged-in staff user who has a role."""
    view.access_policy = ANY_ROLE  # type: ignore[attr-defined]
    return view


def requires[V: ViewFunc](*codenames: str) -> Callable[[V], V]:
    """Reachable by users whose role grants every one of the ``staff.<codename>`` permissions."""

    def decorate(view: V) -> V:
        view.access_policy = frozenset(codenames)  # type: ignore[attr-defined]
        return view

    return decorate


def user_may(user: Any, *codenames: str) -> bool:
    """Whether ``user``'s role grants every one of the ``staff.<codename>`` permissions. Each
    answer is kept on the user object (one request's, as Django keeps its permission cache):
    a guest page asks some thirty times, and ``has_perm`` goes through every authentication
    backend each time."""
    if not user.is_authenticated:
        return False
    kept: dict[str, bool] = user.__dict__.setdefault("_staff_may", {})
    for codename in codenames:
        allowed = kept.get(codename)
        if allowed is None:
            allowed = kept[codename] = bool(user.has_perm(f"staff.{codename}"))
        if not allowed:
            return False
    return True


def _return_to(request: HttpRequest) -> str:
    """Where to come back to after signing in: the page, never a POST-only URL. A plain GET
    comes back to itself; an htmx request (a poll, a form sent with htmx) or a form posted
    after the session ended comes back to the page it was sent from (``HX-Current-URL``, else
    ``Referer``) when that is this site; failing that, home."""
    htmx = bool(getattr(request, "htmx", False))
    if request.method in ("GET", "HEAD") and not htmx:
        return request.get_full_path()
    for header in ("HX-Current-URL", "Referer"):
        url = request.headers.get(header, "")
        safe = url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        parts = urlsplit(url)
        # The page a form was re-shown on by its own POST (an error, without htmx) is that
        # POST's URL: no page to come back to.
        if url and safe and parts.path != request.path:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _login_url(request: HttpRequest) -> str:
    """The login page, with where to come back to, and ``expired=1`` when the browser still
    holds a session cookie (its session ended: the login page says so; a signed-out browser
    has none, as logging out deletes it)."""
    query = QueryDict(mutable=True)
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        query["expired"] = "1"
    query["next"] = _return_to(request)
    return f"{resolve_url(settings.LOGIN_URL)}?{query.urlencode(safe='/')}"


def _deny(request: HttpRequest, missing: frozenset[str] | None) -> HttpResponse:
    logger.warning(
        "access denied: user=%s path=%s missing=%s",
        getattr(request.user, "username", "?"),
        request.path,
        ",".join(sorted(missing or ())) or "-",
    )
    access_denied.send(sender=None, request=request, path=request.path, missing=missing)
    return render(request, "403.html", status=403)


class AccessPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: ViewFunc, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        policy = getattr(view_func, "access_policy", None)
        if policy == PUBLIC:
            return None
        user = request.user
        if not user.is_authenticated:
            to_login = _login_url(request)
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(to_login)
            return HttpResponseRedirect(to_login)
        match = request.resolver_match
        if match is not None and match.app_name == "admin":
            # The Django admin checks model permissions itself; only admins get in at all. The
            # role decides, not is_staff alone, so a stray staff flag opens nothing.
            is_admin = user.is_staff and getattr(user, "role", None) is Role.ADMIN
            return None if is_admin else _deny(request, None)
        if policy == LOGGED_IN:
            return None
        if policy is None:
            return _deny(request, None)
        if getattr(user, "role", None) is None:
            return _deny(request, None)
        if getattr(user, "is_store_scoped", False) and user.store_group_code is None:
            # A store manager without a store group would otherwise look up every store's guests.
            return _deny(request, None)
        if policy == ANY_ROLE:
            return None
        missing = frozenset(c for c in policy if not user.has_perm(f"staff.{c}"))
        return _deny(request, missing) if missing else None
