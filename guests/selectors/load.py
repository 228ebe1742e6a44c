"""The guest page: one account, its guest, and everything a CSR needs, panel by panel.

Loading: the account is read first, with the viewer's store-group scope (the gate every other
read waits behind, and the source of the card number the notes are filed under); opened from a
search it is already cached. Then every other read the requested panels need runs at once
(``fanout``), so the page costs one upstream round trip. A read that fails leaves its panels
with an error to explain; the others render.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeoutError
from functools import partial
from typing import Any

from django.conf import settings

from guests.selectors import optional, reads
from guests.selectors.accounts import user_accounts
from guests.selectors.fanout import (
    ReadResult,
    ReadThreads,
    attempt,
    late,
    late_result,
    read_within,
)
from guests.selectors.history import HistoryQuery, history_limit, history_page

# GuestCard is re-exported: other apps type their guest page hooks with it from here.
from guests.selectors.page import GuestCard as GuestCard
from guests.selectors.page import GuestPage, is_registered
from guests.selectors.scope import GuestNotFoundError, Viewer, note_scope_miss, scope_of
from portal.audit import selectors as audit_selectors
from portal.guestcache import (
    failure_memory,
    guest_cache_consumed,
    guest_cache_prefetch,
    guest_cache_versions_pinned,
)
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError
from portal.paytronix.guard import UpstreamNotAskedError, cached_only
from portal.paytronix.replies import (
    AccountInformation,
    TransactionAnnotation,
    UserInformation,
)
from portal.sentences import NotShownError, explain

#: The panels' reads get at least this long, however long the account took.
_PANELS_AT_LEAST = 0.5

PANELS = ("header", "cards", "wallets", "history", "referrals", "profile", "notes")

#: The reads (besides the account itself) each panel needs.
PANEL_SOURCES: dict[str, tuple[str, ...]] = {
    "header": ("user",),
    "cards": ("accounts",),
    "wallets": ("pending_rewards",),
    "history": ("history",),
    "referrals": ("referrals",),
    "profile": ("user",),
    "notes": ("notes",),
    # Drawn on its own after a change (not one of PANELS: the whole page draws it anyway): the
    # account's status and balances, the last transaction, how many notes.
    "summary": ("history", "notes"),
}


#: Every read a panel may need (the account itself is always read).
_READS = frozenset(source for names in PANEL_SOURCES.values() for source in names)


class GuestUnavailableError(NotShownError):
    """The account exists but upstream will not show it (``invalid_status``): closed, never
    activated... ``sentence`` says so with the account and card status."""

    def __init__(self, *, account_id: int, sentence: str, account_status: str, card_status: str):
        super().__init__(sentence)
        self.account_id = account_id
        self._sentence = sentence
        self.account_status = account_status
        self.card_status = card_status

    @property
    def sentence(self) -> str:
        return self._sentence


def guest_account(
    *, viewer: Viewer, account_id: int, fresh: bool = False, deadline: float | None = None
) -> AccountInformation:
    """The account as ``viewer`` may see it (a ``TransportError`` if upstream has not answered
    within ``deadline`` seconds, when given).

    Raises ``GuestNotFoundError`` (unknown, or outside a store manager's group: the attempt is
    logged), ``GuestUnavailableError`` (``invalid_status``), or the client's ``PaytronixError``.
    """
    scope = scope_of(viewer)

    def read() -> AccountInformation:
        return reads.account_by_id(account_id=account_id, scope=scope, fresh=fresh)

    try:
        if deadline is None:
            return read()
        return read_within(read, name="account", deadline=deadline)
    except PaytronixError as error:
        raise _gate_error(viewer, account_id, error) from None


def _read_user(account_id: int, fresh: bool) -> UserInformation | None:
    """The user of the account by its id; None where upstream says it has none."""
    try:
        return reads.user_of_account(account_id=account_id, fresh=fresh)
    except FailureError as error:
        if error.error_code == "account_info.invalid_user":
            return None
        raise


def _primary_card_number(account: AccountInformation) -> str:
    """The number the notes are filed under, from the account with full numbers."""
    primary = account.primary_card
    return (primary.printed_card_number or "") if primary is not None else ""


class _Once[T]:
    """A read two others need: the first caller makes it, the other waits for its answer
    (an upstream error is raised to both)."""

    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        self._error: PaytronixError | None = None

    def __call__(self) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._read()
                except PaytronixError as error:
                    self._error = error
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class _Gate:
    """The account as the viewer may see it, read in a worker thread while the other reads
    run; what needs the account waits here for it. Once the page has stopped waiting
    (``abandon``), a read that was waiting asks upstream nothing more."""

    def __init__(self, future: Future[AccountInformation]) -> None:
        self._future = future
        self._abandoned = threading.Event()

    def abandon(self) -> None:
        self._abandoned.set()

    def __call__(self) -> AccountInformation:
        account = self._future.result()
        if self._abandoned.is_set():
            raise late("account", 0)
        return account


def _needs_card_numbers(account_id: int, sources: set[str]) -> bool:
    """Whether a read of this page needs the account's full card numbers (the notes, and
    isCardCombinable, are read by card number): a cached account has them masked, so the
    account is then read from upstream, at the same time as everything else."""
    notes = "notes" in sources and optional.NOTES.available()
    if notes and not reads.is_cached(account_id, "notes"):
        return True
    return "accounts" in sources and not reads.is_cached(account_id, "combinable")


def _panel_reads(
    *,
    account: Callable[[], AccountInformation],
    account_id: int,
    history: HistoryQuery,
    sources: Iterable[str],
    fresh: frozenset[str],
    scope: int | None,
    submit: Callable[[Callable[[], Any]], Future[Any]],
) -> dict[str, Callable[[], Any]]:
    """Each source's read. Reads by account id start at once (``submit``); the ones that need
    the account (its card numbers, whether it has a user) wait for it, and no longer."""
    wanted = set(sources)
    by_id = _Once(lambda: _read_user(account_id, "user" in fresh))
    if wanted & {"user", "accounts"}:
        submit(by_id)

    def user() -> UserInformation | None:
        # An anonymous card has no user: nothing to show, and nothing wrong. An eClub
        # account's reply names no username (the spec's example) but says REGISTERED.
        if not is_registered(account()):
            return None
        return by_id()

    numbered = _Once(lambda: reads.with_card_numbers(account(), scope=scope))
    available: dict[str, Callable[[], Any]] = {
        "user": user,
        "accounts": lambda: user_accounts(
            account=account(),
            account_id=account_id,
            user=user,
            scope=scope,
            fresh="accounts" in fresh,
            numbered=numbered,
        ),
        "history": lambda: history_page(
            account_id=account_id, query=history, fresh="history" in fresh
        ),
        "referrals": lambda: reads.referrals_of_account(
            account_id=account_id, fresh="referrals" in fresh
        ),
        "pending_rewards": lambda: reads.pending_rewards_of_account(
            account_id=account_id, fresh="pending_rewards" in fresh
        ),
        # None: the integration has no CSR service (the panel says so, calmly).
        "notes": lambda: (
            optional.NOTES.call(
                lambda: reads.notes_of_account(
                    account_id=account_id,
                    card_number=lambda: _primary_card_number(numbered()),
                    fresh="notes" in fresh,
                )
            )
            if account().primary_card is not None
            else []
        ),
    }
    return {name: available[name] for name in sorted(wanted)}


def _gate_error(viewer: Viewer, account_id: int, error: BaseException) -> BaseException:
    """What the page raises when the account itself cannot be shown (see ``guest_account``)."""
    if isinstance(error, InvalidStatusError):
        return GuestUnavailableError(
            account_id=account_id,
            sentence=explain(error),
            account_status=error.account_status,
            card_status=error.card_status,
        )
    if isinstance(error, FailureError):
        note_scope_miss(
            viewer,
            kind="account_id",
            account_id=account_id,
            exists_unscoped=lambda: client_from_settings().guest.account_information_by_id(
                account_id=account_id
            ),
        )
        return GuestNotFoundError(account_id)
    return error


def guest_page(
    *,
    viewer: Viewer,
    account_id: int,
    panels: Iterable[str] = PANELS,
    history: HistoryQuery | None = None,
    fresh: Iterable[str] = (),
    ask_again: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> GuestPage:
    """Load what ``panels`` show for ``viewer``; every read starts at once.

    The account (read with the viewer's store-group scope) is the gate: the reads by account
    id start beside it, and if it cannot be shown their answers are dropped unread and the page
    raises as ``guest_account`` does. ``fresh`` names sources (``account``, ``user``,
    ``accounts``, ``history``, ``referrals``, ``pending_rewards``, ``notes``) to read past the
    cache, for a change that is pending. The page waits at most ``GUESTS_PAGE_DEADLINE``
    seconds for upstream; a panel whose read is late then says so on its own. A source that
    failed a moment ago is not asked again (``failure_memory``) unless ``ask_again``.
    ``meanwhile`` runs in this thread once the reads are under way (the view's own database
    reads, which need nothing from upstream); what it found is the caller's to show only if
    the page is.
    """
    with failure_memory.asking_again(ask_again), guest_cache_versions_pinned():
        return _page_load(viewer, account_id, panels, history, frozenset(fresh), meanwhile)


def _at_once[T](read: Callable[[], T]) -> Future[T]:
    """``read()`` run here and now, as a finished future."""
    future: Future[T] = Future()
    future.set_result(read())
    return future


def _page_from_cache(
    account_id: int, sources: set[str], history: HistoryQuery, scope: int | None
) -> GuestPage | None:
    """The page from the cache alone, read in this thread (no thread started, no call made),
    or None when a read it needs is not cached: the page is then read as usual. A read that
    failed a moment ago fails here as it would there (``failure_memory``), without a call; an
    account that cannot be shown is left to the usual path, which explains it.

    Such a page is named by a digest of every entry it read (``GuestPage.data_digest``): two
    pages with the same digest show the same. A page with a failed source gets none."""
    try:
        with cached_only(), guest_cache_consumed() as consumed:
            account = reads.account_by_id(account_id=account_id, scope=scope)
            loads = _panel_reads(
                account=lambda: account,
                account_id=account_id,
                history=history,
                sources=sources,
                fresh=frozenset(),
                scope=scope,
                submit=_at_once,
            )
            found = {name: attempt(read) for name, read in loads.items()}
    except (UpstreamNotAskedError, PaytronixError):
        return None
    page = _page_of(account_id, account, history, found)
    if all(result.ok for result in found.values()):
        # What is not in the entries: the query, and a source with no value (the notes of an
        # integration without the CSR service).
        shape = sorted((name, result.value is None) for name, result in found.items())
        page.data_digest = consumed.digest(account_id, repr(history), scope, shape)
    return page


def _page_of(
    account_id: int,
    account: AccountInformation,
    history: HistoryQuery,
    found: dict[str, ReadResult[Any]],
) -> GuestPage:
    """The page of ``account`` with each source's outcome (its value, or why it failed)."""
    page = GuestPage(account_id=account_id, account=account, history_query=history)
    for name, result in found.items():
        setattr(page, name, result)
    return page


def _page_load(
    viewer: Viewer,
    account_id: int,
    panels: Iterable[str],
    history: HistoryQuery | None,
    fresh_sources: frozenset[str],
    meanwhile: Callable[[], object] | None,
) -> GuestPage:
    deadline = float(settings.GUESTS_PAGE_DEADLINE)
    ends = time.monotonic() + deadline
    scope = scope_of(viewer)
    sources = {source for panel in panels for source in PANEL_SOURCES[panel]}
    # A pending change's sources are read for its panel too (an adjustment of the balances
    # shows in the history): ``fresh`` names only those of the panels asked for.
    sources |= fresh_sources & _READS
    query = history or HistoryQuery()
    # Every cached read of the page looked up in one round trip, not one per read.
    guest_cache_prefetch(
        reads.page_cache_keys(
            account_id=account_id,
            scope=scope,
            sources=sources,
            history=(query.filters, history_limit(query)),
        )
    )
    # The account is read past the cache when the page needs its card numbers anyway, so the
    # gate and that read are one call.
    account_fresh = "account" in fresh_sources or _needs_card_numbers(account_id, sources)
    if not account_fresh and not fresh_sources:
        cached_page = _page_from_cache(account_id, sources, query, scope)
        if cached_page is not None:
            if meanwhile is not None:
                meanwhile()
            return cached_page
    threads = ReadThreads()
    submit = threads.submit
    try:
        gate: Future[AccountInformation] = submit(
            lambda: reads.account_by_id(account_id=account_id, scope=scope, fresh=account_fresh)
        )
        account_of = _Gate(gate)
        loads = _panel_reads(
            account=account_of,
            account_id=account_id,
            history=query,
            sources=sources,
            fresh=fresh_sources,
            scope=scope,
            submit=submit,
        )
        futures = {name: submit(partial(attempt, read)) for name, read in loads.items()}
        if meanwhile is not None:
            meanwhile()
        try:
            account = gate.result(timeout=deadline)
        except FutureTimeoutError:
            account_of.abandon()
            raise late("account", deadline) from None
        except PaytronixError as error:
            # Not shown: the reads beside the gate are dropped unread, once those under way
            # have ended (none outlives the request that started it).
            threads.close(wait_for_running=True)
            raise _gate_error(viewer, account_id, error) from None
        left = max(_PANELS_AT_LEAST, ends - time.monotonic())
        finished, _ = wait(futures.values(), timeout=left)
        account_of.abandon()
        outcomes = {
            name: future.result() if future in finished else late_result(name, left)
            for name, future in futures.items()
        }
        page = _page_of(account_id, account, query, outcomes)
        page.read_upstream = True
        return page
    finally:
        # Reads still running (the page stopped waiting, or the gate refused) end on their
        # own, bounded by the client's timeouts; nobody reads their answers.
        threads.close(wait_for_running=False)


def transaction_comments(
    *, viewer: Viewer, account_id: int, transaction_id: int
) -> TransactionAnnotation:
    """The guest-visible CSR and system comments of one transaction of the account."""
    guest_account(viewer=viewer, account_id=account_id)
    return reads.cached(
        account_id,
        "annotation",
        lambda: client_from_settings().guest.transaction_annotation(
            account_id=account_id, transaction_id=transaction_id
        ),
        transaction_id=transaction_id,
    )


def unavailable_guest_name(*, viewer: Viewer, account_id: int) -> str:
    """Whose account it is, for an account upstream will not show (closed, never activated):
    the user's name, or "" when there is none, it cannot be read, or the viewer is limited to
    a store group (the user read takes no store-group filter, so it could not be checked)."""
    if viewer.is_store_scoped:
        return ""
    try:
        user = reads.user_of_account(account_id=account_id)
    except PaytronixError:
        return ""
    fields = user.fields
    if fields is None:
        return ""
    return " ".join(p for p in (fields.first_name, fields.last_name) if p)


def combined_into(*, viewer: Viewer, account_id: int) -> int | None:
    """The account ``account_id`` was combined into through this console, or None: none
    recorded, or the viewer is limited to a store group (which account it went to is not
    theirs to learn)."""
    return None if viewer.is_store_scoped else audit_selectors.combined_into(account_id)
