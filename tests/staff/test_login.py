from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.staff.models import User
from tests.conftest import PASSWORD

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
