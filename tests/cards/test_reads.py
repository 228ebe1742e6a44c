"""How the card screens read upstream: through the guest page's cache (store scope included),
the combine preview's independent reads at once, a submitted change on a fresh account, and an
account whose reply names no primary card explained rather than a crash."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from cards.selectors import NO_PRIMARY_CARD, GuestCards, guest_cards
from portal.sandbox import demo, wire

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
ACTIVE = demo.DEMO_ACTIVE_CARD[-6:]
MAIN, OTHER = demo.DEMO_COMBINABLE_PAIR


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_primary_card(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox answers account information without a primary card."""
    original = wire.account_information

    def without_primary(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = original(*args, **kwargs)
        body.pop("primaryCard", None)
        return body

    monkeypatch.setattr(wire, "account_information", without_primary)


def test_an_account_without_a_primary_card_has_none(sandbox, agent, no_primary_card):
    guest = guest_cards(viewer=agent, account_id=ACCOUNT)
    assert isinstance(guest, GuestCards)
    assert guest.primary_card is None
    assert all(not card.is_primary for card in guest.cards)


def test_the_attach_screens_explain_an_account_without_a_primary_card(
    sandbox, supervisor_client, no_primary_card, upstream_calls
):
    for name in ("cards:attach", "cards:attach_and_combine"):
        page = supervisor_client.get(reverse(name, args=[ACCOUNT]))
        assert page.status_code == 200
        assert NO_PRIMARY_CARD in page.content.decode()
        assert 'name="other_card_number"' not in page.content.decode()
    response = supervisor_client.post(
        reverse("cards:attach_submit", args=[ACCOUNT]),
        {"idempotency_key": "a1", "other_card_number": OTHER, "reason_text": "Guest request"},
    )
    assert response.status_code == 422
    assert NO_PRIMARY_CARD in response.content.decode()
    assert "guest/attachCard.json" not in upstream_calls.paths()


def test_a_card_screen_opened_again_reads_the_guest_from_the_cache(
    sandbox, agent_client, upstream_calls
):
    url = reverse("cards:disable", args=[ACCOUNT, ACTIVE])
    assert agent_client.get(url).status_code == 200
    first = upstream_calls.paths()
    assert "guest/accountInformationById.json" in first
    upstream_calls.clear()
    assert agent_client.get(url).status_code == 200
    assert upstream_calls.paths() == []


def test_the_guest_page_and_a_card_screen_share_their_cached_reads(
    sandbox, agent_client, upstream_calls
):
    assert agent_client.get(f"/guests/{ACCOUNT}/").status_code == 200
    upstream_calls.clear()
    assert agent_client.get(reverse("cards:disable", args=[ACCOUNT, ACTIVE])).status_code == 200
    assert upstream_calls.paths() == []


def test_a_submitted_change_reads_the_account_fresh(sandbox, agent_client, upstream_calls):
    agent_client.get(reverse("cards:disable", args=[ACCOUNT, ACTIVE]))
    upstream_calls.clear()
    response = agent_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, ACTIVE]),
        {"idempotency_key": "k1", "reason_code": "lost"},
    )
    assert response.status_code == 303
    called = upstream_calls.paths()
    assert called.index("guest/accountInformationById.json") < called.index(
        "guest/changeCardStatus.json"
    )


def test_the_combine_preview_reads_the_accounts_and_combinability_at_once_and_now(
    sandbox, supervisor_client, upstream_calls, monkeypatch
):
    account = sandbox.state.account_for_card(OTHER).account_id
    main = sandbox.state.account_for_card(MAIN).account_id
    url = reverse("cards:combine", args=[account, OTHER[-6:]])
    threads: dict[str, list[str]] = {}
    from portal.paytronix.session import Transport

    recording = Transport.call

    def where(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        threads.setdefault(endpoint.path, []).append(threading.current_thread().name)
        return recording(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", where)
    for _ in range(2):
        threads.clear()
        assert supervisor_client.get(url).status_code == 200
        # Each account's combinability (this one and the main one) in its own read thread.
        combinable = threads["guest/isCardCombinable.json"]
        assert len(combinable) == 2
        assert all(name.startswith("guest-read") for name in combinable)
        # Read past the cache every time: the figures are upstream's current ones.
        assert len(threads["guest/accountInformationById.json"]) == 2
    read = {c["accountId"] for c in upstream_calls.to("guest/accountInformationById.json")}
    assert read == {account, main}
