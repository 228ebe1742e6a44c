"""The staff admin: roles are the only permission model, nobody changes their own, and every
staff change is an audit record with before and after."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Kind, Outcome
from portal.staff.models import User
from portal.staff.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:staff_user_changelist")


def _events(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(kind=Kind.EVENT, action=action).order_by("seq"))


def _sign_in(username: str, password: str, ip: str) -> int:
    form = {"username": username, "password": password}
    return Client().post(reverse("login"), form, REMOTE_ADDR=ip).status_code


def test_an_admin_unlocks_a_locked_account_and_the_unlock_is_audited(
    agent: User, admin_user: User, admin_client_: Client
) -> None:
    for n in range(10):
        _sign_in(agent.username, "not-the-password", f"10.0.3.{n}")
    assert _sign_in(agent.username, PASSWORD, "10.0.3.99") == 429

    response = admin_client_.post(
        CHANGELIST, {"action": "unlock_sign_in", "_selected_action": [agent.pk]}
    )

    assert response.status_code == 302
    assert _sign_in(agent.username, PASSWORD, "10.0.3.99") == 302
    [unlock] = _events("staff.unlocked")
    assert (unlock.actor_id, unlock.actor_username) == (admin_user.pk, admin_user.username)
    assert unlock.params == {
        "user": agent.username,
        "before": {"failed_sign_ins": 11},  # the try during the lockout counts too
        "after": {"failed_sign_ins": 0},
    }


def test_only_admins_unlock(agent: User, supervisor_client: Client) -> None:
    response = supervisor_client.post(
        CHANGELIST, {"action": "unlock_sign_in", "_selected_action": [agent.pk]}
    )
    assert response.status_code == 403
    assert _events("staff.unlocked") == []


def _change_url(user: User) -> str:
    return reverse("admin:staff_user_change", args=[user.pk])


def _form(user: User, **changes: Any) -> dict[str, Any]:
    """The admin change form of ``user`` as the browser posts it, with ``changes``."""
    role = Group.objects.get(name=user.role.value) if user.role else None
    form: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [role.pk] if role else [],
        "store_group_code": user.store_group_code or "",
        "is_active": "on",
        "_save": "Save",
    }
    return {**form, **changes}


def test_the_change_form_offers_no_permissions_superuser_or_staff_flag(
    agent: User, admin_client_: Client
) -> None:
    html = admin_client_.get(_change_url(agent)).content.decode()
    assert 'name="groups"' in html
    for field in ("user_permissions", "is_superuser", "is_staff"):
        assert f'name="{field}"' not in html


@pytest.mark.parametrize(
    "grant",
    [
        {"user_permissions": ["view_audit_log", "lookup_guests"]},
        {"is_superuser": "on"},
        {"is_staff": "on"},
        {"groups": [Role.SUPERVISOR.value]},
    ],
)
def test_an_admin_granting_themselves_access_is_refused_and_nothing_changes(
    admin_user: User, admin_client_: Client, grant: dict[str, Any]
) -> None:
    from django.contrib.auth.models import Permission

    if "user_permissions" in grant:
        grant = {
            "user_permissions": [
                p.pk for p in Permission.objects.filter(codename__in=grant["user_permissions"])
            ]
        }
    if "groups" in grant:
        grant = {"groups": [Group.objects.get(name=Role.SUPERVISOR.value).pk]}

    response = admin_client_.post(_change_url(admin_user), _form(admin_user, **grant))

    assert response.status_code == 403
    fresh = User.objects.get(pk=admin_user.pk)
    assert not fresh.is_superuser
    assert not fresh.user_permissions.exists()
    assert [g.name for g in fresh.groups.all()] == [Role.ADMIN.value]
    assert admin_client_.get(reverse("audit:list")).status_code == 403
    assert admin_client_.get(reverse("guests:search")).status_code == 403
    [refused] = _events("staff.change_refused")
    assert refused.outcome == Outcome.DENIED


def test_an_admin_granting_another_user_a_loose_permission_is_refused(
    agent: User, admin_client_: Client
) -> None:
    from django.contrib.auth.models import Permission

    audit = Permission.objects.get(codename="view_audit_log")
    response = admin_client_.post(_change_url(agent), _form(agent, user_permissions=[audit.pk]))

    assert response.status_code == 403
    assert not User.objects.get(pk=agent.pk).user_permissions.exists()


def test_a_role_change_of_another_user_is_one_audit_record_with_before_and_after(
    agent: User, admin_user: User, admin_client_: Client
) -> None:
    supervisor = Group.objects.get(name=Role.SUPERVISOR.value)

    response = admin_client_.post(_change_url(agent), _form(agent, groups=[supervisor.pk]))

    assert response.status_code == 302
    assert User.objects.get(pk=agent.pk).role is Role.SUPERVISOR
    staff_events = AuditRecord.objects.filter(action__startswith="staff.")
    [change] = staff_events
    assert (change.action, change.actor_id) == ("staff.role_changed", admin_user.pk)
    assert change.params == {
        "user": agent.username,
        "before": {"role": "agent"},
        "after": {"role": "supervisor"},
    }


def test_a_user_has_exactly_one_role_and_a_store_group_only_as_store_manager(
    agent: User, admin_client_: Client
) -> None:
    two = list(Group.objects.filter(name__in=["agent", "supervisor"]).values_list("pk", flat=True))
    assert admin_client_.post(_change_url(agent), _form(agent, groups=two)).status_code == 200
    manager = Group.objects.get(name=Role.STORE_MANAGER.value)
    response = admin_client_.post(_change_url(agent), _form(agent, groups=[manager.pk]))
    assert response.status_code == 200
    assert "A store manager needs a store group code." in response.content.decode()
    assert User.objects.get(pk=agent.pk).role is Role.AGENT
    assert not AuditRecord.objects.filter(action__startswith="staff.").exists()


def test_store_group_deactivation_creation_and_password_reset_are_each_audited(
    store_manager: User, admin_client_: Client
) -> None:
    changed = _form(store_manager, store_group_code="200")
    changed.pop("is_active")
    assert admin_client_.post(_change_url(store_manager), changed).status_code == 302
    new_password = "A-fresh-staff-password-42"
    password_url = reverse("admin:auth_user_password_change", args=[store_manager.pk])
    response = admin_client_.post(
        password_url,
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )
    assert response.status_code == 302
    add = admin_client_.post(
        reverse("admin:staff_user_add"),
        {"username": "new.hire", "usable_password": "false", "_save": "Save"},
    )
    assert add.status_code == 302

    records = {r.action: r.params for r in AuditRecord.objects.filter(action__startswith="staff.")}
    assert records["staff.store_group_changed"]["before"] == {"store_group_code": 100}
    assert records["staff.store_group_changed"]["after"] == {"store_group_code": 200}
    assert records["staff.deactivated"]["after"] == {"is_active": False}
    assert records["staff.password_reset"]["after"] == {"sign_in": "with a password"}
    assert records["staff.created"]["user"] == "new.hire"
    assert new_password not in str(list(AuditRecord.objects.values()))


def test_an_admin_cannot_change_a_superuser(admin_client_: Client) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "x" * 20)
    response = admin_client_.post(_change_url(root), _form(root, is_active=""))
    assert response.status_code == 403
    assert User.objects.get(pk=root.pk).is_active
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert admin_client_.get(password_url).status_code == 403
