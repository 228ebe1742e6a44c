"""Other apps' buttons on the guest page, through ``guests.hooks``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from guests import hooks
from guests.hooks import Action
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])


@pytest.fixture
def no_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_card_providers", [])
    monkeypatch.setattr(hooks, "_account_providers", [])


def flag_disabled_cards(request: Any, page: Any, card: Any) -> Iterator[Action]:
    if card.status == "DISABLED":
        yield Action(f"Look at …{card.masked_card_number}", f"/look/{page.account_id}/", "danger")


def hello_account(request: Any, page: Any) -> Iterator[Action]:
    yield Action("Say hello", f"/hello/{page.account_id}/")


def test_registered_actions_appear_on_their_card_and_under_the_list(
    no_providers: None, sandbox: SandboxController, agent_client: Client
) -> None:
    hooks.register_card_actions(flag_disabled_cards)
    hooks.register_card_actions(flag_disabled_cards)
    hooks.register_account_actions(hello_account)
    html = agent_client.get(GUEST_URL).content.decode()
    cards = html[html.index('id="panel-cards"') : html.index('id="panel-referrals"')]
    assert cards.count("Look at …000012") == 1
    assert '<a class="button small danger" href="/look/9000001/">' in cards
    assert '<a class="button" href="/hello/9000001/">Say hello</a>' in cards


def test_the_cards_app_offers_its_actions_to_an_agent(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = agent_client.get(GUEST_URL).content.decode()
    disable = reverse("cards:disable", args=[demo.DEMO_ACCOUNT_ID, demo.DEMO_ACTIVE_CARD[-6:]])
    enable = reverse("cards:enable", args=[demo.DEMO_ACCOUNT_ID, demo.DEMO_DISABLED_CARD[-6:]])
    assert f'href="{disable}"' in html
    assert f'href="{enable}"' in html


def test_a_store_manager_gets_no_card_actions(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    html = store_manager_client.get(GUEST_URL).content.decode()
    # The cards panel and what follows it up to the balances (the payments panel, loaded
    # from the cards app, is a read and has its own tests).
    cards = html[html.index('id="panel-cards"') : html.index('id="panel-wallets"')]
    assert "/cards/" not in cards
