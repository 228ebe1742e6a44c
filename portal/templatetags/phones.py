"""How the console shows a phone number: a North American one as (617) 555-0142, any other as
upstream keeps it (the console stores digits only)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def phone(value: object) -> str:
    """``6175550142`` as ``(617) 555-0142`` and ``16175550142`` as ``+1 (617) 555-0142``;
    anything else (another country's number, a value not all digits) as it is."""
    text = "" if value is None else str(value)
    digits = text[1:] if len(text) == 11 and text.startswith("1") else text
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return text
    shown = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return f"+1 {shown}" if digits is not text else shown
