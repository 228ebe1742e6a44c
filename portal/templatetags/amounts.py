"""One way to show a balance or an amount on every screen: thousands grouped, the figure's own
decimals kept (``10223`` → ``10,223``, ``12.50`` → ``12.50``), as the services' sentences say
them (``cards.adjustments.amount_words``, which adds a wallet's scale and dollar sign).
``{% load amounts %}``, then ``{{ value|amount }}``. An account id or a check number is not an
amount: never pass one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def amount(value: Any) -> Any:
    """``value`` grouped by thousands; anything that is not a number comes back unchanged."""
    if value is None or isinstance(value, bool):
        return value
    if type(value) is int:
        return f"{value:,}"
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return value
    if not number.is_finite():
        return value
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        number = number.quantize(Decimal(1))
    return f"{number:,}"
