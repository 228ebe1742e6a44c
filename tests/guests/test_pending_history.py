"""The wallet adjustment's pending check (``history_reference``) when upstream's history may not
carry the console's reference: it answers what the page can tell, and no more."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from guests import pending
from guests.selectors.fanout import ReadResult
from guests.selectors.history import HistoryPage, HistoryQuery, HistoryRow
from guests.selectors.page import GuestPage
from guests.selectors.reads import HistoryFilter
from portal.paytronix.replies import AccountInformation
from portal.requestscope import request_scope

ACCOUNT = 7001
OURS = "LD-0123456789abcdef01234567"
SENT = time.time()


def _row(check_number: str, occurred_at: datetime | None) -> HistoryRow:
    return HistoryRow(
        transaction_id=1,
        occurred_at=occurred_at,
        transaction_type="Administrative Add",
        store_name="",
        store_code="",
        check_number=check_number,
        cells=[],
        guest_visible=False,
    )


def _ago(seconds: float) -> datetime:
    return datetime.fromtimestamp(SENT - seconds, tz=UTC)


def _settle(*rows: HistoryRow, query: HistoryQuery | None = None) -> pending.PanelChanges:
    change = pending.PendingChange(
        action="wallet.adjust",
        panel="wallets",
        sources=("history",),
        check="history_reference",
        expected=OURS,
        summary="Points adjusted by +25",
        started=SENT,
    )
    history = HistoryPage(
        query=query or HistoryQuery(), columns=[], rows=list(rows), has_next=False
    )
    page = GuestPage(
        account_id=ACCOUNT, account=AccountInformation(), history=ReadResult(value=history)
    )
    with request_scope():
        pending.pending_add(account_id=ACCOUNT, change=change)
        return pending.pending_settle(page=page, panels=["wallets"])["wallets"]


@pytest.fixture(autouse=True)
def _timing(settings: Any) -> None:
    """The change is not overdue however slow the run, and the slack before it was stamped
    is the timeouts' 13 s plus the minute clocks may differ by."""
    settings.GUESTS_PENDING_SECONDS = 3600
    settings.PAYTRONIX_CONNECT_TIMEOUT = 3
    settings.PAYTRONIX_READ_TIMEOUT = 10


def test_a_transaction_carrying_the_reference_is_the_adjustment_showing() -> None:
    assert _settle(_row("4821", _ago(-5)), _row(OURS, _ago(2))).applied


def test_newer_transactions_without_any_console_reference_leave_it_unreported() -> None:
    # Upstream dated a transaction since (70 s before the change was stamped: within the
    # call's 13 s and the minute clocks may differ by) and
    # none carries an LD- reference: the page cannot tell; it says so and stops waiting.
    changes = _settle(_row("4821", _ago(70)), _row("17", _ago(400)))
    assert [c.expected for c in changes.unreported] == [OURS]
    assert (changes.waiting, changes.applied, changes.overdue) == ([], [], [])


def test_nothing_newer_than_the_adjustment_is_not_yet() -> None:
    # 80 s before the change was stamped: before the adjustment was sent.
    changes = _settle(_row("4821", _ago(80)), _row("", _ago(3600)))
    assert changes.waiting
    assert not changes.unreported


def test_a_console_reference_not_ours_shows_upstream_keeps_them_so_ours_is_not_yet() -> None:
    older = _row("LD-ffffffffffffffffffffffff", _ago(86400))
    changes = _settle(_row("4821", _ago(-5)), older)
    assert changes.waiting
    assert not changes.unreported


def test_a_filtered_history_cannot_tell() -> None:
    filtered = HistoryQuery(filters=HistoryFilter(date_start=_ago(0).date()))
    assert _settle(_row("4821", _ago(-5)), query=filtered).waiting
    assert _settle(_row("4821", _ago(-5)), query=HistoryQuery(page=2)).waiting
    # Ours on it is still ours.
    assert _settle(_row(OURS, _ago(-5)), query=filtered).applied


def test_a_transaction_that_cannot_be_dated_may_be_the_adjustment() -> None:
    naive = datetime.now() - timedelta(days=30)  # noqa: DTZ005  (the point: no zone)
    assert _settle(_row("4821", naive)).unreported
    assert _settle(_row("4821", None)).unreported
    # A console reference still shows upstream keeps them.
    assert _settle(_row("4821", None), _row("LD-ffffffffffffffffffffffff", naive)).waiting
