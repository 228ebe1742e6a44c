"""Pending changes within one request: what is added or settled is what a later read in the
same request sees, and a change another request stored meanwhile is kept."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from guests import pending
from guests.selectors.page import GuestPage
from portal.guestcache import guest_cache
from portal.paytronix.replies import AccountInformation
from portal.requestscope import request_scope

ACCOUNT = 7002


def _change(check: str, source: str, expected: str) -> pending.PendingChange:
    return pending.PendingChange(
        action=f"guest.{check}",
        panel="header",
        sources=(source,),
        check=check,
        expected=expected,
        summary=f"{check}: {expected}",
    )


USERNAME = _change("username", "account", "guest@example.com")
LANGUAGE = _change("language", "user", "fr")


@pytest.fixture(autouse=True)
def _not_overdue(settings: Any) -> None:
    """The changes (stamped when this module is imported) still wait however slow the run."""
    settings.GUESTS_PENDING_SECONDS = 3600


def _page_showing_the_username() -> GuestPage:
    return GuestPage(account_id=ACCOUNT, account=AccountInformation(username="guest@example.com"))


def test_a_change_added_is_read_later_in_the_same_request_though_read_before() -> None:
    with request_scope():
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == set()
        pending.pending_add(account_id=ACCOUNT, change=USERNAME)
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == {"account"}


def test_a_change_added_then_settled_in_one_request_reads_as_settled_later_in_it() -> None:
    with request_scope():
        pending.pending_add(account_id=ACCOUNT, change=USERNAME)
        first = pending.pending_settle(page=_page_showing_the_username(), panels=["header"])
        assert first["header"].applied == [USERNAME]

        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == set()
        assert pending.pending_settle(page=_page_showing_the_username(), panels=["header"]) == {}
    assert guest_cache().get(f"guests:pending:{ACCOUNT}") is None


def test_adding_a_change_keeps_one_another_request_added_meanwhile() -> None:
    with request_scope():
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == set()
        with request_scope():  # another request, while this one reads upstream
            pending.pending_add(account_id=ACCOUNT, change=LANGUAGE)
        pending.pending_add(account_id=ACCOUNT, change=USERNAME)
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == {
            "account",
            "user",
        }
    with request_scope():
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == {
            "account",
            "user",
        }


def _card(masked: str, status: str) -> pending.PendingChange:
    return pending.PendingChange(
        action="card.disable" if status == "DISABLED" else "card.enable",
        panel="cards",
        sources=("account",),
        check="card_status",
        expected={"masked": masked, "status": status},
        summary=f"Card ending {masked} {status.lower()}",
        about=f"card {masked}",
    )


def _stored() -> list[dict[str, Any]]:
    return list(guest_cache().get(f"guests:pending:{ACCOUNT}") or [])


def test_a_change_of_one_card_supersedes_another_of_the_same_card_only() -> None:
    with request_scope():
        pending.pending_add(account_id=ACCOUNT, change=_card("000011", "DISABLED"))
        pending.pending_add(account_id=ACCOUNT, change=_card("000012", "DISABLED"))
        # Enabling card 000011 again: its disable is no longer awaited; 000012's still is.
        pending.pending_add(account_id=ACCOUNT, change=_card("000011", "ACTIVE"))
    assert sorted((c["expected"]["masked"], c["expected"]["status"]) for c in _stored()) == [
        ("000011", "ACTIVE"),
        ("000012", "DISABLED"),
    ]


def test_changes_stored_by_a_newer_release_are_read_by_their_known_fields() -> None:
    newer = {**pending.asdict(USERNAME), "sources": ["account"], "added_later": True}
    guest_cache().set(f"guests:pending:{ACCOUNT}", [newer])
    with request_scope():
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == {"account"}


def test_a_change_stored_again_marked_seen_by_another_request_is_still_settled() -> None:
    with request_scope():
        pending.pending_add(account_id=ACCOUNT, change=USERNAME)
        # This request reads it as added...
        assert pending.pending_sources(account_id=ACCOUNT, panels=["header"]) == {"account"}
        with request_scope():  # ...while another stores it again, marked as seen waiting
            not_yet = GuestPage(account_id=ACCOUNT, account=AccountInformation(username="old"))
            pending.pending_settle(page=not_yet, panels=["header"])
        assert [c["seen_waiting"] for c in _stored()] == [True]
        settled = pending.pending_settle(page=_page_showing_the_username(), panels=["header"])
        assert settled["header"].applied
    assert _stored() == []


def test_a_change_stored_while_another_request_holds_the_changes_waits_for_it() -> None:
    lock = f"guests:pending:{ACCOUNT}:lock"
    assert guest_cache().add(lock, 1, timeout=5)  # another request is updating them
    stored = threading.Thread(
        target=lambda: pending.pending_add(account_id=ACCOUNT, change=USERNAME)
    )
    stored.start()
    time.sleep(0.2)
    assert _stored() == []  # it waits...
    guest_cache().delete(lock)
    stored.join(5)
    assert [c["check"] for c in _stored()] == ["username"]  # ...then stores
