"""Decoding Paytronix JSON into the reply dataclasses: one generic, type-driven reader.

Each reply class is a plain dataclass whose field types say how to read the wire: ``Decimal``
from the decimal strings Paytronix sends, ``date`` from ``yyyy-mm-dd``, ``datetime`` from ISO
8601 or ``yyyy-mm-dd hh:mm:ss ±zzzz``, nested reply classes and lists of them. The wire name of
a field is its camelCase spelling unless ``wire(...)`` names it (first name found wins).

Tolerance, because Paytronix leaves blank fields out and its own examples vary: unknown keys are
ignored; missing, ``null`` and (for non-text fields) empty-string values leave the field at its
default (``None`` or an empty list); a single object where a list is documented is read as a
one-item list. A value of the wrong type raises ``MalformedReplyError`` naming the field, never
the value (it could be a card number).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from ..errors import MalformedReplyError


def wire(*names: str) -> dict[str, tuple[str, ...]]:
    """Field metadata naming the wire key(s) of a field whose name is not its camelCase."""
    return {"wire": names}


def enumerated(*names: str) -> dict[str, Any]:
    """Field metadata of an enumeration (a status): read without regard to case and kept in
    the spec's upper case, because shipped clients of the live API compare ``Registered`` where
    the spec says ``REGISTERED`` (docs/wire-notes.md). ``names`` as for ``wire``."""
    return {"wire": names, "enum": True}


class WireModel:
    """Mixin giving a reply dataclass its ``from_wire`` reader."""

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Self:
        """Read one reply object; raise ``MalformedReplyError`` if it is not one."""
        decoded: Self = _decode(cls, data, cls.__name__, None)
        return decoded


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


#: Where a value sits in the reply: its parent's place and its own key (a field's wire name, or
#: a list index), a chain of pairs spelt ``Account.pointBalances[0].balance`` only for an error
#: message (a reply has thousands of values and almost never an error).
type _Key = str | int | None
type _Place = str | tuple[_Place, _Key]
type _Reader = Callable[[Any, _Place, _Key], Any]


def _path(parent: _Place, key: _Key) -> str:
    text = parent if isinstance(parent, str) else _path(*parent)
    if key is None:
        return text
    return f"{text}[{key}]" if isinstance(key, int) else f"{text}.{key}"


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, tuple[str, ...], _Reader, bool], ...]:
    """Each field of ``cls``: its name, first wire name, other wire names, reader and whether
    it is an enumeration (worked out once per class)."""
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        first, *others = f.metadata.get("wire") or (_camel(f.name),)
        plan.append(
            (f.name, first, tuple(others), _reader(hints[f.name]), bool(f.metadata.get("enum")))
        )
    return tuple(plan)


def _decode(cls: type, data: Any, parent: _Place, key: _Key) -> Any:
    if type(data) is not dict and not isinstance(data, Mapping):
        raise _malformed(_path(parent, key), "an object")
    here = (parent, key)
    values: dict[str, Any] = {}
    get = data.get
    for name, first, others, read, upper in _plan(cls):
        found = get(first)
        if found is None and others:
            found = next((data[k] for k in others if get(k) is not None), None)
        if found is None:
            continue
        converted = read(found, here, first)
        if upper and isinstance(converted, str):
            converted = converted.strip().upper()
        if converted is not None:
            values[name] = converted
    return cls(**values)


@functools.cache
def _reader(field_type: Any) -> _Reader:
    """How a value of ``field_type`` is read from the wire (worked out once per type)."""
    origin = typing.get_origin(field_type)
    if origin in (typing.Union, types.UnionType):
        (field_type,) = [arg for arg in typing.get_args(field_type) if arg is not type(None)]
        origin = typing.get_origin(field_type)
    if origin is list:
        (item_type,) = typing.get_args(field_type)
        return functools.partial(_read_list, _reader(item_type))
    if origin is dict:
        _, item_type = typing.get_args(field_type)
        return functools.partial(_read_dict, _reader(item_type))
    if dataclasses.is_dataclass(field_type):
        return functools.partial(_decode, typing.cast(type, field_type))
    return _scalar_reader(field_type, _SCALARS[field_type])


def _read_list(read: _Reader, value: Any, parent: _Place, key: _Key) -> list[Any]:
    # A single object where a list is documented is read as a one-item list.
    items = value if type(value) is list else [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        raise _malformed(_path(parent, key), "a list")
    here = (parent, key)
    return [read(item, here, i) for i, item in enumerate(items)]


def _read_dict(read: _Reader, value: Any, parent: _Place, key: _Key) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _malformed(_path(parent, key), "an object")
    here = (parent, key)
    return {str(k): read(item, here, str(k)) for k, item in value.items() if item is not None}


def _scalar_reader(field_type: type, reader: Callable[[Any], Any]) -> _Reader:
    """The reader of one scalar type: a value already of that exact type (what JSON gives for
    text, whole numbers and booleans) is taken as it is; anything else goes through ``reader``."""
    same = field_type if field_type in (str, int, bool) else None

    def read(value: Any, parent: _Place, key: _Key) -> Any:
        if type(value) is same:
            return value
        if value == "" and field_type is not str:
            return None
        try:
            return reader(value)
        except (TypeError, ValueError, ArithmeticError):
            raise _malformed(_path(parent, key), field_type.__name__) from None

    return read


def _malformed(path: str, expected: str) -> MalformedReplyError:
    return MalformedReplyError(f"malformed reply: {path} is not {expected}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    raise TypeError(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(value)


def _decimal(value: Any) -> Decimal:
    if type(value) is not str:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise TypeError(value)
        value = str(value)
    result = Decimal(value.strip())
    if not result.is_finite():
        raise ValueError(value)
    return result


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise TypeError(value)
    # A date-time where a date is documented still names the day.
    return date.fromisoformat(value[:10])


# The spec's other spelling, "yyyy-mm-dd hh:mm:ss [+-zzzz]": a space before the zone, which
# ``fromisoformat`` takes only without fractional seconds, so it is read here whatever they are.
_SPACED = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"(?: ?(?P<zone>[+-]\d{2}:?\d{2}|Z))?"
)


def _datetime(value: Any) -> datetime:
    """ISO 8601 (the vendor's preference, ``2014-06-13T23:01:50-0400``) or the spec's
    ``yyyy-mm-dd hh:mm:ss ±zzzz``; a zone written ``-0400``, ``-04:00`` or ``Z``."""
    if not isinstance(value, str):
        raise TypeError(value)
    text = value.strip()
    spaced = _SPACED.fullmatch(text)
    if spaced:
        zone = spaced["zone"] or ""
        text = f"{spaced['day']}T{spaced['time'].replace(',', '.')}{zone}"
    return datetime.fromisoformat(text)


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _text,
    int: _integer,
    bool: _boolean,
    Decimal: _decimal,
    date: _date,
    datetime: _datetime,
}
