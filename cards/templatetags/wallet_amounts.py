"""An amount in a wallet's own scale on the adjust screen, as its sentences say it
(``cards.adjustments.amount_words``): ``{% load wallet_amounts %}``, then
``{{ value|in_wallet:wallet }}`` (``$1,234.50``, ``10,223``)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from cards.adjustments import AdjustableWallet, amount_words

register = template.Library()


@register.filter
def in_wallet(value: Decimal, wallet: AdjustableWallet) -> str:
    return amount_words(wallet.kind, value)
