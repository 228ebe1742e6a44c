"""Disabling and enabling one card: confirmation, reasons, every card_status error, and a
double submit that changes the card once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from portal.sandbox import demo
from portal.sentences import explain_code
from tests.cards.conftest import INTENT, OUTCOME
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
ACTIVE = demo.DEMO_ACTIVE_CARD[-6:]
DISABLED = demo.DEMO_DISABLED_CARD[-6:]
GUEST_PAGE = f"/guests/{ACCOUNT}/#panel-cards"


def disable(client, masked=ACTIVE, *, key="k1", reason="lost", text="", account=ACCOUNT):
    return client.post(
        reverse("cards:disable_submit", args=[account, masked]),
        {"idempotency_key": key, "reason_code": reason, "reason_text": text},
    )


def test_the_confirmation_shows_the_card_its_guest_and_what_will_happen(sandbox, agent_client):
    page = agent_client.get(reverse("cards:disable", args=[ACCOUNT, ACTIVE]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ending 000011" in html
    assert "Ava Thompson" in html
    assert "The card stops working at once" in html
    # Its account's other cards are disabled or exchanged: it says so, not that they work.
    assert "but no other card of the account works" in html
    assert "other active cards keep working" not in html
    assert 'name="idempotency_key"' in html
    assert demo.DEMO_ACTIVE_CARD not in html
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_disabling_one_of_two_working_cards_says_the_other_keeps_working(sandbox, agent_client):
    def enabled(model, moment):
        model.cards[demo.DEMO_DISABLED_CARD].status = "ACTIVE"

    sandbox.state.write(enabled)
    html = agent_client.get(reverse("cards:disable", args=[ACCOUNT, ACTIVE])).content.decode()
    assert escape("and the account's other active cards keep working.") in html
    assert "no other card of the account works" not in html


@pytest.mark.parametrize(
    ("view", "card", "said"),
    [
        (
            "cards:disable",
            demo.DEMO_EXCHANGED_CARD,
            "Card ending 000013 is replaced by another card: only an active card can be disabled.",
        ),
        ("cards:disable", demo.DEMO_DISABLED_CARD, "Card ending 000012 is already disabled"),
        ("cards:enable", demo.DEMO_ACTIVE_CARD, "Card ending 000011 is already enabled"),
    ],
)
def test_a_card_the_guest_page_offers_no_such_change_gets_no_form_but_why(
    sandbox, agent_client, upstream_calls, view, card, said
):
    # Seen in a walkthrough: the disable screen of an exchanged card said "The card stops
    # working at once" and offered the button, and only upstream's refusal said otherwise.
    html = agent_client.get(reverse(view, args=[ACCOUNT, card[-6:]])).content.decode()
    assert said in html
    assert "If you approve" not in html
    assert 'id="status-form"' not in html
    assert upstream_calls.to("guest/changeCardStatus.json") == []


def test_disabling_a_card_with_a_reason_disables_it_and_records_the_reason(
    sandbox, agent_client, records
):
    response = disable(agent_client, reason="stolen")
    assert response.status_code == 303
    assert response["Location"] == GUEST_PAGE
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    page = agent_client.get(response["Location"])
    assert "Card ending 000011 is now disabled." in page.content.decode()
    intent, outcome = records("card.disable")
    assert (intent.kind, intent.reason_code, intent.card_masked) == (INTENT, "stolen", "000011")
    assert (outcome.kind, outcome.outcome) == (OUTCOME, "succeeded")
    assert demo.DEMO_ACTIVE_CARD not in str(intent.params)


def test_other_needs_words_and_nothing_is_sent_without_them(sandbox, agent_client, records):
    response = disable(agent_client, reason="other", text="")
    assert response.status_code == 422
    assert "Say why, in a few words." in response.content.decode()
    assert records("card.disable") == []
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"
    assert (
        disable(agent_client, reason="other", key="k2", text="Chewed by the dog").status_code == 303
    )
    assert records("card.disable", INTENT)[0].reason_text == "Chewed by the dog"


def test_details_too_long_for_other_get_one_message_not_two(sandbox, agent_client, records):
    # Seen in a walkthrough: 1,200 characters of details gave both "at most 1000 characters"
    # and "Say why, in a few words".
    response = disable(agent_client, reason="other", text="x" * 1200)

    html = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value has at most 1000 characters (it has 1200)." in html
    assert "Say why, in a few words." not in html
    assert records("card.disable") == []


def test_enabling_a_disabled_card_makes_it_active(sandbox, agent_client, records):
    response = agent_client.post(
        reverse("cards:enable_submit", args=[ACCOUNT, DISABLED]),
        {"idempotency_key": "e1", "reason_code": "found"},
    )
    assert response.status_code == 303
    assert sandbox.state.card(demo.DEMO_DISABLED_CARD).status == "ACTIVE"
    assert [r.outcome for r in records("card.enable")] == ["pending", "succeeded"]


def test_a_double_submit_changes_the_card_once(sandbox, agent_client, upstream_calls, records):
    first = disable(agent_client, key="same")
    second = disable(agent_client, key="same")
    assert first.status_code == second.status_code == 303
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 1
    assert len(records("card.disable", INTENT)) == 1


def test_htmx_submit_redirects_the_whole_page_to_the_card(sandbox, agent_client):
    response = agent_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, ACTIVE]),
        {"idempotency_key": "h1", "reason_code": "lost"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == GUEST_PAGE


def test_an_htmx_form_error_swaps_only_the_form(sandbox, agent_client):
    response = agent_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, ACTIVE]),
        {"idempotency_key": "h2"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert "<html" not in html


@pytest.mark.parametrize(
    ("card", "code", "sentence"),
    [
        (demo.DEMO_EXCHANGED_CARD, "card_status.card_exchanged", "replaced by another card"),
        (demo.DEMO_SUSPENDED_ACCOUNT_CARD, "card_status.account_not_active", "not active"),
    ],
)
def test_a_refused_change_is_explained_in_a_sentence(
    sandbox, agent_client, records, card, code, sentence
):
    account = sandbox.state.account_for_card(card).account_id
    response = disable(agent_client, card[-6:], account=account)
    assert response.status_code == 200
    assert sentence in response.content.decode()
    assert records("card.disable", OUTCOME)[0].error_code == code


@pytest.mark.parametrize(
    "code",
    [
        "card_status.invalid_merchant",
        "card_status.account_not_active",
        "card_status.card_exchanged",
        "card_status.card_inactive",
        "card_status.invalid_status",
        "card_status.invalid_card",
        "card_status.internal_error",
    ],
)
def test_every_card_status_error_code_becomes_its_sentence(
    sandbox, agent_client, upstream_refuses, code
):
    upstream_refuses("guest/changeCardStatus", code)
    response = disable(agent_client)
    assert response.status_code == 200
    assert escape(explain_code(code)) in response.content.decode()
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_after_a_failure_the_form_carries_a_new_key_so_a_retry_is_a_new_attempt(
    sandbox, agent_client, records, upstream_refuses, monkeypatch
):
    upstream_refuses("guest/changeCardStatus", "card_status.internal_error")
    response = disable(agent_client, key="first")
    assert 'value="first"' not in response.content.decode()
    monkeypatch.undo()
    key = response.content.decode().split('name="idempotency_key" value="')[1].split('"')[0]
    assert disable(agent_client, key=key).status_code == 303
    assert [r.outcome for r in records("card.disable", OUTCOME)] == ["failed", "succeeded"]
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"


def test_a_store_manager_cannot_reach_the_card_screens(sandbox, store_manager_client):
    assert (
        store_manager_client.get(reverse("cards:disable", args=[ACCOUNT, ACTIVE])).status_code
        == 403
    )
    assert disable(store_manager_client).status_code == 403
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_an_unknown_masked_number_is_not_found(sandbox, agent_client):
    assert agent_client.get(reverse("cards:disable", args=[ACCOUNT, "999999"])).status_code == 404


def test_an_unknown_outcome_keeps_the_key_so_submitting_again_never_sends_twice(
    sandbox, agent_client, upstream_calls, settings
):
    settings.PAYTRONIX_READ_TIMEOUT = 0.5
    sandbox.faults.hang(seconds=2, endpoint="guest/changeCardStatus", times=1)
    first = disable(agent_client, key="lostreply")
    html = first.content.decode()
    assert (
        f"We could not confirm whether card ending {ACTIVE} was disabled: the loyalty system did "
        f"not answer. Press “Disable card ending {ACTIVE}” again to check the card; nothing is "
        "sent twice." in html
    )
    assert 'value="lostreply"' in html
    again = disable(agent_client, key="lostreply")
    # The second submit reads the card back instead of sending: the hung write was applied.
    assert again.status_code == 303
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 1


def test_a_change_whose_outcome_is_unknown_is_pending_on_the_guest_page_until_the_card_shows_it(
    sandbox, agent_client
):
    # The reply is lost and the write is not carried out yet (upstream shows it later).
    sandbox.faults.error(503, endpoint="guest/changeCardStatus", times=1)
    disable(agent_client, key="pending")
    page = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    cards = page[page.index('id="panel-cards"') : page.index('id="panel-wallets"')]
    assert f"Pending:</strong> Card ending {ACTIVE} disabled." in cards
    assert 'hx-trigger="every 2s"' in cards
    assert f'Card ending {ACTIVE} disabled</a> <span class="muted">(not confirmed)' in page
    assert "Sent, but the loyalty system did not confirm it: it may not have gone through." in cards

    # Once the card reads so, the panel says it shows, and stops asking.
    def disabled(model, moment):
        model.cards[demo.DEMO_ACTIVE_CARD].status = "DISABLED"

    sandbox.state.write(disabled)
    panel = agent_client.get(
        reverse("guests:panel", args=[ACCOUNT, "cards"]), headers=HTMX
    ).content.decode()
    assert f"Now showing: Card ending {ACTIVE} disabled." in panel
    assert 'hx-trigger="every 2s"' not in panel


def test_a_change_made_at_once_is_not_watched(sandbox, agent_client):
    disable(agent_client, key="at-once")
    page = agent_client.get(reverse("guests:guest", args=[ACCOUNT])).content.decode()
    assert "Pending:" not in page
    assert "Now showing" not in page


def test_a_disable_that_could_not_be_confirmed_and_does_not_show_may_be_sent_again_at_once(
    sandbox, agent_client, upstream_calls
):
    """A lost card must not stay usable while the first request is settled: the second press
    reads the card back (nothing sent); when it still does not read disabled, the form gets a
    new key and the third press sends the change once more."""
    sandbox.faults.error(503, endpoint="guest/changeCardStatus", times=1)
    first = disable(agent_client, key="lost1").content.decode()
    assert "again to check the card; nothing is sent twice." in first
    assert 'value="lost1"' in first

    checked = disable(agent_client, key="lost1").content.decode()
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 1
    assert (
        f"Card ending {ACTIVE} still reads active: the first request may not have gone "
        f"through. Press “Disable card ending {ACTIVE}” again to send it once more. That is safe"
        in checked
    )
    assert 'value="lost1"' not in checked
    key = checked.split('name="idempotency_key" value="')[1].split('"')[0]

    sent = disable(agent_client, key=key)
    assert sent.status_code == 303
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 2


def test_a_second_press_that_cannot_read_the_card_back_keeps_the_key() -> None:
    """The card could not be read back (upstream down again): nothing is offered to send; the
    next press checks again under the same key."""
    from cards.forms import DisableCardForm
    from cards.selectors import AccountCard
    from cards.views.status import STATUS_CHANGES, ReadBack, _unconfirmed

    form = DisableCardForm({"idempotency_key": "lost2", "reason_code": "lost"})
    card = AccountCard(
        account_id=ACCOUNT, masked_card_number=ACTIVE, status="ACTIVE", is_primary=True
    )
    said = _unconfirmed(STATUS_CHANGES["disable"], card, form, ReadBack(status=""))
    assert said == (
        f"Card ending {ACTIVE} could not be read back, so whether it was disabled is still not "
        f"known. Press “Disable card ending {ACTIVE}” again to check it again; nothing is sent "
        "twice."
    )
    assert form.data["idempotency_key"] == "lost2"


def test_a_second_press_after_someone_changed_the_card_since_does_not_offer_to_send_again(
    sandbox, agent_client, supervisor_client, upstream_calls
):
    """The agent's disable was not confirmed; meanwhile a supervisor enabled the card (it had
    gone through after all): the agent is told, not offered to override it."""
    sandbox.faults.error(503, endpoint="guest/changeCardStatus", times=1, process=True)
    disable(agent_client, key="lost3")
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    enabled = supervisor_client.post(
        reverse("cards:enable_submit", args=[ACCOUNT, ACTIVE]),
        {"idempotency_key": "found1", "reason_code": "found", "reason_text": ""},
    )
    assert enabled.status_code == 303

    checked = disable(agent_client, key="lost3").content.decode()
    assert f"Card ending {ACTIVE} reads active, and its status was changed again since" in checked
    assert "by sam.supervisor): check with the guest before changing it again." in checked
    assert 'value="lost3"' in checked
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 2
