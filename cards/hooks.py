"""The card actions on the guest page (``guests.hooks``): links to the card screens, each of
which confirms before changing anything. Registered in ``CardsConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.http import HttpRequest

from cards.limits import combine_needs_approval
from cards.previews import exchange_offered
from cards.services.combine import combine_waiting_exists
from cards.services.status import status_change_offered
from guests.hooks import Action
from guests.selectors.optional import BALANCE_TRANSFER
from portal.staff.access import user_may
from portal.urlcache import reverse_cached

if TYPE_CHECKING:
    from guests.selectors.load import GuestCard, GuestPage


def card_actions(request: HttpRequest, page: GuestPage, card: GuestCard) -> Iterator[Action]:
    # Upstream refuses each of these on an account that is not active (account_not_active):
    # the guest page says why instead.
    if not card.account_active:
        return
    args: tuple[int, str] = (card.account_id or page.account_id, card.masked_card_number)
    if user_may(request.user, "change_card_status"):
        if status_change_offered(card.status, "DISABLED"):
            yield Action("Disable", reverse_cached("cards:disable", *args), "danger")
        elif status_change_offered(card.status, "ACTIVE"):
            yield Action("Enable", reverse_cached("cards:enable", *args), "primary")
    if user_may(request.user, "exchange_cards") and exchange_offered(card.status):
        yield Action("Replace", reverse_cached("cards:exchange", *args))
    # Combine acts on an account (through its primary card), offered exactly where upstream's
    # isCardCombinable says the account is an attached one, not the main one, of a program
    # that combines (see guests.selectors.accounts).
    if user_may(request.user, "combine_cards") and card.combinable:
        # Its screen points to a request already waiting (and offers no form): said here too.
        waiting = combine_waiting_exists(account_id=args[0], card_masked=args[1])
        label = "Combine: waiting for approval" if waiting else "Combine into the main account"
        yield Action(label, reverse_cached("cards:combine", *args))


def account_actions(request: HttpRequest, page: GuestPage) -> Iterator[Action]:
    # Attaching to an account that is not active is refused upstream (account_not_active).
    if page.account_active and user_may(request.user, "attach_cards"):
        yield Action("Attach a card", reverse_cached("cards:attach", page.account_id))
    # Attach-and-combine may need the other owner's password, which an approval request must
    # not keep: a role whose combines a supervisor approves attaches, then asks for the combine.
    if (
        page.account_active
        and user_may(request.user, "combine_cards")
        and not combine_needs_approval(request.user)
    ):
        yield Action(
            "Attach and combine a card",
            reverse_cached("cards:attach_and_combine", page.account_id),
        )
    if user_may(request.user, "transfer_balances") and BALANCE_TRANSFER.available():
        yield Action(
            "Move a balance to this account", reverse_cached("cards:transfer", page.account_id)
        )
    if user_may(request.user, "run_bulk_jobs"):
        yield Action("Bulk enable or disable cards", reverse_cached("cards:bulk"))
