"""Browser tests: Playwright (sync API) on Debian's Chromium against pytest-django's live server.

No browser is ever downloaded. Without /usr/bin/chromium the browser tests skip, unless
REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    sync_playwright,
)

from portal.staff.models import User
from tests.conftest import PASSWORD, REQUIRE_SERVICES

# Playwright's sync API keeps an event loop in the main thread; Django would otherwise refuse
# the ORM calls that fixtures make there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(__file__).with_name("axe-4.14.1.min.js")
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    # `launch` gives every run a fresh temporary profile.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


@pytest.fixture
def context(
    browser: Browser, live_server: Any, viewport: dict[str, int]
) -> Iterator[BrowserContext]:
    fresh = browser.new_context(base_url=live_server.url, viewport=viewport)  # type: ignore[arg-type]
    fresh.set_default_timeout(10_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def login(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the current page, trimmed to what a failure message needs.

    The vendored axe is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the page is checked under its real policy.
    """
    page.evaluate(AXE_SCRIPT.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document)).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]],
        }
        for v in violations
    ]


def console_errors(page: Page) -> list[str]:
    """Collect the page's console errors, uncaught exceptions and CSP violations as they happen.

    Chromium logs a refused inline style or script as a console error; the listener added to
    every document names the violated directive too, in case a build stops logging it.
    """
    errors: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline')))"
    )

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_page_error(error: Error) -> None:
        errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return errors


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))
