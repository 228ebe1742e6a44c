"""What a web request leaves until its response is sent: the guest cache filled with what the
page read. The request itself reads it back from its own memo; the cache has it once the
response is closed, or before the response when it is a redirect (the browser asks for the next
page at once); a failure there is logged, never shown."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.test import RequestFactory

from portal.guestcache import MISSING, guest_cache, guest_cache_get, guest_cache_set
from portal.middleware import RequestIdMiddleware
from portal.paytronix.replies import ReferralList
from portal.requestscope import after_response, request_scope, run_after_response

KEY = "guest:test:after-response"
REPLY = ReferralList(number_of_available_user_referrals=3)


@pytest.fixture(autouse=True)
def _clean() -> Any:
    guest_cache().delete(KEY)
    yield
    guest_cache().delete(KEY)
    run_after_response()  # nothing left for the next test's thread


def test_in_a_web_request_the_cache_is_written_once_the_response_is_sent() -> None:
    with request_scope(after_response=True):
        guest_cache_set(KEY, REPLY)
        assert guest_cache().get(KEY) is None  # not yet written...
        assert guest_cache_get(KEY) == REPLY  # ...but this request reads it back
    assert guest_cache().get(KEY) is None
    run_after_response()  # what request_finished does once the server sent the response
    assert guest_cache().get(KEY) is not None
    assert guest_cache_get(KEY) == REPLY


def test_outside_a_web_request_the_cache_is_written_at_once() -> None:
    guest_cache_set(KEY, REPLY)
    assert guest_cache().get(KEY) is not None
    guest_cache().delete(KEY)
    with request_scope():  # a scope without a response to wait for (a task, a command)
        guest_cache_set(KEY, REPLY)
        assert guest_cache().get(KEY) is not None


def test_a_mutable_value_is_written_at_once_even_in_a_web_request() -> None:
    with request_scope(after_response=True):
        guest_cache_set(KEY, {"kept": ["as", "it", "was"]})
        assert guest_cache().get(KEY) is not None


def _view(response: HttpResponse) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        guest_cache_set(KEY, REPLY)
        return response

    return view


def test_a_redirect_writes_before_it_is_sent_a_page_after() -> None:
    page = RequestIdMiddleware(_view(HttpResponse("page")))
    page(RequestFactory().get("/"))
    assert guest_cache_get(KEY) is MISSING
    run_after_response()
    assert guest_cache_get(KEY) == REPLY

    guest_cache().delete(KEY)
    redirect = RequestIdMiddleware(_view(HttpResponseRedirect("/guests/1/")))
    redirect(RequestFactory().post("/"))
    assert guest_cache_get(KEY) == REPLY  # before the browser can follow it

    guest_cache().delete(KEY)
    htmx = HttpResponse("")
    htmx["HX-Redirect"] = "/guests/1/"
    RequestIdMiddleware(_view(htmx))(RequestFactory().post("/"))
    assert guest_cache_get(KEY) == REPLY


def test_a_failure_after_the_response_is_logged_and_the_rest_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def fails() -> None:
        raise RuntimeError("cache unreachable")

    with request_scope(after_response=True):
        after_response(fails)
        after_response(lambda: ran.append("second"))
    assert ran == []
    with caplog.at_level(logging.ERROR, logger="portal.requestscope"):
        run_after_response()
    assert ran == ["second"]
    assert "after the response failed" in caplog.text
    run_after_response()  # each piece of work runs once
    assert ran == ["second"]


def test_work_a_request_left_unrun_runs_when_its_thread_takes_the_next_request() -> None:
    ran: list[str] = []
    with request_scope(after_response=True):
        after_response(lambda: ran.append("left"))
    with request_scope(after_response=True):
        assert ran == ["left"]


def test_a_read_answering_after_the_response_was_sent_is_written_at_once() -> None:
    """A read the page stopped waiting for (past its deadline) still fills the cache: the
    request's queue is closed once its work has run, and later work runs at once."""
    import contextvars

    with request_scope(after_response=True):
        late = contextvars.copy_context()  # what a read thread holds
    run_after_response()
    late.run(guest_cache_set, KEY, REPLY)
    assert guest_cache().get(KEY) is not None


def test_a_requests_writes_go_in_one_round_trip_after_its_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = "guest:test:after-response:other"
    calls: list[tuple[str, int]] = []
    original = guest_cache().set_many

    def set_many(values: dict[str, Any], timeout: Any = None) -> Any:
        calls.append((",".join(sorted(values)), timeout))
        return original(values, timeout=timeout)

    monkeypatch.setattr(guest_cache(), "set_many", set_many)
    with request_scope(after_response=True):
        guest_cache_set(KEY, REPLY)
        guest_cache_set(other, [REPLY], timeout=60)
        guest_cache_set(KEY, ReferralList(number_of_available_user_referrals=4))
    run_after_response()
    assert sorted(calls) == sorted([(KEY, settings.GUEST_CACHE_SECONDS), (other, 60)])
    assert guest_cache_get(KEY) == ReferralList(number_of_available_user_referrals=4)
    assert guest_cache_get(other) == [REPLY]
    guest_cache().delete(other)


def test_work_given_after_the_response_was_sent_runs_at_once() -> None:
    import contextvars

    ran: list[str] = []
    with request_scope(after_response=True):
        late = contextvars.copy_context()  # what a read thread of the request holds
        after_response(lambda: ran.append("before"))
    run_after_response()
    assert ran == ["before"]
    late.run(after_response, lambda: ran.append("late"))
    assert ran == ["before", "late"]  # not queued on a list nobody runs again
