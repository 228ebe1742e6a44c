"""A staff user's groups (their role) and permissions: from the database once, then the cache.

Every request needs them (the access policy, the navigation, the page's actions), and Django
reads them with three queries each time (the user's groups, the user's permissions, the
groups' permissions). Here one query pair fills a cache entry per user, kept for
``STAFF_ACCESS_SECONDS``, versioned and signed (``portal.versioned``): a change to a user,
their groups, a group's permissions or a permission, made through Django's signals, replaces
the user's version at once and again on commit, so no request can serve (or cache for later)
the access from before it; an entry written to the cache by anyone else reads as a miss. A
change that sends no signal (``QuerySet.update``, raw SQL) waits up to
``STAFF_ACCESS_SECONDS``. The user row itself is still read every request, so a deactivated
user is out at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from portal.requestscope import request_forget, request_scoped
from portal.staff.roles import ROLE_PERMISSIONS
from portal.versioned import versioned_bump, versioned_get, versioned_set


@dataclass(frozen=True)
class StaffAccess:
    groups: frozenset[str]
    #: ``app_label.codename`` of every permission the user has, directly or through a group.
    permissions: frozenset[str]


#: The roles' definitions as this code has them: part of every entry's name, so that the first
#: request after a deploy that changes them (a migration syncing the role groups sends none of
#: the signals that drop entries) never reads access cached before it.
_ROLES = hashlib.blake2b(
    repr(sorted((role.value, sorted(perms)) for role, perms in ROLE_PERMISSIONS.items())).encode(),
    digest_size=6,
).hexdigest()


def _name(user_id: int) -> str:
    return f"staff-access:{_ROLES}:{int(user_id)}"


def _read(user: Any) -> StaffAccess:
    groups = frozenset(user.groups.values_list("name", flat=True))
    found = Permission.objects.all()
    if not user.is_superuser:
        found = found.filter(Q(user=user) | Q(group__user=user))
    pairs = found.values_list("content_type__app_label", "codename").distinct()
    return StaffAccess(groups=groups, permissions=frozenset(f"{a}.{c}" for a, c in pairs))


def staff_access(user: Any) -> StaffAccess:
    """``user``'s groups and permissions (cached; see the module's note), once per request."""
    return request_scoped(_name(user.pk), lambda: _cached(user))


def _cached(user: Any) -> StaffAccess:
    name = _name(user.pk)
    version, stored = versioned_get(name)
    if isinstance(stored, dict):
        return StaffAccess(frozenset(stored["groups"]), frozenset(stored["permissions"]))
    access = _read(user)
    entry = {"groups": sorted(access.groups), "permissions": sorted(access.permissions)}
    versioned_set(name, version, entry, timeout=settings.STAFF_ACCESS_SECONDS)
    return access


def staff_access_forget(user_ids: list[int]) -> None:
    """These users' access changed: what was cached of it is never served again."""
    names = [_name(pk) for pk in user_ids]
    for name in names:
        request_forget(name)
    versioned_bump(names)


def _everyone() -> list[int]:
    from portal.staff.models import User

    return list(User.objects.values_list("pk", flat=True))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # a sign-in (Django's update_last_login) changes no access
    staff_access_forget([instance.pk])


@receiver(m2m_changed)
def _links_changed(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    from portal.staff.models import User

    if not action.startswith("post_"):
        return
    if sender in (User.groups.through, User.user_permissions.through):
        # From the user's side the instance is the user; from the group's or permission's
        # side, the users are the ones named (all of them for a clear).
        if not reverse:
            staff_access_forget([instance.pk])
        else:
            staff_access_forget(list(kwargs.get("pk_set") or ()) or _everyone())
    elif sender is Group.permissions.through:
        staff_access_forget(_everyone())


@receiver(post_save, sender=Group)
@receiver(post_delete, sender=Group)
@receiver(post_save, sender=Permission)
@receiver(post_delete, sender=Permission)
def _grants_changed(sender: Any, **kwargs: Any) -> None:
    staff_access_forget(_everyone())
