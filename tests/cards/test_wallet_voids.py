"""Voiding an adjustment: from its history row and its audit record, one click and a reason,
idempotent, linked to what it voids, shown as voided; an agent voids only their own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditRecord, Outcome
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from tests.cards.conftest import INTENT
from tests.cards.test_wallets import ACCOUNT, ADJUST, adjust, balance

pytestmark = pytest.mark.django_db


def void(client: Client, intent_id: int, *, key: str = "void-1", reason: str = "entered_in_error"):
    return client.post(
        reverse("cards:wallet_void_submit", args=[ACCOUNT, intent_id]),
        {"idempotency_key": key, "reason_code": reason, "reason_text": ""},
    )


def adjusted(client: Client, **kwargs: Any) -> AuditRecord:
    assert adjust(client, **kwargs).status_code == 303
    return AuditRecord.objects.filter(action="wallet.adjust", kind=INTENT).latest("seq")


def test_the_history_row_of_an_adjustment_offers_void_then_shows_it_voided(
    sandbox, agent_client, upstream_calls, records
):
    before = balance(sandbox)
    intent = adjusted(agent_client, amount="25", direction="take")
    page = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    void_url = reverse("cards:wallet_void", args=[ACCOUNT, intent.pk])
    assert void_url in page
    form = agent_client.get(void_url).content.decode()
    assert "Void this adjustment" in form
    assert intent.params["reference"] in form

    done = void(agent_client, intent.pk)
    again = void(agent_client, intent.pk, key="void-2")

    assert done.status_code == again.status_code == 303
    assert balance(sandbox) == before
    assert len(upstream_calls.to(ADJUST)) == 2
    [void_intent] = records("wallet.void", INTENT)
    assert void_intent.params["voids"] == intent.pk
    assert void_intent.params["voided_reference"] == intent.params["reference"]
    assert (void_intent.params["quantity"], void_intent.params["activity_type"]) == (
        "25",
        "VOID_REDEEM",
    )
    assert void_intent.reason_code == "entered_in_error"
    latest = sandbox.state.account(ACCOUNT).transactions[-1]
    assert latest.transaction_type == "Administrative Void Redeem"
    assert latest.comment.startswith(f"Void of {intent.params['reference']}: Entered in error")
    after = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    assert '<span class="status voided">Voided</span>' in after
    assert void_url not in after
    assert "This adjustment was already voided by alice.agent." in after


def test_an_agent_voids_only_their_own_and_a_supervisor_anyones(
    sandbox, supervisor_client, make_staff, records
):
    from portal.staff.roles import Role

    bob = make_staff(Role.AGENT, username="bob.agent")
    bob_client = Client()
    bob_client.force_login(bob)
    intent = adjusted(supervisor_client, amount="10", key="sup-adj")
    before = balance(sandbox)

    refused = void(bob_client, intent.pk)
    done = void(supervisor_client, intent.pk, key="sup-void")

    assert refused.status_code == 403
    assert "You can void only your own adjustments" in refused.content.decode()
    assert done.status_code == 303
    assert balance(sandbox) == before - 10
    denial = [r for r in records("wallet.void") if r.outcome == Outcome.DENIED]
    assert [d.actor_username for d in denial] == ["bob.agent"]


def test_the_audit_record_of_an_adjustment_links_to_its_void(sandbox, supervisor_client):
    intent = adjusted(supervisor_client, amount="5", key="aud")
    page = supervisor_client.get(reverse("audit:detail", args=[intent.pk])).content.decode()
    assert reverse("cards:wallet_void", args=[ACCOUNT, intent.pk]) in page


def test_a_failed_adjustment_cannot_be_voided(sandbox, agent_client, upstream_refuses):
    upstream_refuses(ADJUST.removesuffix(".json"), "transaction.account_not_active")
    adjust(agent_client, key="refused")
    intent = AuditRecord.objects.get(action="wallet.adjust", kind=INTENT)

    page = agent_client.get(reverse("cards:wallet_void", args=[ACCOUNT, intent.pk]))
    answer = void(agent_client, intent.pk)

    assert "Only an adjustment that went through can be voided." in page.content.decode()
    assert answer.status_code == 422
    assert AuditRecord.objects.filter(action="wallet.void").count() == 0


def test_an_unknown_adjustment_is_not_found_on_another_account(sandbox, agent_client):
    intent = adjusted(agent_client, key="mine", code=POINTS)
    other_account = sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD).account_id
    url = reverse("cards:wallet_void", args=[other_account, intent.pk])
    assert agent_client.get(url).status_code == 404


def test_an_agent_voiding_someone_elses_adjustment_from_the_page_gets_the_refusal(
    sandbox, supervisor_client, make_staff, records
):
    from portal.staff.roles import Role

    bob_client = Client()
    bob_client.force_login(make_staff(Role.AGENT, username="bob.agent"))
    intent = adjusted(supervisor_client, amount="10", key="sup-adj")
    before = balance(sandbox)

    swapped = bob_client.post(
        reverse("cards:wallet_void_submit", args=[ACCOUNT, intent.pk]),
        {"idempotency_key": "bob-void", "reason_code": "entered_in_error", "reason_text": ""},
        HTTP_HX_REQUEST="true",
    )

    assert swapped.status_code == 200
    assert (
        "You can void only your own adjustments: this one is sam.supervisor&#x27;s."
        in swapped.content.decode()
    )
    assert balance(sandbox) == before
    assert [r.outcome for r in records("wallet.void")] == [Outcome.DENIED]


def test_void_is_offered_only_on_adjustments_the_viewer_may_void(
    sandbox, supervisor_client, agent_client, auditor_client, make_staff
):
    from portal.staff.roles import Role

    bob_client = Client()
    bob_client.force_login(make_staff(Role.AGENT, username="bob.agent"))
    theirs = adjusted(supervisor_client, amount="10", key="sup-adj")
    mine = adjusted(agent_client, amount="5", key="alice-adj")
    void_theirs = reverse("cards:wallet_void", args=[ACCOUNT, theirs.pk])
    void_mine = reverse("cards:wallet_void", args=[ACCOUNT, mine.pk])

    alice_page = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    bob_form = bob_client.get(void_theirs).content.decode()
    audit_page = auditor_client.get(reverse("audit:detail", args=[theirs.pk])).content.decode()
    supervisor_page = supervisor_client.get(reverse("guests:guest", args=[ACCOUNT])).content
    supervisor_page = supervisor_page.decode()

    assert void_mine in alice_page
    assert void_theirs not in alice_page
    assert "Void this adjustment</button>" not in bob_form
    assert "this one is sam.supervisor&#x27;s. Ask a supervisor." in bob_form
    assert void_theirs not in audit_page
    assert void_theirs in supervisor_page
    assert void_mine in supervisor_page


def test_a_void_counts_against_its_adjustments_store_in_the_report(sandbox, agent_client, records):
    from cards.reports import AdjustmentFilters, adjustments_report

    kept = adjusted(agent_client, amount="40", key="kept")
    voided = adjusted(agent_client, amount="25", key="voided")
    store = voided.params["store_code"]
    answer = agent_client.post(
        reverse("cards:wallet_void_submit", args=[ACCOUNT, voided.pk]),
        {"idempotency_key": "v", "reason_code": "entered_in_error", "reason_text": "Twice"},
    )

    assert answer.status_code == 303
    [void_intent] = records("wallet.void", INTENT)
    assert (void_intent.params["store_code"], void_intent.params["wallet_code"]) == (store, POINTS)
    assert (void_intent.params["comment"], void_intent.reason_text) == ("Twice", "Twice")
    report = adjustments_report(AdjustmentFilters())
    assert store
    assert [group.label for group in report.by_store] == [store]
    [points] = report.by_store[0].wallets
    assert (points.added, points.voided, points.net) == (65, -25, 40)
    assert points.net == Decimal(kept.params["quantity"])


def test_the_requester_sees_that_their_approved_adjustment_was_voided_later(
    sandbox, agent_client, supervisor, supervisor_client, records
):
    from django.utils import timezone
    from django.utils.formats import date_format

    from portal.approvals.models import ApprovalRequest
    from portal.approvals.services import approval_decide
    from portal.audit.types import AuditContext, Reason, Submission

    adjust(agent_client, amount="700", key="ask")
    request = ApprovalRequest.objects.get()
    decide = Submission(supervisor, AuditContext(), Reason(text="Receipt checked"), "decide-1")
    assert approval_decide(decide, request.pk, approve=True).ok
    request.refresh_from_db()
    approved_only = agent_client.get(reverse("approvals:queue")).content.decode()

    assert request.change_record_id is not None
    assert void(supervisor_client, request.change_record_id).status_code == 303

    [void_intent] = records("wallet.void", INTENT)
    when = date_format(timezone.localtime(void_intent.occurred_at), "M j, Y g:i A")
    voided = f"Voided later, on {when}, by sam.supervisor."
    mine = agent_client.get(reverse("approvals:queue")).content.decode()
    detail = agent_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert "Approved and done" in approved_only
    assert "Voided later" not in approved_only
    assert voided in mine
    assert voided in detail


# -- a void whose reply is lost: wallet.adjust's settle function, by the void's own reference ---


@pytest.mark.parametrize("case", ["applied", "not applied", "not yet visible"])
def test_an_unknown_void_settles_by_its_reference_in_the_history(
    sandbox, agent_client, settings, case
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from portal.audit.reconcile import unknown_outcomes_reconcile

    settings.AUDIT_SETTLE_AFTER = 0
    intent = adjusted(agent_client, amount="25", direction="take")
    if case == "not yet visible":
        sandbox.faults.set_consistency_delay(30)
    sandbox.faults.drop(endpoint="adminAdjust", process=case != "not applied", times=1)
    void(agent_client, intent.pk)
    [void_intent] = AuditRecord.objects.filter(action="wallet.void", kind=INTENT)

    def latest() -> AuditRecord:
        return AuditRecord.objects.filter(intent=void_intent).latest("seq")

    assert latest().outcome == Outcome.UNKNOWN
    if case == "applied":
        assert unknown_outcomes_reconcile().settled == 1
        assert latest().outcome == Outcome.SUCCEEDED
        return
    assert unknown_outcomes_reconcile().waiting == 1
    assert latest().outcome == Outcome.UNKNOWN
    if case == "not yet visible":
        sandbox.advance(31)
        assert unknown_outcomes_reconcile().settled == 1
        assert latest().outcome == Outcome.SUCCEEDED
        return
    later = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(later):
        assert unknown_outcomes_reconcile().settled == 1
    assert latest().outcome == Outcome.FAILED


def test_a_void_loads_its_adjustment_once_per_request(sandbox, agent_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    intent = adjusted(agent_client, amount="25")

    def intent_loads(queries: CaptureQueriesContext) -> int:
        # The adjustment's own record, by id (its voids and outcomes are other queries).
        return sum(
            1
            for query in queries.captured_queries
            if '"audit_auditrecord"."action" = \'wallet.adjust\'' in query["sql"]
            and f'"audit_auditrecord"."id" = {intent.pk})' in query["sql"]
        )

    # The form (the view and the door's limit it shows) and the void (the view, the form's
    # limit, the door's limit) each read it once.
    with CaptureQueriesContext(connection) as form:
        form_url = reverse("cards:wallet_void", args=[ACCOUNT, intent.pk])
        assert agent_client.get(form_url).status_code == 200
    with CaptureQueriesContext(connection) as voided:
        assert void(agent_client, intent.pk).status_code == 303
    assert (intent_loads(form), intent_loads(voided)) == (1, 1)
    assert AuditRecord.objects.get(action="wallet.void", kind=INTENT).params["voids"] == intent.pk
