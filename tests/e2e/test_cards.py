"""Card changes through a real browser: from the guest page to the card screens and back."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import login

pytestmark = pytest.mark.browser

ACCOUNT = demo.DEMO_ACCOUNT_ID


def card_row(page: Page, masked: str) -> Any:
    return page.locator("#panel-cards tbody tr").filter(has_text=masked)


def card_status(page: Page, masked: str) -> Any:
    """The status badge of a card's row (its second cell)."""
    return card_row(page, masked).locator("td").nth(1).locator(".status")


def test_an_agent_disables_a_card_with_a_reason_and_sees_it_disabled(
    page: Page, agent: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    row = card_row(page, "000011")
    expect(card_status(page, "000011")).to_have_text("ACTIVE")
    row.get_by_role("link", name="Disable").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Disable card ending 000011")
    expect(page.get_by_text("The card stops working at once")).to_be_visible()
    page.get_by_label("Stolen").check()
    page.get_by_label("Details").fill("Bag stolen on the train")
    page.get_by_role("button", name="Disable card ending 000011").click()

    expect(page).to_have_url(f"/guests/{ACCOUNT}/#panel-cards")
    expect(page.get_by_text("Card ending 000011 is now disabled.")).to_be_visible()
    expect(card_status(page, "000011")).to_have_text("DISABLED")
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"


def test_an_agent_attaches_a_card_that_asks_for_its_registration_code(
    page: Page, agent: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    page.get_by_role("link", name="Attach a card").click()

    page.get_by_label("Card number to attach").fill(demo.DEMO_CARD_WITH_REGISTRATION_CODE)
    page.get_by_label("Reason").fill("Guest found a second card")
    page.get_by_role("button", name="Attach card").click()

    code = page.get_by_label("Registration code (printed on the card)")
    expect(code).to_be_visible()
    expect(page.get_by_text("the registration code printed with the card")).to_be_visible()
    expect(page.get_by_label("Password of the card's current owner")).to_have_count(0)
    code.fill(demo.DEMO_REGISTRATION_CODE)
    page.get_by_role("button", name="Attach card").click()

    expect(page).to_have_url(f"/guests/{ACCOUNT}/#panel-cards")
    expect(page.get_by_text("Card ending 000031 is now attached")).to_be_visible()
    expect(card_row(page, "000031")).to_have_count(1)
