"""``reverse()``, remembered: the addresses a page draws on every view (the navigation, a
guest's panels and drawers) are worked out once per process, not once per link per request.

An address depends only on the URLconf, the script prefix and the view's name and arguments,
all of which are in the key, so a remembered one is always the one ``reverse`` would give.
Templates use ``{% url_cached 'name' arg ... %}`` (``portal/templatetags/addresses.py``) where
they would write ``{% url %}``; it takes positional arguments only, and ``as var``.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

#: Addresses kept (a guest's page draws about twenty of its own).
_KEPT = 8192


@functools.lru_cache(maxsize=_KEPT)
def _reversed(urlconf: str, prefix: str, viewname: str, args: tuple[int | str, ...]) -> str:
    return reverse(viewname, urlconf=urlconf, args=list(args))


def address_scope() -> tuple[str, str]:
    """What an address depends on besides the view and its arguments: this thread's URLconf
    and script prefix (part of the key of anything kept that holds addresses)."""
    return str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix()


def reverse_cached(viewname: str, *args: int | str) -> str:
    """``reverse(viewname, args=args)``, worked out once per distinct address."""
    return _reversed(*address_scope(), viewname, args)
