"""Deny by default: a view is reachable only if it declares who may reach it.

Views declare their policy with one of the decorators below. The middleware refuses every view
that declares nothing, sends anonymous users to the login page, and answers 403 (and signals
``access_denied``, which the audit log records) when the user's role lacks a permission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from django.contrib.auth.views import redirect_to_login
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
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
    return bool(user.is_authenticated) and all(user.has_perm(f"staff.{c}") for c in codenames)


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
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(redirect_to_login(request.get_full_path()).url)
            return redirect_to_login(request.get_full_path())
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
