"""Issue #15's search, bulk jobs, audit log and small items through a real browser: a CSR tells
guests of one name apart and finds them by what callers say; a supervisor runs a bulk job from
the navigation, filters its failed rows, cancels another and reads the changes in the audit log.
Every screen: no axe violation, no console error or CSP violation, nothing wider than the window.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from portal.jobs.models import Job
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.e2e.conftest import DESKTOP, TABLET, axe_violations, console_errors, login, page_width

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="1280px"), pytest.param(TABLET, id="768px")]
GUEST_PATH = f"/guests/{demo.DEMO_ACCOUNT_ID}/"


class _Queued:
    def delay(self, job_id: int) -> None:
        return None


def search_box(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Find a guest")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


def screen_is_clean(page: Page, width: int, errors: list[str]) -> None:
    assert page_width(page) <= width
    assert axe_violations(page) == []
    assert errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_csr_tells_guests_of_one_name_apart_and_finds_them_by_what_callers_say(
    page: Page, agent: User, sandbox: SandboxController, viewport: dict[str, int]
) -> None:
    errors = console_errors(page)
    width = viewport["width"]
    login(page, agent)

    # Several guests named Thompson: each row says what tells it apart, and the readings tried.
    search_box(page, demo.DEMO_LAST_NAME)
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        "Searched as username Thompson, then as last name Thompson: found by the last."
    )
    rows = main.locator("tbody tr")
    ava = rows.filter(has=page.locator(f'a[href="{GUEST_PATH}"]'))
    for shown in (
        str(demo.DEMO_ACCOUNT_ID),
        "…000011",
        "ACTIVE",
        "a***@example.com",
        "phone ending 0142",
        "Waltham",
    ):
        expect(ava).to_contain_text(shown)
    assert demo.DEMO_EMAIL not in page.content()
    expect(main).to_contain_text("main account")
    texts = [" ".join(text.split()) for text in rows.all_inner_texts()]
    assert len(texts) > 1
    assert len(set(texts)) == len(texts), texts  # no two rows alike
    screen_is_clean(page, width, errors)

    # What callers say opens the guest: a first name alone, "Last, First", a bare external code.
    for said in (
        demo.DEMO_FIRST_NAME,
        f"{demo.DEMO_LAST_NAME}, {demo.DEMO_FIRST_NAME}",
        demo.DEMO_EXTERNAL_ACCOUNT_CODE,
    ):
        search_box(page, said)
        expect(page).to_have_url(GUEST_PATH)
        expect(page.get_by_role("heading", level=1)).to_have_text("Ava Thompson")

    # The guest page raises no CSP violation, and a referral code names its program.
    screen_is_clean(page, width, errors)
    referrals = page.locator("#panel-referrals")
    referrals.get_by_role("link", name="Check a referral code").click()
    referrals.get_by_label("Referral code").fill(demo.DEMO_REFERRAL_CODE)
    referrals.get_by_role("button", name="Check a code").click()
    code = sandbox.state.account(demo.DEMO_ACCOUNT_ID).template_code
    program = sandbox.state.live.templates[code].label
    expect(referrals.get_by_role("status")).to_contain_text(f"({program}).")
    expect(referrals).not_to_contain_text(f"program {code}")
    screen_is_clean(page, width, errors)

    # Leading zeros: what was typed is said, with what else it may be.
    search_box(page, "000011")
    expect(main).to_contain_text("No guest matches account id 11 (typed 000011)")
    expect(main).to_contain_text("the loyalty system cannot search by part of a card number")
    expect(main).to_contain_text(f"{demo.DEMO_LAST_NAME} 000011")
    screen_is_clean(page, width, errors)

    # The browser's own request for the icon is answered.
    icon = page.request.get("/favicon.ico")
    assert icon.ok
    assert icon.headers["content-type"].startswith("image/")


def _upload(page: Page, text: str) -> None:
    page.get_by_role("navigation").first.get_by_role("link", name="Bulk cards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk enable or disable cards")
    page.get_by_label("Disable").check()
    page.get_by_label("Reason").fill("Fraud sweep 12 May")
    page.get_by_label("CSV file").set_input_files(
        {"name": "cards.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Check the file").click()


@pytest.mark.parametrize("viewport", [pytest.param(TABLET, id="768px")])
def test_a_supervisor_runs_filters_and_cancels_bulk_jobs_and_reads_them_in_the_audit_log(
    page: Page, supervisor: User, sandbox: SandboxController
) -> None:
    errors = console_errors(page)
    width = TABLET["width"]
    login(page, supervisor)

    # A combine into a suspended main account is refused precisely, with no "After" total.
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    main_account = sandbox.state.account_for_card(main)

    def suspend(model: Any, moment: Any) -> None:
        # As a combine before left it; a write, so the next test's reset undoes it.
        model.accounts[main_account.account_id].status = "SUSPENDED"

    sandbox.state.write(suspend)
    other_account = sandbox.state.account_for_card(other).account_id
    page.goto(f"/cards/{other_account}/{other[-6:]}/combine/")
    refusal = page.get_by_role("main")
    expect(refusal).to_contain_text(
        f"The main account {main_account.account_id} it would go into is suspended"
    )
    expect(refusal).to_contain_text("until it is active again")
    expect(refusal.get_by_text("After", exact=True)).to_have_count(0)
    expect(refusal.get_by_label("I have told the guest")).to_have_count(0)
    screen_is_clean(page, width, errors)

    # From the navigation: the start button counts each action the rows name.
    _upload(
        page,
        f"{demo.DEMO_ACTIVE_CARD},disable,lost\n"
        f"{demo.DEMO_DISABLED_CARD},enable\n"
        f"{demo.DEMO_EXCHANGED_CARD}\n",
    )
    start = page.get_by_role("button", name="Start: disable 2 cards, enable 1 card")
    expect(start).to_be_visible()
    screen_is_clean(page, width, errors)
    start.click()

    # The job ran (an exchanged card cannot be disabled): its failed row can be shown alone.
    progress = page.locator("#job-progress")
    expect(progress).to_contain_text("3 of 3 done, 1 not succeeded")
    screen_is_clean(page, width, errors)
    page.get_by_role("link", name="Show only the items that did not succeed (1)").click()
    items = page.locator("table tbody tr")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("card ending 000013")
    expect(page.get_by_role("link", name="Show every item")).to_be_visible()
    screen_is_clean(page, width, errors)
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"

    # A second job, under way: Cancel goes once it is asked to stop.
    _upload(page, f"{demo.DEMO_ATTACHABLE_CARD}\n")
    with mock.patch("portal.jobs.services.job_run_task", _Queued()):
        page.get_by_role("button", name="Start: disable 1 card").click()
        expect(progress).to_contain_text("0 of 1 done")
    Job.objects.filter(status="queued").update(status="running")
    page.reload()
    # It asks first: a cancel cannot be taken back.
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Cancel the job").click()
    expect(page.get_by_role("button", name="Cancel the job")).to_be_enabled()
    page.wait_for_load_state("networkidle")  # a submit would have been sent by now
    assert len(asked) == 1
    assert Job.objects.filter(cancel_requested=True).count() == 0
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Cancel the job").click()
    expect(page.get_by_text("The job stops after the items under way.")).to_be_visible()
    assert len(asked) == 2
    assert "cannot be resumed" in asked[0]
    expect(page.get_by_role("button", name="Cancel the job")).to_have_count(0)

    # The jobs list says what each job acted on.
    page.get_by_role("link", name="All your jobs").click()
    expect(page.get_by_role("cell", name="3 cards", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="1 card", exact=True)).to_be_visible()
    screen_is_clean(page, width, errors)

    # The audit log: one row per change with its outcome, words, readable details, the guest.
    page.get_by_role("navigation").first.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("card.disable")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit-rows tbody tr")
    lost = rows.filter(has_text="card …000011")
    expect(lost).to_have_count(1)  # the intent and its outcome are one row
    expect(lost).to_contain_text("Disable a card")
    expect(lost).to_contain_text("Succeeded")
    expect(lost).to_contain_text("Status asked for: DISABLED")
    expect(lost).not_to_contain_text("card.disable")
    expect(page.locator("table.audit-rows")).not_to_contain_text("{'")
    screen_is_clean(page, width, errors)
    # Reading rows (this very page) are left out unless asked for.
    page.get_by_role("link", name="Clear filters").click()
    everything = page.locator("table.audit-rows")
    expect(everything).not_to_contain_text("Viewed the audit log")
    page.get_by_label("Show reading rows too").check()
    page.get_by_role("button", name="Filter").click()
    expect(everything).to_contain_text("Viewed the audit log")
    screen_is_clean(page, width, errors)

    # The account links to the guest.
    page.get_by_label("Show reading rows too").uncheck()
    page.get_by_role("button", name="Filter").click()
    account = str(sandbox.state.card(demo.DEMO_ACTIVE_CARD).account_id)
    lost.get_by_role("link", name=account, exact=True).click()
    expect(page).to_have_url(f"/guests/{account}/")
    screen_is_clean(page, width, errors)
