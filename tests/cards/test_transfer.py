"""Moving a balance between cards: the preview of both cards before and after, the warning when
the source will be closed, refusals before any write, the door (reason, audit, one write per
form), upstream trouble told calmly, and the service switched off."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.audit.settle_balances import balance_transferred_settle
from portal.paytronix.client import client_from_settings
from portal.sandbox import demo
from tests.cards.conftest import INTENT, OUTCOME

pytestmark = pytest.mark.django_db

SOURCE, DESTINATION = demo.DEMO_ATTACHABLE_CARD, demo.DEMO_ACTIVE_CARD
ACCOUNT = demo.DEMO_ACCOUNT_ID
REWARDS, GIFT = demo.DEMO_DIFFERENT_TEMPLATE_PAIR
ENDPOINT = "balancetransfer/transferBalances.json"


def post(client, account=ACCOUNT, *, card=SOURCE, which="all", confirm=True, key="t1", **extra):
    data = {
        "idempotency_key": key,
        "from_card_number": card,
        "which": which,
        "reason_code": "lost_card",
    }
    if confirm:
        data.update(confirm="on", understood="on")
    data.update(extra)
    return client.post(reverse("cards:transfer_submit", args=[account]), data)


def balances(sandbox, card: str) -> dict[int, Decimal]:
    return {w.code: w.balance for w in sandbox.state.account_for_card(card).wallets}


def test_the_preview_shows_both_cards_before_and_after_and_warns_of_the_closing(
    sandbox, supervisor_client, upstream_calls
):
    source, destination = balances(sandbox, SOURCE), balances(sandbox, DESTINATION)
    page = post(supervisor_client, confirm=False)
    html = page.content.decode()
    assert page.status_code == 200
    assert "The old card will be closed." in html
    for code, amount in source.items():
        assert f"<strong>{destination[code] + amount:,}</strong>" in html
    assert 'name="understood"' in html
    assert "Move the balances now" in html
    # The confirmation carries the same key, and nothing was written.
    assert 'value="t1"' in html
    assert upstream_calls.to(ENDPOINT) == []
    assert balances(sandbox, SOURCE) == source


def test_confirming_moves_the_balances_audited_with_the_reason_and_the_amounts(
    sandbox, supervisor_client, records
):
    source, destination = balances(sandbox, SOURCE), balances(sandbox, DESTINATION)
    response = post(supervisor_client)
    assert response.status_code == 303
    assert balances(sandbox, DESTINATION) == {
        code: amount + source.get(code, 0) for code, amount in destination.items()
    }
    assert sandbox.state.account_for_card(SOURCE).status == "TERMINATED"
    (intent,) = records("balance.transfer", INTENT)
    assert (intent.reason_code, intent.account_id, intent.card_masked) == (
        "lost_card",
        ACCOUNT,
        DESTINATION[-6:],
    )
    assert intent.params["fromPrintedCardNumber"]["masked"] == SOURCE[-6:]
    assert SOURCE not in str(intent.params)
    assert intent.params["fromAccountId"] == 9000021
    assert {m["wallet_code"]: Decimal(m["amount"]) for m in intent.params["moves"]} == {
        code: amount for code, amount in source.items() if amount > 0
    }
    assert [r.outcome for r in records("balance.transfer", OUTCOME)] == ["succeeded"]
    page = supervisor_client.get(response["Location"]).content.decode()
    assert f"Balances of card ending {SOURCE[-6:]} moved to card ending {DESTINATION[-6:]}" in page


def test_a_double_submit_moves_once(sandbox, supervisor_client, upstream_calls, records):
    assert post(supervisor_client).status_code == 303
    again = post(supervisor_client)
    assert again.status_code == 303
    assert len(upstream_calls.to(ENDPOINT)) == 1
    assert len(records("balance.transfer", INTENT)) == 1


def test_into_a_gift_card_what_it_can_take_moves_and_every_balance_is_refused_first(
    sandbox, supervisor_client, upstream_calls
):
    gift_account = sandbox.state.account_for_card(GIFT).account_id
    before = balances(sandbox, REWARDS)
    refused = post(supervisor_client, gift_account, card=REWARDS, which="all")
    assert refused.status_code == 409
    assert "Not every balance can move to this card" in refused.content.decode()
    assert upstream_calls.to(ENDPOINT) == []
    preview = post(supervisor_client, gift_account, card=REWARDS, which="taken", confirm=False)
    html = preview.content.decode()
    assert "stays on the old card" in html
    assert "The old card will be closed." not in html
    done = post(supervisor_client, gift_account, card=REWARDS, which="taken", key="t2")
    assert done.status_code == 303
    assert balances(sandbox, REWARDS)[0] == 0
    assert balances(sandbox, REWARDS)[5] == before[5]
    assert sandbox.state.account_for_card(REWARDS).status == "ACTIVE"


@pytest.mark.parametrize(
    ("card", "words"),
    [
        ("6000209999999999", "We could not find that card."),
        (demo.DEMO_DISABLED_CARD, "one of this account&#x27;s own cards"),
        (demo.DEMO_TERMINATED_ACCOUNT_CARD, "That card cannot be used"),
    ],
)
def test_a_source_that_cannot_give_is_said_so_before_any_write(
    sandbox, supervisor_client, upstream_calls, card, words
):
    response = post(supervisor_client, card=card)
    assert response.status_code == 409
    assert words in response.content.decode()
    assert upstream_calls.to(ENDPOINT) == []


def test_bad_input_costs_no_upstream_call(sandbox, supervisor_client, upstream_calls):
    response = post(supervisor_client, card="12ab", reason_code="")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the card number printed on the card" in html
    assert upstream_calls.to(ENDPOINT) == []


def test_the_guest_must_have_been_told(sandbox, supervisor_client, upstream_calls):
    response = post(supervisor_client, understood="")
    assert response.status_code == 422
    assert upstream_calls.to(ENDPOINT) == []
    # The confirmation is drawn again with the box's error, not the form's first step.
    html = response.content.decode()
    assert "Tick this once you have told the guest." in html
    (box,) = re.findall(r'<input type="checkbox" name="understood"[^>]*>', html)
    assert " required" in box  # the browser says so first


def test_agents_and_store_managers_cannot_move_balances(
    sandbox, agent_client, store_manager_client
):
    url = reverse("cards:transfer", args=[ACCOUNT])
    assert agent_client.get(url).status_code == 403
    assert store_manager_client.get(url).status_code == 403
    assert post(agent_client).status_code == 403
    assert sandbox.state.account_for_card(SOURCE).status == "ACTIVE"


def test_the_guest_page_offers_it_to_supervisors_only(sandbox, supervisor_client, agent_client):
    url = reverse("cards:transfer", args=[ACCOUNT])
    guest = reverse("guests:guest", args=[ACCOUNT])
    assert url in supervisor_client.get(guest).content.decode()
    assert url not in agent_client.get(guest).content.decode()


def test_an_upstream_refusal_is_told_and_audited(
    sandbox, supervisor_client, records, upstream_refuses
):
    upstream_refuses("balancetransfer/transferBalances", "balance_transfer.no_balance")
    response = post(supervisor_client)
    assert response.status_code == 200
    assert "The old card has no balance this card can take." in response.content.decode()
    (outcome,) = records("balance.transfer", OUTCOME)
    assert (outcome.outcome, outcome.error_code) == ("failed", "balance_transfer.no_balance")


def test_a_5xx_is_unknown_until_the_read_back_says_not_applied_then_it_can_be_tried_again(
    sandbox, supervisor_client, records, settings, upstream_calls
):
    sandbox.faults.error(status=503, endpoint=ENDPOINT, times=1)
    first = post(supervisor_client, key="t5")
    assert "We could not confirm whether the change went through." in first.content.decode()
    # Within the grace period the read-back cannot tell: still unknown, the key kept.
    again = post(supervisor_client, key="t5")
    assert 'value="t5"' in again.content.decode()
    settings.AUDIT_NOT_APPLIED_AFTER = 0
    settled = post(supervisor_client, key="t5")
    html = settled.content.decode()
    assert 'value="t5"' not in html
    assert [r.outcome for r in records("balance.transfer", OUTCOME)] == ["unknown", "failed"]
    assert sandbox.state.account_for_card(SOURCE).status == "ACTIVE"
    # The renewed form is a new attempt.
    key = html.split('name="idempotency_key" value="')[1].split('"')[0]
    assert post(supervisor_client, key=key).status_code == 303
    assert len(upstream_calls.to(ENDPOINT)) == 2


def test_a_lost_reply_is_settled_by_reading_back_never_sent_twice(
    sandbox, supervisor_client, upstream_calls, settings, records
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.hang(seconds=2, endpoint=ENDPOINT, times=1)
    first = post(supervisor_client, key="lost")
    html = first.content.decode()
    assert "We could not confirm whether the change went through." in html
    assert 'value="lost"' in html
    again = post(supervisor_client, key="lost")
    assert again.status_code == 303
    assert len(upstream_calls.to(ENDPOINT)) == 1
    assert [r.outcome for r in records("balance.transfer", OUTCOME)] == ["unknown", "succeeded"]


def test_a_merchant_without_the_service_is_told_calmly(sandbox, supervisor_client, settings):
    sandbox.app.without = frozenset({"balancetransfer"})
    response = post(supervisor_client)
    assert "not available for this Paytronix integration" in response.content.decode()
    # Remembered: the guest page no longer offers it and the screen says so without a call.
    guest = supervisor_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    assert reverse("cards:transfer", args=[ACCOUNT]) not in guest
    screen = supervisor_client.get(reverse("cards:transfer", args=[ACCOUNT])).content.decode()
    assert "Moving a balance between cards is not available" in screen
    settings.PAYTRONIX_BALANCE_TRANSFER_SERVICE = False
    assert post(supervisor_client, key="t9").status_code == 409


def _unknown_intent(supervisor_client, records):
    post(supervisor_client, key="u1")
    (intent,) = records("balance.transfer", INTENT)
    assert records("balance.transfer", OUTCOME)[-1].outcome == "unknown"
    return intent


def test_settle_applied_from_the_destinations_history(
    sandbox, supervisor_client, records, settings
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.hang(seconds=2, endpoint=ENDPOINT, times=1)
    intent = _unknown_intent(supervisor_client, records)
    verdict = balance_transferred_settle(client_from_settings(), intent, None)
    assert verdict is not None
    assert verdict.outcome == "succeeded"
    assert "history shows the balances received" in verdict.message


def test_settle_cannot_tell_while_the_transfer_is_not_yet_visible(
    sandbox, supervisor_client, records, settings
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.set_consistency_delay(600)
    sandbox.faults.hang(seconds=2, endpoint=ENDPOINT, times=1)
    intent = _unknown_intent(supervisor_client, records)
    assert sandbox.state.account_for_card(SOURCE).status == "TERMINATED"
    assert balance_transferred_settle(client_from_settings(), intent, None) is None
    sandbox.advance(601)
    verdict = balance_transferred_settle(client_from_settings(), intent, None)
    assert verdict is not None
    assert verdict.outcome == "succeeded"


def test_settle_not_applied_only_after_the_grace_period(
    sandbox, supervisor_client, records, settings
):
    sandbox.faults.error(status=503, endpoint=ENDPOINT, times=1)
    intent = _unknown_intent(supervisor_client, records)
    assert balance_transferred_settle(client_from_settings(), intent, None) is None
    settings.AUDIT_NOT_APPLIED_AFTER = 0
    verdict = balance_transferred_settle(client_from_settings(), intent, None)
    assert verdict is not None
    assert verdict.outcome == "failed"
    assert "source still holds the balances" in verdict.message
