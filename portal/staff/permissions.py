"""A staff user's groups (their role) and permissions: from the database once, then the cache.

Every request needs them (the access policy, the navigation, the page's actions), and Django
reads them with three queries each time (the user's groups, the user's permissions, the
groups' permissions). Here one query pair fills a cache entry per user, kept for
``STAFF_ACCESS_SECONDS``, versioned and signed (``portal.versioned``). An entry is served only
under the user's own version and the one *grants* version every user's entry shares: a change
to a user or to their own groups or permissions, made through Django's signals, replaces that
user's version; a change to a group, a permission or a group's permissions (which can concern
any user) replaces the grants version, one cache key however many users there are, and every
user's entry then reads as a miss and is read again on its next use. Either is replaced at
once and again on commit, so no request can serve (or cache for later) the access from before
the change; an entry written to the cache by anyone else reads as a miss. A change that sends
no signal (``QuerySet.update``, raw SQL) waits up to ``STAFF_ACCESS_SECONDS``. The user row
itself is still read every request, so a deactivated user is out at once.
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


#: The version every user's entry shares: what groups and permissions grant.
_GRANTS = "staff-access-grants"
#: This request's access, by user id (``request_scoped``): a grants change drops it whole.
_MEMO = "staff-access"


def _name(user_id: int) -> str:
    return f"staff-access:{_ROLES}:{int(user_id)}"


def _versioned_get(user_id: int) -> tuple[str, Any]:
    """The version ``user_id``'s entry is read under (theirs and the grants') and the entry."""
    return versioned_get(_name(user_id), shared=[_GRANTS])


def _read(user: Any) -> StaffAccess:
    groups = frozenset(user.groups.values_list("name", flat=True))
    found = Permission.objects.all()
    if not user.is_superuser:
        found = found.filter(Q(user=user) | Q(group__user=user))
    pairs = found.values_list("content_type__app_label", "codename").distinct()
    return StaffAccess(groups=groups, permissions=frozenset(f"{a}.{c}" for a, c in pairs))


def staff_access(user: Any) -> StaffAccess:
    """``user``'s groups and permissions (cached; see the module's note), once per request."""
    # Outside a request the memo is a new dict every time: computed every time.
    memo: dict[int, StaffAccess] = request_scoped(_MEMO, dict)
    if user.pk not in memo:
        memo[user.pk] = _cached(user)
    return memo[user.pk]


def _cached(user: Any) -> StaffAccess:
    version, stored = _versioned_get(user.pk)
    if isinstance(stored, dict):
        return StaffAccess(frozenset(stored["groups"]), frozenset(stored["permissions"]))
    access = _read(user)
    entry = {"groups": sorted(access.groups), "permissions": sorted(access.permissions)}
    versioned_set(_name(user.pk), version, entry, timeout=settings.STAFF_ACCESS_SECONDS)
    return access


def staff_access_forget(user_ids: list[int]) -> None:
    """These users' access changed: what was cached of it is never served again."""
    memo: dict[int, StaffAccess] = request_scoped(_MEMO, dict)
    for pk in user_ids:
        memo.pop(pk, None)
    versioned_bump([_name(pk) for pk in user_ids])


def staff_access_forget_all() -> None:
    """What a group or a permission grants changed: no user's cached access is served again,
    at the price of one cache key (each user's is read again on its next use)."""
    request_forget(_MEMO)
    versioned_bump([_GRANTS])


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
        elif kwargs.get("pk_set"):
            staff_access_forget(list(kwargs["pk_set"]))
        else:
            staff_access_forget_all()
    elif sender is Group.permissions.through:
        staff_access_forget_all()


@receiver(post_save, sender=Group)
@receiver(post_delete, sender=Group)
@receiver(post_save, sender=Permission)
@receiver(post_delete, sender=Permission)
def _grants_changed(sender: Any, **kwargs: Any) -> None:
    staff_access_forget_all()
