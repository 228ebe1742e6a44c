"""Writes on staff users."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum

from portal.audit.models import Outcome
from portal.audit.records import event_record
from portal.audit.types import AuditContext
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


def staff_unlock(*, actor: User | None, user: User, context: AuditContext) -> int:
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
            context=context,
            params={
                "user": user.username,
                "before": {"failed_sign_ins": failures},
                "after": {"failed_sign_ins": 0},
            },
        )
    return int(failures)


def staff_snapshot(user: User) -> dict[str, Any]:
    """What the audit keeps of a staff user before and after a change, read fresh."""
    fresh = User.objects.get(pk=user.pk)
    names = set(fresh.groups.values_list("name", flat=True))
    return {
        "role": next((role.value for role in Role if role.value in names), None),
        "store_group_code": fresh.store_group_code,
        "is_active": fresh.is_active,
        "username": fresh.username,
        "email": fresh.email,
        "first_name": fresh.first_name,
        "last_name": fresh.last_name,
    }


#: One audit action per kind of staff change, and the fields it covers.
_CHANGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("staff.role_changed", ("role",)),
    ("staff.store_group_changed", ("store_group_code",)),
    ("staff.deactivated", ("is_active",)),
    ("staff.details_changed", ("username", "email", "first_name", "last_name")),
)


def staff_change_record(
    *,
    actor: User | None,
    context: AuditContext,
    user: User,
    before: dict[str, Any] | None,
    actor_name: str = "",
) -> list[str]:
    """Record an admin's change of ``user`` (``before``: its ``staff_snapshot`` before the
    change, None for a new user): ``staff.created``, or one record per kind of change, each
    with the changed fields before and after. Keeps admin-site access (``is_staff``) in step
    with the role. ``actor_name`` names a change with no staff actor (a command). Returns the
    actions recorded."""
    after = staff_snapshot(user)
    User.objects.filter(pk=user.pk).update(is_staff=after["role"] == Role.ADMIN.value)
    events: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    if before is None:
        events.append(("staff.created", {}, after))
    else:
        for action, fields in _CHANGES:
            changed = [name for name in fields if before[name] != after[name]]
            if changed:
                if action == "staff.deactivated" and after["is_active"]:
                    action = "staff.reactivated"
                old = {name: before[name] for name in changed}
                events.append((action, old, {name: after[name] for name in changed}))
    for action, old, new in events:
        event_record(
            action=action,
            actor=actor,
            username=actor_name,
            context=context,
            params={"user": after["username"], "before": old, "after": new},
        )
    return [action for action, _, _ in events]


def staff_password_reset_record(
    *, actor: User | None, context: AuditContext, user: User, password_before: str
) -> bool:
    """Record an admin's reset of ``user``'s password (never the password, nor its hash) if
    it changed from ``password_before`` (the stored hash before). True if it did."""
    fresh = User.objects.get(pk=user.pk)
    if fresh.password == password_before:
        return False
    had_password = bool(password_before) and not password_before.startswith("!")
    event_record(
        action="staff.password_reset",
        actor=actor,
        context=context,
        params={
            "user": fresh.username,
            "before": {"sign_in": "with a password" if had_password else "disabled"},
            "after": {"sign_in": "with a password" if fresh.has_usable_password() else "disabled"},
        },
    )
    return True


def staff_change_refuse(
    *, actor: User | None, context: AuditContext, target_id: str, fields: list[str]
) -> None:
    """Record a refused staff change (a loose permission, superuser, or one's own role) and
    raise ``PermissionDenied``: roles are the only permission model, and nobody grants their
    own."""
    event_record(
        action="staff.change_refused",
        outcome=Outcome.DENIED,
        actor=actor,
        context=context,
        params={"user_id": target_id, "fields": sorted(fields)},
    )
    raise PermissionDenied("These fields cannot be changed here: " + ", ".join(sorted(fields)))
