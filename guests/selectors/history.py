"""The history panel: transactions as rows, one column per wallet, a page at a time.

Paytronix has no offset for transaction history, only ``maxNumberOfResults`` (newest first), so
page *n* asks for the newest n*size+1 transactions and shows the last ``size`` of them before
the extra one; the extra one says whether there is a next page.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guests.selectors import reads
from guests.selectors.reads import HistoryFilter
from portal.paytronix.replies import Transaction, TransactionHistory
from portal.recent import Recent
from portal.templatetags import amounts
from portal.urlcache import address_scope, reverse_cached

PAGE_SIZE = 25
#: U+2212, the typographic minus the table puts before what a transaction redeemed.
MINUS = "\N{MINUS SIGN}"
#: Deeper than this, narrow the dates instead (each page re-reads everything before it).
MAX_PAGE = 40


def day_text(day: date) -> str:
    """``day|date:"M j, Y"`` without the template filter (its DateFormat machinery was a tenth
    of the history table): ``Jan 5, 2026``."""
    return _Drawing.now(html=False).date_text(day)


@dataclass(frozen=True, slots=True)
class _Words:
    """What the rows of one drawing say alike, in the language it is drawn in: the months'
    short names and AM/PM (``day_text`` and the ``g:i A`` format's words)."""

    months: tuple[str, ...]
    am: str
    pm: str


#: By language, and whether escaped for HTML: a page's 25 rows translated the same words 75
#: times.
_words: dict[tuple[str, bool], _Words] = {}


@dataclass(frozen=True, slots=True)
class _Drawing:
    """One drawing of rows: its time zone (None: times are drawn as they are) and words."""

    zone: tzinfo | None
    words: _Words

    @classmethod
    def now(cls, *, html: bool = True) -> _Drawing:
        """The current zone and language's; ``html``: the words escaped."""
        key = (get_language() or "", html)
        words = _words.get(key)
        if words is None:
            said = escape_text if html else str
            words = _words[key] = _Words(
                months=("", *(said(MONTHS_3[month].title()) for month in range(1, 13))),
                am=said(_("AM")),
                pm=said(_("PM")),
            )
        return cls(timezone.get_current_timezone() if settings.USE_TZ else None, words)

    def local(self, moment: datetime) -> datetime:
        """What a template's date filter converts ``moment`` to: local time when it is aware."""
        if self.zone is None or moment.utcoffset() is None:
            return moment
        return moment.astimezone(self.zone)

    def date_text(self, moment: date | None) -> str:
        """``moment|date:"M j, Y"`` (a time in this drawing's zone, or a day)."""
        if moment is None:
            return ""
        return f"{self.words.months[moment.month]} {moment.day}, {moment.year:04d}"

    def time_text(self, moment: datetime | None) -> str:
        """``moment|date:"g:i A"`` (``moment`` in this drawing's zone)."""
        if moment is None:
            return ""
        meridiem = self.words.pm if moment.hour > 11 else self.words.am
        return f"{moment.hour % 12 or 12}:{moment.minute:02d} {meridiem}"


@dataclass(frozen=True)
class HistoryQuery:
    """Which part of the history to show."""

    filters: HistoryFilter = field(default_factory=HistoryFilter)
    page: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", min(max(1, self.page), MAX_PAGE))

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the history (a later page alone does not)."""
        return self.filters != HistoryFilter()


@dataclass(frozen=True)
class WalletColumn:
    wallet_code: int
    name: str
    scale: int


@dataclass(frozen=True)
class WalletCell:
    """What one transaction did to one wallet, at the wallet's scale."""

    accrued: Decimal
    redeemed: Decimal
    balance: Decimal

    @property
    def change(self) -> Decimal:
        return self.accrued - self.redeemed

    @cached_property
    def html(self) -> SafeString:
        """The cell's content as the history table draws it (``+accrued``, a minus sign and
        ``redeemed``, over the balance, each as ``|amount`` draws it), built here rather than
        by a dozen template nodes. Figures only: nothing to escape."""
        accrued = f"+{amounts.amount(self.accrued)}" if self.accrued else ""
        redeemed = f" {MINUS}{amounts.amount(self.redeemed)}" if self.redeemed else ""
        return SafeString(
            f'{accrued}{redeemed}<div class="muted">{amounts.amount(self.balance)}</div>'
        )


@dataclass(frozen=True)
class HistoryRow:
    transaction_id: int | None
    occurred_at: datetime | None
    transaction_type: str
    store_name: str
    store_code: str
    check_number: str
    #: One per column, in column order; None where the transaction left that wallet alone.
    cells: list[WalletCell | None]
    #: False for a transaction a guest would not see (not guest-type, or not authorized).
    guest_visible: bool
    #: False when Paytronix did not authorise it (the spec: "If false, do not display this
    #: transaction to the user"); the panel says what that means.
    authorized: bool = True
    #: The transaction's comments (guests:transaction_comments); "" without a transaction id.
    comments_url: str = ""

    @property
    def date_text(self) -> str:
        """``occurred_at|date:"M j, Y"`` in the current time zone, without the template filter
        (a page draws 25 rows; the filter's DateFormat machinery was a tenth of the table)."""
        drawing = _Drawing.now(html=False)
        return drawing.date_text(self._local(drawing))

    @property
    def time_text(self) -> str:
        """``occurred_at|date:"g:i A"`` in the current time zone."""
        drawing = _Drawing.now(html=False)
        return drawing.time_text(self._local(drawing))

    def _local(self, drawing: _Drawing) -> datetime | None:
        return drawing.local(self.occurred_at) if self.occurred_at else None

    def html(self, mark: str = "", drawing: _Drawing | None = None) -> SafeString:
        """The row as the history table draws it; ``mark`` is what the cards app puts under the
        transaction for one of the console's own adjustments (Voided, or a Void button): HTML
        when it is a ``SafeString``, escaped otherwise; ``drawing``: the zone and words shared
        by the rows drawn together. Built here rather than by a template loop (a page is 25
        rows; the loop's nodes and filters were most of a first drawing of the page), with the
        standard library's escaping, which is what Django's ``escape`` does without its
        lazy-string wrapper (a third of the cost); the drawing's words come escaped."""
        drawing = drawing or _Drawing.now()
        moment = self._local(drawing)
        if not self.authorized:
            state = _NOT_AUTHORIZED
        elif not self.guest_visible:
            state = _NOT_SHOWN
        else:
            state = ""
        comments = ""
        if self.transaction_id:
            url, tid = escape_text(self.comments_url), escape_text(str(self.transaction_id))
            comments = (
                f'<div><a class="small-link" href="{url}" hx-get="{url}" '
                f'hx-target="#comments-{tid}" hx-swap="innerHTML">Comments</a></div>'
                f'<div id="comments-{tid}" class="untrusted" aria-live="polite" '
                'tabindex="-1"></div>'
            )
        store = escape_text(self.store_name)
        if self.store_code:
            store += f' <span class="muted">#{escape_text(self.store_code)}</span>'
        cells = "".join(f'<td class="num">{cell.html if cell else ""}</td>' for cell in self.cells)
        return SafeString(
            f"<tr{'' if self.guest_visible else _MUTED_ROW}>"
            f'<td class="nowrap">{drawing.date_text(moment)}'
            f'<div class="muted">{drawing.time_text(moment)}</div></td>'
            f"<td>{escape_text(self.transaction_type)}{state}{comments}{html_or_escaped(mark)}</td>"
            f'<td class="untrusted">{store}</td>'
            f'<td class="mono">{escape_text(self.check_number)}</td>{cells}</tr>'
        )


_NOT_AUTHORIZED = (
    ' <span class="status warning">Not authorized</span><div class="help">Paytronix did not '
    "authorize this transaction. It is kept in the history for reference, and the guest does "
    "not see it.</div>"
)
_MUTED_ROW = ' class="muted"'
_NOT_SHOWN = ' <span class="muted">(not shown to the guest)</span>'


def escape_text(text: str) -> str:
    """Django's ``escape`` (``html.escape`` of the text, quotes included), minus its wrapper."""
    return html.escape(text, quote=True)


def html_or_escaped(value: str) -> str:
    """``value`` as HTML when something marked it safe, escaped otherwise."""
    return value if isinstance(value, SafeString) else escape_text(value)


def rows_html(rows: list[HistoryRow], marks: dict[str, SafeString]) -> SafeString:
    """The history table's rows, each with its mark (by check number) when it has one."""
    drawing = _Drawing.now()
    return SafeString("\n".join(row.html(marks.get(row.check_number, ""), drawing) for row in rows))


@dataclass(frozen=True)
class HistoryPage:
    query: HistoryQuery
    columns: list[WalletColumn]
    rows: list[HistoryRow]
    has_next: bool
    #: More transactions match than paging reaches (``MAX_PAGE``): narrow the dates.
    beyond_last_page: bool = False

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1

    @cached_property
    def fragment_digest(self) -> str:
        """A digest of everything the rows show (their drawn fragment's key takes it instead of
        the rows, ``guests.templatetags.fragments.FragmentKey``: a page made once is digested
        once)."""
        return hashlib.blake2b(repr(self.rows).encode(), digest_size=16).hexdigest()


def comments_url_maker(account_id: int) -> Callable[[int | None], str]:
    """The comments address of a transaction of ``account_id``: reversed once (and kept), then
    filled in per row (a page has 25 rows; ``{% url %}`` per row was a reverse() each)."""
    sentinel = 987654321987654321
    head, tail = reverse_cached("guests:transaction_comments", account_id, sentinel).rsplit(
        str(sentinel), 1
    )
    return lambda transaction_id: "" if transaction_id is None else f"{head}{transaction_id}{tail}"


def _scaled(amount: Decimal | None, scale: int) -> Decimal:
    return (amount or Decimal(0)).quantize(Decimal(1).scaleb(-scale))


def _row(
    item: Transaction, columns: list[WalletColumn], comments_url: Callable[[int | None], str]
) -> HistoryRow:
    details = {d.wallet_code: d for d in item.details}
    cells: list[WalletCell | None] = []
    for column in columns:
        detail = details.get(column.wallet_code)
        cells.append(
            None
            if detail is None
            else WalletCell(
                accrued=_scaled(detail.accrued, column.scale),
                redeemed=_scaled(detail.redeemed, column.scale),
                balance=_scaled(detail.balance, column.scale),
            )
        )
    return HistoryRow(
        transaction_id=item.transaction_id,
        occurred_at=item.occurred_at,
        transaction_type=item.transaction_type or "",
        store_name=item.store_name or item.store_merchant or "",
        store_code=item.store_code or "",
        check_number=item.pos_transaction_number or "",
        cells=cells,
        guest_visible=item.guest_type is not False and item.authorized is not False,
        authorized=item.authorized is not False,
        comments_url=comments_url(item.transaction_id),
    )


def _columns(history: TransactionHistory) -> list[WalletColumn]:
    columns = [
        WalletColumn(
            wallet_code=info.wallet_code,
            name=info.name or f"Wallet {info.wallet_code}",
            scale=max(0, info.scale or 0),
        )
        for info in history.wallet_info
        if info.wallet_code is not None
    ]
    # Paytronix describes every wallet of the program; show only those this history touches.
    used = {d.wallet_code for t in history.transactions for d in t.details}
    return [c for c in columns if c.wallet_code in used] or columns


def history_limit(query: HistoryQuery) -> int:
    """How many transactions the page of ``query`` asks for (one more than it shows: whether
    there is a next page)."""
    return query.page * PAGE_SIZE + 1


def history_page(*, account_id: int, query: HistoryQuery, fresh: bool = False) -> HistoryPage:
    """One page of the account's history, newest first."""
    limit = history_limit(query)
    history = reads.history_of_account(
        account_id=account_id, filters=query.filters, limit=limit, fresh=fresh
    )
    return _made.page(history, account_id, query)


def _page_of(history: TransactionHistory, account_id: int, query: HistoryQuery) -> HistoryPage:
    start = (query.page - 1) * PAGE_SIZE
    columns = _columns(history)
    shown = history.transactions[start : start + PAGE_SIZE]
    comments = comments_url_maker(account_id)
    has_more = len(history.transactions) > start + PAGE_SIZE
    return HistoryPage(
        query=query,
        columns=columns,
        rows=[_row(item, columns, comments) for item in shown],
        has_next=has_more and query.page < MAX_PAGE,
        beyond_last_page=has_more and query.page >= MAX_PAGE,
    )


class _MadePages:
    """The pages last made from a history reply, by the reply itself: the guest cache hands
    out the same decoded reply while its cached text is unchanged, so a warm page reuses its
    rows (and their digest) instead of building 25 rows again. The key holds everything a page
    depends on besides the reply: the account (its comments' addresses), the query, the
    URLconf and script prefix of those addresses, and the time zone its rows' times are shown
    in; the reply is held with its pages, so an entry is never mistaken for another reply's."""

    def __init__(self, size: int) -> None:
        self._made: Recent[tuple[Any, ...], tuple[TransactionHistory, HistoryPage]] = Recent(size)

    def page(
        self, history: TransactionHistory, account_id: int, query: HistoryQuery
    ) -> HistoryPage:
        key = (
            id(history),
            account_id,
            query,
            address_scope(),
            timezone.get_current_timezone_name(),
        )
        found = self._made.get(key)
        if found is not None and found[0] is history:
            return found[1]
        made = _page_of(history, account_id, query)
        self._made.put(key, (history, made))
        return made


_made = _MadePages(64)


def history_rows(
    *, account_id: int, filters: HistoryFilter, limit: int
) -> tuple[list[WalletColumn], list[HistoryRow], bool]:
    """The newest ``limit`` transactions matching ``filters`` as rows with their wallet
    columns, and whether older ones match too (one request, ``limit`` + 1 asked for)."""
    history = reads.history_of_account(account_id=account_id, filters=filters, limit=limit + 1)
    columns = _columns(history)
    comments = comments_url_maker(account_id)
    rows = [_row(item, columns, comments) for item in history.transactions[:limit]]
    return columns, rows, len(history.transactions) > limit
