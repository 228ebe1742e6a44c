"""The guest's accounts (userInformation's ``accountIds``), each with whether it can be combined.

A user has one or more accounts; attaching a card links that card's account to the user, and
combining moves an attached account into the user's main account of the same program. The
cards panel shows every account of the guest; Combine is offered where upstream's
isCardCombinable says so (not the main account, a program that combines), read per account and
cached with it, so a change to either account drops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace

from guests.selectors import reads
from guests.selectors.fanout import ReadResult, run_reads
from guests.selectors.page import UserAccount, why_not_combinable
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import AccountInformation, UserInformation
from portal.sentences import explain


def combinable_of(
    account: AccountInformation,
    *,
    scope: int | None,
    fresh: bool = False,
    numbered: Callable[[], AccountInformation] | None = None,
) -> bool:
    """isCardCombinable of the account's primary card, cached with the account. A cached copy
    of the account has the card's number masked: on a miss it is then read from upstream
    (through ``numbered`` when the page shares that read with others)."""
    if account.account_id is None or account.primary_card is None:
        return False

    def load() -> bool:
        full = numbered() if numbered else reads.with_card_numbers(account, scope=scope)
        primary = full.primary_card
        number = primary.printed_card_number if primary is not None else None
        if not number:
            return False
        return client_from_settings().guest.is_card_combinable(printed_card_number=number)

    return reads.cached(account.account_id, "combinable", load, fresh=fresh)


def _by_number(account: AccountInformation, answers: Mapping[str, ReadResult[bool]]) -> bool | None:
    """What isCardCombinable answered for the account's primary card, when it was asked by
    the number the user's reply named (None: it was not, or it failed)."""
    primary = account.primary_card
    number = primary.printed_card_number if primary is not None else None
    answer = answers.get(number or "")
    return answer.value if answer is not None and answer.ok else None


def _one_account(
    account_id: int,
    known: AccountInformation | None,
    scope: int | None,
    fresh: bool,
    numbered: Callable[[], AccountInformation] | None = None,
    answers: Callable[[], Mapping[str, ReadResult[bool]]] | None = None,
) -> UserAccount:
    try:
        account = known or reads.account_by_id(account_id=account_id, scope=scope, fresh=fresh)
    except PaytronixError as trouble:
        return UserAccount(
            account_id=account_id, account=None, combinable=None, error=explain(trouble)
        )
    asked = _by_number(account, answers()) if known is None and answers else None
    if asked is not None and account.account_id is not None:
        reads.remember(account.account_id, "combinable", asked)
        return UserAccount(account_id=account_id, account=account, combinable=asked)
    try:
        combinable: bool | None = combinable_of(
            account, scope=scope, fresh=fresh, numbered=numbered if known else None
        )
    except PaytronixError as trouble:
        return UserAccount(
            account_id=account_id,
            account=account,
            combinable=None,
            why_not_combinable=f"Whether it can be combined could not be read: {explain(trouble)}",
        )
    return UserAccount(account_id=account_id, account=account, combinable=combinable)


def user_accounts(
    *,
    account: AccountInformation,
    account_id: int,
    user: Callable[[], UserInformation | None],
    scope: int | None,
    fresh: bool = False,
    numbered: Callable[[], AccountInformation] | None = None,
) -> list[UserAccount]:
    """Every account of the guest who owns ``account`` (this one first), read at the same
    time once ``user()`` has named them; empty for an anonymous card. ``numbered`` gives
    ``account`` with full card numbers when the caller shares that read."""
    info = user()
    if info is None:
        return []
    ids = [account_id] + [i for i in dict.fromkeys(info.account_ids) if i != account_id]
    if len(ids) == 1:
        # The guest's only account: there is nothing to combine it with, whatever
        # isCardCombinable would answer, so it is not asked (the page then costs one round
        # trip). Remembered as not combinable so the next page needs no full card number.
        reads.cached(account_id, "combinable", lambda: False)
        alone = UserAccount(account_id=account_id, account=account, combinable=False)
        return [replace(alone, why_not_combinable=why_not_combinable(alone, [alone]))]
    # A user read from upstream names its accounts' primary cards: whether each can be
    # combined is asked beside the accounts' own reads, not after them (the cached copy of
    # the user names none: then each account asks once it is read, as before).
    mine = account.primary_card
    others = [
        n
        for n in dict.fromkeys(info.primary_card_numbers)
        if n and not (mine is not None and reads.card_is(mine, n))
    ]
    guest = client_from_settings().guest

    def ask(number: str) -> Callable[[], bool]:
        return lambda: guest.is_card_combinable(printed_card_number=number)

    asked = {f"card:{n}": ask(n) for n in others}
    answers: dict[str, ReadResult[bool]] = {}
    ready = threading.Event()

    def read(one: int) -> Callable[[], UserAccount]:
        known = account if one == account_id else None

        def one_account() -> UserAccount:
            return _one_account(one, known, scope, fresh, numbered, answered if asked else None)

        return one_account

    def answered() -> Mapping[str, ReadResult[bool]]:
        ready.wait()
        return answers

    def ask_all() -> None:
        try:
            answers.update(
                {key.removeprefix("card:"): value for key, value in run_reads(asked).items()}
            )
        finally:
            ready.set()

    # The asking goes first: the account reads that wait for its answers (once they are read
    # themselves) must never hold every thread.
    reads_of_accounts: dict[str, Callable[[], object]] = {"combinable": ask_all} if asked else {}
    reads_of_accounts.update({str(i): read(i) for i in ids})
    found = run_reads(reads_of_accounts)
    listed = [found[str(i)].get() for i in ids]
    return [
        UserAccount(
            account_id=a.account_id,
            account=a.account,
            combinable=a.combinable,
            error=a.error,
            why_not_combinable=a.why_not_combinable or why_not_combinable(a, listed),
        )
        for a in listed
    ]
