"""Where other apps put their buttons on the guest page (the cards app: card actions).

An app registers a provider once, in its ``AppConfig.ready()``::

    from guests.hooks import Action, register_card_actions

    def card_actions(request, page, card):
        if request.user.has_perm("staff.change_card_status") and card.status == "ACTIVE":
            yield Action("Disable", reverse("cards:disable", args=[page.account_id,
                                                                  card.masked_card_number]))

    register_card_actions(card_actions)

``page`` is the ``guests.selectors.GuestPage`` being shown (``page.account_id``,
``page.account``, ``page.cards``, ``page.registered``...), ``card`` one ``GuestCard``
(``masked_card_number``, ``status``, ``is_primary``). Actions are links (GET) to the app's own
screens, which confirm before changing anything; the guest page renders them as buttons in the
card's row (per card) or under the card list (per account).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from guests.selectors.page import GuestCard, GuestPage


@dataclass(frozen=True)
class Action:
    """A link on the guest page. ``style``: "" (plain), "primary" or "danger"."""

    label: str
    url: str
    style: str = ""


CardActionProvider = Callable[[HttpRequest, "GuestPage", "GuestCard"], Iterable[Action]]
AccountActionProvider = Callable[[HttpRequest, "GuestPage"], Iterable[Action]]

_card_providers: list[CardActionProvider] = []
_account_providers: list[AccountActionProvider] = []


def register_card_actions(provider: CardActionProvider) -> CardActionProvider:
    """Add a provider of per-card actions (idempotent: registering twice adds it once)."""
    if provider not in _card_providers:
        _card_providers.append(provider)
    return provider


def register_account_actions(provider: AccountActionProvider) -> AccountActionProvider:
    """Add a provider of actions about the whole account (e.g. "Attach a card")."""
    if provider not in _account_providers:
        _account_providers.append(provider)
    return provider


def card_actions(request: HttpRequest, page: GuestPage, card: GuestCard) -> list[Action]:
    return [action for provider in _card_providers for action in provider(request, page, card)]


def account_actions(request: HttpRequest, page: GuestPage) -> list[Action]:
    return [action for provider in _account_providers for action in provider(request, page)]
