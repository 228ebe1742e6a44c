"""The staff admin: roles are the only permission model, nobody changes their own, and every
staff change is an audit record with before and after."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Kind
from portal.staff.models import User
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
