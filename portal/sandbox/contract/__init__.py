"""The Guest Service contract as a table: ``guest-service.json``, derived from the vendor's
reference by ``derive.py`` with the decisions of ``decisions.py`` noted next to their entries.

The sandbox checks requests against it (``check_request``); the contract tests hold the
sandbox's replies and the client's requests to it. CI reads only the committed JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("guest-service.json")
DIGITS = re.compile(r"-?\d+")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Field:
    """A request parameter or a reply field: name, JSON type, required-ness."""

    name: str
    type: str
    required: bool
    values: tuple[str, ...] = ()
    object: str = ""


@dataclass(frozen=True)
class EndpointContract:
    method: str
    path: str
    params: tuple[Field, ...]
    results: dict[str, tuple[Field, ...]]
    request_error: str
    request_error_result: str
    merchant_error: str
    parameter_errors: dict[str, str]
    one_of: tuple[str, ...]
    #: Whether the endpoint changes upstream state, whatever its method (``writesDecision``).
    writes: bool

    @property
    def name(self) -> str:
        return self.path.removeprefix("guest/").removesuffix(".json")

    def param(self, name: str) -> Field | None:
        return next((p for p in self.params if p.name == name), None)


def _field(raw: dict[str, Any]) -> Field:
    return Field(
        name=raw["name"],
        type=raw["type"],
        required=raw["required"] is True,
        values=tuple(raw.get("values", ())),
        object=raw.get("object", ""),
    )


@cache
def table() -> dict[str, Any]:
    return dict(json.loads(TABLE.read_text(encoding="utf-8")))


@cache
def endpoints() -> dict[str, EndpointContract]:
    """``"guest/<name>"`` (the sandbox's route key) → its contract."""
    found: dict[str, EndpointContract] = {}
    for raw in table()["endpoints"]:
        contract = EndpointContract(
            method=raw["method"],
            path=raw["path"],
            params=tuple(_field(p) for p in raw["params"]),
            results={word: tuple(_field(f) for f in fs) for word, fs in raw["results"].items()},
            request_error=raw["requestError"],
            request_error_result=raw["requestErrorResult"],
            merchant_error=raw["merchantError"],
            parameter_errors=dict(raw.get("parameterErrors", {})),
            one_of=tuple(raw.get("oneOf", ())),
            writes=raw["writes"],
        )
        found[raw["path"].removesuffix(".json")] = contract
    return found


@cache
def objects() -> dict[str, tuple[Field, ...]]:
    return {name: tuple(_field(f) for f in fs) for name, fs in table()["objects"].items()}


def extras(owner: str) -> frozenset[str]:
    """Fields the sandbox sends beyond the table in ``owner`` ("<endpoint>/<result>" or an
    object name): each is listed with its evidence in ``decisions.EXTRAS``."""
    return frozenset(table()["sandboxExtras"].get(owner, {}))


def error_codes() -> dict[str, str]:
    return dict(table()["errorCodes"])


def json_type_fits(kind: str, value: Any, *, in_query: bool) -> bool:
    """Whether ``value`` is what the contract's ``kind`` allows.

    A query string carries only text: an integer is digits, a Boolean ``true`` or ``false``, a
    date ``yyyy-MM-dd``. A JSON body carries JSON types: an integer is a number (not a string of
    digits, not a Boolean), text is a string, decimals and dates travel as strings.
    """
    if in_query:
        text = str(value)
        return {
            "integer": DIGITS.fullmatch(text) is not None,
            "boolean": text in ("true", "false"),
            "date": DATE.fullmatch(text) is not None,
        }.get(kind, True)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("string", "decimal"):
        return isinstance(value, str)
    if kind == "date":
        return isinstance(value, str) and DATE.fullmatch(value) is not None
    if kind == "object":
        return isinstance(value, dict)
    if kind.startswith("array<"):
        item = kind.removeprefix("array<").removesuffix(">")
        return isinstance(value, list) and all(
            json_type_fits(item, v, in_query=False) for v in value
        )
    return False


@dataclass
class Problems:
    """What is wrong with a request, each a (parameter, sentence) pair.

    ``refused``: always refused (a required parameter missing, not exactly one of a ``oneOf``
    pair, a value outside the listed values). ``loose``: refused in the strict mode, logged
    otherwise (an unknown parameter, a wrong JSON type), because a real client may get away
    with them upstream while ours must not.
    """

    refused: list[tuple[str, str]]
    loose: list[tuple[str, str]]


def request_problems(terms: EndpointContract, params: dict[str, Any]) -> Problems:
    """The problems of ``params`` sent to ``terms``' endpoint."""
    in_query = terms.method == "GET"
    problems = Problems(refused=[], loose=[])
    present = {k for k, v in params.items() if v is not None and v != ""}
    for param in terms.params:
        if param.required and param.name not in present:
            problems.refused.append((param.name, f"Missing required argument: {param.name}"))
    if terms.one_of and len(present & set(terms.one_of)) != 1:
        names = " or ".join(terms.one_of)
        problems.refused.append((terms.one_of[0], f"Supply exactly one of {names}"))
    for name, value in params.items():
        known = terms.param(name)
        if known is None:
            problems.loose.append((name, f"Unknown argument: {name}"))
        elif name not in present:
            continue
        elif not json_type_fits(known.type, value, in_query=in_query):
            problems.loose.append((name, f"Argument {name} must be {_spoken(known.type)}"))
        elif known.values and value not in known.values:
            allowed = ", ".join(known.values)
            problems.refused.append((name, f"Argument {name} must be one of {allowed}"))
    return problems


def _spoken(kind: str) -> str:
    return {
        "integer": "an integer",
        "boolean": "true or false",
        "date": "a date yyyy-MM-dd",
        "string": "a string",
        "object": "an object",
        "decimal": "a decimal in a string",
        "array<string>": "a list of strings",
        "array<integer>": "a list of integers",
        "array<object>": "a list of objects",
    }[kind]
