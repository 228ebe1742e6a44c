"""The write guard's one door: outside the client and tests, only portal/audit opens it."""

from __future__ import annotations

import ast
import pathlib

import portal

ROOT = pathlib.Path(portal.__file__).resolve().parent.parent
SKIPPED = {".venv", "node_modules", "tests", "static", "var"}


def _mentions_permit_writes(path: pathlib.Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "permit_writes":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "permit_writes":
            return True
        if isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] == "permit_writes":
            return True
    return False


def test_only_the_audit_door_opens_the_write_guard() -> None:
    users = {
        path.relative_to(ROOT).parts[:2]
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts)
        and path.relative_to(ROOT).parts[:2] != ("portal", "paytronix")
        and _mentions_permit_writes(path)
    }

    # Equality, not a subset: a walk that found no user at all (the door renamed, the scan
    # broken) must fail too.
    assert users == {("portal", "audit")}
