"""The history table draws its dates, numbers and comment links in Python (one page is 25 rows):
each must come out exactly as the template tags and filters it replaces would draw it. Its rows
are drawn once per distinct content (a signed fragment in the guests' cache)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from guests.selectors.history import HistoryRow, WalletCell, comments_url_maker
from guests.templatetags.fragments import fragment_key

_TEMPLATE = engines["django"].from_string(
    "{% load amounts %}"
    '{{ when|date:"M j, Y" }}|{{ when|date:"g:i A" }}|'
    "{% if cell.accrued %}+{{ cell.accrued|amount }}{% endif %}"
    "{% if cell.redeemed %} \N{MINUS SIGN}{{ cell.redeemed|amount }}{% endif %}"
    '<div class="muted">{{ cell.balance|amount }}</div>'
)


def _row(when: datetime | None) -> HistoryRow:
    return HistoryRow(
        transaction_id=7,
        occurred_at=when,
        transaction_type="POS Sale",
        store_name="Main St",
        store_code="12",
        check_number="A-1",
        cells=[],
        guest_visible=True,
    )


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 1, 5, 0, 7, tzinfo=UTC),  # midnight: 12 AM, and the day before in New York
        datetime(2026, 6, 30, 12, 0, tzinfo=UTC),  # noon: 12 PM
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(987, 3, 1, 9, 5, tzinfo=UTC),  # a four-digit year with a leading zero
        datetime(2026, 9, 14, 15, 30),  # noqa: DTZ001 (naive: drawn as it is)
        None,
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_dates_and_cells_are_drawn_as_the_filters_drew_them(
    when: datetime | None, zone: str
) -> None:
    cell = WalletCell(accrued=Decimal("12.50"), redeemed=Decimal("3.00"), balance=Decimal("-0.75"))
    with timezone.override(zone):
        row = _row(when)
        expected = _TEMPLATE.render({"when": when, "cell": cell})
        assert f"{row.date_text}|{row.time_text}|{cell.html}" == expected


@pytest.mark.parametrize(
    ("accrued", "redeemed", "balance"),
    [
        (Decimal(0), Decimal(0), Decimal(0)),
        (Decimal(5), Decimal(0), Decimal(1205)),
        (Decimal(0), Decimal(40), Decimal("-40")),
        (Decimal("0.00"), Decimal("0.10"), Decimal("1234567.89")),
        (Decimal("0.0000001"), Decimal(0), Decimal("0E-7")),  # str() would say 1E-7
    ],
)
def test_cells_match_the_template_for_every_scale(
    accrued: Decimal, redeemed: Decimal, balance: Decimal
) -> None:
    cell = WalletCell(accrued=accrued, redeemed=redeemed, balance=balance)
    assert cell.html == _TEMPLATE.render({"when": None, "cell": cell}).removeprefix("||")


def test_the_comments_address_is_reversed_once_and_filled_in_per_row() -> None:
    url_of = comments_url_maker(9000001)
    for transaction_id in (1, 420, 900001, 9000001):
        assert url_of(transaction_id) == reverse(
            "guests:transaction_comments", args=[9000001, transaction_id]
        )
    assert url_of(None) == ""


_FRAGMENT = engines["django"].from_string(
    "{% load fragments %}{% signed_fragment key %}<b>{{ text }}</b>{% endsigned_fragment %}"
)


def test_a_fragment_is_drawn_once_per_key_and_a_planted_one_is_never_shown() -> None:
    caches["guests"].clear()
    assert _FRAGMENT.render({"key": "k1", "text": "first"}) == "<b>first</b>"
    # Same key: the drawn HTML again, the body not drawn (the key is the content).
    assert _FRAGMENT.render({"key": "k1", "text": "other"}) == "<b>first</b>"
    assert _FRAGMENT.render({"key": "k2", "text": "<i>"}) == "<b>&lt;i&gt;</b>"
    # Something else written under the key (unsigned, or signed by another salt) is drawn over.
    caches["guests"].set("guests:fragment:k3", "<script>alert(1)</script>")
    assert _FRAGMENT.render({"key": "k3", "text": "fresh"}) == "<b>fresh</b>"
    assert _FRAGMENT.render({"key": "k3", "text": "again"}) == "<b>fresh</b>"
    # A real fragment copied under another key (another guest's, another viewer's rights) is
    # drawn over too: each is signed for its own key.
    caches["guests"].set("guests:fragment:k4", caches["guests"].get("guests:fragment:k1"))
    assert _FRAGMENT.render({"key": "k4", "text": "mine"}) == "<b>mine</b>"


def test_the_rows_key_changes_with_everything_the_rows_show() -> None:
    rows = [_row(datetime(2026, 1, 5, 0, 7, tzinfo=UTC))]
    # What marks_state gives: (reference, intent, voided, applied, may the viewer void it).
    offered = (("A-1", 3, False, True, True),)
    base = fragment_key(1, rows, ())
    assert fragment_key(1, list(rows), ()) == base
    variants = {
        fragment_key(2, rows, ()),
        fragment_key(1, [replace(rows[0], store_name="Elm St")], ()),
        fragment_key(1, rows, offered),
        fragment_key(1, rows, (("A-1", 3, False, True, False),)),
        fragment_key(1, rows, (("A-1", 3, True, True, True),)),
    }
    with timezone.override("America/New_York"):
        variants.add(fragment_key(1, rows, ()))
    with translation.override("fr"):
        variants.add(fragment_key(1, rows, ()))
    assert base not in variants
    assert len(variants) == 7
