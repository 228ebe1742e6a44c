from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.staff.access import user_may
from portal.staff.idle import session_seconds_left
from portal.staff.roles import PERMISSIONS


class _Capabilities:
    """``{{ can.combine_cards }}`` in templates: lazy, each permission asked once a request
    (``user_may``)."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, codename: str) -> bool:
        if codename not in PERMISSIONS:
            raise AttributeError(codename)
        allowed = user_may(self._user, codename)
        # Found in the instance from now on: ``__getattr__`` is not asked again.
        setattr(self, codename, allowed)
        return allowed


def lockout_policy() -> dict[str, int]:
    """How many failed sign-ins lock an account, and for how long: said on the login pages."""
    return {
        "attempts": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


def staff(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {
        "can": _Capabilities(request.user),
        "lockout": lockout_policy(),
        "idle_minutes": settings.SESSION_IDLE_TIMEOUT // 60,
    }
    if request.user.is_authenticated:
        context["session_seconds"] = session_seconds_left(request.session)
    return context
