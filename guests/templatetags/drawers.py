"""The link that opens one of the guest page's rarely used forms (a drawer).

``{% drawer_link account_id drawer panel label key="m" %}``: a real link to the page with the
drawer open, and for htmx the panel redrawn with it (names: ``guests.views.page.DRAWERS``).
Drawn here rather than by an included template: four a page, each two ``{% url %}`` lookups.
"""

from __future__ import annotations

import functools

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _addresses(prefix: str, account_id: int, panel: str) -> tuple[str, str]:
    """The page's and the panel's address (``prefix``: the script prefix they were made under)."""
    return (
        reverse("guests:guest", args=[account_id]),
        reverse("guests:panel", args=[account_id, panel]),
    )


@register.simple_tag
def drawer_link(account_id: int, drawer: str, panel: str, label: str, key: str = "") -> SafeString:
    page, panel_url = _addresses(get_script_prefix(), int(account_id), panel)
    shortcut = format_html(' data-shortcut="{0}" aria-keyshortcuts="{0}"', key) if key else ""
    return format_html(
        '<p class="drawer-link"><a class="button" href="{}?open={}#panel-{}" hx-get="{}?open={}"'
        ' hx-target="#panel-{}" hx-swap="outerHTML"{}>{}</a></p>',
        page,
        drawer,
        panel,
        panel_url,
        drawer,
        panel,
        shortcut,
        label,
    )
