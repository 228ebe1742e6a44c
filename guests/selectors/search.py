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
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from guests.selectors import optional, reads
from guests.selectors.accounts import combinable_of
from guests.selectors.fanout import run_reads
from guests.selectors.handoff import CardPageReads
from guests.selectors.query import MAX_READINGS, Kind, Query, digits_only
from guests.selectors.scope import GuestNotFoundError, Viewer, note_scope_miss, scope_of
from portal.audit.scrub import card_mask, email_mask
from portal.guestcache import guest_cache_versions_pinned
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.paytronix.replies import (
    AccountInformation,
    AccountQueryMatch,
    UserFields,
    UserInformation,
)
from portal.sentences import explain

logger = logging.getLogger(__name__)

#: The most guests one search lists; more than this asks the CSR to narrow the search.
MAX_MATCHES = 25


@dataclass(frozen=True)
class Who:
    """What a search learned of a guest beside their account: name and contact details, as
    upstream gave them (kept on the server; the page shows them masked)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    city: str = ""

    @classmethod
    def of_fields(cls, fields: UserFields | None) -> Who:
        if fields is None:
            return cls()
        return cls(
            name=_name_of(fields.first_name, fields.last_name),
            email=fields.email or "",
            phone=fields.phone or fields.mobile_phone or "",
            city=fields.city or "",
        )


@dataclass(frozen=True)
class GuestMatch:
    """One guest in a list of search results, with what tells guests of one name apart."""

    account_id: int
    name: str
    masked_card_number: str
    card_status: str
    account_status: str
    program: str
    enrolled: date | None
    #: Set when the account cannot be opened (closed, never activated): why, in words.
    problem: str = ""
    email: str = field(default="", repr=False)
    phone: str = field(default="", repr=False)
    city: str = ""
    username: str = ""
    template_code: int | None = None
    #: The masked numbers of every card of the account (primary first).
    card_endings: tuple[str, ...] = ()
    #: True for the guest's main account of its program, False for an attached one; None when
    #: the guest has no other account of that program among the results (nothing to tell).
    main: bool | None = None

    @property
    def email_masked(self) -> str:
        return email_mask(self.email)

    @property
    def phone_ending(self) -> str:
        digits = digits_only(self.phone)
        return digits[-4:] if len(digits) >= 4 else ""

    def has_card_ending(self, digits: str) -> bool:
        return any(ending.endswith(digits) for ending in self.card_endings)


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
    #: Every reading of the query that was searched, in order (the last found the matches).
    tried: list[Query] = field(default_factory=list)

    @property
    def tried_described(self) -> list[str]:
        return [reading.describe() for reading in self.tried]

    @property
    def searched_words(self) -> str:
        """Every reading searched, in words, for a search that found nobody ("card number
        6175550142 or phone 6175550142")."""
        readings = list(dict.fromkeys(self.tried_described)) or [self.query.describe()]
        return " or ".join(readings)

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
        accounts: dict[int, AccountInformation] | None = None,
    ) -> None:
        self.matches = matches or []
        self.truncated = truncated
        self.problem = problem
        # A notice is no answer: the query's fallback reading is still tried.
        self.notice = notice
        #: The account replies the matches were made from (read with the viewer's scope), by
        #: account id: what marking the main accounts starts from instead of reading again.
        self.accounts = accounts or {}

    def __bool__(self) -> bool:
        return bool(self.matches or self.problem)


def _name_of(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or "(no name on file)"


def _match(account: AccountInformation, *, account_id: int, who: Who) -> GuestMatch:
    card = account.primary_card
    fields = account.fields
    cards = [c for c in (card, *account.additional_cards) if c is not None]
    return GuestMatch(
        account_id=account_id,
        name=who.name,
        masked_card_number=(card.masked_card_number or "") if card else "",
        card_status=(card.status or "") if card else "",
        account_status=account.account_status or "",
        program=account.card_template_label or "",
        enrolled=fields.enroll_date if fields else None,
        email=who.email,
        phone=who.phone,
        city=who.city,
        username=account.username or "",
        template_code=account.card_template_code,
        card_endings=tuple(
            c.masked_card_number or card_mask(c.printed_card_number or "") for c in cards
        ),
    )


def _one_account(
    viewer: Viewer,
    query: Query,
    read: Callable[[int | None], AccountInformation],
    *,
    card_user: Callable[[], UserInformation] | None = None,
) -> _Found:
    """A lookup that names one account: read it with the viewer's scope; explain a refusal.
    ``card_user`` reads the searched card's user (a search by card), which names the account
    when the reply does not."""
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
        match = _match(account, account_id=account.account_id, who=Who())
        return _Found([match], accounts={account.account_id: account})
    if card_user is None:
        return _Found(problem=NO_ACCOUNT_ID)
    # The spec's accountInformation reply has no accountId (only the sandbox sends one): the
    # card's user names the account; a user with several is read to find the card's own.
    return _card_account(viewer, query.value, card_user)


#: Said when a card's account cannot be told: never a guest page for a made-up account id.
NO_ACCOUNT_ID = (
    "Paytronix found this card but did not say which account it belongs to. "
    "Search by the guest's account id, email or phone instead."
)


def _card_account(viewer: Viewer, number: str, card_user: Callable[[], UserInformation]) -> _Found:
    scope = scope_of(viewer)
    account_id = reads.card_account_id(
        number,
        read=lambda one: reads.account_by_id(account_id=one, scope=scope),
        card_user=card_user,
    )
    if account_id is None:
        return _Found(problem=NO_ACCOUNT_ID)
    found = _accounts(viewer, {account_id: Who()}, kind=Kind.CARD)
    return found if len(found.matches) == 1 else _Found(problem=NO_ACCOUNT_ID)


def _by_card(viewer: Viewer, query: Query) -> _Found:
    guest = client_from_settings().guest
    viewer_scope = scope_of(viewer)  # a viewer who may see nobody starts nothing
    ahead = CardPageReads(query.value, scope=viewer_scope)
    seen: list[AccountInformation] = []

    def read(scope: int | None) -> AccountInformation:
        if scope == viewer_scope:
            account = ahead.account()
            seen.append(account)
            return account
        return guest.account_information(
            printed_card_number=query.value, access_filter_store_group_code=scope
        )

    found = None
    # Everything cached here is a read of one guest: its cache version is read once, as the
    # answers come, not once for each.
    with guest_cache_versions_pinned():
        try:
            found = _one_account(viewer, query, read, card_user=ahead.user)
        finally:
            # The page's reads are kept only for the one account the viewer was shown.
            shown = [m for m in found.matches if not m.problem] if found is not None else []
            # The spec's reply by card names no account id (the search then found the account
            # through the card's user): the reply is the shown account's when it names none.
            if len(shown) == 1 and seen and seen[0].account_id in (None, shown[0].account_id):
                ahead.keep(seen[0], account_id=shown[0].account_id)
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
    who = Who()
    try:
        user = guest.eclub_user_information(
            email=query.value, card_template_code=query.card_template_code
        )
    except FailureError:
        pass  # a nameless match is still the match: the guest page reads the rest
    else:
        # The eClub user the search names: the page opened next shows the name without asking.
        reads.remember(account.account_id, "user", user)
        who = Who.of_fields(user.fields)
    # eClubAccountInformation has no store filter: check the account with the viewer's scope.
    return _accounts(viewer, {account.account_id: who}, kind=query.kind)


def _accounts(viewer: Viewer, names: dict[int, Who], *, kind: Kind) -> _Found:
    """Read each account (with the viewer's scope) concurrently; drop the ones not found."""
    scope = scope_of(viewer)
    outcomes = run_reads(
        {
            str(account_id): partial(reads.account_by_id, account_id=account_id, scope=scope)
            for account_id in names
        }
    )
    matches: list[GuestMatch] = []
    accounts: dict[int, AccountInformation] = {}
    hidden = 0
    for account_id, who in names.items():
        outcome = outcomes[str(account_id)]
        if outcome.ok:
            accounts[account_id] = outcome.get()
            matches.append(_match(accounts[account_id], account_id=account_id, who=who))
        elif isinstance(outcome.error, InvalidStatusError):
            matches.append(_unreadable(account_id, who, outcome.error))
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
    return _Found(matches, accounts=accounts)


def _unreadable(account_id: int, who: Who, error: InvalidStatusError) -> GuestMatch:
    return GuestMatch(
        account_id=account_id,
        name=who.name,
        email=who.email,
        phone=who.phone,
        city=who.city,
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
    who = Who.of_fields(user.fields)
    return _accounts(viewer, dict.fromkeys(user.account_ids, who), kind=query.kind)


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
    names = {m.account_id: _query_who(m) for m in found[:MAX_MATCHES] if m.account_id is not None}
    result = _accounts(viewer, names, kind=query.kind)
    result.truncated = len(found) > MAX_MATCHES
    if query.card_ending:
        # Upstream cannot search by part of a card number: the name's matches are narrowed
        # here, to the accounts holding a card with that ending.
        result.matches = [m for m in result.matches if m.has_card_ending(query.card_ending)]
        result.truncated = result.truncated and not result.matches
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


def _query_who(match: AccountQueryMatch) -> Who:
    values = match.field_values
    return Who(
        name=_name_of(values.get("firstName"), values.get("lastName")),
        email=values.get("email") or "",
        phone=values.get("phone") or values.get("mobilePhone") or "",
        city=values.get("city") or "",
    )


def _mark_main_accounts(
    viewer: Viewer, matches: list[GuestMatch], accounts: dict[int, AccountInformation]
) -> list[GuestMatch]:
    """Say which account is the guest's main one where the results hold several accounts of
    one guest and program (what otherwise looks like the same guest listed twice). Costs one
    isCardCombinable per such account (cached with the account, as the cards panel reads it),
    all at once, and only for those: at most ``MAX_MATCHES`` calls, none for other results.

    ``accounts`` are the replies the matches were made from, read with the viewer's scope:
    one just read from upstream has its card's full number, so the account is not read again
    (a cached copy, masked, is read afresh once, inside ``combinable_of``)."""
    groups: dict[tuple[str, int | None], list[GuestMatch]] = {}
    for match in matches:
        if match.username and not match.problem:
            groups.setdefault((match.username, match.template_code), []).append(match)
    ambiguous = [m for group in groups.values() if len(group) > 1 for m in group]
    if not ambiguous:
        return matches
    scope = scope_of(viewer)

    def combinable(account_id: int) -> Callable[[], bool]:
        return lambda: combinable_of(accounts[account_id], scope=scope)

    outcomes = run_reads({str(m.account_id): combinable(m.account_id) for m in ambiguous})
    main: dict[int, bool] = {}
    for group in groups.values():
        answers = {m.account_id: outcomes.get(str(m.account_id)) for m in group}
        if len(group) < 2 or not all(a is not None and a.ok for a in answers.values()):
            continue  # one unread answer: say nothing rather than guess
        # The spec: an account is combinable if it is not the main account (and the program
        # combines): the one not combinable among combinable ones is the main account.
        values = {account_id: a.get() for account_id, a in answers.items() if a is not None}
        if any(values.values()) and not all(values.values()):
            main.update({account_id: not value for account_id, value in values.items()})
    return [replace(m, main=main[m.account_id]) if m.account_id in main else m for m in matches]


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
    tried: list[Query] = []
    for reading in query.readings[:MAX_READINGS]:
        tried.append(reading)
        found = _SEARCHES[reading.kind](viewer, reading)
        notice = notice or found.notice
        if found:
            break
    if len(found.matches) > 1:
        found.matches = _mark_main_accounts(viewer, found.matches, found.accounts)
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
        tried=tried,
    )
