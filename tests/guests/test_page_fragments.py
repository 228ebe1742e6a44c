"""The guest page's data-only parts, drawn once per page digest: a page read from the cache alone
is named by everything it read, so a kept part is never shown for other data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.template import engines
from django.test import Client, override_settings
from django.urls import reverse

from guests.selectors import GuestPage, guest_page
from portal.guestcache import (
    failure_memory,
    guest_cache,
    guest_cache_consumed,
    guest_cache_get,
    guest_cache_set,
)
from portal.paytronix.errors import TransportError
from portal.paytronix.replies import BalanceInformation
from portal.requestscope import drop_after_response, request_scope
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])


@pytest.fixture
def load_page(agent: User) -> Callable[..., GuestPage]:
    def load(**kwargs: Any) -> GuestPage:
        return guest_page(viewer=agent, account_id=demo.DEMO_ACCOUNT_ID, **kwargs)

    return load


def test_a_page_read_from_the_cache_alone_has_a_digest_of_what_it_read(
    sandbox: SandboxController, load_page: Callable[..., GuestPage]
) -> None:
    first = load_page()
    assert first.data_digest == ""  # read from upstream
    warm = load_page()
    assert len(warm.data_digest) == 32
    assert load_page().data_digest == warm.data_digest
    # Fewer panels read fewer entries: another digest.
    assert load_page(panels=["header"]).data_digest not in {"", warm.data_digest}


def test_a_page_with_a_failed_source_has_no_digest(
    sandbox: SandboxController, load_page: Callable[..., GuestPage]
) -> None:
    load_page()
    guest_cache().clear()
    sandbox.faults.error(503, endpoint="guest/transactionHistoryByAccount")
    failed = load_page().history
    assert failed is not None
    assert not failed.ok
    # The failure is remembered briefly: the next page reads the rest from the cache and
    # fails the history again, without a call, and still has no digest.
    assert load_page().data_digest == ""


def test_changed_data_under_the_same_keys_shows_on_the_next_cached_page(
    sandbox: SandboxController, agent_client: Client
) -> None:
    agent_client.get(GUEST_URL)
    html = agent_client.get(GUEST_URL).content.decode()
    assert "ava.thompson@example.com" in html

    def new_email(model: Any, moment: Any) -> None:
        model.users[demo.DEMO_USERNAME].fields["email"] = "ava.new@example.com"

    sandbox.state.write(new_email)
    # The entries expire and are read again: the same keys (no change made here bumped the
    # guest's version), new text. The page read from upstream, then the cached one, say it.
    guest_cache().clear()
    assert "ava.new@example.com" in agent_client.get(GUEST_URL).content.decode()
    again = agent_client.get(GUEST_URL).content.decode()
    assert "ava.new@example.com" in again
    assert "ava.thompson@example.com" not in again


def test_a_value_this_request_wrote_leaves_no_digest() -> None:
    key = "guest:test:consumed"
    guest_cache().set(key, "not a reply")
    with guest_cache_consumed() as read_only:
        guest_cache_get(key)
    assert read_only.digest() != ""
    with request_scope(after_response=True), guest_cache_consumed() as with_own_write:
        guest_cache_set(key, [BalanceInformation(wallet_code=1, name="Points")])
        guest_cache_get(key)
    assert with_own_write.digest() == ""
    drop_after_response()


_PART = engines["django"].from_string(
    '{% load fragments %}{% page_fragment "part" %}<b>{{ text }}</b>{% endpage_fragment %}'
)


class _Page:
    def __init__(self, digest: str) -> None:
        self.data_digest = digest


def test_a_page_part_is_drawn_once_per_digest_and_always_without_one() -> None:
    assert _PART.render({"page": _Page("d1"), "text": "first"}) == "<b>first</b>"
    assert _PART.render({"page": _Page("d1"), "text": "other"}) == "<b>first</b>"
    assert _PART.render({"page": _Page("d2"), "text": "<i>"}) == "<b>&lt;i&gt;</b>"
    assert _PART.render({"page": _Page(""), "text": "a"}) == "<b>a</b>"
    assert _PART.render({"page": _Page(""), "text": "b"}) == "<b>b</b>"
    assert _PART.render({"text": "no page"}) == "<b>no page</b>"


_SIGNED = engines["django"].from_string(
    "{% load fragments %}{% signed_fragment key %}<b>{{ text }}</b>{% endsigned_fragment %}"
)


def test_on_a_cached_page_a_signed_fragment_is_kept_in_memory_too() -> None:
    assert _SIGNED.render({"page": _Page("d1"), "key": "k", "text": "first"}) == "<b>first</b>"
    guest_cache().clear()
    # The same page data: from this process's memory, the cache server not asked.
    assert _SIGNED.render({"page": _Page("d1"), "key": "k", "text": "other"}) == "<b>first</b>"
    # Another cached page with the same fragment key (the key names the content): memory too.
    assert _SIGNED.render({"page": _Page("d2"), "key": "k", "text": "third"}) == "<b>first</b>"
    # A page read from upstream asks the cache server (now empty), and draws.
    assert _SIGNED.render({"page": _Page(""), "key": "k", "text": "again"}) == "<b>again</b>"


@override_settings(GUEST_FAILURE_SECONDS=10)
def test_a_failure_answered_from_memory_leaves_no_digest() -> None:
    # As another account's read on the cards panel: the page is "all ok", the failure's words
    # are shown, and no stored text stands for them.
    key = "guest:test:consumed"
    guest_cache().set(key, "not a reply")
    failure_memory.remember("guest:test:failed", TransportError("late", endpoint="guest/x"))
    with guest_cache_consumed() as consumed:
        guest_cache_get(key)
        with pytest.raises(TransportError):
            failure_memory.raise_if_failed("guest:test:failed")
    assert consumed.digest() == ""
