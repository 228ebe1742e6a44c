"""The Adjust form on the guest page: opened inline in the wallets panel with htmx (the real
link still opens it as a page), and an adjustment pending on the page until the account's
history shows its transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from tests.cards.test_wallets import adjust, adjust_data

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
HTMX = {"HX-Request": "true"}
GUEST_URL = reverse("guests:guest", args=[ACCOUNT])
WALLETS_BODY = reverse("guests:panel", args=[ACCOUNT, "wallets"]) + "?part=body"


def test_adjust_opens_in_the_wallets_panel_with_htmx_and_as_a_page_without(
    sandbox: Any, agent_client: Any
) -> None:
    form_url = reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS])
    page = agent_client.get(GUEST_URL).content.decode()
    # The real link, and htmx asking for the same URL into the panel's drawer.
    assert f'href="{form_url}" hx-get="{form_url}" hx-target="#adjust-drawer"' in page
    assert f'hx-push-url="{GUEST_URL}?open=adjust-{POINTS}#panel-wallets"' in page
    assert '<div id="adjust-drawer">' in page

    drawer = agent_client.get(form_url, headers=HTMX).content.decode()
    assert drawer.lstrip().startswith('<div class="drawer" id="drawer-adjust"')
    assert '<h3 class="drawer-title">Adjust Points</h3>' in drawer
    assert 'name="in_drawer"' in drawer
    assert "<h1>" not in drawer

    whole = agent_client.get(form_url).content.decode()
    assert "<h1>Adjust Points</h1>" in whole
    assert 'name="in_drawer"' not in whole

    # The page's own URL with ?open=adjust-<code> (a reload, Back) draws the drawer and loads it.
    opened = agent_client.get(GUEST_URL, {"open": f"adjust-{POINTS}"}).content.decode()
    assert f'hx-get="{form_url}" hx-trigger="load" hx-target="#adjust-drawer"' in opened
    assert f'<a class="button" href="{form_url}">Open the adjustment form</a>' in opened


def test_the_preview_from_the_drawer_stays_in_the_drawer(sandbox: Any, agent_client: Any) -> None:
    url = reverse("cards:wallet_adjust_submit", args=[ACCOUNT, POINTS])
    data = adjust_data(key="d-1", comment="Visit did not credit", in_drawer="1")
    preview = agent_client.post(url, data, headers=HTMX).content.decode()
    assert preview.lstrip().startswith('<form id="adjust-form" method="post"')
    assert 'name="in_drawer"' in preview
    assert "Confirm: Add 25" in preview


def test_an_adjustment_is_pending_on_the_guest_page_until_the_history_shows_it(
    sandbox: Any, agent_client: Any
) -> None:
    sandbox.faults.set_consistency_delay(30)
    done = adjust(agent_client, amount="25")
    assert done.status_code in (302, 303)

    page = agent_client.get(GUEST_URL).content.decode()
    assert "Pending:</strong> Points adjusted by +25." in page
    polled = agent_client.get(WALLETS_BODY, headers=HTMX).content.decode()
    assert "Pending:</strong> Points adjusted by +25." in polled
    assert 'hx-trigger="every 2s"' in polled

    sandbox.advance(31)
    settled = agent_client.get(WALLETS_BODY, headers=HTMX).content.decode()
    assert "Now showing: Points adjusted by +25." in settled
    assert "hx-trigger" not in settled
    assert "Points adjusted by" not in agent_client.get(WALLETS_BODY, headers=HTMX).content.decode()


def test_the_pending_line_groups_thousands_like_the_balances(
    sandbox: Any, supervisor_client: Any
) -> None:
    sandbox.faults.set_consistency_delay(30)
    assert adjust(supervisor_client, amount="1500").status_code in (302, 303)

    page = supervisor_client.get(GUEST_URL).content.decode()
    assert "Pending:</strong> Points adjusted by +1,500." in page


def test_adjust_is_offered_only_for_wallets_the_viewer_may_adjust() -> None:
    from types import SimpleNamespace

    from cards.templatetags.wallet_adjust import wallet_adjust_links

    wallets = [
        SimpleNamespace(wallet_code=POINTS, group="Points", name="Points <b>"),
        SimpleNamespace(wallet_code=9, group="Charge", name="House account"),
        SimpleNamespace(wallet_code=None, group="Stored Value", name="No code"),
    ]
    assert wallet_adjust_links(ACCOUNT, wallets, False) == {}
    links = wallet_adjust_links(ACCOUNT, wallets, True)
    assert list(links) == [POINTS]
    form_url = reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS])
    assert links[POINTS] == (
        f' <a class="button small" href="{form_url}" hx-get="{form_url}"'
        ' hx-target="#adjust-drawer" hx-swap="innerHTML"'
        f' hx-push-url="{GUEST_URL}?open=adjust-{POINTS}#panel-wallets">Adjust'
        '<span class="visually-hidden"> Points &lt;b&gt;</span></a>'
    )


def test_an_adjustment_the_history_shows_without_its_reference_is_said_sent_not_waited_for(
    sandbox: Any, agent_client: Any, history_without_references: None
) -> None:
    sandbox.faults.set_consistency_delay(30)
    assert adjust(agent_client, amount="25").status_code in (302, 303)

    # Nothing newer than the adjustment in the history yet: it may simply not show yet.
    page = agent_client.get(GUEST_URL).content.decode()
    assert "Pending:</strong> Points adjusted by +25." in page

    # It shows, under upstream's own check number: the page cannot tell it is ours.
    sandbox.advance(31)
    settled = agent_client.get(WALLETS_BODY, headers=HTMX).content.decode()
    assert (
        "Points adjusted by +25. Sent to Paytronix, whose history does not carry the reference "
        "the console sent, so this page cannot tell which transaction is this one. Check the "
        "balance and the history." in settled
    )
    assert "Pending:" not in settled
    assert "Not showing yet" not in settled
    assert "Now showing" not in settled
    assert "hx-trigger" not in settled
    # Said once: not watched on later renders either.
    assert "Points adjusted by" not in agent_client.get(WALLETS_BODY, headers=HTMX).content.decode()
