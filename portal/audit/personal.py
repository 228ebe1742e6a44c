"""A guest's personal data as the audit log may keep it: masked, never in full.

The audit log is append-only, so it must not become a store of what a privacy deletion
removes (DESIGN.md "Personal data in the audit log"). A record of a profile change names the
fields it touched and holds each value masked (an email as ``j***@example.com``, a phone as its
last four digits, a name or street as its first letter), and one keyed digest of all the new
values together: enough for the settle function to tell, by reading the guest back, whether
upstream applied the change, and useless for reading any one value back (each guess would have
to be right about every field at once, and needs the key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings

EMPTY = "(empty)"
PHONE_FIELDS = frozenset({"phone", "mobilePhone", "fax"})
_DATE_FIELDS = frozenset({"dateOfBirth", "anniversaryDate"})
#: Values that are choices, not personal data (a yes/no, a code from a list of the program).
_PLAIN_FIELDS = frozenset({"optIn", "textCampaignOptIn", "country", "userLanguagePref"})


def email_mask(value: str) -> str:
    """``jane.doe@example.com`` → ``j***@example.com``."""
    local, at, domain = value.strip().partition("@")
    if not at:
        return text_mask(value)
    return f"{local[:1]}***@{domain}"


def phone_mask(value: str) -> str:
    """A phone number as its last four digits: ``***0142``."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"***{digits[-4:]}" if digits else EMPTY


def text_mask(value: str) -> str:
    """A name, a street, a code: its first character only."""
    text = value.strip()
    return f"{text[:1]}***" if text else EMPTY


def value_mask(name: str, value: Any) -> str:
    """``value`` of the field ``name`` (its wire name) as an audit record may show it."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in _PLAIN_FIELDS:
        return str(value)
    if name == "email" or "@" in str(value):
        return email_mask(str(value))
    if name in PHONE_FIELDS:
        return phone_mask(str(value))
    if name in _DATE_FIELDS or isinstance(value, date):
        return "(a date)"
    return text_mask(str(value))


def normalized(name: str, value: Any) -> str:
    """One spelling per value, so what was sent and what upstream reads back compare equal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if name in PHONE_FIELDS:
        return "".join(ch for ch in str(value) if ch.isdigit())
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def values_digest(values: Mapping[str, Any]) -> str:
    """A keyed digest of all of ``values`` together (field wire name → value)."""
    canonical = json.dumps(
        sorted((name, normalized(name, value)) for name, value in values.items())
    )
    key = ("personal:" + settings.AUDIT_HASH_KEY).encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def changes_record(
    before: Mapping[str, Any], after: Mapping[str, Any], *, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """What an audit record keeps of a change from ``before`` to ``after``: the fields changed,
    each value masked, and the digest of the new values."""
    fields = sorted(names if names is not None else after)
    return {
        "fields": fields,
        "changes": {
            name: {
                "before": value_mask(name, before.get(name)),
                "after": value_mask(name, after.get(name)),
            }
            for name in fields
        },
        "digest": values_digest({name: after.get(name) for name in fields}),
    }


#: An address's fields: wire name → attribute of ``AddressInformation`` (and of the client's
#: ``AddressFields``).
ADDRESS_WIRE = {
    "label": "label",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "stateProvince": "state_province",
    "postalCode": "postal_code",
    "country": "country",
}


def address_wire(address: Any) -> dict[str, str]:
    """An address (``AddressInformation`` or ``AddressFields``) by wire name; ``{}`` for none."""
    if address is None:
        return {}
    return {wire: str(getattr(address, attr, None) or "") for wire, attr in ADDRESS_WIRE.items()}


def address_digest(address: Any) -> str:
    """The keyed digest of an address as a whole (``values_digest`` of its fields)."""
    return values_digest(address_wire(address))


def field_value(fields: Any, name: str) -> Any:
    """The value of the user field ``name`` (its wire name: ``mobilePhone``) in a read's
    ``UserFields`` (``mobile_phone``); ``None`` if absent."""
    attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return getattr(fields, attribute, None) if fields is not None else None
