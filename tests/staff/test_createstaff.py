from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.staff.models import User
from portal.staff.roles import Role

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "a long and unusual passphrase"


@pytest.fixture(autouse=True)
def staff_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", STAFF_PASSWORD)


def createstaff(*args: str) -> str:
    out = StringIO()
    call_command("createstaff", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.STORE_MANAGER], ids=str)
def test_createstaff_creates_a_user_with_the_role_and_the_password_from_the_environment(
    role: Role,
) -> None:
    output = createstaff("jo.staff", "--role", role.value)
    user = User.objects.get(username="jo.staff")
    assert user.role is role
    assert user.check_password(STAFF_PASSWORD)
    assert user.store_group_code is None
    assert user.is_staff is (role is Role.ADMIN)
    assert f"Created jo.staff ({role.label})" in output
    assert STAFF_PASSWORD not in output


def test_createstaff_creates_a_store_manager_with_a_store_group() -> None:
    createstaff("sm", "--role", "store_manager", "--store-group", "42")
    user = User.objects.get(username="sm")
    assert user.role is Role.STORE_MANAGER
    assert user.store_group_code == 42


def test_a_store_manager_needs_a_store_group() -> None:
    with pytest.raises(CommandError, match="store manager needs --store-group"):
        createstaff("sm", "--role", "store_manager")
    assert not User.objects.filter(username="sm").exists()


def test_only_store_managers_have_a_store_group() -> None:
    with pytest.raises(CommandError, match="Only store managers have a store group"):
        createstaff("jo", "--role", "agent", "--store-group", "42")


def test_a_duplicate_username_is_refused_whatever_its_case() -> None:
    createstaff("jo.staff", "--role", "agent")
    with pytest.raises(CommandError, match="already exists"):
        createstaff("Jo.Staff", "--role", "auditor")
    assert User.objects.get().role is Role.AGENT


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'wizard'"):
        createstaff("jo", "--role", "wizard")
    assert not User.objects.exists()


def test_a_weak_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="too short"):
        createstaff("jo", "--role", "agent")
    assert not User.objects.exists()


def test_without_staff_password_the_password_is_prompted_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STAFF_PASSWORD")
    answers = iter([STAFF_PASSWORD, STAFF_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    createstaff("jo", "--role", "agent")
    assert User.objects.get().check_password(STAFF_PASSWORD)


def test_prompted_passwords_that_differ_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAFF_PASSWORD")
    answers = iter([STAFF_PASSWORD, STAFF_PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="do not match"):
        createstaff("jo", "--role", "agent")
    assert not User.objects.exists()


def test_demostaff_refuses_when_demo_mode_is_off(settings: Any) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE is off"):
        call_command("demostaff", stdout=StringIO())
    assert not User.objects.exists()


def test_demostaff_creates_one_user_per_role_once(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("demostaff", stdout=StringIO())
    call_command("demostaff", stdout=StringIO())
    assert sorted(str(u.role) for u in User.objects.all()) == sorted(Role)
    assert User.objects.get(username="storemanager").store_group_code is not None


def test_createstaff_is_an_audit_record_naming_the_command() -> None:
    from portal.audit.models import AuditRecord

    createstaff("jo.staff", "--role", "auditor")
    [created] = AuditRecord.objects.filter(action="staff.created")
    assert created.actor_username == "manage.py createstaff"
    assert created.params["after"]["role"] == "auditor"
    assert STAFF_PASSWORD not in str(created.params)
