"""The Adjust button beside each balance the viewer may adjust, for the guests' balances table.

``{% wallet_adjust_links account_id wallets can.adjust_wallets as links %}``: wallet code →
the button's HTML (htmx opens the form in the panel's drawer; the address works without it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from guests.selectors.page import CHARGE_GROUP
from portal.urlcache import reverse_cached

register = template.Library()


@register.simple_tag
def wallet_adjust_links(
    account_id: int, wallets: Iterable[Any], may_adjust: bool
) -> dict[int, SafeString]:
    if not may_adjust:
        return {}
    page = reverse_cached("guests:guest", account_id)
    links = {}
    for wallet in wallets:
        if wallet.wallet_code is None or wallet.group == CHARGE_GROUP:
            continue
        url = reverse_cached("cards:wallet_adjust", account_id, wallet.wallet_code)
        links[wallet.wallet_code] = format_html(
            ' <a class="button small" href="{0}" hx-get="{0}" hx-target="#adjust-drawer"'
            ' hx-swap="innerHTML" hx-push-url="{1}?open=adjust-{2}#panel-wallets">Adjust'
            '<span class="visually-hidden"> {3}</span></a>',
            url,
            page,
            wallet.wallet_code,
            wallet.name,
        )
    return links
