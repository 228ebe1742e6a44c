"""What may be written into an audit record: secrets removed, card numbers masked and hashed.

A full card number never reaches a record. It is kept as its last six digits (as Paytronix masks
it) and an HMAC-SHA256 under ``settings.AUDIT_HASH_KEY``, so an exact search works without the
number being stored. Passwords, registration codes and other secrets are replaced by a marker
saying only that one was given.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

SECRET_GIVEN = "(given)"  # noqa: S105  (a marker replacing a secret, not one)
_SECRET_WORDS = ("password", "passwd", "secret", "registrationcode", "regcode", "apikey")
_SECRET_SUFFIXES = ("token", "pin")
_CARD_WORDS = ("cardnumber", "cardnumbers")
# Ten or more digits (eClub cards have 10 or 11; the client's ``mask_digits`` uses the same
# bound), optionally split by spaces or dashes as typed, standing alone: a card number in free
# text, not a run of digits inside a hash or an identifier. ``mask_digits`` is not reused: it
# misses a number typed in groups, and masks to four digits where the audit keeps Paytronix's six.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){9,}(?![0-9A-Za-z])")
_MAX_TEXT = 2000


def card_normalize(number: str) -> str:
    """The digits of a card number as typed (spaces and dashes dropped)."""
    return re.sub(r"[\s-]", "", number or "")


def card_mask(number: str) -> str:
    """The last six digits, as Paytronix's ``maskedCardNumber``."""
    return card_normalize(number)[-6:]


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``settings.AUDIT_HASH_KEY``: the same text always gives the
    same value, and nobody without the key can test a guess against it."""
    key = settings.AUDIT_HASH_KEY.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def email_mask(email: str) -> str:
    """An email address as records and lists show it: ``a***@example.com`` (its first
    character and its domain), as the logs mask it; empty for no address."""
    local, at, domain = (email or "").strip().partition("@")
    if not at or not local or not domain:
        return ""
    return f"{local[0]}***@{domain}"


def card_hash(number: str) -> str:
    """Keyed hash of the full number: the same card always gives the same value."""
    digits = card_normalize(number)
    return keyed_hash(digits) if digits else ""


def _key_kind(key: str) -> str:
    folded = re.sub(r"[^a-z]", "", key.lower())
    if folded.endswith(_CARD_WORDS):
        return "card"
    if any(word in folded for word in _SECRET_WORDS) or folded.endswith(_SECRET_SUFFIXES):
        return "secret"
    return "plain"


def _card_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_card_value(item) for item in value]
    if value in (None, ""):
        return value
    if isinstance(value, Mapping):
        # Scrubbed already (a reply's detail is scrubbed when read, and again as it is
        # recorded): kept as it is, never masked a second time as text.
        return params_scrub(value)
    number = str(value)
    return {"masked": card_mask(number), "hash": card_hash(number)}


def text_scrub(text: str) -> str:
    """Mask any card-number-like run of digits in free text to its last six digits."""
    text = _LONG_NUMBER.sub(lambda m: "…" + card_mask(m.group()), text)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _value_scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return params_scrub(value)
    if isinstance(value, list | tuple):
        return [_value_scrub(item) for item in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return text_scrub(str(value))


def params_scrub(params: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of ``params`` fit for an audit record, a log line or a job row."""
    clean: dict[str, Any] = {}
    for key, value in params.items():
        kind = _key_kind(str(key))
        if kind == "secret":
            if value not in (None, ""):
                clean[str(key)] = SECRET_GIVEN
        elif kind == "card":
            clean[str(key)] = _card_value(value)
        else:
            clean[str(key)] = _value_scrub(value)
    return clean
