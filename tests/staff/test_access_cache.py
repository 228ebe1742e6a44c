"""A staff user's role and permissions are cached, and every change to them is seen at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.staff.models import User
from portal.staff.roles import Role

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def fresh(user: User) -> User:
    """The user as the next request loads it (no per-object permission cache)."""
    return User.objects.get(pk=user.pk)


def test_after_the_first_request_a_page_reads_no_groups_or_permissions(
    make_staff: Callable[..., User],
) -> None:
    client = Client()
    client.force_login(make_staff(Role.AGENT))
    client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "auth_permission" not in read
    assert "auth_group" not in read
    assert "django_session" in read  # deleting a session's row ends it at once
    assert "staff_user" in read  # the user row itself still is: a deactivation is seen at once


def test_a_role_change_is_seen_by_the_next_request(make_staff: Callable[..., User]) -> None:
    user = make_staff(Role.AGENT)
    assert fresh(user).role is Role.AGENT
    assert fresh(user).has_perm("staff.adjust_wallets")
    user.groups.set([Group.objects.get(name=Role.AUDITOR.value)])
    assert fresh(user).role is Role.AUDITOR
    assert not fresh(user).has_perm("staff.adjust_wallets")
    assert fresh(user).has_perm("staff.view_audit_log")


def test_a_permission_taken_from_a_role_is_gone_for_its_users_at_once(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.AGENT)
    assert fresh(user).has_perm("staff.adjust_wallets")
    group = Group.objects.get(name=Role.AGENT.value)
    group.permissions.remove(Permission.objects.get(codename="adjust_wallets"))
    assert not fresh(user).has_perm("staff.adjust_wallets")
    assert fresh(user).has_perm("staff.lookup_guests")


def test_a_user_taken_out_of_a_role_from_the_groups_side_loses_it_at_once(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.SUPERVISOR)
    assert fresh(user).has_perm("staff.approve_requests")
    group = Group.objects.get(name=Role.SUPERVISOR.value)
    # The reverse accessor Django adds: typed by the stubs' plugin only with some settings.
    cast(Any, group).user_set.remove(user)
    assert fresh(user).role is None
    assert not fresh(user).has_perm("staff.approve_requests")


def test_a_deactivated_user_has_no_permission_whatever_the_cache_holds(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.SUPERVISOR)
    assert fresh(user).has_perm("staff.approve_requests")
    User.objects.filter(pk=user.pk).update(is_active=False)  # no signal: the row alone
    assert not fresh(user).has_perm("staff.approve_requests")


def test_an_access_entry_planted_in_the_cache_is_not_trusted(
    make_staff: Callable[..., User],
) -> None:
    from django.core.cache import cache

    from portal.staff.permissions import _name

    user = make_staff(Role.AGENT)
    assert not fresh(user).has_perm("staff.approve_requests")
    name = _name(user.pk)
    key = f"versioned:{name}:value"
    assert cache.get(key) is not None  # the entry the planted ones replace
    entry = {"groups": ["admin"], "permissions": ["staff.approve_requests"]}
    forged = json.dumps([f"{name}@0", entry]) + ":forged-signature"
    for planted in (entry, json.dumps([f"{name}@0", entry]), forged):
        cache.set(key, planted)
        assert fresh(user).role is Role.AGENT
        assert not fresh(user).has_perm("staff.approve_requests")


def test_access_cached_under_other_role_definitions_is_never_read(
    make_staff: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy whose migration changes what a role may do sends no signal: the entry's name
    carries the roles' definitions, so access cached by the code before it is not read."""
    from portal.staff import permissions

    user = make_staff(Role.SUPERVISOR)
    assert fresh(user).has_perm("staff.approve_requests")
    group = Group.objects.get(name=Role.SUPERVISOR.value)
    with connection.cursor() as cursor:  # as a migration on historical models: no signal
        cursor.execute("DELETE FROM auth_group_permissions WHERE group_id = %s", [group.pk])
    assert fresh(user).has_perm("staff.approve_requests")  # still the cached access
    monkeypatch.setattr(permissions, "_ROLES", "other-definitions")  # the code after the deploy
    assert not fresh(user).has_perm("staff.approve_requests")


def test_access_read_before_a_role_change_and_cached_after_it_is_never_served(
    make_staff: Callable[..., User],
) -> None:
    from portal.staff.permissions import _cached, _name, _read
    from portal.versioned import versioned_get, versioned_set

    user = make_staff(Role.SUPERVISOR)
    # A request reads the version and the database just before the role changes...
    version, _ = versioned_get(_name(user.pk))
    before = _read(fresh(user))
    user.groups.set([Group.objects.get(name=Role.AGENT.value)])
    # ...and caches what it read only after the change was committed.
    versioned_set(
        _name(user.pk),
        version,
        {"groups": sorted(before.groups), "permissions": sorted(before.permissions)},
        timeout=300,
    )
    assert Role.SUPERVISOR.value in before.groups
    assert _cached(fresh(user)).groups == frozenset({Role.AGENT.value})
    assert not fresh(user).has_perm("staff.approve_requests")


def test_signing_in_keeps_the_cached_access_and_any_other_save_drops_it(
    make_staff: Callable[..., User],
) -> None:
    from portal.staff.permissions import _name
    from portal.versioned import MISSING, versioned_get

    user = make_staff(Role.AGENT)
    assert not fresh(user).has_perm("staff.approve_requests")  # cached now
    version, stored = versioned_get(_name(user.pk))
    assert stored is not MISSING
    from django.contrib.auth.models import update_last_login

    update_last_login(User, user)  # what signing in does: save(update_fields=["last_login"])
    assert versioned_get(_name(user.pk)) == (version, stored)
    user.first_name = "Changed"
    user.save()
    assert versioned_get(_name(user.pk))[1] is MISSING
