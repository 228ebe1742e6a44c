"""Finding a guest and changing their preferences, seen through a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.e2e.conftest import axe_violations, login

pytestmark = pytest.mark.browser

GUEST_PATH = f"/guests/{demo.DEMO_ACCOUNT_ID}/"


def search_box(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Find a guest")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


@pytest.mark.parametrize("text", [demo.DEMO_ACTIVE_CARD, "(617) 555-0142"])
def test_searching_by_card_number_or_phone_opens_the_guest_page(
    page: Page, agent: User, sandbox: SandboxController, text: str
) -> None:
    login(page, agent)
    search_box(page, text)
    expect(page).to_have_url(f"{page.url.split('/guests/')[0]}{GUEST_PATH}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ava Thompson")
    cards = page.locator("#panel-cards")
    expect(cards).to_contain_text("…000011")
    expect(cards).not_to_contain_text(demo.DEMO_ACTIVE_CARD)
    expect(page.locator("#panel-history")).to_contain_text("Point Adjustment")


def test_a_message_frequency_change_shows_pending_then_applied_and_is_audited(
    page: Page, supervisor: User, sandbox: SandboxController
) -> None:
    # Upstream takes a few seconds to show a change, as Paytronix does.
    sandbox.faults.set_consistency_delay(3)
    login(page, supervisor)
    page.goto(GUEST_PATH)
    header = page.locator("#panel-header")
    header.get_by_text("Change preferences").click()
    header.get_by_label("Snooze for 14 days").check()
    header.get_by_label("Reason").first.fill("Guest is on holiday")
    header.get_by_role("button", name="Change message frequency").click()

    expect(header.locator(".pending-change")).to_contain_text(
        "Pending: Message frequency: Snooze for 14 days."
    )
    expect(header.locator("dl.facts")).to_contain_text("All messages")
    expect(header).to_contain_text(
        "Now showing: Message frequency: Snooze for 14 days.", timeout=15_000
    )
    expect(header.locator("dl.facts")).to_contain_text("Snooze for 14 days")
    expect(header.locator(".pending-change")).to_have_count(0)
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "SNOOZE"

    page.goto("/audit/")
    # One row for the change: the action in words, its reason and its outcome together.
    change = page.locator("tbody tr", has_text="Change message frequency")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Guest is on holiday")
    expect(change).to_contain_text("Succeeded")
    expect(change).to_contain_text(supervisor.username)
    expect(change).to_contain_text(str(demo.DEMO_ACCOUNT_ID))


def test_the_search_page_has_no_accessibility_violations(
    page: Page, agent: User, sandbox: SandboxController
) -> None:
    login(page, agent)
    page.goto("/guests/search/")
    page.get_by_label("Card number, account id, username, email, phone or name").fill(
        demo.DEMO_LAST_NAME
    )
    page.get_by_role("main").get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("guests match")
    assert demo.DEMO_LAST_NAME not in page.url
    assert axe_violations(page) == []
    page.goto("/guests/search/advanced/")
    assert axe_violations(page) == []
