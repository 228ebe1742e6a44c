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
from typing import Any

from django.conf import settings

from guests.selectors import optional, reads
from guests.selectors.accounts import user_accounts
from guests.selectors.fanout import read_within, run_reads
from guests.selectors.history import HistoryQuery, history_page

# GuestCard is re-exported: other apps type their guest page hooks with it from here.
from guests.selectors.page import GuestCard as GuestCard
from guests.selectors.page import GuestPage, is_registered
from guests.selectors.scope import GuestNotFoundError, Viewer, note_scope_miss, scope_of
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError
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
}


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
    try:

        def read() -> AccountInformation:
            return reads.account_by_id(account_id=account_id, scope=scope, fresh=fresh)

        if deadline is None:
            return read()
        return read_within(read, name="account", deadline=deadline)
    except InvalidStatusError as error:
        raise GuestUnavailableError(
            account_id=account_id,
            sentence=explain(error),
            account_status=error.account_status,
            card_status=error.card_status,
        ) from None
    except FailureError:
        note_scope_miss(
            viewer,
            kind="account_id",
            account_id=account_id,
            exists_unscoped=lambda: client_from_settings().guest.account_information_by_id(
                account_id=account_id
            ),
        )
        raise GuestNotFoundError(account_id) from None


def _read_user(account: AccountInformation, fresh: bool) -> UserInformation | None:
    # An anonymous card has no user: nothing to read, and nothing wrong. An eClub account's
    # reply names no username (the spec's example) but says REGISTERED: it has a user.
    if account.account_id is None or not is_registered(account):
        return None
    try:
        return reads.user_of_account(account_id=account.account_id, fresh=fresh)
    except FailureError as error:
        if error.error_code == "account_info.invalid_user":
            return None
        raise


def _primary_card_number(account: AccountInformation) -> str:
    """The number the notes are filed under, from the account with full numbers (read from
    upstream only when the notes themselves are, see ``_panel_reads``)."""
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


def _panel_reads(
    page: GuestPage, sources: Iterable[str], fresh: frozenset[str], scope: int | None
) -> dict[str, Callable[[], Any]]:
    account = page.account
    account_id = page.account_id
    # The header's user read also names the guest's accounts: both start at once, one call.
    user = _Once(lambda: _read_user(account, "user" in fresh))
    # A cached account has its card numbers masked; the notes and isCardCombinable both need
    # the primary card's full number: read the account at most once for both.
    numbered = _Once(lambda: reads.with_card_numbers(account, scope=scope))
    available: dict[str, Callable[[], Any]] = {
        "user": user,
        "accounts": lambda: user_accounts(
            account=account,
            account_id=account_id,
            user=user,
            scope=scope,
            fresh="accounts" in fresh,
            numbered=numbered,
        ),
        "history": lambda: history_page(
            account_id=account_id, query=page.history_query, fresh="history" in fresh
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
            if account.primary_card is not None
            else []
        ),
    }
    return {name: available[name] for name in sources}


def guest_page(
    *,
    viewer: Viewer,
    account_id: int,
    panels: Iterable[str] = PANELS,
    history: HistoryQuery | None = None,
    fresh: Iterable[str] = (),
) -> GuestPage:
    """Load what ``panels`` show for ``viewer``; the reads run concurrently.

    ``fresh`` names sources (``account``, ``user``, ``accounts``, ``history``, ``referrals``,
    ``pending_rewards``, ``notes``) to read past the cache, for a change that is pending.
    Raises as ``guest_account`` does when the account itself cannot be shown. The page as a
    whole waits at most ``GUESTS_PAGE_DEADLINE`` seconds for upstream: the account first, then
    the other reads in what is left (at least ``_PANELS_AT_LEAST``); a panel whose read is
    late says so on its own and the rest of the page is drawn.
    """
    ends = time.monotonic() + settings.GUESTS_PAGE_DEADLINE
    fresh_sources = frozenset(fresh)
    account = guest_account(
        viewer=viewer,
        account_id=account_id,
        fresh="account" in fresh_sources,
        deadline=settings.GUESTS_PAGE_DEADLINE,
    )
    page = GuestPage(
        account_id=account_id, account=account, history_query=history or HistoryQuery()
    )
    sources = {source for panel in panels for source in PANEL_SOURCES[panel]}
    left = max(_PANELS_AT_LEAST, ends - time.monotonic())
    loads = _panel_reads(page, sorted(sources), fresh_sources, scope_of(viewer))
    for name, outcome in run_reads(loads, deadline=left).items():
        setattr(page, name, outcome)
    return page


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
