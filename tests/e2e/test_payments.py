"""Stored-value payments through a real browser: the panel loads into the guest page, and an
agent turns auto-recharge off on the guest's request."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import axe_violations, login

pytestmark = pytest.mark.browser

ACCOUNT = demo.DEMO_ACCOUNT_ID


def test_an_agent_turns_auto_recharge_off_from_the_guest_page(
    page: Page, agent: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    panel = page.locator("#panel-payments")
    expect(panel.locator(".payment-methods")).to_contain_text("Visa ending 1111")
    expect(panel.locator("#auto-recharge .status")).to_have_text("On")
    assert axe_violations(page) == []
    panel.get_by_role("link", name="Turn auto-recharge off").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Turn auto-recharge off")
    expect(
        page.get_by_text("On: below 10.00 add 25.00, charged to Visa ending 1111")
    ).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Guest did not expect an automatic charge").check()
    page.get_by_role("button", name="Turn auto-recharge off").click()

    expect(page).to_have_url(f"/guests/{ACCOUNT}/#panel-payments")
    expect(page.get_by_text("Auto-recharge is now off")).to_be_visible()
    expect(page.locator("#panel-payments #auto-recharge .status")).to_have_text("Off")
    expect(
        page.locator("#panel-payments").get_by_role("link", name="Turn auto-recharge off")
    ).to_have_count(0)
    assert sandbox.state.account_for_card(demo.DEMO_PAYMENT_CARD).auto_recharge.enabled is False
