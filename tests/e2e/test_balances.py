"""Replacing a lost card through a real browser: from the card's row on the guest page, the new
card checked, the old card's fate confirmed, and the guest page showing the result."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

ACCOUNT = demo.DEMO_ACCOUNT_ID
OLD, NEW = demo.DEMO_ACTIVE_CARD[-6:], demo.DEMO_REPLACEMENT_CARDS[0]


def card_row(page: Page, masked: str) -> Any:
    return page.locator("#panel-cards tbody tr").filter(has_text=masked)


def test_an_agent_replaces_a_lost_card_and_the_guest_page_shows_the_new_one_primary(
    page: Page, agent: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    card_row(page, OLD).get_by_role("link", name="Replace").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Replace card ending {OLD}")
    expect(page.get_by_text("stops working for good")).to_be_visible()
    # A card already in use is refused, with the reason, before anything changes.
    page.get_by_label("New card number").fill(demo.DEMO_ATTACHABLE_CARD)
    page.get_by_label("Lost").check()
    page.get_by_role("button", name="Check the new card").click()
    expect(page.get_by_text("That card is already in use")).to_be_visible()

    page.get_by_label("New card number").fill(NEW)
    page.get_by_role("button", name="Check the new card").click()
    expect(page.get_by_text("never used, ready to replace")).to_be_visible()
    page.get_by_label("I have told the guest the old card stops working").check()
    page.get_by_role("button", name=f"Replace card ending {OLD}").click()

    expect(page).to_have_url(f"/guests/{ACCOUNT}/#panel-cards")
    expect(
        page.get_by_text(f"Card ending {OLD} is replaced by card ending {NEW[-6:]}")
    ).to_be_visible()
    new_row = card_row(page, NEW[-6:])
    expect(new_row.get_by_text("primary")).to_be_visible()
    expect(new_row.locator(".status").nth(1)).to_have_text("ACTIVE")
    expect(card_row(page, OLD).locator("td").nth(1).locator(".status")).to_have_text("EXCHANGED")
    expect(card_row(page, OLD).get_by_role("link", name="Replace")).to_have_count(0)
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "EXCHANGED"
