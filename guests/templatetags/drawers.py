"""The link that opens one of the guest page's rarely used forms (a drawer).

``{% drawer_link account_id drawer panel label key="m" %}``: a real link to the page with the
drawer open, and for htmx the panel redrawn with it (names: ``guests.views.page.DRAWERS``).
Drawn here rather than by an included template: four a page, each with two addresses
(``portal.urlcache``).
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.urlcache import reverse_cached

register = template.Library()


@register.simple_tag
def drawer_link(account_id: int, drawer: str, panel: str, label: str, key: str = "") -> SafeString:
    page = reverse_cached("guests:guest", int(account_id))
    panel_url = reverse_cached("guests:panel", int(account_id), panel)
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
