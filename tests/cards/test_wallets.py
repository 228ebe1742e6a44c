"""Wallet adjustments: the form and its preview, the unit and scale of each wallet, no result
below zero, the ceilings (per adjustment, per guest per day) in the form and in the door, the
request for approval above them, faults, and a double submit that changes nothing twice."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.approvals.models import ApprovalRequest, Status
from portal.approvals.services import approval_decide
from portal.audit.door import LimitExceededError, mutation_run
from portal.audit.models import AuditRecord, Outcome
from portal.audit.types import AuditContext, Reason, Submission, Target
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS, STORED_VALUE
from tests.cards.conftest import INTENT, OUTCOME

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
CARD = demo.DEMO_ACTIVE_CARD
ADJUST = "transaction/adminAdjust.json"


def balance(sandbox: Any, code: int = POINTS) -> Decimal:
    wallet = sandbox.state.account(ACCOUNT).wallet(code)
    return wallet.balance


def previewed_of(preview: Any) -> str:
    """What a preview's Confirm sends back: the ``previewed`` digest of what it showed ("" for
    a response with no preview)."""
    found = re.search(r'name="previewed" value="([0-9a-f]*)"', preview.content.decode())
    return found.group(1) if found else ""


def adjust_data(
    *,
    amount: str = "25",
    direction: str = "add",
    key: str = "adj-1",
    reason: str = "missed_visit",
    comment: str = "Visit on May 3 did not credit",
    **extra: str,
) -> dict[str, str]:
    """The adjustment form as a CSR fills it in."""
    return {
        "idempotency_key": key,
        "direction": direction,
        "amount": amount,
        "reason_code": reason,
        "reason_text": comment,
        **extra,
    }


def adjust(
    client: Any,
    *,
    code: int = POINTS,
    confirm: bool = True,
    **fields: str,
) -> Any:
    data = adjust_data(**fields)
    url = reverse("cards:wallet_adjust_submit", args=[ACCOUNT, code])
    if confirm:
        # As the page does: the preview first, then its Confirm, which names what it showed.
        data["previewed"] = previewed_of(client.post(url, data))
        data["confirm"] = "1"
    return client.post(url, data)


def test_each_wallet_on_the_guest_page_has_adjust_and_the_form_shows_its_unit(
    sandbox, agent_client
):
    page = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    form = agent_client.get(reverse("cards:wallet_adjust", args=[ACCOUNT, STORED_VALUE]))

    assert reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS]) in page
    assert reverse("cards:wallet_adjust", args=[ACCOUNT, STORED_VALUE]) in page
    html = form.content.decode()
    assert "Adjust Stored Value" in html
    assert "In dollars and cents." in html
    assert 'step="0.01"' in html
    assert "Goodwill" in html
    assert "Service recovery" in html


def test_the_store_manager_and_auditor_get_no_adjust(sandbox, auditor_client):
    url = reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS])
    assert auditor_client.get(url).status_code == 403


def test_the_preview_shows_before_and_after_and_changes_nothing(
    sandbox, agent_client, upstream_calls, records
):
    before = balance(sandbox)

    preview = adjust(agent_client, amount="40", direction="take", confirm=False)

    html = preview.content.decode()
    assert preview.status_code == 200
    assert f'<span id="preview-before">{before:,}</span>' in html
    assert f'<span id="preview-after">{before - 40:,}</span>' in html
    assert "Confirm: Take 40 from Points" in html
    assert upstream_calls.to(ADJUST) == []
    assert records("wallet.adjust") == []


@pytest.mark.parametrize(
    "changed", [{"amount": "400"}, {"direction": "take"}, {"reason_code": "goodwill"}]
)
def test_a_confirm_of_a_form_changed_since_its_preview_changes_nothing_and_previews_anew(
    sandbox, agent_client, records, changed
):
    # Seen in a walkthrough: the preview said "Add 10", the amount was then changed to 400
    # without a new preview, and Confirm added 400.
    before = balance(sandbox)
    url = reverse("cards:wallet_adjust_submit", args=[ACCOUNT, POINTS])
    asked = adjust_data(key="adj-changed", amount="10")
    shown = previewed_of(agent_client.post(url, asked))

    response = agent_client.post(url, asked | changed | {"previewed": shown, "confirm": "1"})

    html = response.content.decode()
    assert response.status_code == 409
    assert "The form changed after its preview, so nothing was changed" in html
    assert balance(sandbox) == before
    assert records("wallet.adjust") == []
    # The new values are previewed, and their own Confirm makes the change.
    again = previewed_of(response)
    assert again not in ("", shown)
    done = agent_client.post(url, asked | changed | {"previewed": again, "confirm": "1"})
    assert done.status_code in (200, 302, 303)
    moved = balance(sandbox) - before
    assert moved == {"amount": 400, "direction": -10, "reason_code": 10}[next(iter(changed))]


def test_a_confirm_that_names_no_preview_changes_nothing(sandbox, agent_client, records):
    before = balance(sandbox)

    response = agent_client.post(
        reverse("cards:wallet_adjust_submit", args=[ACCOUNT, POINTS]),
        adjust_data(key="adj-unseen", amount="10", confirm="1"),
    )

    assert response.status_code == 409
    assert balance(sandbox) == before
    assert records("wallet.adjust") == []


def test_an_adjustment_moves_the_balance_and_records_what_the_report_reads(
    sandbox, agent_client, records
):
    before = balance(sandbox)

    answer = adjust(agent_client, amount="25")

    assert answer.status_code == 303
    assert answer["Location"] == f"/guests/{ACCOUNT}/#panel-wallets"
    assert balance(sandbox) == before + 25
    intent, outcome = records("wallet.adjust")
    assert (intent.kind, intent.actor_username, intent.reason_code) == (
        INTENT,
        "alice.agent",
        "missed_visit",
    )
    params = intent.params
    assert {k: params[k] for k in ("wallet_code", "quantity", "reason_code", "comment")} == {
        "wallet_code": POINTS,
        "quantity": "25",
        "reason_code": "missed_visit",
        "comment": "Visit on May 3 did not credit",
    }
    assert params["reference"].startswith("LD-")
    assert params["store_code"] == sandbox.state.account(ACCOUNT).enrollment_store.code
    assert (outcome.kind, outcome.outcome) == (OUTCOME, Outcome.SUCCEEDED)
    latest = sandbox.state.account(ACCOUNT).transactions[-1]
    assert latest.pos_number == params["reference"]
    assert latest.comment == "Missed visit: Visit on May 3 did not credit"
    page = agent_client.get(answer["Location"]).content.decode()
    assert "Add 25 to Points: done." in page


def test_stored_value_is_money_and_points_are_whole(sandbox, agent_client, records):
    before = balance(sandbox, STORED_VALUE)

    money = adjust(agent_client, code=STORED_VALUE, amount="2.5", key="sv")
    fraction = adjust(agent_client, amount="2.5", key="pts")

    assert money.status_code == 303
    assert balance(sandbox, STORED_VALUE) == before + Decimal("2.50")
    assert records("wallet.adjust", INTENT)[0].params["quantity"] == "2.50"
    assert fraction.status_code == 422
    assert "Points are whole numbers: enter 1 or 2, not 2.5." in fraction.content.decode()


@pytest.mark.parametrize(
    ("code", "amount", "sentence"),
    [
        (POINTS, "-5", "Enter an amount above zero."),
        (POINTS, "0", "Enter an amount above zero."),
        (POINTS, "99999999999999999999", "One adjustment can move at most 1,000,000 points"),
        (STORED_VALUE, "1.505", "Enter dollars and cents: at most two decimals, like 2.50."),
        (STORED_VALUE, "2000000", "One adjustment can move at most $1,000,000.00:"),
        (POINTS, "many", "Enter the amount as a number, like 25."),
    ],
)
def test_a_bad_amount_is_refused_in_the_wallets_own_words(
    sandbox, agent_client, upstream_calls, code, amount, sentence
):
    answer = adjust(agent_client, code=code, amount=amount, confirm=False)

    html = answer.content.decode()
    assert answer.status_code == 422
    assert sentence in html
    assert "Ensure" not in html
    assert upstream_calls.to(ADJUST) == []


def test_a_comment_is_needed_only_when_the_reason_is_other(sandbox, agent_client, records):
    form = agent_client.get(reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS])).content
    plain = adjust(agent_client, amount="5", comment="", key="plain")
    other = adjust(agent_client, amount="5", comment="", reason="other", key="other")

    assert "Comment (required when the reason is Other)" in form.decode()
    assert plain.status_code == 303
    [intent] = records("wallet.adjust", INTENT)
    assert (intent.reason_code, intent.params["comment"]) == ("missed_visit", "")
    assert other.status_code == 422
    assert "Say why, in a few words." in other.content.decode()


def test_a_result_below_zero_is_refused_before_anything_is_sent(
    sandbox, agent_client, upstream_calls, records
):
    before = balance(sandbox, STORED_VALUE)
    answer = adjust(
        agent_client, code=STORED_VALUE, amount=str(before + 1), direction="take", key="neg"
    )
    assert answer.status_code == 422
    assert "below zero" in answer.content.decode()
    assert upstream_calls.to(ADJUST) == []
    assert records("wallet.adjust") == []


def test_above_the_agents_ceiling_the_adjustment_becomes_a_request(
    sandbox, agent_client, upstream_calls, records
):
    before = balance(sandbox)

    preview = adjust(agent_client, amount="600", key="big", confirm=False)
    answer = adjust(agent_client, amount="600", key="big")
    again = adjust(agent_client, amount="600", key="big")

    assert "Send for approval" in preview.content.decode()
    assert "above your limit of 500 points per adjustment" in preview.content.decode()
    request = ApprovalRequest.objects.get()
    assert answer.status_code == 303
    assert answer["Location"] == reverse("approvals:detail", args=[request.pk])
    assert again["Location"] == answer["Location"]
    assert (request.status, request.params["quantity"], request.requester_username) == (
        Status.OPEN,
        "600",
        "alice.agent",
    )
    assert upstream_calls.to(ADJUST) == []
    assert records("wallet.adjust") == []
    assert balance(sandbox) == before
    page = agent_client.get(answer["Location"]).content.decode()
    assert "a supervisor will approve or reject it" in page


def test_the_daily_ceiling_counts_the_guests_adjustments_today(sandbox, agent_client):
    assert adjust(agent_client, amount="400", key="d1").status_code == 303
    assert adjust(agent_client, amount="400", key="d2", direction="take").status_code == 303

    third = adjust(agent_client, amount="400", key="d3", confirm=False)

    assert "already had 800 points adjusted today" in third.content.decode()
    assert "1,000 points per guest per day" in third.content.decode()


def test_the_door_itself_refuses_an_adjustment_above_the_ceiling(sandbox, agent, records):
    with pytest.raises(LimitExceededError) as refused:
        mutation_run(
            actor=agent,
            action="wallet.adjust",
            target=Target(account_id=ACCOUNT, printed_card_number=CARD),
            params={"wallet_code": POINTS, "limit_kind": "points", "quantity": "501"},
            reason=Reason(code="goodwill", text="bypassing the form"),
            idempotency_key="direct",
            context=AuditContext(),
            call=lambda client: pytest.fail("nothing may be sent"),
        )
    assert "above your limit" in refused.value.sentence
    [denial] = records("wallet.adjust")
    assert denial.outcome == Outcome.DENIED
    assert "over_limit" in denial.params


def test_a_double_submit_adjusts_once(sandbox, agent_client, upstream_calls, records):
    before = balance(sandbox)

    first = adjust(agent_client, amount="30", key="twice")
    second = adjust(agent_client, amount="30", key="twice")

    assert first.status_code == second.status_code == 303
    assert balance(sandbox) == before + 30
    assert len(upstream_calls.to(ADJUST)) == 1
    assert len(records("wallet.adjust", INTENT)) == 1


def test_a_5xx_is_unknown_until_the_history_shows_it_was_not_applied(
    sandbox, agent_client, upstream_calls, settings, records
):
    before = balance(sandbox)
    sandbox.faults.error(status=503, endpoint="adminAdjust", times=1)

    first = adjust(agent_client, key="k5xx")
    settings.AUDIT_NOT_APPLIED_AFTER = 0
    settled = adjust(agent_client, key="k5xx")
    fresh_key = settled.content.decode().split('name="idempotency_key" value="')[1].split('"')[0]
    retried = adjust(agent_client, key=fresh_key)

    assert 'value="k5xx"' in first.content.decode()
    assert fresh_key != "k5xx"
    assert retried.status_code == 303
    assert balance(sandbox) == before + 25
    assert len(upstream_calls.to(ADJUST)) == 2
    first_intent = records("wallet.adjust", INTENT)[0]
    outcomes = [r.outcome for r in first_intent.outcomes.order_by("seq")]
    assert outcomes == [Outcome.UNKNOWN, Outcome.FAILED]


def test_a_lost_reply_is_settled_from_the_history_without_sending_twice(
    sandbox, agent_client, upstream_calls, records
):
    before = balance(sandbox)
    sandbox.faults.drop(endpoint="adminAdjust", times=1, process=True)

    first = adjust(agent_client, key="lost")
    again = adjust(agent_client, key="lost")

    assert "We could not confirm whether the change went through." in first.content.decode()
    assert again.status_code == 303
    assert balance(sandbox) == before + 25
    assert len(upstream_calls.to(ADJUST)) == 1
    outcomes = [r.outcome for r in records("wallet.adjust", OUTCOME)]
    assert outcomes == [Outcome.UNKNOWN, Outcome.SUCCEEDED]


def test_a_timeout_is_an_unknown_outcome_kept_for_settling(
    sandbox, agent_client, upstream_calls, settings, records
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.hang(seconds=2, endpoint="adminAdjust", times=1)

    first = adjust(agent_client, key="slow")

    assert 'value="slow"' in first.content.decode()
    assert records("wallet.adjust", OUTCOME)[0].outcome == Outcome.UNKNOWN


def test_the_approver_sees_what_approving_does_to_the_balance_as_it_is_now(
    sandbox, agent_client, supervisor_client, upstream_calls
):
    before = balance(sandbox)
    adjust(agent_client, amount="600", key="ask", reason="service_recovery", comment="Bad meal")
    request = ApprovalRequest.objects.get()
    url = reverse("approvals:detail", args=[request.pk])

    page = supervisor_client.get(url).content.decode()

    assert (
        f"<dt>If you approve</dt><dd>You add 600 to Points on account {ACCOUNT}. The change is "
        "yours: the audit log names you as its maker, for this request."
    ) in page
    assert f"Points now: {before:,.0f}; after approving: {before + 600:,.0f}." in page
    # The requester's reason and the approver's own are told apart.
    assert "<dt>Their reason</dt><dd>Service recovery · Bad meal</dd>" in page
    assert "Your reason for the decision" in page
    # "Other (say why)" is the form's prompt: the words given are the reason.
    adjust(agent_client, amount="700", key="ask-other", reason="other", comment="Lost receipt")
    other = ApprovalRequest.objects.get(idempotency_key="ask-other")
    other_page = supervisor_client.get(reverse("approvals:detail", args=[other.pk]))
    assert "<dt>Their reason</dt><dd>Lost receipt</dd>" in other_page.content.decode()
    assert upstream_calls.to(ADJUST) == []
    assert balance(sandbox) == before

    # Taking away more than the wallet holds now is said before the approver decides.
    def spent(model: Any, moment: Any) -> None:
        model.accounts[ACCOUNT].wallet(POINTS).balance = Decimal(0)

    sandbox.state.write(spent)
    request.params = {**request.params, "quantity": "-600"}
    request.save(update_fields=["params"])
    from portal.guestcache import guest_cache_invalidate

    guest_cache_invalidate(account_id=ACCOUNT)
    page = supervisor_client.get(url).content.decode()
    assert "You take 600 away from Points" in page
    assert "Points now: 0; approving would leave it below zero, so it would fail." in page

    # Upstream not answering: the page says so, and is still there to decide on.
    guest_cache_invalidate(account_id=ACCOUNT)
    sandbox.faults.error(503, endpoint="guest/accountInformationById")
    page = supervisor_client.get(url).content.decode()
    assert "Its balance could not be read now: " in page
    assert 'value="approve"' in page


def test_an_approved_request_is_made_as_the_supervisor_with_both_names(
    sandbox, agent_client, agent, supervisor, records
):
    before = balance(sandbox)
    adjust(agent_client, amount="700", key="ask", reason="service_recovery")
    request = ApprovalRequest.objects.get()
    decide = Submission(
        actor=supervisor,
        context=AuditContext(),
        reason=Reason(text="Manager confirmed the bad meal"),
        idempotency_key="decide-1",
    )

    with pytest.raises(PermissionDenied):
        approval_decide(
            Submission(agent, AuditContext(), Reason(text="mine"), "self"), request.pk, approve=True
        )
    outcome = approval_decide(decide, request.pk, approve=True)

    assert outcome.ok
    assert balance(sandbox) == before + 700
    intent = records("wallet.adjust", INTENT)[0]
    assert intent.actor_username == "sam.supervisor"
    assert (intent.params["requested_by"], intent.params["approved_by"]) == (
        "alice.agent",
        "sam.supervisor",
    )
    assert intent.params["approval_request"] == request.pk
    assert intent.reason_code == "service_recovery"
    request.refresh_from_db()
    assert request.change_record_id == intent.pk


def test_the_transaction_service_switched_off_says_so_calmly(
    sandbox, agent_client, settings, upstream_calls
):
    settings.PAYTRONIX_TRANSACTION_SERVICE = False
    answer = adjust(agent_client, key="off")
    assert "not available for this Paytronix integration" in answer.content.decode()
    assert upstream_calls.to(ADJUST) == []


def test_no_full_card_number_in_the_records(sandbox, agent_client):
    adjust(agent_client, key="cardless")
    assert not AuditRecord.objects.filter(params__icontains=CARD).exists()


def test_a_balance_reads_the_same_on_the_guest_page_and_in_the_message(sandbox, agent_client):
    before = balance(sandbox)
    assert before >= 1000  # the demo guest's points show the thousands separator

    page = adjust(agent_client, amount="25", key="fmt")
    shown = agent_client.get(page["Location"]).content.decode()

    after = before + 25
    assert f"went from {before:,} to {after:,}." in shown
    assert f'<td class="num">{after:,}</td>' in shown
    assert f'<td class="num">{after}</td>' not in shown


def test_a_refused_confirmed_adjustment_makes_no_upstream_call(
    sandbox, agent_client, upstream_calls
):
    # Found by the form fuzz: a confirmed submission read the balance before judging the input.
    agent_client.get(reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS]))
    upstream_calls.clear()

    response = adjust(agent_client, amount="lots", confirm=True)

    assert response.status_code == 422
    assert "Enter the amount as a number, like 25." in response.content.decode()
    assert list(upstream_calls) == []
