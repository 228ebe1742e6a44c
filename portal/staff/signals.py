"""Every login, failed login and logout goes to the log (and, through audit, to the record)."""

from __future__ import annotations

import logging
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.metrics import lockouts, logins
from portal.staff.login import typed_username

logger = logging.getLogger("portal.staff.login")


def client_ip(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


@receiver(user_logged_in)
def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    logger.info("login succeeded: user=%s ip=%s", user.get_username(), client_ip(request))
    logins.labels("succeeded").inc()


@receiver(user_login_failed)
def log_login_failure(
    sender: Any, credentials: dict[str, Any], request: Any, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; the username typed may be a
    # password or a card number, so only a known staff username is logged as typed.
    logger.warning(
        "login failed: user=%s ip=%s",
        typed_username(credentials.get("username")),
        client_ip(request),
    )
    logins.labels("failed").inc()


@receiver(user_locked_out)
def count_lockout(sender: Any, **kwargs: Any) -> None:
    lockouts.inc()


@receiver(user_logged_out)
def log_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        logger.info("logout: user=%s ip=%s", user.get_username(), client_ip(request))
