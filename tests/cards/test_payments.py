"""The stored-value payments panel and its two changes on the guest's request: reading (masked,
gated by store group, cached, switched off), turning auto-recharge off and removing a saved
payment method through the door, and settling an unknown outcome of each by reading back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cards.selectors.payments import method_token
from portal.audit.models import AuditRecord, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.paytronix.replies import SavedPaymentMethod
from portal.sandbox import demo
from tests.cards.conftest import INTENT, OUTCOME
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
CARD = demo.DEMO_PAYMENT_CARD
PANEL = reverse("cards:payments", args=[ACCOUNT])
OFF = reverse("cards:auto_recharge_disable_submit", args=[ACCOUNT])
VISA = method_token(SavedPaymentMethod(payment_method_id=demo.DEMO_AUTO_RECHARGE_METHOD_ID))
MASTERCARD = method_token(SavedPaymentMethod(payment_method_id=demo.DEMO_OTHER_METHOD_ID))
PAYMENT_PATHS = (
    "payment/savedPaymentMethods.json",
    "payment/autoRechargeStatus.json",
    "payment/rechargeHistory.json",
)


def remove_url(token: str, *, submit: bool = True) -> str:
    name = "cards:payment_method_remove_submit" if submit else "cards:payment_method_remove"
    return reverse(name, args=[ACCOUNT, token])


def turn_off(client: Any, *, key: str = "k1", reason: str = "guest_request", text: str = "") -> Any:
    return client.post(OFF, {"idempotency_key": key, "reason_code": reason, "reason_text": text})


def auto_recharge_on(sandbox: Any) -> bool:
    setting = sandbox.state.account_for_card(CARD).auto_recharge
    return bool(setting and setting.enabled)


def saved_ids(sandbox: Any) -> list[str]:
    return [m.payment_method_id for m in sandbox.state.account_for_card(CARD).payment_methods]


# -- the panel ------------------------------------------------------------------------------


def test_the_guest_page_loads_the_panel_lazily_with_a_real_link(sandbox, agent_client) -> None:
    html = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    assert f'hx-get="{PANEL}"' in html
    assert f'href="{PANEL}"' in html
    assert "Visa ending" not in html  # not read with the page


def test_the_panel_shows_masked_methods_auto_recharge_and_recharges(
    sandbox, agent_client, upstream_calls
) -> None:
    response = agent_client.get(PANEL, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Visa ending 1111" in html
    assert "Mastercard ending 4444" in html
    assert "(funds auto-recharge)" in html
    assert "10.00" in html
    assert "25.00" in html
    assert html.count("<tr>") == 1 + demo.DEMO_RECHARGE_COUNT
    assert "Declined" in html
    assert "Ava Thompson" not in html  # the cardholder name upstream sends is never read
    assert reverse("cards:auto_recharge_disable", args=[ACCOUNT]) in html
    assert remove_url(MASTERCARD, submit=False) in html
    assert sorted(p for p in upstream_calls.paths() if p.startswith("payment/")) == sorted(
        PAYMENT_PATHS
    )
    upstream_calls.clear()
    assert agent_client.get(PANEL, headers=HTMX).status_code == 200
    assert upstream_calls.paths() == []  # cached like the other panels


def test_without_htmx_the_panel_is_a_page_of_its_own(sandbox, agent_client) -> None:
    html = agent_client.get(PANEL).content.decode()
    assert "<html" in html
    assert "Visa ending 1111" in html


def test_a_store_manager_sees_the_panel_read_only_and_only_in_their_store_group(
    sandbox, store_manager_client, upstream_calls
) -> None:
    html = store_manager_client.get(PANEL, headers=HTMX).content.decode()
    assert "Visa ending 1111" in html
    assert "Turn auto-recharge off" not in html
    assert "Remove</a>" not in html
    other = demo.DEMO_OTHER_STORE_GROUP_CARD
    other_id = sandbox.state.card(other).account_id
    upstream_calls.clear()
    response = store_manager_client.get(reverse("cards:payments", args=[other_id]))
    assert response.status_code == 404
    assert not [p for p in upstream_calls.paths() if p.startswith("payment/")]
    assert (
        store_manager_client.get(reverse("cards:auto_recharge_disable", args=[ACCOUNT])).status_code
        == 403
    )


def test_a_switched_off_service_says_so_and_costs_no_call(
    sandbox, agent_client, settings, upstream_calls
) -> None:
    settings.PAYTRONIX_PAYMENT_SERVICE = False
    html = agent_client.get(PANEL, headers=HTMX).content.decode()
    assert "not available for this Paytronix integration" in html
    assert not [p for p in upstream_calls.paths() if p.startswith("payment/")]


def test_an_integration_without_the_service_is_remembered_as_missing(
    sandbox, agent_client, upstream_calls
) -> None:
    sandbox.app.without = frozenset({"payment"})
    assert (
        "not available for this Paytronix integration" in agent_client.get(PANEL).content.decode()
    )
    upstream_calls.clear()
    agent_client.get(
        reverse("cards:payments", args=[sandbox.state.card(demo.DEMO_COMBINE_MAIN_CARD).account_id])
    )
    assert not [p for p in upstream_calls.paths() if p.startswith("payment/")]


def test_a_program_without_stored_value_has_nothing_to_ask(
    sandbox, agent_client, upstream_calls
) -> None:
    eclub = sandbox.state.card(demo.DEMO_ECLUB_CARD).account_id
    html = agent_client.get(reverse("cards:payments", args=[eclub]), headers=HTMX).content.decode()
    assert "keeps no stored value" in html
    assert not [p for p in upstream_calls.paths() if p.startswith("payment/")]


def test_a_payment_read_that_fails_is_explained_in_its_place(sandbox, agent_client) -> None:
    sandbox.faults.error(503, endpoint="rechargeHistory")
    html = agent_client.get(PANEL, headers=HTMX).content.decode()
    assert "did not answer in time" in html
    assert "Visa ending 1111" in html


# -- turning auto-recharge off --------------------------------------------------------------


def test_the_confirmation_says_what_will_happen_and_asks_why(sandbox, agent_client) -> None:
    html = agent_client.get(reverse("cards:auto_recharge_disable", args=[ACCOUNT])).content.decode()
    assert "no longer charged" in html
    assert "On: below 10.00 add 25.00, charged to Visa ending 1111" in html
    assert 'name="reason_code"' in html
    assert auto_recharge_on(sandbox)


def test_turning_auto_recharge_off_with_a_reason_turns_it_off_and_audits_it(
    sandbox, agent_client, records
) -> None:
    response = turn_off(agent_client, reason="unexpected_charge")
    assert response.status_code == 303
    assert response["Location"] == f"/guests/{ACCOUNT}/#panel-payments"
    assert not auto_recharge_on(sandbox)
    intent, outcome = records("payment.autorecharge.disable")
    assert (intent.kind, intent.reason_code, intent.card_masked) == (
        INTENT,
        "unexpected_charge",
        CARD[-6:],
    )
    assert (outcome.kind, outcome.outcome) == (OUTCOME, Outcome.SUCCEEDED)
    assert CARD not in str(intent.params)
    page = agent_client.get(response["Location"]).content.decode()
    assert "Auto-recharge is now off" in page
    assert 'class="status disabled">Off' in agent_client.get(PANEL, headers=HTMX).content.decode()


def test_no_reason_no_change(sandbox, agent_client, records, upstream_calls) -> None:
    response = turn_off(agent_client, reason="other", text="")
    assert response.status_code == 422
    assert records("payment.autorecharge.disable") == []
    assert "payment/disableAutoRecharge.json" not in upstream_calls.paths()
    assert auto_recharge_on(sandbox)


def test_a_service_switched_off_after_the_form_was_shown_sends_nothing(
    sandbox, agent_client, settings, records, upstream_calls
) -> None:
    settings.PAYTRONIX_PAYMENT_SERVICE = False
    response = turn_off(agent_client)
    assert response.status_code == 409
    assert "not available for this Paytronix integration" in response.content.decode()
    assert records("payment.autorecharge.disable") == []
    assert "payment/disableAutoRecharge.json" not in upstream_calls.paths()
    assert auto_recharge_on(sandbox)


def test_a_double_submit_turns_it_off_once(sandbox, agent_client, records, upstream_calls) -> None:
    assert turn_off(agent_client, key="same").status_code == 303
    assert turn_off(agent_client, key="same").status_code == 303
    assert upstream_calls.paths().count("payment/disableAutoRecharge.json") == 1
    assert len(records("payment.autorecharge.disable", INTENT)) == 1


def test_an_upstream_refusal_is_told_and_audited(
    sandbox, agent_client, records, upstream_refuses
) -> None:
    upstream_refuses("payment/disableAutoRecharge", "payment.auto_recharge_not_enabled")
    response = turn_off(agent_client)
    assert response.status_code == 200
    assert "Auto-recharge is not on for this card" in response.content.decode()
    assert records("payment.autorecharge.disable", OUTCOME)[0].outcome == Outcome.FAILED


def test_auto_recharge_already_off_offers_nothing_to_turn_off(sandbox, agent_client) -> None:
    liam = sandbox.state.card(demo.DEMO_AUTO_RECHARGE_OFF_CARD).account_id
    html = agent_client.get(reverse("cards:auto_recharge_disable", args=[liam])).content.decode()
    assert "already off" in html
    assert 'id="payment-change-form"' not in html


# -- removing a saved payment method ----------------------------------------------------------


def test_removing_a_saved_card_removes_it_and_audits_only_its_label_and_hash(
    sandbox, agent_client, records
) -> None:
    page = agent_client.get(remove_url(MASTERCARD, submit=False)).content.decode()
    assert "Mastercard ending 4444" in page
    response = agent_client.post(
        remove_url(MASTERCARD), {"idempotency_key": "r1", "reason_code": "payment_card_replaced"}
    )
    assert response.status_code == 303
    assert saved_ids(sandbox) == [demo.DEMO_AUTO_RECHARGE_METHOD_ID]
    intent, outcome = records("payment.method.remove")
    assert intent.params["paymentMethod"] == "Mastercard ending 4444"
    assert demo.DEMO_OTHER_METHOD_ID not in str(intent.params)
    assert outcome.outcome == Outcome.SUCCEEDED

    # Back to its removal page: it says the method is gone, when and by whom, and the way back.
    again = agent_client.get(remove_url(MASTERCARD, submit=False))
    assert again.status_code == 410
    html = again.content.decode()
    assert "Page not found" not in html
    assert "Mastercard ending 4444 was already removed" in html
    assert "alice.agent" in html
    assert f'href="/guests/{ACCOUNT}/#panel-payments">Back to the guest\'s payments' in html
    assert "Remove this payment method" not in html
    # A shortened token names no method: not that removal, nor any other.
    short = agent_client.get(remove_url(MASTERCARD[:1], submit=False))
    assert "Mastercard ending 4444 was already removed" not in short.content.decode()


def test_the_removal_page_of_a_method_never_saved_says_there_is_nothing_to_remove(
    sandbox, agent_client
) -> None:
    response = agent_client.get(remove_url("0" * 16, submit=False))

    assert response.status_code == 404
    html = response.content.decode()
    assert "This guest has no such saved payment method: it may have been removed already." in html
    assert f'href="/guests/{ACCOUNT}/#panel-payments">Back to the guest\'s payments' in html


def test_the_card_funding_auto_recharge_is_refused_until_auto_recharge_is_off(
    sandbox, agent_client
) -> None:
    page = agent_client.get(remove_url(VISA, submit=False)).content.decode()
    assert "turn auto-recharge off first" in page
    response = agent_client.post(
        remove_url(VISA), {"idempotency_key": "r2", "reason_code": "guest_request"}
    )
    assert response.status_code == 200
    assert "funds auto-recharge" in response.content.decode()
    assert demo.DEMO_AUTO_RECHARGE_METHOD_ID in saved_ids(sandbox)


# -- settling an unknown outcome by reading back ----------------------------------------------


@pytest.fixture
def _settle_at_once(settings: Any) -> None:
    settings.AUDIT_SETTLE_AFTER = 0


def _latest(action: str) -> AuditRecord:
    return AuditRecord.objects.filter(action=action).order_by("-seq").first()  # type: ignore[return-value]


def _after_grace(settings: Any) -> Any:
    return time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER))


@pytest.mark.usefixtures("_settle_at_once")
def test_an_unknown_disable_that_was_applied_settles_as_succeeded(sandbox, agent_client) -> None:
    sandbox.faults.drop(endpoint="disableAutoRecharge", process=True, times=1)
    response = turn_off(agent_client)
    assert "could not confirm" in response.content.decode()
    assert _latest("payment.autorecharge.disable").outcome == Outcome.UNKNOWN
    assert unknown_outcomes_reconcile().settled == 1
    settled = _latest("payment.autorecharge.disable")
    assert (settled.outcome, settled.error_message) == (
        Outcome.SUCCEEDED,
        "settled by reading back: auto-recharge is off",
    )


@pytest.mark.usefixtures("_settle_at_once")
def test_an_unknown_disable_that_never_arrived_fails_only_after_the_grace_period(
    sandbox, agent_client, settings
) -> None:
    sandbox.faults.drop(endpoint="disableAutoRecharge", process=False, times=1)
    turn_off(agent_client)
    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest("payment.autorecharge.disable").outcome == Outcome.UNKNOWN
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest("payment.autorecharge.disable")
    assert settled.outcome == Outcome.FAILED
    assert "still on" in settled.error_message


@pytest.mark.usefixtures("_settle_at_once")
@pytest.mark.parametrize(
    ("action", "endpoint", "send"),
    [
        ("payment.autorecharge.disable", "disableAutoRecharge", lambda c: turn_off(c)),
        (
            "payment.method.remove",
            "deletePaymentMethod",
            lambda c: c.post(
                remove_url(MASTERCARD), {"idempotency_key": "u1", "reason_code": "guest_request"}
            ),
        ),
    ],
)
def test_an_unknown_payment_change_not_yet_visible_waits_then_settles_as_applied(
    sandbox, agent_client, action, endpoint, send
) -> None:
    sandbox.faults.set_consistency_delay(30)
    sandbox.faults.drop(endpoint=endpoint, process=True, times=1)
    send(agent_client)
    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(action).outcome == Outcome.UNKNOWN
    sandbox.advance(31)
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(action).outcome == Outcome.SUCCEEDED


@pytest.mark.usefixtures("_settle_at_once")
def test_an_unknown_removal_settles_both_ways(sandbox, agent_client, settings) -> None:
    sandbox.faults.drop(endpoint="deletePaymentMethod", process=True, times=1)
    agent_client.post(
        remove_url(MASTERCARD), {"idempotency_key": "u1", "reason_code": "guest_request"}
    )
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest("payment.method.remove").outcome == Outcome.SUCCEEDED

    sandbox.faults.drop(endpoint="disableAutoRecharge", process=True, times=1)
    turn_off(agent_client, key="off")
    unknown_outcomes_reconcile()
    visa = remove_url(VISA)
    sandbox.faults.drop(endpoint="deletePaymentMethod", process=False, times=1)
    agent_client.post(visa, {"idempotency_key": "u2", "reason_code": "guest_request"})
    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    assert "still saved" in _latest("payment.method.remove").error_message


# -- pending until upstream shows the change --------------------------------------------------


def test_a_change_upstream_shows_late_is_pending_and_polled_until_it_shows(
    sandbox, agent_client
) -> None:
    sandbox.faults.set_consistency_delay(60)
    assert turn_off(agent_client).status_code == 303
    html = agent_client.get(PANEL, headers=HTMX).content.decode()
    assert "Turning auto-recharge off: sent; waiting" in html
    assert 'hx-trigger="every 2s"' in html
    assert 'class="status active">On' in html
    assert "Turn auto-recharge off</a>" not in html  # not offered twice
    sandbox.advance(61)
    html = agent_client.get(PANEL, headers=HTMX).content.decode()
    assert 'class="status disabled">Off' in html
    assert "data-payments-pending" not in html
    assert 'hx-trigger="every 2s"' not in html


def test_a_change_that_never_shows_stops_polling_and_says_so(
    sandbox, agent_client, settings
) -> None:
    sandbox.faults.set_consistency_delay(3600)
    agent_client.post(
        remove_url(MASTERCARD), {"idempotency_key": "p1", "reason_code": "guest_request"}
    )
    assert "(removal sent)" in agent_client.get(PANEL, headers=HTMX).content.decode()
    later = timezone.now() + timedelta(seconds=settings.GUESTS_PENDING_SECONDS + 1)
    with time_machine.travel(later):
        html = agent_client.get(PANEL, headers=HTMX).content.decode()
    assert (
        "Removing Mastercard ending 4444: sent, but the loyalty system does not show it yet" in html
    )
    assert 'hx-trigger="every 2s"' not in html


def test_a_second_submit_of_a_removal_gets_the_first_outcome(
    sandbox, agent_client, upstream_calls, records
) -> None:
    form = {"idempotency_key": "same", "reason_code": "guest_request"}
    assert agent_client.post(remove_url(MASTERCARD), form).status_code == 303
    again = agent_client.post(remove_url(MASTERCARD), form)
    assert again.status_code == 303
    assert "The payment method is no longer saved for this guest." in (
        agent_client.get(again["Location"]).content.decode()
    )
    assert upstream_calls.paths().count("payment/deletePaymentMethod.json") == 1
    assert len(records("payment.method.remove", INTENT)) == 1
    other_form = {"idempotency_key": "new", "reason_code": "guest_request"}
    assert agent_client.post(remove_url(MASTERCARD), other_form).status_code == 404


def test_settling_a_change_keeps_one_another_request_added_meanwhile() -> None:
    from cards.selectors import payments
    from portal.paytronix.replies import AutoRecharge

    turned_off = payments.PendingPayment(action=payments.AUTO_RECHARGE_OFF, summary="off")
    removal = payments.PendingPayment(
        action=payments.METHOD_REMOVED, summary="remove", token=MASTERCARD
    )
    payments.pending_payment_add(account_id=ACCOUNT, change=turned_off)
    seen = payments._pending_load(ACCOUNT)
    # Another request sends a removal while this panel reads upstream.
    payments.pending_payment_add(account_id=ACCOUNT, change=removal)
    waiting, overdue = payments._pending_settle(
        ACCOUNT, seen, AutoRecharge(enabled=False), methods=[], errors={}
    )
    assert (waiting, overdue) == ([], [])  # auto-recharge shows off: settled
    assert payments._pending_load(ACCOUNT) == [removal]
