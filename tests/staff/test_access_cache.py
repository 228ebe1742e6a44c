"""A staff user's role and permissions are cached, and every change to them is seen at once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.requestscope import request_scope
from portal.staff.models import User
from portal.staff.permissions import _versioned_get, staff_access
from portal.staff.roles import Role
from portal.versioned import MISSING

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


def move_to_agents(user: User) -> None:
    user.groups.set([Group.objects.get(name=Role.AGENT.value)])


def take_approving_from_supervisors(user: User) -> None:
    group = Group.objects.get(name=Role.SUPERVISOR.value)
    group.permissions.remove(Permission.objects.get(codename="approve_requests"))


@pytest.mark.parametrize(
    "change",
    # The user's own version is replaced by the first, the grants version by the second.
    [move_to_agents, take_approving_from_supervisors],
)
def test_access_read_before_a_change_and_cached_after_it_is_never_served(
    make_staff: Callable[..., User], change: Callable[[User], None]
) -> None:
    from portal.staff.permissions import _cached, _name, _read
    from portal.versioned import versioned_set

    user = make_staff(Role.SUPERVISOR)
    # A request reads the versions and the database just before the change...
    version, _ = _versioned_get(user.pk)
    before = _read(fresh(user))
    change(user)
    # ...and caches what it read only after the change was committed.
    versioned_set(
        _name(user.pk),
        version,
        {"groups": sorted(before.groups), "permissions": sorted(before.permissions)},
        timeout=300,
    )
    assert "staff.approve_requests" in before.permissions
    assert "staff.approve_requests" not in _cached(fresh(user)).permissions
    assert not fresh(user).has_perm("staff.approve_requests")


def test_signing_in_keeps_the_cached_access_and_any_other_save_drops_it(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.AGENT)
    assert not fresh(user).has_perm("staff.approve_requests")  # cached now
    version, stored = _versioned_get(user.pk)
    assert stored is not MISSING
    from django.contrib.auth.models import update_last_login

    update_last_login(User, user)  # what signing in does: save(update_fields=["last_login"])
    assert _versioned_get(user.pk) == (version, stored)
    user.first_name = "Changed"
    user.save()
    assert _versioned_get(user.pk)[1] is MISSING


@contextmanager
def recorded_cache_writes() -> Iterator[list[list[str]]]:
    """The keys of every write to the default cache, one list per call, as the caller names
    them (a backend's ``set_many`` made of ``set`` calls counts once)."""
    backend = type(caches["default"])
    original_set, original_set_many = backend.set, backend.set_many
    writes: list[list[str]] = []
    inside_set_many = False

    def record_set(self: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        if not inside_set_many:
            writes.append([key])
        return original_set(self, key, *args, **kwargs)

    def record_set_many(self: Any, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        nonlocal inside_set_many
        writes.append(sorted(data))
        inside_set_many = True
        try:
            return original_set_many(self, data, *args, **kwargs)
        finally:
            inside_set_many = False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backend, "set", record_set)
        patch.setattr(backend, "set_many", record_set_many)
        yield writes


def test_a_role_change_writes_one_cache_key_however_many_users_it_concerns(
    make_staff: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    """Every user's entry shares the grants version: a change to what a role grants replaces
    that one key (at once, and again on commit), never a key per user."""
    users = [make_staff(Role.AGENT) for _ in range(12)] + [make_staff(Role.SUPERVISOR)]
    for user in users:
        assert fresh(user).has_perm("staff.add_account_notes")  # every user's access cached
    group = Group.objects.get(name=Role.AGENT.value)
    notes = Permission.objects.get(codename="add_account_notes")
    with recorded_cache_writes() as writes, django_capture_on_commit_callbacks(execute=True):
        group.permissions.remove(notes)
    grants_version = "versioned:staff-access-grants:version"
    assert writes == [[grants_version], [grants_version]]
    for user in users[:-1]:
        assert _versioned_get(user.pk)[1] is MISSING
        assert not fresh(user).has_perm("staff.add_account_notes")
    # The supervisors' role still grants it.
    assert fresh(users[-1]).has_perm("staff.add_account_notes")


def test_a_permission_given_to_a_role_reaches_its_members_next_request(
    make_staff: Callable[..., User],
) -> None:
    client = Client()
    client.force_login(make_staff(Role.AGENT))
    audit_log = reverse("audit:list")
    assert client.get(audit_log).status_code == 403  # the refusal's access is cached now
    group = Group.objects.get(name=Role.AGENT.value)
    group.permissions.add(Permission.objects.get(codename="view_audit_log"))
    assert client.get(audit_log).status_code == 200
    group.permissions.remove(Permission.objects.get(codename="view_audit_log"))
    assert client.get(audit_log).status_code == 403


def test_a_role_change_is_seen_later_in_the_request_that_made_it(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.AGENT)
    group = Group.objects.get(name=Role.AGENT.value)
    with request_scope():
        assert "staff.adjust_wallets" in staff_access(user).permissions  # memoised for the request
        group.permissions.remove(Permission.objects.get(codename="adjust_wallets"))
        assert "staff.adjust_wallets" not in staff_access(fresh(user)).permissions


def test_a_deleted_permission_or_role_is_gone_for_its_users_at_once(
    make_staff: Callable[..., User],
) -> None:
    user = make_staff(Role.AGENT)
    group = Group.objects.get(name=Role.AGENT.value)
    extra = Permission.objects.create(
        codename="extra_grant",
        name="A grant made for this test",
        content_type=Permission.objects.get(codename="adjust_wallets").content_type,
    )
    group.permissions.add(extra)
    assert fresh(user).has_perm("staff.extra_grant")
    extra.delete()
    assert not fresh(user).has_perm("staff.extra_grant")
    assert fresh(user).role is Role.AGENT
    group.delete()
    assert fresh(user).role is None
    assert not fresh(user).has_perm("staff.adjust_wallets")


def test_one_users_role_change_keeps_everyone_elses_cached_access(
    make_staff: Callable[..., User],
) -> None:
    moved, other = make_staff(Role.AGENT), make_staff(Role.AGENT)
    assert fresh(moved).has_perm("staff.adjust_wallets")
    assert fresh(other).has_perm("staff.adjust_wallets")
    kept = _versioned_get(other.pk)
    moved.groups.set([Group.objects.get(name=Role.AUDITOR.value)])
    assert _versioned_get(moved.pk)[1] is MISSING
    assert _versioned_get(other.pk) == kept
    assert not fresh(moved).has_perm("staff.adjust_wallets")


def test_a_role_emptied_from_the_groups_side_is_gone_for_its_users_at_once(
    make_staff: Callable[..., User],
) -> None:
    """A clear names no users: every entry is dropped, through the grants version."""
    user = make_staff(Role.SUPERVISOR)
    assert fresh(user).role is Role.SUPERVISOR
    cast(Any, Group.objects.get(name=Role.SUPERVISOR.value)).user_set.clear()
    assert fresh(user).role is None
    assert not fresh(user).has_perm("staff.approve_requests")


def _counting_has_perm(agent: User, monkeypatch: Any) -> list[str]:
    """Every permission ``agent.has_perm`` is asked for, in order."""
    asked: list[str] = []
    has_perm = agent.has_perm

    def counted(perm: str, obj: Any = None) -> bool:
        asked.append(perm)
        return has_perm(perm, obj)

    monkeypatch.setattr(agent, "has_perm", counted)
    return asked


def test_a_pages_capabilities_ask_each_permission_once(agent: User, monkeypatch: Any) -> None:
    from portal.staff.context_processors import _Capabilities

    asked = _counting_has_perm(agent, monkeypatch)
    can = _Capabilities(agent)
    assert [can.lookup_guests for _ in range(3)] == [True, True, True]
    assert [can.approve_requests for _ in range(2)] == [False, False]
    assert asked == ["staff.lookup_guests", "staff.approve_requests"]
    with pytest.raises(AttributeError):
        can.no_such_permission  # noqa: B018


def test_a_requests_user_is_asked_each_permission_once_by_views_and_templates_alike(
    agent: User, monkeypatch: Any
) -> None:
    from portal.staff.access import user_may
    from portal.staff.context_processors import _Capabilities

    asked = _counting_has_perm(agent, monkeypatch)
    assert [user_may(agent, "lookup_guests") for _ in range(3)] == [True, True, True]
    assert not user_may(agent, "lookup_guests", "approve_requests")
    assert not user_may(agent, "approve_requests")
    assert _Capabilities(agent).lookup_guests
    assert asked == ["staff.lookup_guests", "staff.approve_requests"]
    # Another request's user object asks again (a role changed meanwhile is seen).
    assert not user_may(User.objects.get(pk=agent.pk), "approve_requests")
