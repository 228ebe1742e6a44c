"""The idle timeout and job pages in a real browser: a combine's page follows its job to the
result, the warning before the session ends keeps it on request, and a form sent after the end
keeps what was typed and comes back to its page after signing in."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from cards.services.combine import card_combine_item
from portal.jobs.models import Job
from portal.jobs.runner import job_run_items
from portal.sandbox import demo
from portal.staff.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, axe_violations, login

pytestmark = pytest.mark.browser


class _Queued:
    def delay(self, job_id: int) -> None:
        return None


def test_a_combine_page_updates_until_its_job_ends_and_the_session_can_be_kept(
    page: Page, supervisor: User, sandbox: Any, settings: Any
) -> None:
    # A session of 65 seconds: the warning (a minute before the end) comes within seconds.
    settings.SESSION_COOKIE_AGE = 65
    main, other = demo.DEMO_COMBINABLE_PAIR
    other_account = sandbox.state.account_for_card(other).account_id
    main_account = sandbox.state.account_for_card(main).account_id
    login(page, supervisor)
    page.goto(f"/cards/{other_account}/{other[-6:]}/combine/")
    page.get_by_label("Reason").fill("Guest has two cards")
    page.get_by_label("I have told the guest").check()
    with mock.patch("portal.jobs.services.job_run_task", _Queued()):
        page.get_by_role("button", name=f"Combine card ending {other[-6:]}").click()
        expect(page.locator("#job-progress")).to_contain_text("This page updates by itself")
    expect(page.locator("#job-progress")).not_to_contain_text("stopped updating")

    warning = page.locator("#session-warning")
    expect(warning).to_contain_text("your session ends in", timeout=10_000)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    job_run_items(Job.objects.get().pk, card_combine_item)
    expect(page.get_by_text(f"combined into account {main_account}")).to_be_visible(timeout=8_000)
    expect(page.get_by_role("heading", name="Result")).to_be_visible()

    # The jobs list names the account the combine acted on and its card.
    page.goto("/jobs/")
    expect(page.get_by_role("link", name=str(other_account), exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"card ending {other[-6:]}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [TABLET])
def test_a_form_sent_after_the_session_ended_keeps_the_draft_and_returns_to_its_page(
    page: Page, agent: User, sandbox: Any, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 65
    form_url = f"/cards/{demo.DEMO_ACCOUNT_ID}/000011/disable/"
    login(page, agent)
    page.goto(form_url)
    page.get_by_label("Stolen").check()
    page.get_by_label("Details").fill("Bag stolen on the train")
    # Typing is activity: in the last minute the session is kept without a warning.
    keepalive = page.wait_for_event(
        "request", lambda request: "/session/keepalive/" in request.url, timeout=10_000
    )
    assert keepalive.method == "POST"
    expect(page.locator("#session-warning")).to_be_hidden()
    Session.objects.all().delete()  # the session ends while the CSR types
    page.get_by_role("button", name="Disable card ending 000011").click()

    expect(page).to_have_url(f"/login/?expired=1&next={form_url}")
    expect(page.get_by_text("Your session ended")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(form_url)
    expect(page.get_by_label("Details")).to_have_value("Bag stolen on the train")
    expect(page.get_by_label("Stolen")).to_be_checked()
    expect(page.get_by_text("is filled in again")).to_be_visible()
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"

    page.get_by_role("button", name="Disable card ending 000011").click()
    expect(page.get_by_text("Card ending 000011 is now disabled.")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.includes('draft'))") == []


@pytest.mark.parametrize("viewport", [TABLET])
def test_a_draft_comes_back_only_when_it_never_reached_the_server(
    page: Page, agent: User, sandbox: Any
) -> None:
    account = demo.DEMO_ACCOUNT_ID
    login(page, agent)
    banner = page.get_by_text("is filled in again")

    # A note the server took: the form is empty again, nothing is refilled.
    page.goto(f"/guests/{account}/")
    notes = page.locator("#panel-notes")
    notes.get_by_label("Note").fill("Called about the missing points")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.get_by_text("Note added.")).to_be_visible()
    expect(notes.get_by_label("Note")).to_have_value("")
    expect(banner).to_have_count(0)

    # A field error is an answer: the server's form shows, with no banner.
    page.goto(f"/cards/{account}/000011/exchange/")
    page.get_by_label("New card number").fill("99")
    page.get_by_label("Lost").check()
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("button", name="Check the new card").click()
    expect(page.locator("#exchange .errorlist")).to_contain_text("11 to 19 digits")
    expect(banner).to_have_count(0)
    expect(page.get_by_label("New card number")).to_have_value("99")
    expect(banner).to_have_count(0)

    # Typed and left without sending: a later visit shows the guest's own value.
    details = f"/guests/{account}/details/"
    page.goto(details)
    first_name = page.get_by_label("First name")
    saved = first_name.input_value()
    first_name.fill("")
    page.goto(f"/guests/{account}/")
    page.goto(details)
    expect(page.get_by_label("First name")).to_have_value(saved)
    expect(banner).to_have_count(0)
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.includes('draft'))") == []
