"""The guest page and each of its panels, against the sandbox."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guests.selectors import reads
from guests.selectors.fanout import run_reads
from guests.selectors.history import PAGE_SIZE, HistoryQuery, history_page
from guests.selectors.reads import HistoryFilter
from portal.audit.chain import chain_append
from portal.audit.models import AuditRecord, Kind
from portal.guestcache import guest_cache, guest_cache_key
from portal.paytronix.errors import FailureError
from portal.paytronix.session import Transport
from portal.sandbox import demo
from portal.sandbox.endpoints.registry import ENDPOINTS
from portal.sandbox.model import Expiration as SandboxExpiration
from portal.sandbox.testing import SandboxController
from tests.conftest import HTMX, UpstreamCalls
from tests.guests.conftest import search

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])


def panel_url(name: str, account_id: int = demo.DEMO_ACCOUNT_ID) -> str:
    return reverse("guests:panel", args=[account_id, name])


@pytest.fixture
def page_html(sandbox: SandboxController, agent_client: Client) -> str:
    response = agent_client.get(GUEST_URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_header_shows_who_the_guest_is_and_their_preferences(page_html: str) -> None:
    for text in (
        ">Ava Thompson</h1>",
        '<dd class="untrusted">ava.thompson</dd>',
        "<dd>Registered</dd>",
        "<dd>Active</dd>",
        "Rewards Card · Gold",
        "Mar 14, 2019 at Waltham",
        "ava.thompson@example.com (verified)",
        "marketing email: yes",
        "not opted in",
        "English (United States)",
        "All messages",
    ):
        assert text in page_html


def test_cards_are_listed_masked_with_their_status(page_html: str) -> None:
    assert "…000011" in page_html
    assert "primary" in page_html
    assert "Disabled (it cannot be used until it is enabled again)" in page_html
    assert "Replaced by another card" in page_html
    for number in (demo.DEMO_ACTIVE_CARD, demo.DEMO_DISABLED_CARD, demo.DEMO_EXCHANGED_CARD):
        assert number not in page_html


def test_wallets_show_balances_and_expirations_unless_the_program_hides_them(
    sandbox: SandboxController, page_html: str
) -> None:
    account = sandbox.state.account(demo.DEMO_ACCOUNT_ID)
    points = next(w for w in account.wallets if w.name == "Points")
    stored = next(w for w in account.wallets if w.name == "Stored Value")
    assert f'<td class="num">{stored.balance:.2f}</td>' in page_html
    assert f'<td class="num">{points.balance:,}</td>' in page_html
    expiring = points.expirations[0]
    # The demo's dates are fixed: one gone by today is said as expired.
    phrase = "expired on" if expiring.expires < timezone.localdate() else "on"
    when = f"{expiring.expires:%b} {expiring.expires.day},"
    assert f"{expiring.amount:,} {phrase} {when}" in page_html
    assert f"{points.additional_expiring:,} more expiring later" in page_html
    # Said once under the table, naming the wallets, not once per wallet.
    hidden = [w.name for w in account.wallets if w.hide_expiration_dates]
    assert hidden
    said = re.findall(r"Expiration dates not shown for ([^:<]+): the program hides them", page_html)
    assert len(said) == 1
    assert set(said[0].split(", ")) == set(hidden)


def test_an_expiration_date_already_past_is_said_as_expired_not_as_upcoming(
    sandbox: SandboxController, agent_client: Client
) -> None:
    today = timezone.localdate()
    past, coming = today - timedelta(days=146), today + timedelta(days=30)
    account = sandbox.state.account(demo.DEMO_ACCOUNT_ID)
    points = next(w for w in account.wallets if w.name == "Points")
    points.expirations = [
        SandboxExpiration(amount=Decimal("2547"), expires=past),
        SandboxExpiration(amount=Decimal("120"), expires=coming),
    ]

    html = agent_client.get(reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])).content.decode()

    assert f"2,547 expired on {past:%b} {past.day}, {past.year}" in html
    assert f"2,547 on {past:%b} {past.day}" not in html
    assert f"120 on {coming:%b} {coming.day}, {coming.year}" in html


def test_pending_event_rewards_are_listed(page_html: str) -> None:
    assert "Bonus Points" in page_html
    assert "Double Points Weekend" in page_html
    assert 'until <span class="nowrap">Sep 1, 2030</span>' in page_html


def test_history_has_one_column_per_wallet_and_store_and_check(
    sandbox: SandboxController, page_html: str
) -> None:
    newest = sandbox.state.account(demo.DEMO_ACCOUNT_ID).transactions[-1]
    assert newest.transaction_id == demo.DEMO_ANNOTATED_TRANSACTION_ID
    for text in ('<th scope="col" class="num">Points</th>', "Point Adjustment", "+25", "Waltham"):
        assert text in page_html
    assert page_html.count('<td class="mono">') >= PAGE_SIZE
    assert "Page 1" in page_html
    assert 'hx-get="/guests/9000001/history/?page=2"' in page_html
    assert 'href="/guests/9000001/?page=2#panel-history"' in page_html


def test_a_transaction_not_authorized_says_what_that_means(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = ENDPOINTS["guest/transactionHistoryByAccount"]

    def newest_not_authorized(request: Any) -> dict[str, Any]:
        reply = found.handler(request)
        reply["transactions"][0]["authorized"] = False
        return reply

    monkeypatch.setitem(
        ENDPOINTS,
        "guest/transactionHistoryByAccount",
        replace(found, handler=newest_not_authorized),
    )

    html = agent_client.get(GUEST_URL).content.decode()

    rows = html[html.index('id="panel-history"') :].split("<tr")
    flagged = [row for row in rows if "Not authorized" in row]
    assert len(flagged) == 1
    assert "Paytronix did not authorize this transaction" in flagged[0]
    assert "the guest does not see it" in flagged[0]
    assert "Point Adjustment" in flagged[0]


def test_history_amounts_are_scaled_by_the_wallet_info(sandbox: SandboxController) -> None:
    page = history_page(account_id=demo.DEMO_ACCOUNT_ID, query=HistoryQuery(page=1))
    scales = {column.wallet_code: column.scale for column in page.columns}
    assert scales[0] == 2
    cells = [
        (column, cell)
        for row in page.rows
        for column, cell in zip(page.columns, row.cells, strict=True)
        if cell
    ]
    assert cells
    for column, cell in cells:
        assert cell.balance.as_tuple().exponent == -column.scale
        assert cell.change == cell.accrued - cell.redeemed


def test_history_pages_go_back_in_time(sandbox: SandboxController, agent_client: Client) -> None:
    transactions = sandbox.state.account(demo.DEMO_ACCOUNT_ID).transactions
    second_page_first = transactions[-1 - PAGE_SIZE]
    response = agent_client.get(
        reverse("guests:history", args=[demo.DEMO_ACCOUNT_ID]), {"page": 2}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="panel-history"')
    assert f"/history/{second_page_first.transaction_id}/comments/" in html
    assert f"/history/{transactions[-1].transaction_id}/comments/" not in html
    assert "Newer" in html


def test_history_filters_reach_upstream(sandbox: SandboxController, agent_client: Client) -> None:
    everything = agent_client.get(GUEST_URL).content.decode()
    assert "Identify Customer" in everything
    filtered = agent_client.get(
        reverse("guests:history", args=[demo.DEMO_ACCOUNT_ID]), {"balance_only": "on"}, headers=HTMX
    ).content.decode()
    assert "Identify Customer" not in filtered
    dated = agent_client.get(
        reverse("guests:history", args=[demo.DEMO_ACCOUNT_ID]),
        {"date_start": "2019-03-01", "date_end": "2019-03-31"},
        headers=HTMX,
    ).content.decode()
    # The seeded showcase history has exactly these three rows in March 2019, newest first.
    assert re.findall(
        r'<td class="nowrap">(\w{3} \d{1,2}, \d{4})<div class="muted">([^<]*)</div>', dated
    ) == [
        ("Mar 23, 2019", "11:07 PM"),
        ("Mar 23, 2019", "2:20 PM"),
        ("Mar 15, 2019", "4:42 AM"),
    ]


def test_a_history_date_range_backwards_is_explained(
    agent_client: Client, sandbox: SandboxController
) -> None:
    html = agent_client.get(
        GUEST_URL, {"date_start": "2024-02-01", "date_end": "2024-01-01"}
    ).content.decode()
    assert "The end date is before the start date." in html


def test_transaction_comments_load_on_demand(
    sandbox: SandboxController, agent_client: Client
) -> None:
    url = reverse(
        "guests:transaction_comments",
        args=[demo.DEMO_ACCOUNT_ID, demo.DEMO_ANNOTATED_TRANSACTION_ID],
    )
    fragment = agent_client.get(url, headers=HTMX).content.decode()
    assert "25 bonus points for the wait on May 30." in fragment
    assert "Adjustment by customer service." in fragment
    assert "<html" not in fragment
    page = agent_client.get(url).content.decode()
    assert "<html" in page
    assert "Back to the guest" in page


def test_referrals_show_what_is_left_and_each_status_in_words(page_html: str) -> None:
    assert "Referrals left to send: <strong>2</strong>" in page_html
    assert "maya.friend@example.net" in page_html
    assert "Invitation emailed; the friend has not joined yet." in page_html
    assert "The guest has earned their reward for this referral." in page_html
    assert "Bulk referrals" in page_html
    assert "A card from a batch was linked to this guest; nobody has used it yet." in page_html


def test_profile_shows_addresses_related_guests_perks_external_accounts_and_stores(
    page_html: str,
) -> None:
    for text in (
        "Primary Address",
        "Waltham, MA 02452 US",
        "Leo Thompson",
        "Gluten free",
        'facebook: <span class="mono">fb-ava-100042</span>',
        "Favourite stores",
    ):
        assert text in page_html


def test_account_notes_show_author_and_time(page_html: str) -> None:
    assert "Offered 25 bonus points for the wait." in page_html
    assert '<span class="untrusted">csr.seed</span> · <span class="nowrap">Jun 1, 2025' in page_html


def test_a_panel_alone_for_htmx_and_the_whole_page_as_a_plain_link(
    sandbox: SandboxController, agent_client: Client
) -> None:
    fragment = agent_client.get(panel_url("notes"), headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="panel-notes"')
    assert "<html" not in fragment
    page = agent_client.get(panel_url("notes")).content.decode()
    assert "<html" in page
    assert 'id="panel-history"' in page


def test_a_guest_whose_details_cannot_be_read_shows_them_as_not_known_not_empty(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/userInformationByAccountId")

    html = agent_client.get(GUEST_URL).content.decode()

    header = html[html.index('id="panel-header"') : html.index('id="panel-wallets"')]
    profile = html[html.index('id="panel-profile"') :]
    not_known = "Not known: the guest's details could not be read."
    assert not_known in header
    assert "none on file" not in header
    assert "not opted in" not in header
    assert not_known in profile
    assert "None on file." not in profile

    sandbox.faults.clear()
    html = agent_client.get(panel_url("header"), headers=HTMX).content.decode()
    assert "ava.thompson@example.com" in html
    assert "Not known" not in html


def test_an_unknown_panel_is_not_found(sandbox: SandboxController, agent_client: Client) -> None:
    assert agent_client.get(panel_url("secrets"), headers=HTMX).status_code == 404


def test_a_failing_panel_explains_itself_and_offers_a_retry_while_the_rest_renders(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/referralsByAccountId")
    response = agent_client.get(GUEST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    referrals = html[html.index('id="panel-referrals"') : html.index('id="panel-profile"')]
    assert "did not answer in time" in referrals
    assert f'hx-get="{panel_url("referrals")}"' in referrals
    assert "Try again" in referrals
    assert "Offered 25 bonus points for the wait." in html
    assert "Point Adjustment" in html
    assert "Ava Thompson" in html

    sandbox.faults.clear()
    retried = agent_client.get(panel_url("referrals"), headers=HTMX).content.decode()
    assert "maya.friend@example.net" in retried


def test_when_the_account_itself_cannot_be_read_the_page_says_so_with_a_retry(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/accountInformationById")
    response = agent_client.get(GUEST_URL)
    assert response.status_code == 503
    assert b"did not answer in time" in response.content
    assert b"Try again" in response.content


def test_a_second_view_is_served_from_the_cache(
    sandbox: SandboxController, agent_client: Client
) -> None:
    agent_client.get(GUEST_URL)
    sandbox.faults.error(503)
    html = agent_client.get(GUEST_URL).content.decode()
    assert "did not answer" not in html
    assert "maya.friend@example.net" in html


def test_a_warm_page_does_not_ask_again_for_a_source_that_just_failed_but_a_retry_does(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    sandbox.faults.error(404, endpoint="guest/referralsByAccountId")
    agent_client.get(GUEST_URL)
    upstream_calls.clear()
    html = agent_client.get(GUEST_URL).content.decode()
    assert upstream_calls.paths() == []
    assert f'hx-get="{panel_url("referrals")}"' in html
    assert "Try again" in html

    sandbox.faults.clear()
    retried = agent_client.get(panel_url("referrals"), headers=HTMX).content.decode()
    assert upstream_calls.paths() == ["guest/referralsByAccountId.json"]
    assert "maya.friend@example.net" in retried


def test_a_page_starts_the_reads_by_account_id_beside_the_account_read(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every read by account id waits for all the others: read after the account, the
    # account's read would already be over and the meeting would never happen.
    meeting = threading.Barrier(5, timeout=5)
    original = Transport.call
    by_id = {
        "guest/accountInformationById.json",
        "guest/userInformationByAccountId.json",
        "guest/transactionHistoryByAccount.json",
        "guest/referralsByAccountId.json",
        "guest/pendingEventRewardsByAccountId.json",
    }

    def meeting_first(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        if endpoint.path in by_id:
            meeting.wait()
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", meeting_first)
    response = agent_client.get(GUEST_URL)
    assert response.status_code == 200
    assert "Ava Thompson" in response.content.decode()


def test_another_accounts_combinable_is_asked_beside_its_read_by_the_users_card_numbers(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = next(u for u in sandbox.state.live.users.values() if len(u.account_ids) > 1)
    account_id, other_id = user.account_ids[0], user.account_ids[1]
    other_card = sandbox.state.account(other_id).cards[0]
    # The other account's read and isCardCombinable of its card wait for each other: asked
    # one after the other, they would never meet.
    meeting = threading.Barrier(2, timeout=5)
    original = Transport.call

    def meeting_first(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        other_read = endpoint.path == "guest/accountInformationById.json" and str(
            params.get("accountId")
        ) == str(other_id)
        other_asked = endpoint.path == "guest/isCardCombinable.json" and (
            params.get("printedCardNumber") == other_card
        )
        if other_read or other_asked:
            meeting.wait()
            met.append(endpoint.path)
        return original(self, endpoint, params)

    met: list[str] = []
    monkeypatch.setattr(Transport, "call", meeting_first)
    response = agent_client.get(reverse("guests:guest", args=[account_id]))
    assert response.status_code == 200
    assert sorted(met) == ["guest/accountInformationById.json", "guest/isCardCombinable.json"]
    assert other_card[-4:] in response.content.decode()


def test_the_page_reads_run_at_the_same_time() -> None:
    # Each read waits for all the others: run one after another, they would never meet.
    meeting = threading.Barrier(5, timeout=5)
    outcomes = run_reads({str(n): meeting.wait for n in range(5)})
    assert all(outcome.ok for outcome in outcomes.values())


def test_an_upstream_refusal_of_one_read_stays_with_that_read() -> None:
    def refuse() -> None:
        raise FailureError(result="failure", error_code="transaction_history.error")

    outcomes = run_reads({"fine": lambda: 1, "refused": refuse})
    assert outcomes["fine"].get() == 1
    assert outcomes["refused"].error is not None


def test_an_unknown_account_is_not_found(sandbox: SandboxController, agent_client: Client) -> None:
    response = agent_client.get(reverse("guests:guest", args=[123]))
    assert response.status_code == 404
    assert b"No guest with account id 123." in response.content


def test_a_closed_account_shows_why_it_cannot_be_shown(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_TERMINATED_ACCOUNT_CARD).account_id
    response = agent_client.get(reverse("guests:guest", args=[account_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "the account is closed" in html
    # Who it was, not one line: the name, the id and both statuses.
    assert '<dd class="untrusted">Grace Kim</dd>' in html
    assert f'<dd class="mono">{account_id}</dd>' in html
    assert '<span class="status terminated">TERMINATED</span>' in html
    assert "Combined into" not in html  # no combine of it recorded


def test_where_an_account_was_combined_to_is_told_only_outside_a_store_group(
    agent: Any, store_manager: Any
) -> None:
    from guests.selectors.load import combined_into
    from portal.audit.models import Outcome

    def outcome(detail: dict[str, Any], result: str = Outcome.SUCCEEDED) -> None:
        chain_append(
            kind=Kind.OUTCOME,
            action="cards.combine",
            account_id=9000052,
            outcome=result,
            upstream_detail=detail,
        )

    assert combined_into(viewer=agent, account_id=9000052) is None
    outcome({"surviving_account_id": 9000051})
    outcome({})  # a job's own outcome names no account
    outcome({"surviving_account_id": 9000077}, Outcome.FAILED)
    assert combined_into(viewer=agent, account_id=9000052) == 9000051
    assert combined_into(viewer=store_manager, account_id=9000052) is None


def test_a_suspended_account_is_shown_with_its_status(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_SUSPENDED_ACCOUNT_CARD).account_id
    html = agent_client.get(reverse("guests:guest", args=[account_id])).content.decode()
    assert '<span class="status big suspended">SUSPENDED</span>' in html
    # Said at the top, with why the card actions upstream would refuse are not offered.
    assert "This account is suspended" in html
    assert "Paytronix refuses card status changes, attaching cards and combining" in html
    for action in ("Disable", "Enable", "Attach a card", "Attach and combine a card", "Combine"):
        assert f">{action}</a>" not in html
    active = agent_client.get(GUEST_URL).content.decode()
    assert ">Disable</a>" in active
    assert ">Attach a card</a>" in active
    assert "Paytronix refuses card status changes" not in active


def test_an_anonymous_card_has_no_guest_details_and_no_preferences_to_change(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).account_id
    html = agent_client.get(reverse("guests:guest", args=[account_id])).content.decode()
    assert "Anonymous card" in html
    assert "Not registered (an anonymous card)" in html
    assert "Change preferences" not in html
    assert "could not" not in html


def test_an_eclub_member_page_has_no_balances(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_ECLUB_CARD).account_id
    html = agent_client.get(reverse("guests:guest", args=[account_id])).content.decode()
    assert "Sophia Reyes" in html
    assert "This program keeps no balances on the account." in html


def test_an_agent_sees_the_frequent_form_and_links_that_open_the_rare_ones(
    page_html: str, agent_client: Client
) -> None:
    assert "Add note" in page_html
    for drawer, panel, label, form_text in (
        ("preferences", "header", "Change preferences", "Change message frequency"),
        ("refer", "referrals", "Refer friends", "Send referrals"),
        ("visit", "wallets", "Check a visit code", "Check the code"),
        ("referral-check", "referrals", "Check a referral code", "Check a code"),
    ):
        # Drawn only when opened: a real link to the page with it open, htmx for the panel.
        assert form_text not in page_html
        link = f'href="{GUEST_URL}?open={drawer}#panel-{panel}"'
        assert link in page_html
        assert f'hx-get="{panel_url(panel)}?open={drawer}"' in page_html
        assert label in page_html
        opened = agent_client.get(GUEST_URL, {"open": drawer}).content.decode()
        assert form_text in opened
        fragment = agent_client.get(panel_url(panel), {"open": drawer}, headers=HTMX)
        assert form_text in fragment.content.decode()


# -- store managers -----------------------------------------------------------------------------


def test_a_store_manager_reads_a_guest_of_their_group_without_change_forms(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    html = store_manager_client.get(GUEST_URL).content.decode()
    assert "Ava Thompson" in html
    for text in ("Change preferences", "Send referrals", "Check the code", "Add note"):
        assert text not in html


def test_a_store_manager_gets_not_found_for_another_groups_guest_and_it_is_audited(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_OTHER_STORE_GROUP_CARD).account_id
    for url in (
        reverse("guests:guest", args=[account_id]),
        panel_url("profile", account_id),
        reverse("guests:history", args=[account_id]),
    ):
        response = store_manager_client.get(url)
        assert response.status_code == 404
        assert b"in your store group" in response.content
    events = AuditRecord.objects.filter(kind=Kind.EVENT, action="access.denied")
    assert events.count() == 3
    assert {e.account_id for e in events} == {account_id}


def test_a_store_manager_cannot_make_changes(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    url = reverse("guests:message_frequency", args=[demo.DEMO_ACCOUNT_ID])
    response = store_manager_client.post(url, {"frequency-preference": "SNOOZE"})
    assert response.status_code == 403
    assert sandbox.state.user(demo.DEMO_USERNAME).message_frequency == "ALL"


def test_scaled_amounts_keep_their_precision(sandbox: SandboxController) -> None:
    page = history_page(
        account_id=demo.DEMO_ACCOUNT_ID,
        query=HistoryQuery(filters=HistoryFilter(balance_affecting_only=True)),
    )
    stored = [row.cells[0] for row in page.rows if row.cells and row.cells[0]]
    assert all(isinstance(cell.balance, Decimal) for cell in stored)


def test_opened_from_a_search_by_card_the_page_asks_upstream_nothing(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    search(agent_client, demo.DEMO_ACTIVE_CARD)
    # The search read the page's sources by card number beside its own account read.
    assert sorted(upstream_calls.paths()) == [
        "csr/accountComments.json",
        "guest/accountInformation.json",
        "guest/isCardCombinable.json",
        "guest/pendingEventRewards.json",
        "guest/referralsByPrintedCardNumber.json",
        "guest/transactionHistory.json",
        "guest/userInformationByPrintedCardNumber.json",
    ]
    upstream_calls.clear()
    html = agent_client.get(GUEST_URL).content.decode()
    assert upstream_calls.paths() == []
    assert "Ava Thompson" in html
    assert "Point Adjustment" in html
    assert "Offered 25 bonus points for the wait." in html
    assert "maya.friend@example.net" in html


def test_a_search_for_a_card_outside_the_store_group_keeps_nothing_it_read(
    sandbox: SandboxController, store_manager_client: Client, upstream_calls: UpstreamCalls
) -> None:
    account_id = sandbox.state.card(demo.DEMO_OTHER_STORE_GROUP_CARD).account_id
    search(store_manager_client, demo.DEMO_OTHER_STORE_GROUP_CARD)
    for kind in ("referrals", "pending-rewards", "user", "combinable"):
        assert not reads.is_cached(account_id, kind)
    upstream_calls.clear()
    response = store_manager_client.get(reverse("guests:guest", args=[account_id]))
    assert response.status_code == 404
    # Nothing the search read by card was cached for the page: it asks (and is refused) again.
    assert "guest/accountInformationById.json" in upstream_calls.paths()


def test_a_store_managers_out_of_group_guest_shows_nothing_the_reads_beside_the_gate_found(
    sandbox: SandboxController, store_manager_client: Client, upstream_calls: UpstreamCalls
) -> None:
    account_id = sandbox.state.card(demo.DEMO_OTHER_STORE_GROUP_CARD).account_id
    response = store_manager_client.get(reverse("guests:guest", args=[account_id]))
    assert response.status_code == 404
    # The reads by account id start beside the gate and are dropped unread; nothing that needs
    # the account itself (its card numbers: notes, isCardCombinable) is ever asked.
    assert set(upstream_calls.paths()) <= {
        "guest/accountInformationById.json",
        "guest/userInformationByAccountId.json",
        "guest/transactionHistoryByAccount.json",
        "guest/referralsByAccountId.json",
        "guest/pendingEventRewardsByAccountId.json",
    }
    html = response.content.decode()
    assert "in your store group" in html
    assert "Point Adjustment" not in html
    assert "Try again" not in html


def test_for_htmx_a_panel_whose_account_cannot_be_read_is_replaced_by_the_problem(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/accountInformationById")
    response = agent_client.get(panel_url("notes"), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel" id="panel-notes"')
    assert f'hx-get="{panel_url("notes")}"' in html


def test_for_htmx_a_change_whose_account_cannot_be_read_shows_the_problem_in_the_page(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/accountInformationById")
    response = agent_client.post(
        reverse("guests:note_add", args=[demo.DEMO_ACCOUNT_ID]),
        {"note-note": "Hello", "note-idempotency_key": "k"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#main"
    assert response["HX-Reswap"] == "innerHTML"
    assert b"did not answer in time" in response.content
    assert f'href="{GUEST_URL}"'.encode() in response.content


def test_a_failed_poll_of_a_panels_data_keeps_its_place_and_retries_the_same_poll(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/accountInformationById")
    url = panel_url("header") + "?part=body"
    html = agent_client.get(url, headers=HTMX).content.decode()
    assert html.lstrip().startswith('<section class="panel" id="header-body"')
    assert f'hx-get="{url}" hx-target="#header-body"' in html


@pytest.mark.parametrize("name", ["cards", "history", "profile"])
def test_asking_for_the_data_part_of_a_panel_without_one_answers_with_the_whole_panel(
    sandbox: SandboxController, agent_client: Client, name: str
) -> None:
    response = agent_client.get(panel_url(name) + "?part=body", headers=HTMX)
    assert response.status_code == 200
    assert (
        response.content.decode().lstrip().startswith(f'<section id="panel-{name}" class="panel"')
    )


@pytest.mark.parametrize("name", ["header", "wallets", "referrals", "notes"])
def test_the_data_part_of_a_polled_panel_is_only_its_data(
    sandbox: SandboxController, agent_client: Client, name: str
) -> None:
    response = agent_client.get(panel_url(name) + "?part=body", headers=HTMX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<div id="{name}-body"')


def test_expirations_on_the_same_date_are_summed_and_listed_soonest_first() -> None:
    from datetime import date

    from guests.selectors.page import _wallet
    from portal.paytronix.replies import BalanceInformation, Expiration

    june, july = date(2026, 6, 30), date(2026, 7, 31)
    wallet = _wallet(
        "Points",
        BalanceInformation(
            wallet_code=1,
            name="Points",
            balance=Decimal("500"),
            expirations=[
                Expiration(amount=Decimal("40"), expiration_date=july),
                Expiration(amount=Decimal("25"), expiration_date=june),
                Expiration(amount=Decimal("15"), expiration_date=june),
                Expiration(amount=Decimal("0"), expiration_date=july),
            ],
        ),
    )
    assert [(e.amount, e.expiration_date) for e in wallet.expirations] == [
        (Decimal("40"), june),
        (Decimal("40"), july),
    ]


def test_history_filters_and_page_go_into_the_address_bar_as_the_guest_pages_url(
    sandbox: SandboxController, agent_client: Client
) -> None:
    history_url = reverse("guests:history", args=[demo.DEMO_ACCOUNT_ID])
    response = agent_client.get(history_url, {"balance_only": "on", "page": "2"}, headers=HTMX)
    assert response["HX-Push-Url"] == f"{GUEST_URL}?balance_only=on&page=2#panel-history"
    # That address, loaded as a page (reload, Back), shows the same history page.
    reloaded = agent_client.get(GUEST_URL, {"balance_only": "on", "page": "2"}).content.decode()
    assert "Page 2" in reloaded
    assert 'name="balance_only" id="id_balance_only" checked' in reloaded
    # Other panels and polls leave the address alone.
    assert "HX-Push-Url" not in agent_client.get(panel_url("notes"), headers=HTMX)


def test_a_note_waiting_to_show_is_not_contradicted_by_no_notes_yet(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_SUSPENDED_ACCOUNT_CARD).account_id
    assert "No notes yet." in agent_client.get(panel_url("notes", account_id)).content.decode()
    sandbox.faults.set_consistency_delay(30)
    added = agent_client.post(
        reverse("guests:note_add", args=[account_id]),
        {"note-note": "Asked about the suspension.", "note-idempotency_key": "pn1"},
        headers=HTMX,
    ).content.decode()
    assert "Pending:</strong> Note by alice.agent" in added
    assert "No notes yet." not in added
    sandbox.advance(31)
    settled = agent_client.get(panel_url("notes", account_id), headers=HTMX).content.decode()
    assert "Asked about the suspension." in settled
    assert settled.count("Asked about the suspension.") == 1


def _summary(html: str) -> str:
    return html[html.index('id="panel-summary"') : html.index("panel-nav")]


def test_the_summary_draws_itself_again_after_a_change_and_once_a_pending_change_shows(
    sandbox: SandboxController, agent_client: Client
) -> None:
    # Seen in a walkthrough: after adding a note the summary still said "2 notes", and once
    # the change showed, "Pending changes" said nothing at all.
    account_id = sandbox.state.card(demo.DEMO_SUSPENDED_ACCOUNT_CARD).account_id
    page_url = reverse("guests:guest", args=[account_id])
    summary_url = panel_url("summary", account_id)
    summary = _summary(agent_client.get(page_url).content.decode())
    assert f'hx-get="{summary_url}" hx-target="this"' in summary
    assert 'hx-trigger="guestChanged from:body"' in summary
    sandbox.faults.set_consistency_delay(30)
    added = agent_client.post(
        reverse("guests:note_add", args=[account_id]),
        {"note-note": "Asked about the suspension.", "note-idempotency_key": "sn1"},
        headers=HTMX,
    )
    assert "guestChanged" in json.loads(added["HX-Trigger"])
    waiting = agent_client.get(summary_url, headers=HTMX).content.decode()
    assert waiting.lstrip().startswith('<section id="panel-summary"')
    assert "Note by alice.agent" in waiting
    assert "(waiting to show)" in waiting
    # A poll that finds nothing new leaves the summary be.
    still = agent_client.get(panel_url("notes", account_id), {"part": "body"}, headers=HTMX)
    assert "HX-Trigger" not in still
    sandbox.advance(31)
    # The notes panel's poll settles the change (and has the summary drawn again).
    agent_client.get(panel_url("notes", account_id), {"part": "body"}, headers=HTMX)
    shown = agent_client.get(summary_url, headers=HTMX).content.decode()
    assert '<dt>Pending changes</dt>\n    <dd><span class="muted">none</span></dd>' in shown
    assert "1 note</a>" in shown
    # The same, found by the panel's poll: it has the summary drawn again.
    sandbox.faults.set_consistency_delay(30)
    agent_client.post(
        reverse("guests:note_add", args=[account_id]),
        {"note-note": "Called back.", "note-idempotency_key": "sn2"},
        headers=HTMX,
    )
    sandbox.advance(31)
    polled = agent_client.get(panel_url("notes", account_id), {"part": "body"}, headers=HTMX)
    assert "Called back." in polled.content.decode()
    assert "guestChanged" in json.loads(polled["HX-Trigger"])
    # Should the account no longer be shown by then, the summary stays as it was (the answer
    # swaps nothing) rather than the page's main content becoming the problem, or nothing.
    guest_cache().clear()
    sandbox.faults.error(endpoint="accountInformationById", status=500)
    failed = agent_client.get(summary_url, headers=HTMX)
    assert failed["HX-Reswap"] == "none"
    assert "HX-Retarget" not in failed


def test_the_summary_on_a_later_history_page_points_to_the_first_not_to_a_filter(
    sandbox: SandboxController, agent_client: Client
) -> None:
    # Seen in a walkthrough: page 2 of the history said "see the history below (filtered)".
    later = _summary(agent_client.get(GUEST_URL, {"page": "2"}).content.decode())
    assert "(filtered)" not in later
    assert f'on the history\'s <a href="{GUEST_URL}#panel-history">first page</a>' in later
    narrowed = agent_client.get(GUEST_URL, {"date_start": "2025-01-01", "page": "2"})
    assert "see the history below (filtered)" in _summary(narrowed.content.decode())


def test_the_summary_at_the_top_says_status_tier_balances_and_last_transaction(
    page_html: str,
) -> None:
    summary = page_html[page_html.index('id="panel-summary"') : page_html.index("panel-nav")]
    assert "Gold" in summary
    assert "Points: <strong>" in summary
    assert "Jun 1, 2025</span>: Point Adjustment at" in summary
    assert 'href="#panel-notes">2 notes</a>' in summary
    assert "Pending changes" in summary
    # Each panel has a skip link with its keyboard shortcut, and the timeline is reached.
    for panel, key in (("cards", "c"), ("notes", "n"), ("history", "h")):
        assert f'<a href="#panel-{panel}" data-shortcut="{key}" aria-keyshortcuts="{key}">' in (
            page_html
        )
    assert f'href="{reverse("guests:timeline", args=[demo.DEMO_ACCOUNT_ID])}"' in page_html


def test_a_closed_accounts_owner_is_not_named_to_a_store_manager(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    # The user read has no store-group filter: a store manager's group could not be checked.
    account_id = sandbox.state.card(demo.DEMO_TERMINATED_ACCOUNT_CARD).account_id
    html = store_manager_client.get(reverse("guests:guest", args=[account_id])).content.decode()
    assert "Grace" not in html


@pytest.mark.parametrize(
    ("account_status", "card_status", "said"),
    [
        ("ACTIVE", "ACTIVE", ""),
        ("SUSPENDED", "ACTIVE", "Combine is not offered: this account is suspended"),
        ("ACTIVE", "DISABLED", "Combine is not offered: the account's primary card is disabled"),
    ],
)
def test_combine_is_offered_only_where_combine_card_would_not_refuse_the_status(
    account_status: str, card_status: str, said: str
) -> None:
    from guests.selectors.page import UserAccount, why_not_combinable
    from portal.paytronix.replies import AccountInformation, CardInformation

    account = AccountInformation(
        account_id=7,
        account_status=account_status,
        card_template_code=10,
        primary_card=CardInformation(masked_card_number="000071", status=card_status),
    )
    attached = UserAccount(account_id=7, account=account, combinable=True)
    offered = [card.combinable for card in attached.cards]
    assert offered == [not said]
    sentence = why_not_combinable(attached, [attached])
    assert sentence.startswith(said) if said else sentence == ""


def test_the_summary_lists_the_accounts_open_approval_requests(
    sandbox: SandboxController, agent: Any, agent_client: Client, store_manager_client: Client
) -> None:
    from portal.approvals.models import ApprovalRequest, Status

    asked = ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Add 900 points: goodwill for a lost order",
        account_id=demo.DEMO_ACCOUNT_ID,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="ap1",
    )
    ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Another guest's request",
        account_id=demo.DEMO_ACCOUNT_ID + 1,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="ap2",
    )
    ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Already decided",
        account_id=demo.DEMO_ACCOUNT_ID,
        status=Status.REJECTED,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="ap3",
    )
    summary = _summary(agent_client.get(GUEST_URL).content.decode())
    detail = reverse("approvals:detail", args=[asked.pk])
    assert f'<a href="{detail}" class="untrusted">Add 900 points: goodwill' in summary
    assert "Another guest's request" not in summary
    assert "Already decided" not in summary
    # Someone who may neither decide it nor asked for it reads it without a link.
    managed = store_manager_client.get(GUEST_URL).content.decode()
    assert "Add 900 points: goodwill for a lost order" in managed
    assert detail not in managed


def test_times_on_the_guest_page_name_their_year_and_zone(
    sandbox: SandboxController, agent: Any, agent_client: Client, settings: Any
) -> None:
    # A CSR on the phone compares times with the guest's: each says which zone it is in.
    from portal.approvals.models import ApprovalRequest

    settings.TIME_ZONE = "America/New_York"
    ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Add 900 points: goodwill for a lost order",
        account_id=demo.DEMO_ACCOUNT_ID,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="ap-zone",
    )
    html = agent_client.get(GUEST_URL).content.decode()
    year = timezone.localdate().year
    asked = re.search(
        r"\(asked by <span class=\"untrusted\">[^<]+</span>, <span class=\"nowrap\">"
        r"([^<]+)</span>\)",
        html,
    )
    assert asked is not None
    assert re.fullmatch(rf"[A-Z][a-z]{{2}} \d{{1,2}}, {year} \d{{1,2}}:\d\d [AP]M E[SD]T", asked[1])
    note = re.search(r"csr\.seed</span> · <span class=\"nowrap\">([^<]+)</span>", html)
    assert note is not None
    assert re.fullmatch(r"(May 31|Jun 1), 2025 \d{1,2}:\d\d [AP]M EDT", note[1])
    # Named as set: a January row's time is EST even under a July header.
    assert '<th scope="col">Date <span class="muted">(America/New_York)</span></th>' in html


def test_a_guest_with_one_account_costs_no_combinable_read_and_says_why_there_is_no_combine(
    sandbox: SandboxController,
    agent_client: Client,
    store_manager_client: Client,
    upstream_calls: UpstreamCalls,
) -> None:
    html = agent_client.get(GUEST_URL).content.decode()
    # Alone, the account has nothing to combine with: upstream is not asked whether it could.
    assert upstream_calls.to("guest/isCardCombinable.json") == []
    assert "only Rewards Card account: there is nothing to combine it with." in html
    # Someone who may not combine cards (a store manager looks guests up) is not told why a
    # combine is not offered (seen in a walkthrough).
    assert "data-combine-note" not in store_manager_client.get(GUEST_URL).content.decode()
    assert "Combine into the main account" not in html
    upstream_calls.clear()
    # The answer is remembered: the next page needs no full card number, so no fresh account read.
    agent_client.get(GUEST_URL)
    assert upstream_calls.paths() == []


def test_a_warm_page_is_drawn_from_the_cache_in_the_request_thread_and_a_cold_one_is_not(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from guests.selectors import load
    from guests.selectors.fanout import ReadThreads

    pools: list[object] = []

    class Counted(ReadThreads):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(load, "ReadThreads", Counted)
    cold = agent_client.get(GUEST_URL).content.decode()
    assert len(pools) == 1
    assert upstream_calls.paths()
    upstream_calls.clear()
    warm = agent_client.get(GUEST_URL).content.decode()
    # Every read was cached: no thread started, no call made, the same page.
    assert len(pools) == 1
    assert upstream_calls.paths() == []
    for text in ("Ava Thompson", "Point Adjustment", "maya.friend@example.net"):
        assert text in cold
        assert text in warm


def test_a_page_that_misses_one_cached_read_reads_as_usual_and_asks_only_for_it(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    agent_client.get(GUEST_URL)
    guest_cache().delete(guest_cache_key("referrals", account_id=demo.DEMO_ACCOUNT_ID))
    upstream_calls.clear()
    html = agent_client.get(GUEST_URL).content.decode()
    assert upstream_calls.paths() == ["guest/referralsByAccountId.json"]
    assert "maya.friend@example.net" in html


def _wallets_panel(html: str) -> str:
    return html[html.index('id="panel-wallets"') : html.index("Pending event rewards")]


def test_the_balances_are_drawn_once_per_content_and_per_viewers_rights(
    sandbox: SandboxController, agent_client: Client, store_manager_client: Client
) -> None:
    from portal.guestcache import guest_cache_invalidate
    from portal.sandbox.catalog import POINTS

    agent_first = _wallets_panel(agent_client.get(GUEST_URL).content.decode())
    assert agent_client.get(GUEST_URL).content.decode().count("Adjust<span") >= 1
    # The same balances for a viewer who may not adjust them: drawn without the links.
    manager = store_manager_client.get(GUEST_URL)
    assert manager.status_code == 200
    assert "Adjust<span" not in _wallets_panel(manager.content.decode())
    assert "Adjust<span" in _wallets_panel(agent_client.get(GUEST_URL).content.decode())

    def new_balance(model: Any, moment: Any) -> None:
        model.accounts[demo.DEMO_ACCOUNT_ID].wallet(POINTS).balance = Decimal("7777")

    sandbox.state.write(new_balance)
    guest_cache_invalidate(account_id=demo.DEMO_ACCOUNT_ID)
    agent_after = _wallets_panel(agent_client.get(GUEST_URL).content.decode())
    assert "7,777" in agent_after or "7777" in agent_after
    assert agent_after != agent_first


def test_an_account_with_no_open_request_is_remembered_until_one_is_made_or_decided(
    sandbox: SandboxController, agent: Any, supervisor: Any, agent_client: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.approvals.models import ApprovalRequest, Status

    def summary() -> str:
        html = agent_client.get(GUEST_URL).content.decode()
        return html[html.index('id="panel-summary"') : html.index("panel-nav")]

    assert "Add 900 points" not in summary()
    with CaptureQueriesContext(connection) as queries:
        summary()
    assert not [q for q in queries.captured_queries if "approvals_approvalrequest" in q["sql"]]
    asked = ApprovalRequest.objects.create(
        action="wallet.adjust",
        summary="Add 900 points: goodwill",
        account_id=demo.DEMO_ACCOUNT_ID,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="ap-new",
    )
    assert "Add 900 points: goodwill" in summary()
    asked.status = Status.REJECTED
    asked.decided_by = supervisor
    asked.save()
    assert "Add 900 points: goodwill" not in summary()


def test_settling_a_pending_change_keeps_one_another_request_added_meanwhile(
    sandbox: SandboxController, agent: Any
) -> None:
    from guests import pending
    from guests.selectors import guest_page
    from portal.requestscope import request_scope

    frequency = pending.PendingChange(
        action="guest.message_frequency",
        panel="header",
        sources=("user",),
        check="message_frequency",
        expected="ALL",  # what the demo guest shows: applied
        summary="Message frequency: All",
    )
    language = pending.PendingChange(
        action="guest.language",
        panel="header",
        sources=("user",),
        check="language",
        expected="fr",  # not shown yet: still waiting
        summary="Language: French",
    )
    pending.pending_add(account_id=demo.DEMO_ACCOUNT_ID, change=frequency)
    with request_scope():
        assert pending.pending_sources(account_id=demo.DEMO_ACCOUNT_ID, panels=["header"])
        page = guest_page(viewer=agent, account_id=demo.DEMO_ACCOUNT_ID, panels=["header"])
        # Another request adds a change while this one reads upstream (not through its memo).
        guest_cache().set(
            f"guests:pending:{demo.DEMO_ACCOUNT_ID}",
            [pending.asdict(c) for c in (frequency, language)],
        )
        sorted_out = pending.pending_settle(page=page, panels=["header"])
    assert sorted_out["header"].applied == [frequency]
    with request_scope():
        left = pending.pending_sources(account_id=demo.DEMO_ACCOUNT_ID, panels=["header"])
    assert left == {"user"}  # the language change is still waited for


def test_the_page_looks_up_in_one_round_trip_the_keys_its_reads_write(
    sandbox: SandboxController, agent_client: Client
) -> None:
    """The prefetch's keys and the reads' keys come from the same parameters: after a first
    page every key it prefetches holds what a read wrote (the account for the viewer's store
    group, the history of the page's size, the user, referrals, rewards, notes)."""
    from guests.selectors.history import history_limit
    from guests.selectors.load import PANEL_SOURCES

    assert agent_client.get(GUEST_URL).status_code == 200
    sources = {source for names in PANEL_SOURCES.values() for source in names}
    keys = reads.page_cache_keys(
        account_id=demo.DEMO_ACCOUNT_ID,
        scope=None,
        sources=sources,
        history=(HistoryFilter(), history_limit(HistoryQuery())),
    )
    combinable = guest_cache_key("combinable", account_id=demo.DEMO_ACCOUNT_ID)
    # One account: nothing to combine with, so isCardCombinable is never asked nor cached.
    missing = [key for key in keys if key != combinable and guest_cache().get(key) is None]
    assert missing == []
    assert len(keys) == 7


def test_a_source_upstream_refused_is_explained_again_from_memory_not_a_500(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Transport.call

    def refuse(self: Transport, endpoint: Any, params: Any) -> Any:
        if endpoint.path == "guest/referralsByAccountId.json":
            raise FailureError(
                result="failure", error_code="referral.error", endpoint=endpoint.path
            )
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", refuse)
    first = agent_client.get(GUEST_URL)
    again = agent_client.get(GUEST_URL)  # the refusal remembered: raised again, not asked
    assert (first.status_code, again.status_code) == (200, 200)
    assert 'id="panel-referrals"' in again.content.decode()


def test_the_summary_drawn_on_its_own_reads_only_what_it_shows_and_says_the_same(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    page_html = agent_client.get(GUEST_URL).content.decode()
    start = page_html.index('<section id="panel-summary"')
    on_the_page = page_html[start : page_html.index("</section>", start)]
    guest_cache().clear()
    upstream_calls.clear()

    alone = agent_client.get(panel_url("summary"), headers=HTMX).content.decode().strip()

    assert alone[: alone.index("</section>")] == on_the_page
    assert "Points: <strong>" in alone
    assert 'href="#panel-notes">2 notes</a>' in alone
    assert sorted(call.path for call in upstream_calls) == [
        "csr/accountComments.json",
        "guest/accountInformationById.json",
        "guest/transactionHistoryByAccount.json",
    ]
