"""The guest page's busiest tables drawn in Python: the history's rows
(``guests.selectors.history.rows_html``) and the balances' rows
(``guests.selectors.page.wallet_rows_html``). A page is 25 history rows; drawn by a template
loop, their nodes and filters were most of a first drawing of the page.

``{% history_rows rows marks %}``: ``marks`` maps a row's check number to the HTML the cards
app draws under one of the console's own adjustments (``{% adjustment_mark_cells %}``).
``{% wallet_rows wallets links %}``: ``links`` maps a wallet code to the cards app's Adjust
button (``{% wallet_adjust_links %}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.safestring import SafeString

from guests.selectors.history import HistoryRow, rows_html
from guests.selectors.page import Wallet, wallet_rows_html

register = template.Library()


@register.simple_tag
def history_rows(rows: list[HistoryRow], marks: dict[str, SafeString] | None) -> SafeString:
    return rows_html(rows, marks or {})


@register.simple_tag
def wallet_rows(wallets: list[Wallet], links: Mapping[int, SafeString] | None) -> SafeString:
    return wallet_rows_html(wallets, links or {})
