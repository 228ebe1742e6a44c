"""The idle timeout as the CSR meets it: the seconds left on every page and response, staying
signed in, a form sent after the end returning to its page (never to a POST-only URL), and the
login page saying the session ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.staff.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

IDLE = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
HTMX = {"HX-Request": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    return client


def test_every_page_and_response_says_how_long_the_session_has_left(agent: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = signed_in(agent)
        traveller.shift(timedelta(seconds=30))
        page = client.get(reverse("home"))
    # Renewed at sign-in, 30 seconds ago (renewals come at most once a minute).
    left = settings.SESSION_IDLE_TIMEOUT - 30
    assert page["X-Session-Expires-In"] == str(left)
    html = page.content.decode()
    assert f'data-session-seconds="{left}"' in html
    assert f'data-keepalive-url="{reverse("session_keepalive")}"' in html
    assert 'id="session-warning"' in html
    assert "X-Session-Expires-In" not in Client().get(reverse("login"))


def test_staying_signed_in_renews_the_session_now(agent: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = signed_in(agent)
        key = client.session.session_key
        traveller.shift(IDLE - timedelta(seconds=50))
        reply = client.post(reverse("session_keepalive"))
        renewed_at = timezone.now()
        traveller.shift(timedelta(seconds=100))
        still = client.get(reverse("home"))
    assert reply.json() == {"expiresIn": settings.SESSION_IDLE_TIMEOUT}
    assert Session.objects.get(session_key=key).expire_date >= renewed_at + IDLE
    assert still.status_code == 200
    assert client.get(reverse("session_keepalive")).status_code == 405


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_signing_in(
    agent: User,
) -> None:
    page = reverse("guests:guest", args=[9000001])
    submit = reverse("guests:note_add", args=[9000001])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = signed_in(agent)
        traveller.shift(IDLE + timedelta(seconds=1))
        sent = client.post(
            submit, {"text": "Called about card"}, headers={"Referer": f"http://testserver{page}"}
        )
        assert sent.status_code == 302
        assert sent["Location"] == f"{reverse('login')}?expired=1&next={page}"
        # The login page says why, and signing in leads back to the page, not the POST URL.
        login_page = client.get(sent["Location"]).content.decode()
        assert "Your session ended</strong> after 15 minutes without activity" in login_page
        assert f'name="next" value="{page}"' in login_page
        back = client.post(
            sent["Location"], {"username": agent.username, "password": PASSWORD, "next": page}
        )
    assert back["Location"] == page


def test_an_htmx_request_after_the_end_returns_to_the_page_it_came_from(agent: User) -> None:
    page = reverse("guests:guest", args=[9000001])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = signed_in(agent)
        traveller.shift(IDLE + timedelta(seconds=1))
        sent = client.post(
            reverse("guests:note_add", args=[9000001]),
            {"text": "x"},
            headers=HTMX | {"HX-Current-URL": f"http://testserver{page}?history=2"},
        )
    assert sent["HX-Redirect"] == f"{reverse('login')}?expired=1&next={page}%3Fhistory%3D2"


def test_a_form_from_another_site_or_from_its_own_post_returns_home(agent: User) -> None:
    submit = reverse("guests:note_add", args=[9000001])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first, second = signed_in(agent), signed_in(agent)
        traveller.shift(IDLE + timedelta(seconds=1))
        foreign = first.post(submit, {}, headers={"Referer": "https://evil.example/x"})
        bare = second.post(submit, {}, headers={"Referer": f"http://testserver{submit}"})
    home = f"{reverse('login')}?expired=1&next={reverse('home')}"
    assert foreign["Location"] == bare["Location"] == home


def test_a_signed_out_browser_is_not_told_its_session_ended(agent: User) -> None:
    client = signed_in(agent)
    client.post(reverse("logout"))
    response = client.get(reverse("home"))
    assert response["Location"] == f"{reverse('login')}?next=/"
    assert "Your session ended" not in client.get(response["Location"]).content.decode()
