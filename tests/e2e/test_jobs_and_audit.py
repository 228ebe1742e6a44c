"""Job progress and the audit log in a real browser: the bar moves without a reload, the page
shows the results when the job ends, and a card search never puts the number in the URL."""

from __future__ import annotations

from unittest import mock

import pytest
from playwright.sync_api import Page, expect

from portal.audit.chain import chain_append
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.scrub import card_hash
from portal.audit.types import AuditContext, Reason
from portal.jobs.lifecycle import job_progress
from portal.jobs.models import ItemOutcome, ItemStatus, Job, JobItem
from portal.jobs.runner import ItemResult, job_run_items
from portal.jobs.services import ItemSpec, job_create
from portal.sandbox import demo
from portal.staff.models import User
from tests.e2e.conftest import TABLET, axe_violations, login

pytestmark = pytest.mark.browser


class _Queued:
    def delay(self, job_id: int) -> None:
        return None


def _job(owner: User, items: int) -> Job:
    """A queued job that no worker runs: the test moves its progress itself."""
    with mock.patch("portal.jobs.services.job_run_task", _Queued()):
        return job_create(
            owner=owner,
            kind="bulk.card_status",
            idempotency_key="browser-job",
            context=AuditContext(),
            items=[ItemSpec(label=f"card ending 00000{n}", payload={}) for n in range(items)],
            reason=Reason(text="Browser test"),
        )


def test_a_jobs_progress_updates_live_and_its_results_appear_when_it_ends(
    page: Page, supervisor: User
) -> None:
    job = _job(supervisor, 4)
    login(page, supervisor)
    page.goto(f"/jobs/{job.pk}/")
    expect(page.locator("#job-progress")).to_contain_text("0 of 4 done")
    assert axe_violations(page) == []

    job_progress(job, done=2)
    expect(page.locator("#job-progress")).to_contain_text("2 of 4 done", timeout=8_000)

    job_run_items(job.pk, lambda run: ItemResult(ItemOutcome.SUCCEEDED, "Disabled."))
    expect(page.get_by_role("link", name="Download results (CSV)")).to_be_visible(timeout=8_000)
    expect(page.locator("#job-progress")).to_contain_text("4 of 4 done")
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", "every 2s")


@pytest.mark.parametrize("viewport", [TABLET])
def test_an_auditor_finds_a_change_by_card_number_and_reads_it(
    page: Page, auditor: User, agent: User
) -> None:
    record = chain_append(
        kind=Kind.EVENT,
        action="card.disable",
        outcome=Outcome.DENIED,
        actor_username=agent.username,
        account_id=demo.DEMO_ACCOUNT_ID,
        card_hash=card_hash(demo.DEMO_ACTIVE_CARD),
        card_masked=demo.DEMO_ACTIVE_CARD[-6:],
        reason_code="stolen",
        reason_text="Guest called: wallet stolen on the train this morning",
        params={"status": "DISABLED", "paymentMethodHash": card_hash(demo.DEMO_OTHER_METHOD_ID)},
    )
    login(page, auditor)
    page.goto("/audit/")
    page.get_by_label("Card number").fill(demo.DEMO_ACTIVE_CARD)
    page.get_by_role("button", name="Filter").click()

    assert demo.DEMO_ACTIVE_CARD not in page.url
    assert "card_hash=" in page.url
    expect(page.get_by_text("Filtered on one card number")).to_be_visible()
    # At 768 px every row is readable in place: nothing scrolls sideways, no column is cut.
    rows = page.locator("table.audit-rows")
    assert rows.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    expect(rows.get_by_text("wallet stolen on the train")).to_be_in_viewport()
    assert axe_violations(page) == []
    page.get_by_role("link", name=record.occurred_at.strftime("%Y-%m-%d %H:%M:%S")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Disable a card")
    assert axe_violations(page) == []
    assert AuditRecord.objects.filter(action="audit.view", actor_id=auditor.pk).count() == 3


def test_a_keyboard_users_place_in_the_items_survives_the_polls(
    page: Page, supervisor: User
) -> None:
    """The items table is replaced every 2 s while the job runs; the focused link comes back
    focused (htmx restores focus by id), not lost to the page's top."""
    job = _job(supervisor, 3)
    Job.objects.filter(pk=job.pk).update(status="running")
    login(page, supervisor)
    page.goto(f"/jobs/{job.pk}/")
    show = page.get_by_role("link", name="Show only the items that did not succeed")
    show.focus()
    page.locator("#job-items").evaluate("items => { items.dataset.before = 'poll' }")

    first = job.items.get(position=1)
    JobItem.objects.filter(pk=first.pk).update(
        status=ItemStatus.DONE, outcome=ItemOutcome.SUCCEEDED, message="Disabled."
    )
    expect(page.locator("#job-items tbody tr").first).to_contain_text("Disabled.", timeout=8_000)
    expect(page.locator("#job-items")).not_to_have_attribute("data-before", "poll")
    assert page.evaluate("document.activeElement.id") == "items-filter"

    # The job ends: the page reloads itself (HX-Refresh), and the focus comes back too.
    with page.expect_event("load", timeout=8_000):
        job_run_items(job.pk, lambda run: ItemResult(ItemOutcome.SUCCEEDED, "Disabled."))
    expect(page.locator("#job-progress")).to_contain_text("3 of 3 done")
    expect(page.locator("#items-filter")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Show every item")).to_be_visible()
