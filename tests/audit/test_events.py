"""Security events: logins, failed logins, lockouts, denials, looks at the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Kind, Outcome
from portal.staff.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _events(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(kind=Kind.EVENT, action=action).order_by("seq"))


def test_a_login_is_recorded_with_who_and_from_where(agent: User) -> None:
    client = Client(HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "alice.agent", "password": PASSWORD})

    [login] = _events("auth.login")
    assert (login.outcome, login.actor_id, login.actor_role) == (
        Outcome.SUCCEEDED,
        agent.pk,
        "agent",
    )
    assert (login.ip, login.user_agent) == ("10.1.2.3", "Firefox/140")
    assert len(login.request_id) == 32


def test_a_failed_login_is_recorded_with_the_name_tried(agent: User) -> None:
    Client().post(reverse("login"), {"username": "alice.agent", "password": "wrong"})

    [failure] = _events("auth.login_failed")
    assert (failure.outcome, failure.actor_username, failure.actor_id) == (
        Outcome.FAILED,
        "alice.agent",
        None,
    )


def test_a_lockout_is_recorded(agent: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice.agent", "password": "wrong"})

    [lockout] = _events("auth.lockout")
    assert (lockout.outcome, lockout.actor_username) == (Outcome.DENIED, "alice.agent")


def test_a_logout_is_recorded(agent_client: Client) -> None:
    agent_client.post(reverse("logout"))

    assert [e.actor_username for e in _events("auth.logout")] == ["alice.agent"]


def test_a_permission_denial_is_recorded(agent_client: Client) -> None:
    response = agent_client.get(reverse("audit:list"))

    assert response.status_code == 403
    [denial] = _events("access.denied")
    assert denial.outcome == Outcome.DENIED
    assert denial.params == {"path": "/audit/", "method": "GET", "missing": ["view_audit_log"]}


def test_every_look_at_the_audit_log_is_recorded(supervisor_client: Client) -> None:
    supervisor_client.get(reverse("audit:list"), {"action": "card.disable"})
    [view] = _events("audit.view")
    supervisor_client.get(reverse("audit:detail", args=[view.pk]))

    first, second = _events("audit.view")
    assert first.params["filters"] == {"action": "card.disable"}
    assert second.params == {"record": view.pk}
    assert {first.actor_username, second.actor_username} == {"sam.supervisor"}
