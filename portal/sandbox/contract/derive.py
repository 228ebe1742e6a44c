"""Re-derive ``guest-service.json`` from the vendor's Guest Service reference text.

    python -m portal.sandbox.contract.derive ../shared/spec/guest-service.txt

The reference lists each endpoint as ``GET|POST guest/<name>.json``, then its request
parameters (``• name (Type) - (required|optional|See description) text``, the dash an en dash),
then one block per ``"result": "<word>"`` with the reply's fields in the same bullet form;
"Reply Objects" define the nested objects the same way, and "Error Codes" is a two-column table.
The parse keeps the spec's words; where the spec contradicts itself or leaves a choice,
``decisions.py`` says what the sandbox and the client do, and ``derive`` applies it so that the
committed JSON is the one table tests read.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from portal.sandbox.contract import decisions

HEADER = re.compile(r"^(GET|POST) guest/(\w+)\.json$")
RESULT = re.compile(r'^"result": "(\w+)"$')
BULLET = re.compile(
    r"^\s*•\s*(\w+)\s*\(([^)]*)\)\s*[\u2013-]\s*"
    r"(?:\((required|optional|See description)\))?\s*(.*)$"
)
OBJECT_NAME = re.compile(r"^[A-Z][A-Za-z]+$")
ERROR_ROW = re.compile(r"^([a-z_]+\.[a-z_]+)\s*(.*)$")
CONSTANT = re.compile(r"^(?:[A-Z_]+|[a-z]{2}-[A-Z]{2})$")
SEE = re.compile(r"See (\w+)")

#: The spec's type words, as JSON carries them.
TYPES = {
    "String": "string",
    "string": "string",
    "Integer": "integer",
    "Int": "integer",
    "int": "integer",
    "Long": "integer",
    "Boolean": "boolean",
    "bool": "boolean",
    "Decimal": "decimal",
    "Date": "date",
    "LocalDate": "date",
    "Object": "object",
    "List[Object]": "array<object>",
    "[Object]": "array<object>",
    "List[String]": "array<string>",
    "List[Int]": "array<integer>",
}


def _field(match: re.Match[str]) -> dict[str, Any]:
    name, spec_type, requirement, text = match.groups()
    entry: dict[str, Any] = {
        "name": name,
        "type": TYPES[spec_type.strip()],
        "required": requirement == "required",
    }
    if requirement == "See description":
        entry["required"] = "see description"
    ref = SEE.search(text)
    if ref and ref.group(1) not in ("description",):
        entry["object"] = ref.group(1)
    return entry


def parse(text: str) -> dict[str, Any]:
    """The spec's own table, before any decision."""
    lines = text.splitlines()
    endpoints: list[dict[str, Any]] = []
    objects: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, str] = {}
    constants: dict[str, list[str]] = {}
    constant: list[str] = []
    current: dict[str, Any] | None = None
    block: list[dict[str, Any]] | None = None
    section = "endpoints"
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == "Constant Values":
            section, current, block = "constants", None, None
            continue
        if section == "constants" and stripped != "Reply Objects":
            if stripped.endswith(" Values"):
                constant = constants.setdefault(stripped.removesuffix(" Values"), [])
            elif CONSTANT.match(stripped):
                constant.append(stripped)
            continue
        if stripped == "Reply Objects":
            section, current, block = "objects", None, None
            continue
        if stripped == "Code Message":
            section, block = "errors", None
            continue
        if section == "errors":
            row = ERROR_ROW.match(stripped)
            if row:
                errors.setdefault(row.group(1), row.group(2).strip())
            continue
        if section == "objects":
            following = lines[index + 1].strip() if index + 1 < len(lines) else ""
            if OBJECT_NAME.match(stripped) and stripped != "JSON" and not following.startswith("•"):
                block = objects.setdefault(stripped, [])
                continue
            bullet = BULLET.match(line)
            if bullet and block is not None:
                block.append(_field(bullet))
            continue
        header = HEADER.match(stripped)
        if header:
            current = {"method": header.group(1), "path": f"guest/{header.group(2)}.json"}
            current["params"], current["results"] = [], {}
            endpoints.append(current)
            block = current["params"]
            continue
        if current is None:
            continue
        result = RESULT.match(stripped)
        if result:
            block = current["results"].setdefault(result.group(1), [])
            continue
        bullet = BULLET.match(line)
        if bullet and block is not None:
            block.append(_field(bullet))
    return {
        "endpoints": endpoints,
        "objects": objects,
        "constants": constants,
        "errorCodes": errors,
    }


def derive(text: str) -> dict[str, Any]:
    """The spec's table with ``decisions`` applied: what tests read."""
    table = parse(text)
    return {
        "source": "../shared/spec/guest-service.txt (the vendor's Guest Service reference)",
        "derivedBy": "python -m portal.sandbox.contract.derive; decisions in decisions.py",
        **decisions.apply(table),
    }


def main(argv: list[str]) -> int:
    source = Path(argv[1] if len(argv) > 1 else "../shared/spec/guest-service.txt")
    target = Path(__file__).with_name("guest-service.json")
    rendered = json.dumps(derive(source.read_text(encoding="utf-8")), indent=1) + "\n"
    target.write_text(rendered, encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
