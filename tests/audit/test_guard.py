"""A mutation cannot reach the client's write methods except through the door."""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import pytest

import portal
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import WriteNotPermittedError
from portal.sandbox import demo

ROOT = pathlib.Path(portal.__file__).resolve().parent.parent
SOURCES = ("portal", "guests", "cards")


def test_a_client_write_outside_the_door_is_refused_before_anything_is_sent(sandbox: Any) -> None:
    client = client_from_settings()

    with pytest.raises(WriteNotPermittedError):
        client.guest.change_card_status(
            printed_card_number=demo.DEMO_ACTIVE_CARD, status="DISABLED"
        )
    with pytest.raises(WriteNotPermittedError):
        client.guest.update_message_frequency(username=demo.DEMO_USERNAME, preference="SNOOZE")
    with pytest.raises(WriteNotPermittedError):
        client.csr.add_account_comment(
            printed_card_number=demo.DEMO_ACTIVE_CARD, comment="hello", author="x"
        )

    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def _opens_the_guard(path: pathlib.Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "name", "")
        if isinstance(name, str) and name.rsplit(".", 1)[-1] == "permit_writes":
            return True
    return False


def test_only_the_door_module_opens_the_write_guard() -> None:
    openers = {
        str(path.relative_to(ROOT))
        for top in SOURCES
        for path in (ROOT / top).rglob("*.py")
        if _opens_the_guard(path)
    }

    # The guard's own module and the client package's re-export define it; the door uses it.
    assert openers == {
        "portal/paytronix/guard.py",
        "portal/paytronix/__init__.py",
        "portal/audit/door.py",
    }
