"""Errors on the card forms posted through htmx: htmx 2 swaps no 4xx or 5xx answer, so the
form (or the trouble sentence) comes back with 200; a plain POST keeps its status code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.paytronix.errors import TransportError
from portal.sandbox import demo
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
ACTIVE = demo.DEMO_ACTIVE_CARD[-6:]
# Posted from the guest page, as htmx tells the server.
FROM_GUEST_PAGE = {**HTMX, "HX-Current-URL": f"http://testserver/guests/{ACCOUNT}/"}


def disable_without_words(client, headers=None):
    return client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, ACTIVE]),
        {"idempotency_key": "k1", "reason_code": "other", "reason_text": ""},
        headers=headers or {},
    )


def test_an_htmx_status_change_with_an_error_gets_the_form_and_its_error_with_200(
    sandbox, agent_client
):
    response = disable_without_words(agent_client, FROM_GUEST_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say why, in a few words." in html
    assert "<html" not in html
    assert disable_without_words(agent_client).status_code == 422


def test_an_htmx_attach_with_an_invalid_card_number_gets_the_form_and_its_error_with_200(
    sandbox, agent_client
):
    url = reverse("cards:attach_submit", args=[ACCOUNT])
    data = {"idempotency_key": "a1", "other_card_number": "12", "reason_text": "Guest request"}
    response = agent_client.post(url, data, headers=FROM_GUEST_PAGE)
    assert response.status_code == 200
    assert "Enter the card number printed on the card: 11 to 19 digits." in (
        response.content.decode()
    )
    assert agent_client.post(url, data).status_code == 422


def test_an_htmx_combine_of_a_card_that_cannot_be_combined_says_so_with_200(
    sandbox, supervisor_client
):
    _, other = demo.DEMO_DIFFERENT_TEMPLATE_PAIR
    account = sandbox.state.account_for_card(other).account_id
    url = reverse("cards:combine_submit", args=[account, other[-6:]])
    data = {"idempotency_key": "c1", "reason_text": "Two cards", "understood": "on"}
    response = supervisor_client.post(url, data, headers=FROM_GUEST_PAGE)
    assert response.status_code == 200
    assert "only Gift Card account: there is nothing to combine" in response.content.decode()
    assert supervisor_client.post(url, data).status_code == 409


def test_upstream_trouble_on_an_htmx_post_replaces_the_main_content_with_200(
    sandbox, agent_client, monkeypatch
):
    def down(*args: object, **kwargs: object) -> None:
        raise TransportError("upstream down", endpoint="guest/accountInformationById.json")

    monkeypatch.setattr("cards.views.status.guest_of", down)
    response = disable_without_words(agent_client, FROM_GUEST_PAGE)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#main"
    html = response.content.decode()
    assert "The cards could not be loaded" in html
    assert f'href="/guests/{ACCOUNT}/"' in html
    assert disable_without_words(agent_client).status_code == 503
