"""``{{ code|program_name:account }}``: a program (card template) by its name, not its code."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def program_name(code: int | None, account: Any = None) -> str:
    """The name of program ``code``: the one settings give (``GUESTS_PROGRAM_NAMES``), else the
    label upstream gave ``account`` (an ``AccountInformation``) when it is of that program,
    else ``program <code>``."""
    if code is None:
        return "program not given"
    named = settings.GUESTS_PROGRAM_NAMES.get(code)
    if named:
        return str(named)
    if account is not None and getattr(account, "card_template_code", None) == code:
        label = getattr(account, "card_template_label", None)
        if label:
            return str(label)
    return f"program {code}"
