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
    # A change's old and new value (a role), or the records a page of the log was before or
    # after.
    "before": "Before",
    "after": "After",
    "reads": "Reading rows",
    "action": "Change asked for",
    # An adjustment is made at no store: this is the guest's, by which the report groups it.
    "store_code": "Guest's enrollment store (for the report)",
    "activity_type": "Direction",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

#: What a change did, first (the audit list shows a record's first few): the amount and its
#: direction before the wallet's code, the status asked for before the card it was sent by.
_FIRST = (
    "summary",
    "quantity",
    "activity_type",
    "wallet_name",
    "amount",
    "status",
    "otherPrintedCardNumber",
    "newPrintedCardNumber",
    "changes",
    "preference",
    "language_code",
    "main_account_id",
    "action",
)


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
        if set(value) == {"before", "after"}:
            # One field's change (a guest's details): what it was, then what it became.
            return f"{_text(value['before'])} → {_text(value['after'])}"
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
    first = {name: place for place, name in enumerate(_FIRST)}
    ordered = sorted(params.items(), key=lambda item: first.get(str(item[0]), len(first)))
    return [(_label(str(name)), _value_text(str(name), value)) for name, value in ordered]


#: An adjustment's activity type (the Transaction Service's codes), in words.
_ACTIVITIES = {
    "ADD": "add",
    "REDEEM": "take away",
    "VOID_ADD": "void of an addition",
    "VOID_REDEEM": "void of a taking away",
}


def _value_text(name: str, value: Any) -> str:
    # A request's or a decision's ``action`` is the change asked for, said in words.
    if name == "action" and isinstance(value, str):
        return action_label(value)
    if name == "activity_type" and isinstance(value, str):
        return _ACTIVITIES.get(value, value)
    return _text(value)
