"""A store manager sees only their store group's guests; without a store group, nobody.

The access decorator already turns such a user away at the door; these check the selectors
refuse too, so no other entry point (a task, a new view) can read every guest with None.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from guests.selectors import GuestNotFoundError, classify, guests_search
from guests.selectors.load import guest_account
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import UpstreamCalls

pytestmark = pytest.mark.django_db


@dataclass
class GrouplessManager:
    username: str = "nora.nogroup"
    store_group_code: int | None = None
    is_store_scoped: bool = True


def test_a_store_manager_without_a_store_group_finds_nobody(
    sandbox: SandboxController, upstream_calls: UpstreamCalls, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="guests.scope"):
        result = guests_search(viewer=GrouplessManager(), query=classify(demo.DEMO_ACTIVE_CARD))
    assert result.matches == []
    assert upstream_calls == []
    assert "store-scoped user without a store group refused: user=nora.nogroup" in caplog.text


def test_a_store_manager_without_a_store_group_gets_not_found_for_any_guest(
    sandbox: SandboxController, upstream_calls: UpstreamCalls
) -> None:
    with pytest.raises(GuestNotFoundError):
        guest_account(viewer=GrouplessManager(), account_id=demo.DEMO_ACCOUNT_ID)
    assert upstream_calls == []
