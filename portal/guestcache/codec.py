"""What a cached guest read looks like in the cache: JSON text, never a pickled object, and never
a full card number.

A reply (``portal.paytronix.replies``) is written in its own wire form (camelCase keys, decimals
and dates as text) and read back with the reply class's ``from_wire``, the same type-driven
reader that reads Paytronix. On the way in every full card number is taken out: a
``CardInformation`` keeps ``maskedCardNumber`` (Paytronix's last six digits, or ours when upstream
sent none) and ``cardHash`` (``portal.audit.scrub.card_hash``, the keyed hash the audit records
use) instead of ``printedCardNumber``; a ``UserInformation`` keeps no ``primaryCardNumbers``, an
``AccountQueryMatch`` no ``printedCardNumber`` (``FULL_NUMBER_FIELDS``; a test holds every reply
field named for a card number to that list). So a value read from the cache has
``printed_card_number=None``: whatever needs the number (a write that sends it, the notes filed
under the primary card, a read by card number) reads the account from upstream; an audit target
takes the masked number and hash instead (``portal.audit.types.Target``).

``CACHE_FORMAT`` is part of every key (``portal.guestcache.guest_cache_key``): change it with the
shape, and a deploy never reads an entry written by the code before it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.audit.scrub import card_hash, card_mask
from portal.paytronix import replies
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import (
    AccountQueryMatch,
    CardInformation,
    TransactionReply,
    UserInformation,
)

CACHE_FORMAT = "j1"

#: Every reply class by name: the only classes a cached value may name.
_REPLY_CLASSES: dict[str, type] = {name: getattr(replies, name) for name in replies.__all__}

#: The fields that hold a full card number, per class; they never reach the cache.
FULL_NUMBER_FIELDS: dict[type, frozenset[str]] = {
    CardInformation: frozenset({"printed_card_number"}),
    UserInformation: frozenset({"primary_card_numbers"}),
    AccountQueryMatch: frozenset({"printed_card_number"}),
    TransactionReply: frozenset({"printed_card_number"}),
}

_PLAIN = "json"


class CacheShapeError(ValueError):
    """A cached entry that is not one this code wrote: read it as missing."""


def _wire_name(field: dataclasses.Field[Any]) -> str:
    names = field.metadata.get("wire")
    if names:
        return str(names[0])
    head, *rest = field.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


#: Types written as they are (exact types: a subclass goes the long way below).
_AS_IS = frozenset({str, int, bool, type(None)})


def _scalar(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_scalar(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _scalar(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _reply_to_wire(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"{type(value).__name__} cannot be cached")


@functools.cache
def _written_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """The fields of ``cls`` a cached copy keeps, each with its wire name (once per class)."""
    skipped = FULL_NUMBER_FIELDS.get(cls, frozenset())
    return tuple(
        (field.name, _wire_name(field))
        for field in dataclasses.fields(cls)
        if field.name not in skipped
    )


def _reply_to_wire(reply: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    reply_class: type = type(reply)
    for name, wire_name in _written_fields(reply_class):
        value = getattr(reply, name)
        if value is not None:
            data[wire_name] = _scalar(value)
    number = reply.printed_card_number if isinstance(reply, CardInformation) else None
    if number:
        data.setdefault("maskedCardNumber", card_mask(number))
        data["cardHash"] = card_hash(number)
    return data


def _is_reply(value: Any) -> bool:
    return _REPLY_CLASSES.get(type(value).__name__) is type(value)


def cache_encode(value: Any) -> str:
    """``value`` (a reply, a list of replies of one class, or plain JSON data) as cache text."""
    if _is_reply(value):
        envelope: dict[str, Any] = {"type": type(value).__name__, "value": _scalar(value)}
    elif isinstance(value, list) and value and all(_is_reply(item) for item in value):
        names = {type(item).__name__ for item in value}
        if len(names) != 1:
            raise TypeError("a cached list holds replies of one class")
        envelope = {"type": names.pop(), "list": True, "value": _scalar(value)}
    else:
        envelope = {"type": _PLAIN, "value": _plain(value)}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{type(value).__name__} cannot be cached")


def cache_decode(text: Any) -> Any:
    """The value ``cache_encode`` wrote; ``CacheShapeError`` for anything else."""
    if not isinstance(text, str):
        raise CacheShapeError("not cache text")
    try:
        envelope = json.loads(text)
        kind, value = envelope["type"], envelope["value"]
    except (ValueError, TypeError, KeyError) as error:
        raise CacheShapeError("not cache text") from error
    if kind == _PLAIN:
        return value
    reply_class = _REPLY_CLASSES.get(kind)
    if reply_class is None:
        raise CacheShapeError("an unknown reply class")
    try:
        if envelope.get("list"):
            return [reply_class.from_wire(item) for item in value]  # type: ignore[attr-defined]
        return reply_class.from_wire(value)  # type: ignore[attr-defined]
    except (ValueError, TypeError, PaytronixError) as error:
        raise CacheShapeError("a reply of another shape") from error


class JsonSerializer:
    """The Redis serializer of every cache alias (``settings.CACHES``): JSON, where Django's
    own is pickle, so a value planted on the server cannot run code when read back. Integers
    stay raw, as Django's do, for ``incr``."""

    def dumps(self, value: Any) -> bytes | int:
        if type(value) is int:
            return value
        return json.dumps(value, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        """The value, or None (a miss) for an entry that is not ours: anything else written
        under a guest key (a pickle, say) is fetched again, never read."""
        try:
            return int(data)
        except ValueError:
            pass
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
