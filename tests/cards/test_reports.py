"""The adjustments report: its totals match the audit log (only what went through counts, the
latest outcome decides), each breakdown adds up to them, the filters in the URL narrow it, the
approvals are counted, and the CSV is written at once or by a job. Supervisors and auditors
read it; agents do not."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from cards.reports import AdjustmentFilters, adjustments_report
from portal.approvals.models import ApprovalRequest
from portal.audit.chain import chain_append
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.records import actor_fields
from portal.jobs.models import Job, JobStatus
from portal.staff.roles import Role

pytestmark = pytest.mark.django_db

POINTS, STORED_VALUE = 5, 0
NAMES = {POINTS: "Points", STORED_VALUE: "Stored Value"}


def change(
    actor,
    quantity: str,
    *,
    wallet: int = POINTS,
    reason: str = "missed_visit",
    outcomes: tuple[str, ...] = (Outcome.SUCCEEDED,),
    action: str = "wallet.adjust",
    when: datetime | None = None,
    **params: Any,
) -> AuditRecord:
    """A wallet change as the door records it: the intent, then each outcome in turn."""
    with time_machine.travel(when or datetime(2026, 11, 20, 15, tzinfo=UTC), tick=False):
        intent = chain_append(
            kind=Kind.INTENT,
            outcome=Outcome.PENDING,
            action=action,
            idempotency_key=uuid.uuid4().hex,
            account_id=9000001,
            card_masked="000011",
            reason_code=reason,
            params={
                "wallet_code": wallet,
                "wallet_name": NAMES[wallet],
                "quantity": quantity,
                "reason_code": reason,
                "comment": "from the test",
                **params,
            },
            **actor_fields(actor),
        )
        for outcome in outcomes:
            chain_append(
                kind=Kind.OUTCOME,
                outcome=outcome,
                action=action,
                intent=intent,
                **actor_fields(actor),
            )
    return intent


def approval_step(actor, action: str) -> AuditRecord:
    with time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=UTC), tick=False):
        return chain_append(
            kind=Kind.INTENT,
            outcome=Outcome.PENDING,
            action=action,
            idempotency_key=uuid.uuid4().hex,
            params={"action": "wallet.adjust", "approval_request": 1},
            **actor_fields(actor),
        )


@pytest.fixture
def ledger(make_staff):
    """Two agents and a supervisor, and their wallet changes (bob's name the guest's store)."""
    ann = make_staff(Role.AGENT, username="ann")
    bob = make_staff(Role.AGENT, username="bob")
    sue = make_staff(Role.SUPERVISOR, username="sue")
    change(ann, "25")
    change(ann, "-10", reason="duplicate_credit")
    change(ann, "5.00", wallet=STORED_VALUE, reason="service_recovery")
    change(bob, "40", when=datetime(2026, 11, 3, 12, tzinfo=UTC), store_code="002")
    change(bob, "300", outcomes=(Outcome.FAILED,), store_code="002")
    change(
        bob,
        "15",
        outcomes=(Outcome.UNKNOWN, Outcome.SUCCEEDED),
        reason="goodwill",
        store_code="002",
    )
    change(bob, "7", outcomes=(Outcome.UNKNOWN,), store_code="002")
    first = change(ann, "12", reason="correction")
    change(ann, "-12", action="wallet.void", reason="entered_in_error", voids=first.pk)
    change(
        sue,
        "900",
        reason="service_recovery",
        approval_request=1,
        requested_by="ann",
        approved_by="sue",
    )
    approval_step(ann, "approval.request")
    approval_step(ann, "approval.request")
    approval_step(sue, "approval.approve")
    approval_step(sue, "approval.reject")
    approval_step(bob, "approval.request")
    approval_step(bob, "approval.withdraw")
    return {"ann": ann, "bob": bob, "sue": sue}


def from_the_log() -> dict[int | None, tuple[int, Decimal]]:
    """Count and net per wallet, computed straight from the audit records."""
    expected: dict[int | None, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    intents = AuditRecord.objects.filter(
        kind=Kind.INTENT, action__in=["wallet.adjust", "wallet.void"]
    )
    for intent in intents:
        latest = intent.outcomes.order_by("-seq").first()
        if latest is not None and latest.outcome == Outcome.SUCCEEDED:
            line = expected[intent.params["wallet_code"]]
            line[0] += 1
            line[1] += Decimal(intent.params["quantity"])
    return {code: (count, net) for code, (count, net) in expected.items()}


def totals(groups) -> dict[int | None, tuple[int, Decimal]]:
    summed: dict[int | None, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for group in groups:
        for wallet in group.wallets:
            summed[wallet.wallet_code][0] += wallet.count
            summed[wallet.wallet_code][1] += wallet.net
    return {code: (count, net) for code, (count, net) in summed.items()}


def test_the_reports_totals_match_the_audit_log(ledger):
    report = adjustments_report(AdjustmentFilters())
    per_wallet = {t.wallet_code: (t.count, t.net) for t in report.wallets}
    assert per_wallet == from_the_log()
    assert per_wallet == {POINTS: (7, Decimal("970")), STORED_VALUE: (1, Decimal("5.00"))}
    for breakdown in (report.by_reason, report.by_agent, report.by_store, report.by_period):
        assert totals(breakdown) == per_wallet
    points = next(t for t in report.wallets if t.wallet_code == POINTS)
    assert (points.added, points.taken, points.voided) == (
        Decimal("992"),
        Decimal("-10"),
        Decimal("-12"),
    )
    assert report.not_applied == {Outcome.FAILED: 1, Outcome.UNKNOWN: 1}


def test_each_breakdown_names_its_groups(ledger):
    report = adjustments_report(AdjustmentFilters(period="month"))
    assert [g.label for g in report.by_agent] == ["ann", "bob", "sue"]
    assert [g.label for g in report.by_store] == ["002", "not recorded"]
    assert [g.label for g in report.by_period] == ["2026-11"]
    reasons = {g.label: g.count for g in report.by_reason}
    assert reasons["Entered in error"] == 1
    weekly = adjustments_report(AdjustmentFilters(period="week"))
    assert [g.label for g in weekly.by_period] == ["2026-W45", "2026-W47"]
    (approved,) = report.approved_adjustments
    assert (approved.requested_by, approved.approved_by, approved.quantity) == (
        "ann",
        "sue",
        Decimal("900"),
    )
    assert {
        u: (c.requested, c.approved, c.rejected, c.withdrawn, c.waiting)
        for u, c in report.approvals.items()
    } == {
        "ann": (2, 0, 0, 0, 0),
        "bob": (1, 0, 0, 1, 0),
        "sue": (0, 1, 1, 0, 0),
    }


def test_the_approvals_table_counts_the_requests_still_waiting_for_a_decision(ledger, client):
    # Seen in a walkthrough: the table counted requests and decisions but not what still waits.
    asked = approval_step(ledger["ann"], "approval.request")
    ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Give 900 Points",
        requester=ledger["ann"],
        requester_username="ann",
        idempotency_key="waiting-1",
        request_record_id=asked.pk,
    )

    report = adjustments_report(AdjustmentFilters())
    assert (report.approvals["ann"].requested, report.approvals["ann"].waiting) == (3, 1)
    assert report.approvals["bob"].waiting == 0  # bob's was withdrawn

    client.force_login(ledger["sue"])
    page = client.get(reverse("cards:adjustments_report")).content.decode()
    table = page[page.index('id="report-approvals"') :]
    table = table[: table.index("</table>")]
    assert "Requests they asked for" in table
    assert "Requests they decided" in table
    assert (
        '<th scope="row">ann</th><td class="num group-start">3</td><td class="num">0</td>'
        '<td class="num">1</td><td class="num group-start">0</td><td class="num">0</td>'
    ) in table


def test_filters_narrow_the_report(ledger):
    by_bob = adjustments_report(AdjustmentFilters(agent="bob"))
    assert {t.wallet_code: (t.count, t.net) for t in by_bob.wallets} == {POINTS: (2, Decimal(55))}
    early = adjustments_report(AdjustmentFilters(until=date(2026, 11, 10)))
    assert early.count == 1
    store = adjustments_report(AdjustmentFilters(store="002"))
    assert [g.label for g in store.by_agent] == ["bob"]
    money = adjustments_report(AdjustmentFilters(wallet=STORED_VALUE, reason="service_recovery"))
    assert [(t.wallet_code, t.net) for t in money.wallets] == [(STORED_VALUE, Decimal("5.00"))]


def test_the_screen_groups_thousands_and_counts_changes_in_plain_words(
    make_staff, supervisor_client
):
    # Seen in a walkthrough: "1 adjustment and void went through" and totals like 1510.
    agent = make_staff(Role.AGENT, username="ann")
    change(agent, "1510")

    html = supervisor_client.get(reverse("cards:adjustments_report")).content.decode()

    assert "1 change (adjustments and voids) went through" in html
    assert "<strong>1,510</strong>" in html
    assert "<strong>1510</strong>" not in html


def test_the_screen_keeps_its_filters_in_the_url_and_is_itself_recorded(
    ledger, supervisor_client, auditor_client, agent_client
):
    url = reverse("cards:adjustments_report") + "?agent=bob&period=week"
    page = supervisor_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="bob"' in html
    assert 'id="report-totals"' in html
    assert "<strong>55</strong>" in html
    assert auditor_client.get(url).status_code == 200
    assert agent_client.get(url).status_code == 403
    seen = AuditRecord.objects.filter(action="report.view").first()
    assert seen is not None
    assert seen.params["filters"] == {"agent": "bob", "period": "week"}
    bad = supervisor_client.get(
        reverse("cards:adjustments_report") + "?since=2026-11-20&until=2026-11-01"
    )
    assert "The end is before the start." in bad.content.decode()


def test_the_csv_has_one_row_per_change_and_its_sum_is_the_total(ledger, auditor_client):
    response = auditor_client.post(
        reverse("cards:adjustments_report_export"), {"idempotency_key": "csv1", "wallet": POINTS}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 9
    applied = [r for r in rows if r["outcome"] == Outcome.SUCCEEDED]
    assert sum(Decimal(r["quantity"]) for r in applied) == Decimal(970)
    assert {r["reason"] for r in rows} >= {"Entered in error"}
    assert Job.objects.count() == 0


def test_a_large_range_is_a_job(
    ledger, supervisor_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.JOBS_FILES_DIR = tmp_path
    settings.REPORT_CSV_INLINE_ROWS = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            reverse("cards:adjustments_report_export"), {"idempotency_key": "csvjob"}
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status, job.done) == (
        "report.adjustments_export",
        JobStatus.SUCCEEDED,
        10,
    )
    download = supervisor_client.get(reverse("jobs:file", args=[job.pk]))
    rows = list(csv.DictReader(io.StringIO(download.getvalue().decode())))
    assert len(rows) == 10
