"""Limits and a second person, in a real browser with two users: an agent's adjustment above
the ceiling becomes a request the agent cannot approve; a supervisor approves it, and the
adjustment is made as the supervisor's action naming both people."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from portal.audit.models import AuditRecord, Kind
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from portal.staff.models import User
from tests.e2e.conftest import DESKTOP, TABLET, login

pytestmark = pytest.mark.browser

ACCOUNT = demo.DEMO_ACCOUNT_ID
SHOTS = Path("var/screenshots")


def fits(page: Page, name: str) -> None:
    """Nothing wider than the viewport, at the desktop and the tablet width; a screenshot of
    each for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in (
        (DESKTOP["width"], DESKTOP["height"]),
        (TABLET["width"], TABLET["height"]),
    ):
        page.set_viewport_size(ViewportSize(width=width, height=height))
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size(ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"]))


def test_an_over_limit_adjustment_waits_for_a_supervisor_who_approves_it(
    page: Page, browser: Browser, live_server: Any, agent: User, supervisor: User, sandbox: Any
) -> None:
    before = sandbox.state.account(ACCOUNT).wallet(POINTS).balance
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    # The Points wallet's row: its heading cell is "Points" and its Adjust link (has_text is a
    # substring: "Visits (points)" would match too).
    points = page.locator("#panel-wallets tbody tr").filter(
        has=page.locator('th[scope="row"]', has_text=re.compile(r"^Points\b"))
    )
    points.get_by_role("link", name="Adjust").click()

    # The form opens in the wallets panel (htmx), the page's address saying so.
    expect(page.locator("#drawer-adjust .drawer-title")).to_have_text("Adjust Points")
    expect(page).to_have_url(
        f"{live_server.url}/guests/{ACCOUNT}/?open=adjust-{POINTS}#panel-wallets"
    )
    page.get_by_label("Add", exact=True).check()
    page.get_by_label("Amount").fill("600")
    page.get_by_label("Goodwill").check()
    page.get_by_label("Comment").fill("Cold food, long wait")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#adjust-preview")).to_contain_text("above your limit of 500 points")
    fits(page, "wallet-adjust-preview")
    page.get_by_role("button", name="Send for approval").click()

    expect(page.get_by_text("a supervisor will approve or reject it")).to_be_visible()
    expect(page.get_by_text("A supervisor has to decide this request")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    fits(page, "approval-own-request")
    request_url = page.url
    assert sandbox.state.account(ACCOUNT).wallet(POINTS).balance == before

    boss = browser.new_context(
        base_url=live_server.url,
        viewport=ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"]),
    )
    other = boss.new_page()
    login(other, supervisor)
    other.goto("/")
    expect(other.get_by_role("link", name="Approvals 1 waiting")).to_be_visible()
    other.get_by_role("link", name="Approvals 1 waiting").click()
    # The request's own number: on PostgreSQL ids are not reset between tests.
    number = request_url.rstrip("/").rsplit("/", 1)[-1]
    other.get_by_role("link", name=f"#{number}", exact=True).click()
    expect(other.get_by_text("You add 600 to Points on account")).to_be_visible()
    fits(other, "approval-detail")
    other.get_by_label("Reason").fill("Manager confirmed the complaint")
    other.get_by_role("button", name="Approve").click()
    expect(other.locator(".message.success")).to_contain_text("Approved and done")
    boss.close()

    assert sandbox.state.account(ACCOUNT).wallet(POINTS).balance == before + Decimal(600)
    change = AuditRecord.objects.get(action="wallet.adjust", kind=Kind.INTENT)
    assert change.actor_username == "sam.supervisor"
    assert change.params["requested_by"] == "alice.agent"
    assert change.params["approved_by"] == "sam.supervisor"
    page.goto(request_url)
    expect(page.get_by_text("by sam.supervisor").first).to_be_visible()
    expect(page.get_by_text("Manager confirmed the complaint")).to_be_visible()
    expect(page.get_by_text("What was asked")).to_be_visible()
    fits(page, "approval-decided")
    # The history now holds the console's adjustment (its long reference in the Check column).
    page.goto(f"/guests/{ACCOUNT}/")
    fits(page, "guest-page-adjusted")
