"""Parts of the guest page drawn once per distinct content.

``{% fragment_key account_id rows marks as key %}`` is a digest of
everything a fragment's HTML depends on (passed as plain values, with the time zone, language
and day it is drawn in); ``{% signed_fragment key %}…{% endsigned_fragment %}`` draws its body
once per key and keeps it in the guests' cache for ``FRAGMENT_SECONDS`` (written once the
response is sent: ``portal.requestscope.after_response``). The key is the content
itself (not the guest's cache version), and a digest of the code that draws it, so a fragment
can never outlive what it shows nor the code that drew it (a deploy); the stored HTML is
signed, so a value planted in the cache is never put on the page (it is drawn afresh
instead).

On a page read from the cache alone (``page.data_digest``: see below), each process also keeps
what it drew or read in memory, by its key: the next view of the same data asks the cache
server nothing. A page read from upstream (``page.read_upstream``: a guest nobody looked at
lately, or one just changed) draws its fragments without asking the cache first, and stores
them for the views after it: a lookup then nearly always misses (the guest's reads are cached
for less time than its fragments), it costs a round trip to the cache server on the page's
last stretch, and drawing a fragment costs about as much as that round trip. What a process
keeps in memory is bounded in size (``_drawn``).

``{% page_fragment "name" %}…{% endpage_fragment %}`` draws a part that shows the page's data
and nothing else (no form, no link that depends on who looks, no pending change) once per
``page.data_digest`` (which names everything a page read from the cache shows: see
``guests.selectors.load``), time zone, language and day, kept in this process's memory. A page
without a digest (read from upstream, or with a failed source) draws it every time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import caches
from django.core.signing import BadSignature, Signer
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from portal.recent import Recent
from portal.requestscope import after_response

register = template.Library()

#: How long drawn rows are kept; any length is correct (the key is the content), this one
#: bounds the cache's memory.
FRAGMENT_SECONDS = 300

#: The fragments this process drew or read last, by key (a key names its content), within
#: 8 MB (a string's own size: one character beyond U+FFFF makes every one take 4 bytes).
_drawn: Recent[str, SafeString] = Recent(2048, budget=8 * 1024 * 1024, weigh=sys.getsizeof)


def forget() -> None:
    """Forget the fragments this process keeps in memory (tests)."""
    _drawn.clear()


#: Where the code that draws the fragments lives (templates, tags, the selectors that make
#: rows' HTML, the labels and sentences they say).
_DRAWN_BY = ("templates", "guests", "cards", "portal")


def installed() -> list[str]:
    """The Python and the installed distributions, as ``name==version`` (Django's template
    engine, its escaping and formats draw the fragments too: an upgrade may change them)."""
    found = {
        f"{dist.metadata['Name']}=={dist.version}".lower()
        for dist in importlib.metadata.distributions()
    }
    return [f"python=={platform.python_version()}", *sorted(found)]


def code_version(roots: tuple[Path, ...], packages: list[str] | None = None) -> str:
    """A digest of the templates and Python modules under ``roots``, names and contents, and
    of ``packages`` (``installed()``)."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update("\n".join(packages or ()).encode() + b"\0")
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html") and path.is_file():
                digest.update(str(path.relative_to(root.parent)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def drawn_by() -> str:
    """The code that draws fragments, as this process loaded it (30 to 60 ms, once; a web
    worker inherits it from gunicorn's master, ``portal.warmup``): part of every fragment's
    key, so that after a deploy that changes how a fragment is drawn, HTML the code before it
    drew and stored is never served (it would be for ``FRAGMENT_SECONDS``). An upgrade of
    Python or of an installed package changes it too."""
    roots = tuple(Path(settings.BASE_DIR) / name for name in _DRAWN_BY)
    return code_version(roots, installed())


class FragmentKey:
    """What ``{% fragment_key %}`` gives: the digest of what a fragment shows, worked out when
    first asked for (``str``). A page read from upstream draws its fragments without looking
    them up and stores them once the page is sent: their keys are digested then, not while the
    guest waits. A part with a ``fragment_digest`` (``HistoryPage``: its rows') is digested by
    it, worked out once for the object (a page read from the cache is made once)."""

    __slots__ = ("_shown", "_text")

    def __init__(self, shown: tuple[Any, ...]) -> None:
        # The zone, language and day it is drawn in, as they are now (not once the page is
        # sent), and the code that draws it.
        self._shown: tuple[Any, ...] | None = (
            shown,
            timezone.get_current_timezone_name(),
            get_language(),
            timezone.localdate(),
            drawn_by(),
        )
        self._text = ""

    def __str__(self) -> str:
        if self._shown is not None:
            parts, *where = self._shown
            digested = tuple(getattr(part, "fragment_digest", part) for part in parts)
            self._text = _digest_text(repr((digested, *where)))
            self._shown = None
        return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FragmentKey) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"FragmentKey({self})"


@register.simple_tag
def fragment_key(*shown: Any) -> FragmentKey:
    """The digest of what a fragment depends on (``shown``: its data, the viewer's rights on
    it, as plain values), and of the time zone, language and day it is drawn in (an
    expiration is said as past from the day after its date)."""
    return FragmentKey(shown)


def _digest(shown: Any) -> str:
    return str(FragmentKey((shown,)))


def _digest_text(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class SignedFragmentNode(template.Node):
    def __init__(self, nodelist: NodeList, key: FilterExpression) -> None:
        self.nodelist = nodelist
        self.key = key

    def render(self, context: template.Context) -> str:
        key = self.key.resolve(context)
        page = context.get("page")
        if getattr(page, "read_upstream", False):
            # Just read from Paytronix: most likely never drawn (see the module's docstring).
            # The key is digested once the page is sent, when the fragment is stored.
            drawn: SafeString = self.nodelist.render(context)
            after_response(lambda: _store(f"guests:fragment:{key}", drawn))
            return drawn
        cache_key = f"guests:fragment:{key}"
        # Kept in memory for a page read from the cache alone.
        memo_key = cache_key if getattr(page, "data_digest", "") else ""
        kept = _drawn.get(memo_key) if memo_key else None
        if kept is not None:
            return kept
        html = self._stored_or_drawn(cache_key, context)
        if memo_key:
            _drawn.put(memo_key, html)
        return html

    def _stored_or_drawn(self, cache_key: str, context: template.Context) -> SafeString:
        """The HTML this node drew under ``cache_key``, from the guests' cache, or drawn now
        (and stored once the page is sent: the CSR does not wait for it)."""
        stored = caches["guests"].get(cache_key)
        if isinstance(stored, str):
            with suppress(BadSignature):
                # Signed by this node: only HTML it drew itself is ever served back.
                return mark_safe(_signer(cache_key).unsign(stored))  # noqa: S308
        return self._draw_and_store(cache_key, context)

    def _draw_and_store(self, cache_key: str, context: template.Context) -> SafeString:
        """The body drawn now, stored under ``cache_key`` once the page is sent (the CSR does
        not wait for it)."""
        drawn: SafeString = self.nodelist.render(context)
        after_response(lambda: _store(cache_key, drawn))
        return drawn


def _signer(cache_key: str) -> Signer:
    """Signed for its key: HTML drawn for another key (another guest, another viewer's rights)
    copied under this one is not served either."""
    return Signer(salt=f"guests.fragments:{cache_key}")


def _store(cache_key: str, drawn: SafeString) -> None:
    caches["guests"].set(cache_key, _signer(cache_key).sign(drawn), timeout=FRAGMENT_SECONDS)


@register.tag
def signed_fragment(parser: Parser, token: Token) -> SignedFragmentNode:
    """``{% signed_fragment key %}…{% endsigned_fragment %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("signed_fragment takes one argument: the key")
    nodelist = parser.parse(("endsigned_fragment",))
    parser.delete_first_token()
    return SignedFragmentNode(nodelist, parser.compile_filter(bits[1]))


class PageFragmentNode(template.Node):
    def __init__(self, nodelist: NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> str:
        page = context.get("page")
        digest = getattr(page, "data_digest", "")
        if not digest:
            return self.nodelist.render(context)
        key = f"page:{self.name}:{_digest(digest)}"
        kept = _drawn.get(key)
        if kept is None:
            kept = self.nodelist.render(context)
            _drawn.put(key, kept)
        return kept


@register.tag
def page_fragment(parser: Parser, token: Token) -> PageFragmentNode:
    """``{% page_fragment "name" %}…{% endpage_fragment %}``: a part showing only the page's
    data (``name`` tells the parts apart)."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("page_fragment takes one argument: a quoted name")
    nodelist = parser.parse(("endpage_fragment",))
    parser.delete_first_token()
    return PageFragmentNode(nodelist, bits[1][1:-1])
