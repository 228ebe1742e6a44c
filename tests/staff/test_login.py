from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.staff.models import User
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

WRONG_PASSWORD = "not-the-password-1234"

pytestmark = pytest.mark.django_db


def test_login_page_is_served_to_anonymous_users(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_an_agent_logs_in_and_lands_on_the_search_page(agent: User) -> None:
    client = Client()
    response = client.post(
        reverse("login"), {"username": agent.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert b'id="global-search-input"' in response.content


def test_a_wrong_password_shows_a_clear_message(agent: User) -> None:
    response = Client().post(reverse("login"), {"username": agent.username, "password": "nope"})
    assert response.status_code == 200
    assert b"username and password do not match" in response.content


def fail_login(client: Client, username: str, ip: str = "127.0.0.1") -> TestResponse:
    form = {"username": username, "password": WRONG_PASSWORD}
    return client.post(reverse("login"), form, REMOTE_ADDR=ip)


def login(client: Client, username: str, ip: str = "127.0.0.1") -> TestResponse:
    form = {"username": username, "password": PASSWORD}
    return client.post(reverse("login"), form, REMOTE_ADDR=ip)


def test_lockout_lasts_at_least_thirty_minutes_after_at_most_ten_failures() -> None:
    assert settings.AXES_FAILURE_LIMIT <= 10
    assert timedelta(minutes=30) <= settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", ["username", "ip_address"]]


def test_nine_failures_still_show_the_login_form(agent: User) -> None:
    client = Client()
    for _ in range(9):
        response = fail_login(client, agent.username)
    assert response.status_code == 200
    assert b"username and password do not match" in response.content


def test_the_tenth_failure_locks_the_account_with_a_clear_page(agent: User) -> None:
    client = Client()
    for _ in range(9):
        fail_login(client, agent.username)
    response = fail_login(client, agent.username)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert b"Too many failed sign-ins" in response.content
    text = " ".join(response.content.decode().split())
    assert "After 10 failed attempts this account is locked for 30 minutes, from every" in text


def test_the_wrong_password_message_states_the_configured_lockout(
    agent: User, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=45)
    response = Client().post(reverse("login"), {"username": agent.username, "password": "nope"})
    assert b"after 5 failed attempts the account is locked for 45 minutes" in response.content


def test_a_locked_account_refuses_even_the_right_password(agent: User) -> None:
    client = Client()
    for _ in range(10):
        fail_login(client, agent.username)
    response = login(client, agent.username)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_locks_the_account_from_every_address_and_no_other_account(
    agent: User, supervisor: User
) -> None:
    for _ in range(10):
        fail_login(Client(), agent.username, ip="10.0.0.1")
    assert login(Client(), agent.username, ip="10.0.0.2").status_code == 429
    assert login(Client(), supervisor.username, ip="10.0.0.1").status_code == 302


def test_failures_spread_over_many_addresses_lock_the_account(agent: User) -> None:
    for n in range(1, 10):
        fail_login(Client(), agent.username, ip=f"10.0.1.{n}")
    # Nine failures: the account still signs in.
    assert login(Client(), agent.username, ip="10.0.1.10").status_code == 302
    for n in range(1, 11):
        fail_login(Client(), agent.username, ip=f"10.0.2.{n}")
    assert login(Client(), agent.username, ip="10.0.2.11").status_code == 429


@pytest.mark.parametrize(
    ("after", "status"), [(timedelta(minutes=-1), 429), (timedelta(minutes=1), 302)]
)
def test_the_lockout_ends_after_the_cool_off(agent: User, after: timedelta, status: int) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(10):
            fail_login(Client(), agent.username)
        traveller.shift(settings.AXES_COOLOFF_TIME + after)
        assert login(Client(), agent.username).status_code == status


def test_an_attempt_during_the_lockout_restarts_the_cool_off(agent: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(10):
            fail_login(Client(), agent.username)
        traveller.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
        login(Client(), agent.username)
        traveller.shift(timedelta(minutes=2))
        assert login(Client(), agent.username).status_code == 429


def test_logout_by_get_is_refused_and_keeps_the_session(agent_client: Client) -> None:
    response = agent_client.get(reverse("logout"))
    assert response.status_code == 405
    assert agent_client.get(reverse("home")).status_code == 200


def test_logout_by_post_ends_the_session(agent_client: Client) -> None:
    response = agent_client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert agent_client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_logging_in_starts_a_new_session_key(agent: User) -> None:
    client = Client()
    session = client.session
    session["seen_login_page"] = True
    session.save()
    before = session.session_key
    assert before is not None
    login(client, agent.username)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not SessionStore().exists(before)
    assert client.session["seen_login_page"] is True


def test_successful_and_failed_logins_are_logged_without_passwords(
    agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fail_login(Client(), agent.username, ip="10.0.0.7")
    login(Client(), agent.username, ip="10.0.0.8")
    logins = [r.getMessage() for r in caplog.records if r.name == "portal.staff.login"]
    assert logins == [
        f"login failed: user={agent.username} ip=10.0.0.7",
        f"login succeeded: user={agent.username} ip=10.0.0.8",
    ]
    assert PASSWORD not in caplog.text
    assert WRONG_PASSWORD not in caplog.text


def test_a_session_left_idle_for_fifteen_minutes_ends(agent: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in_at = timezone.now()
        still, gone = Client(), Client()
        login(still, agent.username)
        login(gone, agent.username)
        row = Session.objects.get(session_key=still.session.session_key)
        traveller.shift(timedelta(minutes=15) - timedelta(seconds=1))
        before = still.get(reverse("home"))
        traveller.shift(timedelta(seconds=2))
        after = gone.get(reverse("home"))

    assert row.expire_date == signed_in_at + timedelta(minutes=15)
    assert before.status_code == 200
    assert after["Location"] == f"{reverse('login')}?expired=1&next=/"


def test_activity_renews_the_session_at_most_once_a_minute(agent: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        login(client, agent.username)
        key = client.session.session_key
        expiry = Session.objects.get(session_key=key).expire_date
        traveller.shift(timedelta(seconds=30))
        client.get(reverse("home"))
        assert Session.objects.get(session_key=key).expire_date == expiry
        traveller.shift(timedelta(seconds=31))
        client.get(reverse("home"))
        assert Session.objects.get(session_key=key).expire_date == expiry + timedelta(seconds=61)


def test_an_idle_session_is_sent_to_login(agent: User) -> None:
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        login(client, agent.username)
        traveller.shift(idle + timedelta(seconds=1))
        response = client.get(reverse("home"))
    assert response["Location"] == f"{reverse('login')}?expired=1&next=/"


def test_activity_within_the_idle_timeout_keeps_the_session(agent: User) -> None:
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        login(client, agent.username)
        for _ in range(3):
            traveller.shift(idle - timedelta(seconds=30))
            assert client.get(reverse("home")).status_code == 200


def test_a_username_longer_than_any_is_refused_before_it_is_tried(agent: User) -> None:
    from axes.models import AccessAttempt

    response = Client().post(reverse("login"), {"username": "a" * 300, "password": "x"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def _stored_text() -> str:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.core import serializers

    from portal.audit.models import AuditRecord

    querysets = (
        AuditRecord.objects.all(),
        AccessAttempt.objects.all(),
        AccessFailureLog.objects.all(),
        AccessLog.objects.all(),
    )
    return "".join(serializers.serialize("json", queryset) for queryset in querysets)


def test_a_card_number_or_password_typed_as_username_is_kept_nowhere(
    agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    from axes.models import AccessAttempt

    caplog.set_level(logging.DEBUG)
    typed = ["6000201900000011", f"x{PASSWORD}", "6000-2019-0000-0011"]
    for name in typed:
        fail_login(Client(), name)

    stored = _stored_text()
    assert AccessAttempt.objects.count() == len(typed)
    for name in typed:
        assert name not in stored
        assert name not in caplog.text
    assert "6000201900000011" not in stored.replace("-", "")
    assert WRONG_PASSWORD not in stored + caplog.text


def test_a_mistyped_username_still_groups_and_locks_by_its_keyed_hash(settings: Any) -> None:
    from portal.audit.models import AuditRecord

    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = fail_login(Client(), "nobody.here")
    assert response.status_code == 429
    names = set(
        AuditRecord.objects.filter(action__startswith="auth.").values_list(
            "actor_username", flat=True
        )
    )
    assert len(names) == 1
    assert names.pop().startswith("unknown:")


def test_a_failed_login_of_a_staff_user_keeps_their_username(agent: User) -> None:
    from axes.models import AccessAttempt

    fail_login(Client(), agent.username)
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [agent.username]
