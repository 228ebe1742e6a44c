"""The write guard's one door: outside the client and tests, only portal/audit opens it."""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import pytest

import portal
from portal.paytronix.client import client_from_settings
from portal.paytronix.guard import UpstreamNotAskedError, cached_only
from portal.paytronix.session import Transport
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

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


def test_inside_cached_only_no_call_leaves(
    sandbox: SandboxController, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = Transport._send

    def sending(self: Transport, endpoint: Any, *args: Any) -> Any:
        sent.append(endpoint.path)
        return original(self, endpoint, *args)

    monkeypatch.setattr(Transport, "_send", sending)
    guest = client_from_settings().guest
    with cached_only(), pytest.raises(UpstreamNotAskedError):
        guest.account_information_by_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert sent == []
    # Outside it, the client calls as ever.
    account = guest.account_information_by_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert account.account_id == demo.DEMO_ACCOUNT_ID
    assert sent == ["guest/accountInformationById.json"]


def test_a_write_slot_is_taken_when_free_and_never_past_its_deadline_or_a_stop() -> None:
    import threading
    import time

    from portal.paytronix.guard import WriteSlots

    free = WriteSlots(threading.BoundedSemaphore(1), wait=0)
    assert free.take()  # free: taken at once, even with no time to wait
    assert not free.take()  # busy, and no time to wait
    stopping = threading.Event()
    busy = WriteSlots(free.slots, wait=30, stopping=stopping)
    stopping.set()
    started = time.monotonic()
    assert not busy.take()  # the job is stopping: no write waits on
    assert time.monotonic() - started < 1
    ended = WriteSlots(free.slots, wait=30, ends=time.monotonic() + 0.2)
    assert not ended.take()  # the chunk ended while it waited
    assert time.monotonic() - started < 2
