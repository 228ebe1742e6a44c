"""Finding guests: each kind of query goes to the endpoint that answers it.

* card number -> guest/accountInformation (by printed card number); the spec's reply has no
  accountId, so without one the card's user (userInformationByPrintedCardNumber) names it
* account id -> guest/accountInformationById
* username -> guest/userInformation, then each of the user's accounts by id
* email, phone, name, postal code -> transaction/accountQuery, then each match's account;
  an integration without accountQuery (``optional.ACCOUNT_SEARCH``) tries an email as a
  username, then its eClub reading, and says once that this search is not available
* eClub email -> guest/eClubAccountInformation (with the eClub card template), named by
  eClubUserInformation; the global search falls back to it for an email nobody else has
* external account code -> guest/printedCardNumberForExternalAccount, then its card

A store manager's scope (``accessFilterStoreGroupCode``) goes with every lookup that takes it
(account information, account search), and every account found is read with it, so a store
manager never sees a guest outside their group (see ``scope``). Logs name the kind of query,
never its value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from guests.selectors import optional, reads
from guests.selectors.fanout import run_reads
from guests.selectors.handoff import CardPageReads
from guests.selectors.query import Kind, Query
from guests.selectors.scope import GuestNotFoundError, Viewer, note_scope_miss, scope_of
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.paytronix.replies import AccountInformation, AccountQueryMatch
from portal.sentences import explain

logger = logging.getLogger(__name__)

#: The most guests one search lists; more than this asks the CSR to narrow the search.
MAX_MATCHES = 25


@dataclass(frozen=True)
class GuestMatch:
    """One guest in a list of search results."""

    account_id: int
    name: str
    masked_card_number: str
    card_status: str
    account_status: str
    program: str
    enrolled: date | None
    #: Set when the account cannot be opened (closed, never activated): why, in words.
    problem: str = ""


@dataclass(frozen=True)
class SearchResult:
    """What a search found. ``problem`` explains a search that could not be answered."""

    query: Query
    matches: list[GuestMatch] = field(default_factory=list)
    truncated: bool = False
    problem: str = ""
    #: The reading of the query that found the matches (its fallback, if the first found none).
    searched_as: Query | None = None
    #: A calm word about a search this integration cannot run (no accountQuery).
    notice: str = ""

    @property
    def described(self) -> str:
        """What found the matches, in words ("last name Thompson")."""
        return (self.searched_as or self.query).describe()

    @property
    def single(self) -> GuestMatch | None:
        """The one match to open directly, if there is exactly one that can be opened."""
        if len(self.matches) == 1 and not self.matches[0].problem and not self.problem:
            return self.matches[0]
        return None


class _Found:
    """What one search kind produced, before the fallback decision."""

    def __init__(
        self,
        matches: list[GuestMatch] | None = None,
        *,
        truncated: bool = False,
        problem: str = "",
        notice: str = "",
    ) -> None:
        self.matches = matches or []
        self.truncated = truncated
        self.problem = problem
        # A notice is no answer: the query's fallback reading is still tried.
        self.notice = notice

    def __bool__(self) -> bool:
        return bool(self.matches or self.problem)


def _name_of(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "(no name on file)"


def _match(account: AccountInformation, *, account_id: int, name: str) -> GuestMatch:
    card = account.primary_card
    fields = account.fields
    return GuestMatch(
        account_id=account_id,
        name=name,
        masked_card_number=(card.masked_card_number or "") if card else "",
        card_status=(card.status or "") if card else "",
        account_status=account.account_status or "",
        program=account.card_template_label or "",
        enrolled=fields.enroll_date if fields else None,
    )


def _one_account(
    viewer: Viewer,
    query: Query,
    read: Callable[[int | None], AccountInformation],
) -> _Found:
    """A lookup that names one account: read it with the viewer's scope; explain a refusal."""
    scope = scope_of(viewer)
    try:
        account = read(scope)
    except InvalidStatusError as error:
        return _Found(problem=explain(error))
    except FailureError:
        note_scope_miss(
            viewer,
            kind=query.kind.value,
            exists_unscoped=lambda: read(None),
            account_id=query.account_id if query.kind is Kind.ACCOUNT_ID else None,
            printed_card_number=query.value if query.kind is Kind.CARD else "",
        )
        return _Found()
    reads.remember_account(account, scope=scope)
    if account.account_id is not None:
        return _Found([_match(account, account_id=account.account_id, name="")])
    if query.kind is not Kind.CARD:
        return _Found(problem=NO_ACCOUNT_ID)
    # The spec's accountInformation reply has no accountId (only the sandbox sends one): the
    # card's user names the account; a user with several is read to find the card's own.
    return _card_account(viewer, query.value)


#: Said when a card's account cannot be told: never a guest page for a made-up account id.
NO_ACCOUNT_ID = (
    "Paytronix found this card but did not say which account it belongs to. "
    "Search by the guest's account id, email or phone instead."
)


def _card_account(viewer: Viewer, number: str) -> _Found:
    try:
        user = client_from_settings().guest.user_information_by_printed_card_number(
            printed_card_number=number
        )
    except FailureError:
        # An anonymous card has no user to ask.
        return _Found(problem=NO_ACCOUNT_ID)
    found = _accounts(viewer, dict.fromkeys(user.account_ids, ""), kind=Kind.CARD)
    if len(found.matches) > 1:
        scope = scope_of(viewer)
        found.matches = [
            match
            for match in found.matches
            if not match.problem
            and _holds_card(reads.account_by_id(account_id=match.account_id, scope=scope), number)
        ]
    return found if len(found.matches) == 1 else _Found(problem=NO_ACCOUNT_ID)


def _holds_card(account: AccountInformation, number: str) -> bool:
    return any(reads.card_is(card, number) for card in reads.account_cards(account))


def _by_card(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    viewer_scope = scope_of(viewer)  # a viewer who may see nobody starts nothing
    ahead = CardPageReads(query.value)
    seen: list[AccountInformation] = []

    def read(scope: int | None) -> AccountInformation:
        account = guest.account_information(
            printed_card_number=query.value, access_filter_store_group_code=scope
        )
        if scope == viewer_scope:
            seen.append(account)
        return account

    found = None
    try:
        found = _one_account(viewer, query, read)
    finally:
        # The page's reads are kept only for the one account the viewer was shown.
        shown = [m for m in found.matches if not m.problem] if found is not None else []
        if len(shown) == 1 and seen and shown[0].account_id == seen[0].account_id:
            ahead.keep(seen[0])
        else:
            ahead.drop()
    return found


def _by_account_id(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    return _one_account(
        viewer,
        query,
        lambda scope: guest.account_information_by_id(
            account_id=query.account_id, access_filter_store_group_code=scope
        ),
    )


def _by_external(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    try:
        cards = guest.printed_card_number_for_external_account(account_code=query.value)
    except FailureError:
        return _Found()
    number = cards.primary_card.printed_card_number if cards.primary_card else None
    if not number:
        return _Found()
    return _by_card(viewer, Query(Kind.CARD, number))


def _by_eclub(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    assert query.card_template_code is not None
    try:
        account = guest.eclub_account_information(
            email=query.value, card_template_code=query.card_template_code
        )
    except InvalidStatusError as error:
        return _Found(problem=explain(error))
    except FailureError:
        return _Found()
    if account.account_id is None:
        return _Found()
    reads.remember_account(account, scope=None)
    name = ""
    try:
        user = guest.eclub_user_information(
            email=query.value, card_template_code=query.card_template_code
        )
    except FailureError:
        pass  # a nameless match is still the match: the guest page reads the rest
    else:
        reads.remember_user(account_id=account.account_id, user=user)
        fields = user.fields
        name = _name_of(fields.first_name, fields.last_name) if fields else ""
    # eClubAccountInformation has no store filter: check the account with the viewer's scope.
    return _accounts(viewer, {account.account_id: name}, kind=query.kind)


def _accounts(viewer: Viewer, names: dict[int, str], *, kind: Kind) -> _Found:
    """Read each account (with the viewer's scope) concurrently; drop the ones not found."""
    scope = scope_of(viewer)
    outcomes = run_reads(
        {
            str(account_id): partial(reads.account_by_id, account_id=account_id, scope=scope)
            for account_id in names
        }
    )
    matches: list[GuestMatch] = []
    hidden = 0
    for account_id, name in names.items():
        outcome = outcomes[str(account_id)]
        if outcome.ok:
            matches.append(_match(outcome.get(), account_id=account_id, name=name))
        elif isinstance(outcome.error, InvalidStatusError):
            matches.append(_unreadable(account_id, name, outcome.error))
        elif isinstance(outcome.error, FailureError):
            hidden += 1
        else:
            outcome.get()  # a transport fault: the search as a whole cannot be answered
    if hidden and scope is not None:
        logger.warning(
            "store-scoped search hid guests outside store group: user=%s store_group=%s "
            "kind=%s hidden=%d",
            viewer.username,
            scope,
            kind.value,
            hidden,
        )
    matches.sort(key=lambda m: (m.name.lower(), m.account_id))
    return _Found(matches)


def _unreadable(account_id: int, name: str, error: InvalidStatusError) -> GuestMatch:
    return GuestMatch(
        account_id=account_id,
        name=name,
        masked_card_number="",
        card_status=error.card_status,
        account_status=error.account_status,
        program="",
        enrolled=None,
        problem=explain(error),
    )


def _by_username(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    try:
        user = guest.user_information(username=query.value)
    except FailureError:
        return _Found()
    fields = user.fields
    name = _name_of(fields.first_name if fields else None, fields.last_name if fields else None)
    return _accounts(viewer, dict.fromkeys(user.account_ids, name), kind=query.kind)


def _by_account_search(viewer: Viewer, query: Query) -> _Found:
    criteria = query.account_criteria()
    found = optional.ACCOUNT_SEARCH.call(
        lambda: client_from_settings().transaction.account_query(
            phone=criteria.phone or None,
            email=criteria.email or None,
            first_name=criteria.first_name or None,
            last_name=criteria.last_name or None,
            postal_code=criteria.postal_code or None,
            page_size=MAX_MATCHES + 1,
            access_filter_store_group_code=scope_of(viewer),
        )
    )
    if found is None:
        return _without_account_search(viewer, query)
    names = {m.account_id: _query_name(m) for m in found[:MAX_MATCHES] if m.account_id is not None}
    result = _accounts(viewer, names, kind=query.kind)
    result.truncated = len(found) > MAX_MATCHES
    return result


def _without_account_search(viewer: Viewer, query: Query) -> _Found:
    """What still works without accountQuery: an email may be the guest's username (the
    console's "email as username" makes it so); the eClub reading follows as the fallback."""
    notice = optional.ACCOUNT_SEARCH.sentence
    if query.kind is Kind.EMAIL:
        found = _by_username(viewer, Query(Kind.USERNAME, query.value))
        if found:
            return found
    return _Found(notice=notice)


def _query_name(match: AccountQueryMatch) -> str:
    values = match.field_values
    return _name_of(values.get("firstName"), values.get("lastName"))


_SEARCHES: dict[Kind, Callable[[Viewer, Query], _Found]] = {
    Kind.CARD: _by_card,
    Kind.ACCOUNT_ID: _by_account_id,
    Kind.USERNAME: _by_username,
    Kind.EXTERNAL: _by_external,
    Kind.ECLUB_EMAIL: _by_eclub,
    Kind.EMAIL: _by_account_search,
    Kind.PHONE: _by_account_search,
    Kind.NAME: _by_account_search,
    Kind.POSTAL_CODE: _by_account_search,
}


def guests_search(*, viewer: Viewer, query: Query) -> SearchResult:
    """Find the guests ``query`` names, as ``viewer`` may see them.

    Tries the query's fallback reading when the first finds nobody. Raises the client's
    ``PaytronixError`` when upstream cannot answer (the view explains it).
    """
    try:
        scope_of(viewer)
    except GuestNotFoundError:
        return SearchResult(query=query)
    reading: Query | None = query
    found = _Found()
    notice = ""
    while reading is not None:
        found = _SEARCHES[reading.kind](viewer, reading)
        notice = notice or found.notice
        if found or reading.fallback is None:
            break
        reading = reading.fallback
    logger.info(
        "guest search kind=%s matches=%d user=%s",
        (reading or query).kind.value,
        len(found.matches),
        viewer.username,
    )
    return SearchResult(
        query=query,
        matches=found.matches,
        truncated=found.truncated,
        problem=found.problem,
        searched_as=reading,
        notice="" if found.matches else notice,
    )
