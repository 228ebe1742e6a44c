"""The shell every screen lives in, seen through a real browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import resolve
from playwright.sync_api import Page, expect

from portal.staff.models import User
from portal.staff.roles import Role
from tests.e2e.conftest import DESKTOP, TABLET, axe_violations, login

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="1280px"), pytest.param(TABLET, id="tablet")]


def test_an_agent_logs_in_and_sees_the_search_box(
    page: Page, agent: User, live_server: Any
) -> None:
    login(page, agent)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("searchbox", name="Find a guest")).to_be_visible()
    expect(page.locator(".whoami")).to_contain_text(agent.username)
    expect(page.locator(".whoami")).to_contain_text("CSR agent")


def test_pressing_slash_puts_the_cursor_in_the_search_box(page: Page, agent: User) -> None:
    login(page, agent)
    search = page.get_by_role("searchbox", name="Find a guest")
    expect(search).not_to_be_focused()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")


def assert_no_mutation_controls(page: Page) -> None:
    post_forms = page.locator("form[method='post' i]")
    expect(post_forms).to_have_count(1)
    expect(post_forms).to_have_attribute("action", "/logout/")
    expect(page.locator("[hx-post], [hx-put], [hx-patch], [hx-delete]")).to_have_count(0)


def test_an_auditor_sees_no_mutation_controls_and_no_search_box(page: Page, auditor: User) -> None:
    login(page, auditor)
    expect(page.locator(".role-badge")).to_have_text("Auditor")
    expect(page.get_by_role("searchbox")).to_have_count(0)
    assert_no_mutation_controls(page)


# POST forms an auditor may see: the audit log posts its filters and export requests so that
# card numbers stay out of URLs and access logs; the adjustments report posts its CSV export (a
# job over the audit log). None changes a guest or a card.
AUDITOR_POST_TARGETS = {"logout", "audit:search", "audit:export", "cards:adjustments_report_export"}


def test_no_page_in_the_auditors_navigation_offers_mutation_controls(
    page: Page, auditor: User
) -> None:
    login(page, auditor)
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    targets = [str(nav.nth(i).get_attribute("href")) for i in range(nav.count())]
    assert targets
    for target in targets:
        response = page.goto(target)
        assert response is not None
        assert response.status == 200, target
        expect(page.get_by_role("searchbox")).to_have_count(0)
        actions = page.locator("form[method='post' i]").evaluate_all(
            # getAttribute: a field named "action" shadows the form's own action property.
            "forms => forms.map(f => new URL(f.getAttribute('action') || '', f.baseURI).pathname)"
        )
        assert {resolve(action).view_name for action in actions} <= AUDITOR_POST_TARGETS, target
        expect(page.locator("[hx-post], [hx-put], [hx-patch], [hx-delete]")).to_have_count(0)


def test_a_failed_login_shows_a_clear_message(page: Page, agent: User) -> None:
    login(page, agent, password="not-the-password-1234")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("That username and password do not match")
    expect(page.get_by_label("Username")).to_have_value(agent.username)


def test_logging_out_returns_to_the_login_page(page: Page, agent: User) -> None:
    login(page, agent)
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Loyalty Desk")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_login_page_has_no_accessibility_violations(page: Page) -> None:
    page.goto("/login/")
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_failed_login_page_has_no_accessibility_violations(page: Page, agent: User) -> None:
    login(page, agent, password="not-the-password-1234")
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_roles_home_page_has_no_accessibility_violations(
    page: Page, make_staff: Callable[..., User], role: Role
) -> None:
    login(page, make_staff(role))
    expect(page.locator(".role-badge")).to_have_text(role.label)
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_page_in_a_roles_navigation_has_no_accessibility_violations(
    page: Page, make_staff: Callable[..., User], role: Role
) -> None:
    login(page, make_staff(role))
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    targets = [str(nav.nth(i).get_attribute("href")) for i in range(nav.count())]
    assert targets
    found = {}
    for target in targets:
        page.goto(target)
        found[target] = axe_violations(page)
    assert {target: v for target, v in found.items() if v} == {}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_refusal_page_has_no_accessibility_violations(page: Page, auditor: User) -> None:
    login(page, auditor)
    response = page.goto("/guests/search/")
    assert response is not None
    assert response.status == 403
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_locked_out_page_has_no_accessibility_violations(page: Page, agent: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(page, agent, password="not-the-password-1234")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    assert axe_violations(page) == []
