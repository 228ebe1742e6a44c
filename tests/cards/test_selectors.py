"""Reads of the card screens, against the sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from cards.selectors import CardNotFoundError, combine_preview, guest_cards
from portal.sandbox import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(agent):
    return agent


def test_an_accounts_cards_are_listed_masked_with_status_and_the_guest_named(sandbox, viewer):
    guest = guest_cards(viewer=viewer, account_id=demo.DEMO_ACCOUNT_ID)
    assert guest.guest_name == "Ava Thompson"
    assert guest.username == demo.DEMO_USERNAME
    assert [(c.masked_card_number, c.status, c.is_primary) for c in guest.cards] == [
        ("000011", "ACTIVE", True),
        ("000012", "DISABLED", False),
        ("000013", "EXCHANGED", False),
    ]
    assert guest.find("000012").printed_card_number == demo.DEMO_DISABLED_CARD
    assert demo.DEMO_DISABLED_CARD not in repr(guest.find("000012"))


def test_a_masked_number_not_on_the_account_is_not_found(sandbox, viewer):
    guest = guest_cards(viewer=viewer, account_id=demo.DEMO_ACCOUNT_ID)
    with pytest.raises(CardNotFoundError):
        guest.find("000021")


def test_combine_preview_sums_each_wallet_of_the_two_accounts(sandbox, viewer):
    main, other = demo.DEMO_COMBINABLE_PAIR
    main_account = sandbox.state.account_for_card(main)
    other_account = sandbox.state.account_for_card(other)
    preview = combine_preview(
        viewer=viewer, account_id=other_account.account_id, masked_card_number=other[-6:]
    )
    assert preview.combinable is True
    assert preview.main_account_id == main_account.account_id
    expected: dict[int, list[Decimal]] = {}
    for account, index in ((main_account, 0), (other_account, 1)):
        for wallet in account.wallets:
            expected.setdefault(wallet.code, [Decimal(0), Decimal(0)])[index] += wallet.balance
    got = {line.wallet_code: [line.this_account, line.other_account] for line in preview.wallets}
    assert got == expected
    assert all(line.after == line.this_account + line.other_account for line in preview.wallets)


def test_combine_preview_of_the_main_account_is_not_combinable_and_says_why(sandbox, viewer):
    main = demo.DEMO_COMBINE_MAIN_CARD
    account_id = sandbox.state.account_for_card(main).account_id
    preview = combine_preview(viewer=viewer, account_id=account_id, masked_card_number=main[-6:])
    assert preview.combinable is False
    assert preview.why_not == (
        "The guest's main Rewards Card account: the guest's other Rewards Card accounts "
        "combine into it."
    )


def test_combine_preview_of_a_gift_card_says_its_program_does_not_combine(sandbox, viewer):
    gift = demo.DEMO_NOT_COMBINABLE_PAIR[1]
    account_id = sandbox.state.account_for_card(gift).account_id
    preview = combine_preview(viewer=viewer, account_id=account_id, masked_card_number=gift[-6:])
    assert preview.combinable is False
    assert preview.why_not == "Accounts of the Gift Card program cannot be combined."


def test_combine_preview_of_an_anonymous_card_says_to_attach_it_first(sandbox, viewer):
    # isCardCombinable is true for it (nobody's main account), but there is no guest.
    card = demo.DEMO_ATTACHABLE_CARD
    account_id = sandbox.state.account_for_card(card).account_id
    preview = combine_preview(viewer=viewer, account_id=account_id, masked_card_number=card[-6:])
    assert preview.combinable is False
    assert "attach it to the guest's account first" in preview.why_not


def test_combine_preview_of_a_suspended_account_says_what_the_guest_page_says(
    sandbox, viewer, agent_client
):
    # isCardCombinable still answers true for it; combineCard would refuse the status.
    other = demo.DEMO_COMBINE_OTHER_CARD
    account = sandbox.state.account_for_card(other)

    def suspend(model, moment):
        model.accounts[account.account_id].status = "SUSPENDED"

    sandbox.state.write(suspend)
    preview = combine_preview(
        viewer=viewer, account_id=account.account_id, masked_card_number=other[-6:]
    )
    assert preview.combinable is False
    assert preview.why_not.startswith("Combine is not offered: this account is suspended")
    page = agent_client.get(reverse("guests:guest", args=[account.account_id])).content.decode()
    assert escape(preview.why_not) in page
    # The combine screen says it once.
    url = reverse("cards:combine", args=[account.account_id, other[-6:]])
    screen = agent_client.get(url).content.decode()
    assert escape(preview.why_not) in screen
    assert screen.count("Combine is not offered") == 1
