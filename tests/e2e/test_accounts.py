"""The guest's accounts in a real browser: attach, combine and attach-and-combine end to end,
and Combine offered only where the spec allows it (an attached account of a program that
combines, not the main account)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import login
from tests.e2e.test_wallets import fits

pytestmark = pytest.mark.browser

AVA = demo.DEMO_ACCOUNT_ID
COMBINE = "Combine into the main account"


def account_section(page: Page, account_id: int) -> Any:
    return page.locator(f"#panel-cards #account-{account_id}")


def own_card_row(page: Page, masked: str) -> Any:
    """A card row of the page's own account (the first table of the cards panel)."""
    return page.locator("#panel-cards > .table-scroll tbody tr").filter(has_text=masked)


def combine_from_preview(page: Page, masked: str, main_account: int) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Combine card ending {masked}")
    expect(page.get_by_role("link", name=str(main_account))).to_be_visible()
    page.get_by_label("Reason").fill("Guest wants one balance")
    page.get_by_label("I have told the guest").check()
    page.get_by_role("button", name=f"Combine card ending {masked}").click()
    expect(page.get_by_text(f"combined into account {main_account}")).to_be_visible()
    page.get_by_role("link", name="Back to the guest").click()


def test_combine_is_offered_only_on_an_attached_account_and_moves_it_into_the_main_one(
    page: Page, supervisor: User, sandbox: Any
) -> None:
    main_card, other_card = demo.DEMO_COMBINABLE_PAIR
    main = sandbox.state.card(main_card).account_id
    other = sandbox.state.card(other_card).account_id
    login(page, supervisor)

    # Two Gift Card accounts: nothing to offer, and the page says why.
    gift = sandbox.state.card(demo.DEMO_NOT_COMBINABLE_PAIR[0]).account_id
    page.goto(f"/guests/{gift}/")
    expect(page.get_by_text("Accounts of the Gift Card program cannot be combined.")).to_have_count(
        2
    )
    expect(page.get_by_role("link", name=COMBINE)).to_have_count(0)

    page.goto(f"/guests/{main}/")
    expect(page.get_by_text("The guest's main Rewards Card account")).to_be_visible()
    expect(own_card_row(page, main_card[-6:]).get_by_role("link", name=COMBINE)).to_have_count(0)
    section = account_section(page, other)
    expect(section).to_contain_text(other_card[-6:])
    expect(page.get_by_role("link", name=COMBINE)).to_have_count(1)
    section.get_by_role("link", name=COMBINE).click()

    combine_from_preview(page, other_card[-6:], main)
    expect(page).to_have_url(f"/guests/{main}/#panel-cards")
    expect(own_card_row(page, other_card[-6:])).to_have_count(1)
    expect(account_section(page, other)).to_have_count(0)
    assert sandbox.state.account(other).status == "ABANDONED"


def test_a_supervisor_attaches_a_card_then_combines_its_account(
    page: Page, supervisor: User, sandbox: Any
) -> None:
    login(page, supervisor)
    page.goto(f"/guests/{AVA}/")
    page.get_by_role("link", name="Attach a card", exact=True).click()
    page.get_by_label("Card number to attach").fill(demo.DEMO_ATTACHABLE_CARD)
    page.get_by_label("Reason").fill("Guest found an old card")
    page.get_by_role("button", name="Attach card").click()

    expect(page).to_have_url(f"/guests/{AVA}/#panel-cards")
    attached = sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).account_id
    section = account_section(page, attached)
    expect(section).to_contain_text("000021")
    expect(own_card_row(page, "000021")).to_have_count(0)
    section.get_by_role("link", name=COMBINE).click()

    combine_from_preview(page, "000021", AVA)
    expect(own_card_row(page, "000021")).to_have_count(1)
    expect(account_section(page, attached)).to_have_count(0)


def test_a_supervisor_attaches_and_combines_a_card_in_one_step(
    page: Page, supervisor: User, sandbox: Any
) -> None:
    before = sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).account_id
    login(page, supervisor)
    page.goto(f"/guests/{AVA}/")
    page.get_by_role("link", name="Attach and combine a card").click()
    page.get_by_label("Card number to attach").fill(demo.DEMO_ATTACHABLE_CARD)
    page.get_by_label("Reason").fill("Guest wants one balance")
    page.get_by_role("button", name="Attach and combine").click()

    expect(page).to_have_url(f"/guests/{AVA}/#panel-cards")
    expect(page.get_by_text("is attached and its balances combined")).to_be_visible()
    expect(own_card_row(page, "000021")).to_have_count(1)
    expect(account_section(page, before)).to_have_count(0)
    expect(page.get_by_role("link", name=COMBINE)).to_have_count(0)


def test_an_agents_combine_waits_for_a_supervisor_who_approves_it(
    page: Page, browser: Any, live_server: Any, agent: User, supervisor: User, sandbox: Any
) -> None:
    main_card, other_card = demo.DEMO_COMBINABLE_PAIR
    main = sandbox.state.card(main_card).account_id
    other = sandbox.state.card(other_card).account_id
    login(page, agent)
    page.goto(f"/guests/{main}/")
    account_section(page, other).get_by_role("link", name=COMBINE).click()

    expect(page.get_by_text("A supervisor approves this combine.")).to_be_visible()
    fits(page, "combine-approval-preview")
    page.get_by_label("Reason").fill("Guest wants one balance")
    page.get_by_label("I have told the guest").check()
    page.get_by_role(
        "button", name=f"Ask a supervisor to combine card ending {other_card[-6:]}"
    ).click()
    expect(page.get_by_text("a supervisor will approve or reject it")).to_be_visible()
    request_url = page.url
    assert sandbox.state.card(other_card).account_id == other

    boss = browser.new_context(base_url=live_server.url)
    approver = boss.new_page()
    login(approver, supervisor)
    approver.goto(request_url)
    expect(approver.get_by_text(f"You combine account {other}")).to_be_visible()
    approver.get_by_label("Reason").fill("Same guest, checked")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.get_by_text(f"combined into account {main}").first).to_be_visible()
    boss.close()

    assert sandbox.state.card(other_card).account_id == main
    page.goto(request_url)
    expect(page.get_by_text("by sam.supervisor").first).to_be_visible()
    fits(page, "combine-approval-outcome")
