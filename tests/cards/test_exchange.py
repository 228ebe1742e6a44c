"""Replacing a lost or damaged card: the new card checked first (unused, not the account's own,
the program where it can be read), the old card's fate confirmed, the exchange through the door
once, the guest page afterwards, and a lost reply settled by reading back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.settle_balances import card_exchanged_settle
from portal.paytronix.client import client_from_settings
from portal.sandbox import demo
from tests.cards.conftest import INTENT, OUTCOME

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
OLD = demo.DEMO_ACTIVE_CARD
NEW = demo.DEMO_REPLACEMENT_CARDS[0]
ENDPOINT = "transaction/exchange.json"


def post(client, *, old=OLD, new=NEW, confirm=True, key="x1", **extra):
    data = {"idempotency_key": key, "new_card_number": new, "reason_code": "lost"}
    if confirm:
        data.update(confirm="on", understood="on")
    data.update(extra)
    return client.post(reverse("cards:exchange_submit", args=[ACCOUNT, old[-6:]]), data)


def test_the_screen_says_what_happens_to_the_old_card(sandbox, agent_client):
    page = agent_client.get(reverse("cards:exchange", args=[ACCOUNT, OLD[-6:]]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "stops working for good" in html
    assert "as the account's primary card" in html
    assert "Check the new card" in html


def test_checking_a_new_card_changes_nothing_and_asks_to_confirm(
    sandbox, agent_client, upstream_calls
):
    page = post(agent_client, confirm=False)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"ending {NEW[-6:]}</span>: never used" in html
    assert f"Replace card ending {OLD[-6:]}" in html
    assert 'name="understood"' in html
    assert 'value="x1"' in html
    assert upstream_calls.to(ENDPOINT) == []
    assert sandbox.state.card(OLD).status == "ACTIVE"


def test_the_exchange_makes_the_new_card_primary_and_the_old_one_exchanged(
    sandbox, agent_client, records
):
    balances = {w.code: w.balance for w in sandbox.state.account(ACCOUNT).wallets}
    response = post(agent_client)
    assert response.status_code == 303
    account = sandbox.state.account(ACCOUNT)
    assert account.primary_card == NEW
    assert sandbox.state.card(OLD).status == "EXCHANGED"
    assert {w.code: w.balance for w in account.wallets} == balances
    (intent,) = records("card.exchange", INTENT)
    assert (intent.reason_code, intent.card_masked) == ("lost", OLD[-6:])
    assert intent.params["newPrintedCardNumber"]["masked"] == NEW[-6:]
    assert NEW not in str(intent.params)
    assert intent.params["reference"] == "EX-x1"
    assert [r.outcome for r in records("card.exchange", OUTCOME)] == ["succeeded"]
    page = agent_client.get(response["Location"]).content.decode()
    assert f"Card ending {OLD[-6:]} is replaced by card ending {NEW[-6:]}" in page
    rows = page.split('id="panel-cards"')[1]
    assert f'…{NEW[-6:]} <span class="status ok">primary</span>' in rows
    old_row = rows.split(f"…{OLD[-6:]}")[1].split("</tr>")[0]
    assert "EXCHANGED" in old_row
    assert reverse("cards:exchange", args=[ACCOUNT, OLD[-6:]]) not in page


def test_a_double_submit_exchanges_once(sandbox, agent_client, upstream_calls, records):
    assert post(agent_client).status_code == 303
    assert post(agent_client).status_code == 303
    assert len(upstream_calls.to(ENDPOINT)) == 1
    assert len(records("card.exchange", INTENT)) == 1


@pytest.mark.parametrize(
    ("new", "words"),
    [
        (demo.DEMO_ATTACHABLE_CARD, "That card is already in use (account 9000021)"),
        (demo.DEMO_DIFFERENT_TEMPLATE_PAIR[1], "That card is of another program (Gift Card)"),
        (demo.DEMO_DISABLED_CARD, "one of this account&#x27;s own cards"),
        ("6000209999999999", "We could not find that card in this program."),
        (demo.DEMO_TERMINATED_ACCOUNT_CARD, "That card cannot be the new card"),
    ],
)
def test_a_new_card_that_cannot_be_used_is_said_so_before_any_write(
    sandbox, agent_client, upstream_calls, new, words
):
    response = post(agent_client, new=new, confirm=False)
    assert response.status_code == 409
    assert words in response.content.decode()
    assert upstream_calls.to(ENDPOINT) == []


def test_an_exchanged_card_cannot_be_replaced_again(sandbox, agent_client, upstream_calls):
    response = post(agent_client, old=demo.DEMO_EXCHANGED_CARD)
    assert response.status_code == 409
    assert "only an active or disabled card can be replaced" in response.content.decode()
    assert upstream_calls.to(ENDPOINT) == []


def test_the_screen_of_a_card_that_cannot_be_replaced_says_why_and_offers_no_form(
    sandbox, agent_client
):
    screen = agent_client.get(
        reverse("cards:exchange", args=[ACCOUNT, demo.DEMO_EXCHANGED_CARD[-6:]])
    )

    html = screen.content.decode()
    assert screen.status_code == 200
    assert "only an active or disabled card can be replaced" in html
    assert "Back to the guest" in html
    assert "exchange-form" not in html
    assert "stops working for good" not in html


def test_a_new_card_of_another_program_is_refused_by_upstream_and_said_clearly(
    sandbox, agent_client, records
):
    response = post(agent_client, new=demo.DEMO_REPLACEMENT_GIFT_CARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "program" in html.split('class="alert error"')[1].split("</div>")[0]
    (outcome,) = records("card.exchange", OUTCOME)
    assert (outcome.outcome, outcome.error_code) == ("failed", "transaction.card_template_mismatch")
    assert sandbox.state.card(OLD).status == "ACTIVE"
    # The check that said the card was ready no longer stands: back to checking a card.
    assert "ready to replace" not in html
    assert "Check the new card" in html
    assert 'name="understood"' not in html
    assert f'value="{demo.DEMO_REPLACEMENT_GIFT_CARD}"' in html


def test_bad_input_and_a_missing_confirmation_cost_no_write(sandbox, agent_client, upstream_calls):
    assert post(agent_client, new="12").status_code == 422
    unticked = post(agent_client, understood="")
    assert unticked.status_code == 422
    # Seen in a walkthrough: the form went back to its first step and said nothing. The new
    # card's check is shown again, with the box and its error.
    html = unticked.content.decode()
    assert "Tick this once you have told the guest." in html
    assert f"ending {NEW[-6:]}</span>: never used" in html
    assert f"Replace card ending {OLD[-6:]}</button>" in html
    assert post(agent_client, reason_code="").status_code == 422
    assert upstream_calls.to(ENDPOINT) == []


def test_a_store_manager_cannot_replace_cards(sandbox, store_manager_client):
    url = reverse("cards:exchange", args=[ACCOUNT, OLD[-6:]])
    assert store_manager_client.get(url).status_code == 403
    assert post(store_manager_client).status_code == 403


def test_without_the_transaction_service_it_is_not_offered(sandbox, agent_client, settings):
    settings.PAYTRONIX_TRANSACTION_SERVICE = False
    guest = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    assert reverse("cards:exchange", args=[ACCOUNT, OLD[-6:]]) not in guest
    response = post(agent_client)
    assert response.status_code == 409
    assert "card exchanges are not available" in response.content.decode()


def test_a_lost_reply_is_settled_by_reading_back(
    sandbox, agent_client, upstream_calls, settings, records
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.hang(seconds=2, endpoint=ENDPOINT, times=1)
    first = post(agent_client, key="lost")
    assert "We could not confirm whether the change went through." in first.content.decode()
    again = post(agent_client, key="lost")
    assert again.status_code == 303
    assert len(upstream_calls.to(ENDPOINT)) == 1
    assert [r.outcome for r in records("card.exchange", OUTCOME)] == ["unknown", "succeeded"]


def test_settle_not_yet_visible_then_applied(sandbox, agent_client, settings, records):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.set_consistency_delay(600)
    sandbox.faults.hang(seconds=2, endpoint=ENDPOINT, times=1)
    post(agent_client, key="late")
    (intent,) = records("card.exchange", INTENT)
    assert card_exchanged_settle(client_from_settings(), intent, None) is None
    sandbox.advance(601)
    verdict = card_exchanged_settle(client_from_settings(), intent, None)
    assert verdict is not None
    assert verdict.outcome == "succeeded"


def test_settle_not_applied_only_after_the_grace_period(sandbox, agent_client, settings, records):
    sandbox.faults.error(status=503, endpoint=ENDPOINT, times=1)
    post(agent_client, key="never")
    (intent,) = records("card.exchange", INTENT)
    assert card_exchanged_settle(client_from_settings(), intent, None) is None
    settings.AUDIT_NOT_APPLIED_AFTER = 0
    verdict = card_exchanged_settle(client_from_settings(), intent, None)
    assert verdict is not None
    assert verdict.outcome == "failed"
    assert "the old card is still ACTIVE" in verdict.message


def test_refused_input_is_redrawn_from_the_cached_reads_without_an_upstream_call(
    sandbox, agent_client, upstream_calls
):
    # Found by the form fuzz: the refused form used to read the account again.
    agent_client.get(reverse("cards:exchange", args=[ACCOUNT, OLD[-6:]]))
    upstream_calls.clear()

    response = post(agent_client, new="", key="")

    assert response.status_code == 422
    assert OLD[-4:] in response.content.decode()
    assert list(upstream_calls) == []
