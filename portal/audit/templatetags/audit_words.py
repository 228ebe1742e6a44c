"""The audit screens in words: an action's label (``access.denied`` is "Access denied") and a
record's parameters as label and value (not a Python dict)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import template

from portal.audit.actions import action_label

register = template.Library()

#: Names whose words are not just their spelling split (wire names, the door's own).
_LABELS = {
    "printedCardNumber": "Card",
    # changeCardStatus's: the status asked for, which a failed change's card does not have.
    "status": "Status asked for",
    "otherPrintedCardNumber": "Card to attach",
    "otherRegistrationCode": "Registration code",
    "otherUsername": "Owner's username",
    "otherPassword": "Owner's password",
    "account_id": "Account",
    "accountId": "Account",
    "card_hash": "Card",
    "missing": "Missing permissions",
    "path": "Page",
    "before": "Older than record",
    "after": "Newer than record",
    "reads": "Reading rows",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    words = _CAMEL.sub(" ", name).replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:]


def _text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, Mapping):
        if "masked" in value and set(value) <= {"masked", "hash"}:
            # A card number (its last six digits) or a guest's email or username, masked.
            masked = str(value.get("masked") or "")
            if not masked or masked.isdigit():
                return f"card ending {masked}" if masked else "a card"
            return masked
        if not value:
            return "none"
        return "; ".join(f"{_label(str(k)).lower()} {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value) or "none"
    return str(value)


@register.filter
def action_words(name: str) -> str:
    """``access.denied`` → "Access denied"; an unknown name as it is."""
    return action_label(str(name or ""))


@register.filter
def readable(params: Any) -> list[tuple[str, str]]:
    """A record's parameters (or upstream detail) as (label, value) pairs in words."""
    if not isinstance(params, Mapping):
        return [] if params in (None, "") else [("Value", _text(params))]
    return [(_label(str(name)), _text(value)) for name, value in params.items()]
