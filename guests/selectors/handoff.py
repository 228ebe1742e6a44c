"""What a search by card number reads for the guest page it opens, while it reads the account.

A search by card number reaches one account; the guest page of that account opens right after
(a 303). Every read the page makes by account id has a twin by card number in the Guest
Service (userInformationByPrintedCardNumber, transactionHistory, referralsByPrintedCardNumber,
pendingEventRewards, isCardCombinable, the CSR's notes), so the search starts them all beside
its own account read, and once that read (with the viewer's store-group scope) has shown the
account, caches their answers under the account id as the page's own reads would: the page
then asks upstream nothing, and search plus page cost about one round trip. For an account the
viewer may not see, the answers are dropped unread. What needs the primary card (notes,
isCardCombinable) is kept only when the searched card is the account's primary card.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any

from guests.selectors import optional, reads
from guests.selectors.fanout import ReadThreads
from guests.selectors.history import HistoryQuery, history_limit
from guests.selectors.page import is_registered
from guests.selectors.reads import HistoryFilter
from portal.guestcache.codec import cache_encode
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import AccountInformation, UserInformation

#: The guest page's first history page asks for this many (``history.history_page``).
_FIRST_HISTORY = history_limit(HistoryQuery())


@dataclass(frozen=True)
class _Answer:
    """A read's value and its cache text, made in the read's own thread as its answer came
    (while the search still waits for others), not after the last one; None where it cannot
    be cached as it is (then it is made, or refused, where it is written, as before)."""

    value: Any
    text: str | None


def _answered(load: Callable[[], Any]) -> _Answer:
    value = load()
    try:
        text = cache_encode(value)
    except (TypeError, ValueError):
        text = None
    return _Answer(value, text)


class CardPageReads:
    """The page's reads by ``number``, started at once; ``keep`` or ``drop`` ends them. The
    search's own account read (with the viewer's ``scope``) is started first among them
    (``account``): it is the one the search waits for."""

    def __init__(self, number: str, *, scope: int | None) -> None:
        self._number = number
        guest = client_from_settings().guest
        loads: dict[str, Callable[[], Any]] = {
            "account": lambda: guest.account_information(
                printed_card_number=number, access_filter_store_group_code=scope
            ),
            "user": lambda: guest.user_information_by_printed_card_number(
                printed_card_number=number
            ),
            "history": lambda: guest.transaction_history(
                printed_card_number=number, max_number_of_results=_FIRST_HISTORY
            ),
            "referrals": lambda: guest.referrals_by_printed_card_number(printed_card_number=number),
            "pending-rewards": lambda: guest.pending_event_rewards(printed_card_number=number),
            "combinable": lambda: guest.is_card_combinable(printed_card_number=number),
        }
        if optional.NOTES.available():
            loads["notes"] = lambda: optional.NOTES.call(
                lambda: client_from_settings().csr.account_comments(printed_card_number=number)
            )
        self._threads = ReadThreads()
        # The account is cached by the search itself, from the value (``remember_account``).
        self._futures: dict[str, Future[Any]] = {
            kind: self._threads.submit(load if kind == "account" else partial(_answered, load))
            for kind, load in loads.items()
        }

    def account(self) -> AccountInformation:
        """The searched card's account as the viewer may see it (its upstream error raised)."""
        account: AccountInformation = self._futures["account"].result()
        return account

    def user(self) -> UserInformation:
        """The searched card's user (userInformationByPrintedCardNumber), which the search asks
        for when the account reply names no account id: the page's read, not a second one
        (its upstream error raised)."""
        user: UserInformation = self._futures["user"].result().value
        return user

    def keep(self, account: AccountInformation, *, account_id: int) -> None:
        """The viewer may see ``account`` (the searched card's, whose id is ``account_id``: the
        spec's reply by card names none, the search finds it through the card's user): cache
        what was read for it."""
        try:
            primary = account.primary_card
            on_primary = primary is not None and reads.card_is(primary, self._number)
            wanted = {
                future: kind
                for kind, future in self._futures.items()
                # The search caches the account itself.
                if kind != "account"
                and not (kind in ("notes", "combinable") and not on_primary)
                and not (kind == "user" and not is_registered(account))
            }
            # Each answer is cached as it comes, while the others are still on their way.
            for future in as_completed(wanted):
                kind = wanted[future]
                try:
                    answer: _Answer = future.result()
                except PaytronixError:
                    continue  # the page asks again, and explains
                if answer.value is None:
                    continue  # the notes' service is not there: the page says so itself
                params: dict[str, Any] = {}
                if kind == "history":
                    params = reads.history_params(HistoryFilter(), _FIRST_HISTORY)
                reads.remember(account_id, kind, answer.value, text=answer.text, **params)
        finally:
            self._threads.close(wait_for_running=True)

    def drop(self) -> None:
        """Not shown to this viewer (or not one account): nothing read is kept or looked at."""
        self._threads.close(wait_for_running=True)
