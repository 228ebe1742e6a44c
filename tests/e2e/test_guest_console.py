"""The guest page as a CSR lives in it all day, and the guest's timeline, through a real browser
at a desktop's and a tablet's width: layout, summary, keyboard, notes, history in the address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.paytronix.csr import MAX_COMMENT_LENGTH
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.e2e.conftest import DESKTOP, TABLET, axe_violations, login, page_width

pytestmark = pytest.mark.browser

GUEST_PATH = f"/guests/{demo.DEMO_ACCOUNT_ID}/"
TIMELINE_PATH = f"/guests/{demo.DEMO_ACCOUNT_ID}/timeline/"
VIEWPORTS = [pytest.param(DESKTOP, id="1280px"), pytest.param(TABLET, id="768px")]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_csrs_guest_page_fits_the_screen_leads_with_the_summary_and_works_by_keyboard(
    page: Page, agent: User, sandbox: SandboxController, viewport: dict[str, int]
) -> None:
    login(page, agent)
    page.goto(GUEST_PATH)
    width = viewport["width"]

    # The summary is on the first screen; arriving, focus is on the guest's name.
    summary = page.locator("#panel-summary")
    expect(summary).to_contain_text("Last transaction")
    assert summary.bounding_box()["y"] < viewport["height"]  # type: ignore[index]
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    # A note of one 480-letter word: refused never, cut never, and it widens nothing.
    notes = page.locator("#panel-notes")
    box = notes.get_by_label("Note")
    long_word = "W" * 480
    box.fill(long_word)
    expect(notes.locator(".char-count")).to_have_text(f"480 of {MAX_COMMENT_LENGTH} characters")
    before = len(sandbox.state.account(demo.DEMO_ACCOUNT_ID).comments)
    expect(summary).to_contain_text(f"{before} notes")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator("ul.notes")).to_contain_text(long_word)
    expect(notes.locator(".alert")).to_have_count(1)  # "Note added." and no second banner
    # The summary above draws itself again: it counts the new note.
    expect(summary).to_contain_text(f"{before + 1} notes")
    assert page_width(page) == width
    disable = page.locator("#panel-cards").get_by_role("link", name="Disable")
    right = disable.bounding_box()
    assert right is not None
    assert right["x"] + right["width"] <= width

    # Too long: the counter says so and the server refuses, keeping every character.
    too_long = "x" * (MAX_COMMENT_LENGTH + 11)
    notes.get_by_label("Note").fill(too_long)
    expect(notes.locator(".char-count")).to_contain_text("11 over the limit")
    notes.get_by_role("button", name="Add note").click()
    expect(notes).to_contain_text("Shorten it by 11 characters")
    expect(notes.get_by_label("Note")).to_have_value(too_long)

    # The history fits its box: every column, the last wallet's too, is read without scrolling.
    history = page.locator("table.history")
    expect(history.locator("tbody tr").first).to_be_visible()
    fits = history.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    assert fits, history.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    comments = history.get_by_role("link", name="Comments").first.bounding_box()
    scroll_box = page.locator(".table-scroll:has(table.history)").bounding_box()
    assert comments is not None
    assert scroll_box is not None
    assert comments["x"] + comments["width"] <= scroll_box["x"] + scroll_box["width"]

    # Keyboard: "?" lists the shortcuts; "c" goes to the cards; a drawer opened from its
    # link puts the cursor in its first field.
    page.locator("body").press("Escape")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("Cards")
    expect(dialog).to_contain_text("Timeline")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("c")
    expect(page.locator("#panel-cards")).to_be_focused()
    page.keyboard.press("a")
    expect(notes.get_by_label("Note")).to_be_focused()
    page.locator("#panel-header").get_by_role("link", name="Change preferences").click()
    expect(page.locator("#panel-header").get_by_label("All messages")).to_be_focused()

    assert page_width(page) == width
    assert axe_violations(page) == []
    # The other drawers, opened, are as accessible (opening one redraws its panel).
    for panel, label in (("referrals", "Refer friends"), ("wallets", "Check a visit code")):
        page.locator(f"#panel-{panel}").get_by_role("link", name=label).click()
        expect(page.locator(f"#panel-{panel} .drawer")).to_be_visible()
    assert page_width(page) == width
    assert axe_violations(page) == []

    # A suspended account says so at the top and offers no card action upstream would refuse.
    suspended = sandbox.state.card(demo.DEMO_SUSPENDED_ACCOUNT_CARD).account_id
    page.goto(f"/guests/{suspended}/")
    expect(page.locator(".state-notice")).to_contain_text("This account is suspended")
    cards = page.locator("#panel-cards")
    expect(cards).to_contain_text("Paytronix refuses card status changes")
    expect(cards.get_by_role("link", name="Disable")).to_have_count(0)
    expect(cards.get_by_role("link", name="Attach a card")).to_have_count(0)
    assert page_width(page) == width
    assert axe_violations(page) == []


def test_history_comments_load_in_place_and_filters_and_page_survive_reload_and_back(
    page: Page, agent: User, sandbox: SandboxController
) -> None:
    login(page, agent)
    page.goto(GUEST_PATH)
    history = page.locator("#panel-history")
    history.get_by_role("link", name="Comments").first.click()
    expect(history).to_contain_text("25 bonus points for the wait on May 30.")
    # Focus moves to what was loaded.
    expect(page.locator(f"#comments-{demo.DEMO_ANNOTATED_TRANSACTION_ID}")).to_be_focused()
    history.get_by_label("Only balance changes").check()
    history.get_by_role("button", name="Show").click()
    expect(page).to_have_url(
        f"{page.url.split('?')[0].split('#')[0]}?balance_only=on#panel-history"
    )
    expect(history).not_to_contain_text("Identify Customer")
    history.get_by_role("link", name="Older").click()
    expect(history).to_contain_text("Page 2")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?balance_only=on&page=2#panel-history")

    page.reload()
    expect(page.locator("#panel-history")).to_contain_text("Page 2")
    expect(page.locator("#panel-history").get_by_label("Only balance changes")).to_be_checked()

    page.go_back()
    expect(page.locator("#panel-history")).to_contain_text("Page 1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ava Thompson")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?balance_only=on#panel-history")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_timeline_shows_the_consoles_changes_with_the_guests_activity_and_filters_in_place(
    page: Page, supervisor: User, sandbox: SandboxController, viewport: dict[str, int]
) -> None:
    login(page, supervisor)
    page.goto(GUEST_PATH)
    notes = page.locator("#panel-notes")
    notes.get_by_label("Note").fill("Walked the guest through the timeline.")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator("ul.notes")).to_contain_text("Walked the guest through the timeline.")

    page.get_by_role("navigation", name="Panels of this guest").get_by_role(
        "link", name="Timeline"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Timeline of Ava Thompson")
    entries = page.locator("ol.timeline > li")
    # The change and the note it made, both a moment ago, lead the list.
    change = entries.filter(has_text="Add an account note")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(supervisor.username)
    expect(change).to_contain_text("Succeeded")
    expect(change.get_by_role("link", name="Audit record")).to_be_visible()
    leading = " ".join(page.locator("ol.timeline > li:nth-child(-n+2)").all_inner_texts())
    assert "Add an account note" in leading
    assert "Walked the guest through the timeline." in leading
    expect(page.locator("ol.timeline")).to_contain_text("Point Adjustment")

    page.get_by_label("Transactions").uncheck()
    page.get_by_label("Account notes").uncheck()
    page.get_by_label("Referrals").uncheck()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?kinds=change&date_start=&date_end=")
    expect(page.locator("ol.timeline > li.entry-transaction")).to_have_count(0)
    expect(entries).to_have_count(1)
    page.reload()
    expect(entries).to_have_count(1)

    assert page_width(page) == viewport["width"]
    assert axe_violations(page) == []
