"""A guest's personal data as the audit log may keep it: masked, never in full.

The audit log is append-only, so it must not become a store of what a privacy deletion
removes (DESIGN.md "Personal data in the audit log"). A record of a profile change names the
fields it touched and holds each value masked (an email as ``j***@example.com``, a phone as its
last four digits, a name or street as its first letter), and one keyed digest of all the new
values together: enough for the settle function to tell, by reading the guest back, whether
upstream applied the change, and useless for reading any one value back (each guess would have
to be right about every field at once, and needs the key).

The other guest changes follow the same rule. A username or email address (the guest's, a
referred friend's, the owner's of a card being attached) is kept as ``identifier_record``: its
mask and its keyed hash, which a settle function compares with what upstream reads back. A
note's text is kept with the addresses and phone numbers in it masked (``text_personal_mask``)
and its keyed hash. Upstream's replies and error texts are recorded with the personal values in
them masked (``reply_personal_mask``, ``portal.paytronix.endpoint.mask_emails``).
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

from portal.audit import scrub
from portal.audit.scrub import keyed_hash
from portal.paytronix.endpoint import mask_emails

EMPTY = "(empty)"
PHONE_FIELDS = frozenset({"phone", "mobilePhone", "fax"})
_DATE_FIELDS = frozenset({"dateOfBirth", "anniversaryDate"})
#: Values that are choices, not personal data (a yes/no, a code from a list of the program).
_PLAIN_FIELDS = frozenset({"optIn", "textCampaignOptIn", "country", "userLanguagePref"})


def email_mask(value: str) -> str:
    """``jane.doe@example.com`` → ``j***@example.com`` (``scrub.email_mask``, which search
    uses too); what is not an address is masked as text, so nothing is ever kept in full."""
    return scrub.email_mask(value) or text_mask(value)


def phone_mask(value: str) -> str:
    """A phone number as its last four digits: ``***0142``."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"***{digits[-4:]}" if digits else EMPTY


def text_mask(value: str) -> str:
    """A name, a street, a code: its first character only."""
    text = value.strip()
    return f"{text[:1]}***" if text else EMPTY


def username_mask(value: str) -> str:
    """A username as the record shows it: masked as an email address when it is one
    (email-as-username), else its first character."""
    return email_mask(value) if "@" in value else text_mask(value)


def identifier_digest(value: str) -> str:
    """The keyed hash of an email address or username (case and outer spaces ignored, as
    Paytronix compares them); "" for none."""
    text = value.strip().casefold()
    return keyed_hash("identifier:" + text) if text else ""


def identifier_record(value: str) -> dict[str, str]:
    """An email address or username as an audit record keeps it: masked, and its keyed hash."""
    return {"masked": username_mask(value), "hash": identifier_digest(value)}


def identifier_hash(recorded: Any) -> str:
    """The keyed hash in what ``identifier_record`` wrote. A record written before the log
    masked identifiers holds the value itself: it is hashed here, so its intent still
    settles."""
    if isinstance(recorded, Mapping):
        found = recorded.get("hash")
        return found if isinstance(found, str) else ""
    return identifier_digest(recorded) if isinstance(recorded, str) else ""


# Seven or more digits, as a phone number is typed (a leading +, spaces, dots, dashes,
# parentheses), standing alone; not a date written 2026-11-29.
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?!\d{4}-\d{2}-\d{2}(?!\d))\+?\(?\d(?:[ ().-]{0,2}\d){6,}(?![0-9A-Za-z])"
)


def text_personal_mask(text: str) -> str:
    """Free text (a note, a message to referred friends) with the email addresses and phone
    numbers in it masked. A name in it cannot be told by its shape: the text is kept for what
    it says, the guest's name being a profile value the profile's records mask."""
    return _PHONE.sub(lambda m: phone_mask(m.group()), mask_emails(text))


def text_digest(text: str) -> str:
    """The keyed hash of free text as sent (outer spaces ignored), to recognise it upstream."""
    return keyed_hash("text:" + text.strip())


#: Fields of upstream's replies (folded: lower case, letters only) that hold personal data.
_REPLY_PERSONAL = frozenset(
    {
        "email",
        "username",
        "newusername",
        "name",
        "firstname",
        "lastname",
        "fullname",
        "phone",
        "mobilephone",
        "fax",
        "address1",
        "address2",
        "city",
        "postalcode",
        "dateofbirth",
        "birthday",
        "anniversarydate",
    }
)
_REPLY_PHONES = frozenset({"phone", "mobilephone", "fax"})
#: Objects (folded, as above) whose ``name`` is a wallet's or a reward's, not a person's: a
#: balance, a wallet's contents, a pending reward.
_NAMES_NOT_PERSONAL = frozenset(
    {
        "pointbalances",
        "rewardbalances",
        "storedvaluebalance",
        "chargebalance",
        "walletcontents",
        "walletinfo",
        "pendingeventrewards",
    }
)


def _reply_value_mask(folded: str, value: Any) -> Any:
    if value is None or value == "" or isinstance(value, bool | int | float):
        return value
    if isinstance(value, date) or folded in {"dateofbirth", "birthday", "anniversarydate"}:
        return "(a date)"
    text = str(value)
    if folded in _REPLY_PHONES:
        return phone_mask(text)
    return username_mask(text)


def _folded(field_name: str) -> str:
    return re.sub(r"[^a-z]", "", field_name.lower())


def reply_personal_mask(
    value: Any, *, by_field: bool = True, field_name: str = "", within: str = ""
) -> Any:
    """Upstream's reply (a mapping, as ``dataclasses.asdict`` gives it) as an audit record may
    keep it: the value of every personal field masked (``by_field``) and every email address in
    any text masked. Without ``by_field`` only addresses are masked: an error's fields map a
    field's name to upstream's message, not to a value. ``within``: the field holding this
    value's object (a wallet's ``name`` is no person's)."""
    folded = _folded(field_name)
    if isinstance(value, Mapping):
        return {
            k: reply_personal_mask(v, by_field=by_field, field_name=str(k), within=field_name)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            reply_personal_mask(v, by_field=by_field, field_name=field_name, within=within)
            for v in value
        ]
    # A wallet's or a reward's ``name`` is no person's.
    wallet_name = folded == "name" and _folded(within) in _NAMES_NOT_PERSONAL
    if by_field and folded in _REPLY_PERSONAL and not wallet_name:
        return _reply_value_mask(folded, value)
    return mask_emails(value) if isinstance(value, str) else value


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
