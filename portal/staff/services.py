"""Writes on staff users."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest

from portal.audit.services import event_record
from portal.staff.login import typed_username
from portal.staff.models import User
from portal.staff.roles import Role


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: Role,
    password: str,
    store_group_code: int | None = None,
    email: str = "",
    validate: bool = True,
) -> User:
    """Create a staff user with exactly one role.

    A store manager must have a store group; nobody else may. Raises ``ValidationError`` with
    a message fit for the console when the input is wrong; nothing is written then.
    """
    if role is Role.STORE_MANAGER and store_group_code is None:
        raise ValidationError("A store manager needs --store-group (a Paytronix store group code).")
    if role is not Role.STORE_MANAGER and store_group_code is not None:
        raise ValidationError("Only store managers have a store group.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"A staff user named {username!r} already exists.")
    user = User(
        username=username,
        email=email,
        store_group_code=store_group_code,
        is_staff=role is Role.ADMIN,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=role.value)])
    return user


def staff_unlock(*, actor: Any, user: User, request: HttpRequest | None) -> int:
    """Clear ``user``'s failed sign-ins (every address), so a locked account signs in again;
    recorded as ``staff.unlocked`` with the failures before and after. Returns how many failed
    sign-ins were cleared."""
    name = typed_username(user.username)
    attempts = AccessAttempt.objects.filter(username=name)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    with transaction.atomic():
        axes_reset(username=name)
        event_record(
            action="staff.unlocked",
            actor=actor,
            request=request,
            params={
                "user": user.username,
                "before": {"failed_sign_ins": failures},
                "after": {"failed_sign_ins": 0},
            },
        )
    return int(failures)
