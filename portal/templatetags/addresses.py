"""``{% url_cached 'guests:panel' account_id 'notes' %}``: ``{% url %}`` worked out once per
distinct address (``portal.urlcache``), for links drawn on every view of a busy page."""

from __future__ import annotations

from django import template

from portal.urlcache import reverse_cached

register = template.Library()


@register.simple_tag
def url_cached(viewname: str, *args: int | str) -> str:
    return reverse_cached(viewname, *args)
