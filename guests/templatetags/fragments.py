"""Parts of the guest page drawn once per distinct content: the history's rows, the balances.

``{% fragment_key account_id rows marks as key %}`` is a digest of
everything a fragment's HTML depends on (passed as plain values, with the time zone, language
and day it is drawn in); ``{% signed_fragment key %}…{% endsigned_fragment %}`` draws its body
once per key and keeps it in the guests' cache for ``FRAGMENT_SECONDS`` (written once the
response is sent: ``portal.requestscope.after_response``). The key is the content
itself (not the guest's cache version), so a fragment can never outlive what it shows; the
stored HTML is signed, so a value planted in the cache is never put on the page (it is drawn
afresh instead).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.core.cache import caches
from django.core.signing import BadSignature, Signer
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from portal.requestscope import after_response

register = template.Library()

#: How long drawn rows are kept; any length is correct (the key is the content), this one
#: bounds the cache's memory.
FRAGMENT_SECONDS = 300


@register.simple_tag
def fragment_key(*shown: Any) -> str:
    """The digest of what a fragment depends on (``shown``: its data, the viewer's rights on
    it, as plain values), and of the time zone, language and day it is drawn in (an
    expiration is said as past from the day after its date)."""
    text = repr((shown, timezone.get_current_timezone_name(), get_language(), timezone.localdate()))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class SignedFragmentNode(template.Node):
    def __init__(self, nodelist: NodeList, key: FilterExpression) -> None:
        self.nodelist = nodelist
        self.key = key

    def render(self, context: template.Context) -> str:
        cache_key = f"guests:fragment:{self.key.resolve(context)}"
        # Signed for its key: HTML drawn for another key (another guest, another viewer's
        # rights) copied under this one is not served either.
        signer = Signer(salt=f"guests.fragments:{cache_key}")
        cache = caches["guests"]
        stored = cache.get(cache_key)
        if isinstance(stored, str):
            try:
                # Signed by this node: only HTML it drew itself is ever served back.
                return mark_safe(signer.unsign(stored))  # noqa: S308
            except BadSignature:
                pass
        drawn: SafeString = self.nodelist.render(context)
        # Kept once the page is sent: the CSR does not wait for it.
        after_response(lambda: cache.set(cache_key, signer.sign(drawn), timeout=FRAGMENT_SECONDS))
        return drawn


@register.tag
def signed_fragment(parser: Parser, token: Token) -> SignedFragmentNode:
    """``{% signed_fragment key %}…{% endsigned_fragment %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("signed_fragment takes one argument: the key")
    nodelist = parser.parse(("endsigned_fragment",))
    parser.delete_first_token()
    return SignedFragmentNode(nodelist, parser.compile_filter(bits[1]))
