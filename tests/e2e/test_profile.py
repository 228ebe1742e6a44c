"""The guest's details and privacy deletion through a real browser: a field upstream refuses is
marked on its field and the corrected form goes through; a deletion takes two people."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import TABLET, login

pytestmark = pytest.mark.browser

ACCOUNT = demo.DEMO_ACCOUNT_ID


@pytest.fixture
def viewport() -> dict[str, int]:
    # The narrow screen: the form must fit it.
    return TABLET


def test_an_agent_edits_details_and_a_refused_email_is_marked_on_its_field(
    page: Page, agent: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    page.get_by_role("link", name="Edit details").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the guest's details")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.get_by_label("Email address").fill(demo.DEMO_OTHER_EMAIL)
    page.get_by_label("Favourite visit time").select_option("DINNER")
    page.get_by_label("Reason").fill("Guest called with new details")
    page.get_by_role("button", name="Save the details").click()

    email_group = page.locator(".field").filter(has=page.get_by_label("Email address"))
    expect(email_group).to_contain_text("Already in use by another guest")
    expect(page.get_by_role("alert")).to_contain_text("refused some of the details")
    assert sandbox.state.user(demo.DEMO_USERNAME).fields["email"] == demo.DEMO_EMAIL

    page.get_by_label("Email address").fill("ava.t@example.net")
    page.get_by_role("button", name="Save the details").click()

    expect(page).to_have_url(f"/guests/{ACCOUNT}/#panel-header")
    expect(
        page.get_by_text("Details changed: Email address, Favourite visit time.").first
    ).to_be_visible()
    expect(page.locator("#panel-header")).to_contain_text("ava.t@example.net")
    fields = sandbox.state.user(demo.DEMO_USERNAME).fields
    assert (fields["email"], fields["custom1"]) == ("ava.t@example.net", "DINNER")


def test_a_deletion_is_asked_for_by_one_person_and_approved_by_another(
    page: Page, browser: Browser, live_server: Any, agent: User, supervisor: User, sandbox: Any
) -> None:
    login(page, agent)
    page.goto(f"/guests/{ACCOUNT}/")
    page.get_by_role("link", name="Delete personal data…").click()

    expect(page.get_by_role("heading", name="What will be deleted")).to_be_visible()
    expect(page.locator(".deletion-items")).to_contain_text("a***@example.com")
    for check in page.get_by_role("checkbox").all():
        check.check()
    page.get_by_label("Type the confirmation").fill(f"DELETE {ACCOUNT}")
    page.get_by_label("Reason").fill("Guest asked to be forgotten")
    page.get_by_role("button", name="Ask for approval to delete").click()

    expect(page.locator(".deletion-waiting")).to_contain_text("you asked")
    expect(page.get_by_role("link", name="your request: see or withdraw it")).to_be_visible()
    assert demo.DEMO_USERNAME in sandbox.state.live.users

    approver = browser.new_context(base_url=live_server.url, viewport=TABLET)  # type: ignore[arg-type]
    other = approver.new_page()
    login(other, supervisor)
    other.goto(f"/guests/{ACCOUNT}/")
    other.get_by_role("link", name="review the request").click()
    expect(other.get_by_text("You delete, in the loyalty system")).to_be_visible()
    other.get_by_label("Reason").fill("Identity checked on the call recording")
    other.get_by_role("button", name="Approve").click()
    expect(other.locator(".message.success")).to_have_text("The guest's personal data was deleted.")
    approver.close()

    assert demo.DEMO_USERNAME not in sandbox.state.live.users
    page.goto(f"/guests/{ACCOUNT}/")
    expect(page.locator(".guest-deleted")).to_contain_text(
        "by sam.supervisor, asked for by alice.agent."
    )
