"""Security events into the audit log: logins, failed logins, logouts, lockouts, denials.

A receiver that cannot write its record raises: a login that cannot be audited does not
happen.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from portal.audit.models import Outcome
from portal.audit.records import event_record
from portal.audit.types import AuditContext
from portal.staff.access import access_denied
from portal.staff.login import typed_username
from portal.web import audit_context


def _context(request: HttpRequest | None) -> AuditContext:
    """Some signals come without a request (a login attempted outside a view)."""
    return audit_context(request) if request is not None else AuditContext.ambient()


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    event_record(
        action="auth.login",
        outcome=Outcome.SUCCEEDED,
        actor=user,
        context=_context(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Only the username (Django has already masked the password in ``credentials``), and only
    # as typed when it is a staff user's: it may be a password or a card number.
    event_record(
        action="auth.login_failed",
        outcome=Outcome.FAILED,
        username=typed_username(credentials.get("username")),
        context=_context(request),
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        event_record(action="auth.logout", actor=user, context=audit_context(request))


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def record_lockout(sender: Any, request: Any, username: Any, **kwargs: Any) -> None:
    # ``username`` is axes' own, already through AXES_USERNAME_CALLABLE (typed_username).
    event_record(
        action="auth.lockout",
        outcome=Outcome.DENIED,
        username=str(username or ""),
        context=_context(request),
    )


@receiver(access_denied, dispatch_uid="audit_access_denied")
def record_access_denied(
    sender: Any, request: Any, path: str, missing: frozenset[str] | None, **kwargs: Any
) -> None:
    event_record(
        action="access.denied",
        outcome=Outcome.DENIED,
        actor=request.user,
        context=_context(request),
        params={"path": path, "method": request.method, "missing": sorted(missing or ())},
    )
