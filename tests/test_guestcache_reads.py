"""Reading the guest cache on a warm page: versions read once per page, entries decoded once,
failures remembered briefly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from portal.guestcache import (
    MISSING,
    failure_memory,
    guest_cache,
    guest_cache_get,
    guest_cache_invalidate,
    guest_cache_key,
    guest_cache_prefetch,
    guest_cache_set,
    guest_cache_versions_pinned,
)
from portal.paytronix.errors import FailureError, TransportError
from portal.paytronix.replies import BalanceInformation


def test_within_a_page_each_guests_version_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[list[str]] = []
    original = guest_cache().get_many

    def counting(keys: list[str], *args: Any, **kwargs: Any) -> dict[str, Any]:
        reads.append(list(keys))
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(guest_cache(), "get_many", counting)
    with guest_cache_versions_pinned():
        first = guest_cache_key("history", account_id=7, limit=26)
        again = guest_cache_key("notes", account_id=7)
        other = guest_cache_key("notes", account_id=8)
    assert len(reads) == 2
    outside = guest_cache_key("history", account_id=7, limit=26)
    assert outside == first
    assert again != first
    assert other != again
    assert len(reads) == 3


def test_a_change_outside_a_page_gives_new_keys_to_the_next_page() -> None:
    with guest_cache_versions_pinned():
        before = guest_cache_key("notes", account_id=7)
    guest_cache_invalidate(account_id=7)
    with guest_cache_versions_pinned():
        after = guest_cache_key("notes", account_id=7)
    assert before != after


def test_an_entry_read_twice_is_the_same_reply_and_new_text_is_read_anew() -> None:
    key = guest_cache_key("pending-rewards", account_id=7)
    balance = BalanceInformation(wallet_code=1, name="Points", balance=Decimal("12.00"))
    guest_cache_set(key, [balance])
    first, second = guest_cache_get(key), guest_cache_get(key)
    assert first == second == [balance]
    assert first is not second  # a list is handed out as a copy
    assert first[0] is second[0]
    guest_cache_set(key, [balance, balance])
    assert len(guest_cache_get(key)) == 2
    guest_cache().delete(key)
    assert guest_cache_get(key) is MISSING


@override_settings(GUEST_FAILURE_SECONDS=10)
def test_a_failure_is_remembered_until_asked_again() -> None:
    failure_memory.remember("k", TransportError("no answer", endpoint="guest/x"))
    with pytest.raises(TransportError):
        failure_memory.raise_if_failed("k")
    with failure_memory.asking_again():
        failure_memory.raise_if_failed("k")
    failure_memory.raise_if_failed("other")


@override_settings(GUEST_FAILURE_SECONDS=10)
def test_a_remembered_refusal_is_raised_again_with_all_it_said() -> None:
    # The result errors take keyword arguments only: a copy made by calling the class with the
    # exception's args failed with a TypeError (a 500 on the next page).
    refusal = FailureError(
        result="failure", error_code="referral.error", error_message="no", endpoint="guest/r"
    )
    failure_memory.remember("k", refusal)
    for _ in range(2):
        with pytest.raises(FailureError) as caught:
            failure_memory.raise_if_failed("k")
        again = caught.value
        assert again is not refusal
        assert (again.result, again.error_code, again.error_message, again.endpoint) == (
            "failure",
            "referral.error",
            "no",
            "guest/r",
        )
        assert str(again) == str(refusal)


@override_settings(GUEST_FAILURE_SECONDS=0)
def test_with_no_failure_seconds_nothing_is_remembered() -> None:
    failure_memory.remember("k", TransportError("no answer", endpoint="guest/x"))
    failure_memory.raise_if_failed("k")


def test_within_a_page_prefetched_entries_are_read_in_one_round_trip_and_kept_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = guest_cache_key("user", account_id=1)
    two = guest_cache_key("referrals", account_id=1)
    guest_cache_set(one, {"name": "Ava"})
    singles: list[str] = []
    original = guest_cache().get

    def counting(key: str, *args: Any, **kwargs: Any) -> Any:
        singles.append(key)
        return original(key, *args, **kwargs)

    with guest_cache_versions_pinned():
        keys = [guest_cache_key("user", account_id=1), guest_cache_key("referrals", account_id=1)]
        guest_cache_prefetch(keys)
        monkeypatch.setattr(guest_cache(), "get", counting)
        assert guest_cache_get(keys[0]) == {"name": "Ava"}
        assert guest_cache_get(keys[1]) is MISSING
        # A read that missed and then cached its answer sees it within the page.
        guest_cache_set(keys[1], ["x"])
        assert guest_cache_get(keys[1]) == ["x"]
        assert singles == []
    # Outside a page, entries are read one by one, as ever.
    assert guest_cache_get(two) == ["x"]
    assert singles == [two]
