"""The circuit breaker's state in Redis: one process's transport faults open it for every
process, exactly one process sends the half-open trial, and without Redis each process still
protects itself."""

from __future__ import annotations

import contextvars
import os
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import redis

from portal.paytronix import observe
from portal.paytronix.breaker import (
    CHECK_SHARED_FOR,
    ChecksTogether,
    SharedCircuitBreaker,
    share_checks,
)
from portal.paytronix.errors import CircuitOpenError, TransportError

from .conftest import FakeUpstream, Harness, Reply
from .test_session import CARD, READ

pytestmark = pytest.mark.redis

COOLDOWN = 0.4


class Changes:
    """An observer of the breaker's changes of state (what the metrics hook sees)."""

    def __init__(self) -> None:
        self.states: list[str] = []

    def call_ended(self, event: observe.CallEnded) -> None:
        pass

    def breaker_changed(self, state: str) -> None:
        self.states.append(state)


@pytest.fixture
def changes(monkeypatch: pytest.MonkeyPatch) -> Changes:
    seen = Changes()
    monkeypatch.setattr(observe, "_observers", [seen])
    return seen


@pytest.fixture
def shared() -> Iterator[Callable[..., SharedCircuitBreaker]]:
    """``shared(**overrides)``: a breaker as one process would build it; every breaker of one
    test shares one Redis prefix, as every process of one deployment does."""
    url = os.environ["REDIS_URL"]
    prefix = f"test-breaker:{uuid.uuid4().hex}"

    def make(**overrides: Any) -> SharedCircuitBreaker:
        options: dict[str, Any] = {
            "threshold": 3,
            "cooldown": COOLDOWN,
            "clock": time.monotonic,
            "redis_url": url,
            "prefix": prefix,
            "trial_ttl": 5.0,
        }
        return SharedCircuitBreaker(**(options | overrides))

    yield make
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_faults_seen_by_one_process_open_the_circuit_for_another(
    shared: Callable[..., SharedCircuitBreaker], changes: Changes
) -> None:
    web, worker = shared(), shared()
    web.allow("guest/accountInformation.json")
    web.record_failure()
    worker.record_failure()
    assert worker.state == "closed"
    web.record_failure()

    with pytest.raises(CircuitOpenError) as caught:
        worker.allow("guest/userInformation.json")
    assert 0 < caught.value.retry_in <= COOLDOWN
    assert (web.state, worker.state) == ("open", "open")
    assert changes.states == ["open"]


def test_after_the_cooldown_exactly_one_process_sends_the_trial(
    shared: Callable[..., SharedCircuitBreaker], changes: Changes
) -> None:
    first, second, third = shared(), shared(), shared()
    for _ in range(3):
        first.record_failure()
    time.sleep(COOLDOWN + 0.05)
    assert second.state == "half_open"

    second.allow("guest/accountInformation.json")
    for other in (first, third):
        with pytest.raises(CircuitOpenError):
            other.allow("guest/accountInformation.json")
    second.record_success()

    third.allow("guest/accountInformation.json")
    assert first.state == "closed"
    assert changes.states == ["open", "half_open", "closed"]


def test_a_failed_trial_opens_the_circuit_again_for_everyone(
    shared: Callable[..., SharedCircuitBreaker],
) -> None:
    first, second = shared(), shared()
    for _ in range(3):
        first.record_failure()
    time.sleep(COOLDOWN + 0.05)
    second.allow("guest/accountInformation.json")
    second.record_failure()

    with pytest.raises(CircuitOpenError):
        first.allow("guest/accountInformation.json")


def test_a_success_anywhere_resets_the_count_of_consecutive_faults(
    shared: Callable[..., SharedCircuitBreaker],
) -> None:
    first, second = shared(), shared()
    first.record_failure()
    first.record_failure()
    second.record_success()
    first.record_failure()

    second.allow("guest/accountInformation.json")
    assert second.state == "closed"


def test_without_redis_each_process_still_has_its_own_breaker(
    shared: Callable[..., SharedCircuitBreaker],
) -> None:
    alone = shared(redis_url="redis://127.0.0.1:9/0", threshold=2)
    alone.record_failure()
    alone.record_failure()

    with pytest.raises(CircuitOpenError):
        alone.allow("guest/accountInformation.json")


def test_two_clients_sharing_redis_one_learns_and_the_other_calls_nothing(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    url = os.environ["REDIS_URL"] + f"?client_name=breaker-{uuid.uuid4().hex[:8]}"
    common = {"max_attempts": 1, "breaker_threshold": 2, "breaker_redis_url": url}
    gunicorn, celery = make_harness(**common), make_harness(**common)
    try:
        upstream.reply(Reply(status=503), Reply(status=503))
        for _ in range(2):
            with pytest.raises(TransportError):
                gunicorn.transport.call(READ, {"printedCardNumber": CARD})

        with pytest.raises(CircuitOpenError):
            celery.transport.call(READ, {"printedCardNumber": CARD})
        assert len(upstream.requests) == 2
    finally:
        gunicorn.transport.breaker.record_success()


def test_a_call_that_began_with_no_fault_counted_writes_nothing_when_it_succeeds(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = shared(), shared()
    first.allow("guest/accountInformation.json")
    second.record_failure()  # while first's call is in flight
    second.record_failure()
    writes: list[str] = []
    original = first._redis.pipeline

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        writes.append("pipe")
        return original(*args, **kwargs)

    monkeypatch.setattr(first._redis, "pipeline", pipeline)
    first.record_success()
    assert writes == []  # nothing sent to Redis for a healthy call's success
    # The faults counted meanwhile stand: one more opens the circuit...
    first.allow("guest/accountInformation.json")  # ...but this call sees them,
    first.record_success()  # so its success resets them.
    second.record_failure()
    second.record_failure()
    assert second.state == "closed"
    second.record_failure()
    assert second.state == "open"


def test_a_success_after_a_call_saw_faults_resets_them_and_a_failed_call_never_skips(
    shared: Callable[..., SharedCircuitBreaker],
) -> None:
    breaker = shared()
    breaker.allow("guest/accountInformation.json")  # healthy...
    breaker.record_failure()  # ...but this call failed: the next success must not skip
    breaker.allow("guest/accountInformation.json")
    breaker.record_failure()
    breaker.record_success()  # no allow before it in this thread: always resets
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"  # 2 counted since the reset, threshold 3


class Reads:
    """Counts a breaker's reads of its shared state."""

    def __init__(self, breaker: SharedCircuitBreaker, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = breaker._open_and_tripped

        def counted() -> tuple[int, int, bool]:
            self.count += 1
            return original()

        monkeypatch.setattr(breaker, "_open_and_tripped", counted)


def _together(together: ChecksTogether, work: Callable[[], Any]) -> Any:
    """``work()`` in a copy of this context sharing ``together``, as a fan-out's read runs."""
    context = contextvars.copy_context()
    context.run(share_checks, together)
    return context.run(work)


READ_PATH = "guest/accountInformation.json"


def test_calls_sent_together_read_the_shared_state_once(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    breaker = shared(clock=lambda: now[0])
    reads = Reads(breaker, monkeypatch)
    together = ChecksTogether()
    for _ in range(5):
        _together(together, lambda: breaker.allow(READ_PATH))
    assert reads.count == 1
    now[0] += CHECK_SHARED_FOR + 0.01  # what was read is too old to share: asked again
    _together(together, lambda: breaker.allow(READ_PATH))
    assert reads.count == 2
    breaker.allow(READ_PATH)  # a call sharing nothing (the request's own context) asks
    assert reads.count == 3
    _together(ChecksTogether(), lambda: breaker.allow(READ_PATH))  # another page's reads ask
    assert reads.count == 4


def test_a_fault_among_calls_sent_together_is_reset_by_the_next_success(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker = shared()
    reads = Reads(breaker, monkeypatch)
    together = ChecksTogether()

    def failed() -> None:
        breaker.allow(READ_PATH)
        breaker.record_failure()

    def answered() -> None:
        breaker.allow(READ_PATH)
        breaker.record_success()

    _together(together, failed)
    _together(together, failed)
    _together(together, answered)  # asks again (sees the faults), so its success resets them
    assert reads.count == 3
    _together(together, failed)
    _together(together, failed)
    assert breaker.state == "closed"  # 2 counted since the reset, threshold 3
    _together(together, failed)
    assert breaker.state == "open"


def test_an_open_or_half_open_circuit_is_asked_by_every_call_sent_together(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker, other = shared(), shared()
    for _ in range(3):
        other.record_failure()
    reads = Reads(breaker, monkeypatch)
    together = ChecksTogether()
    for _ in range(2):
        with pytest.raises(CircuitOpenError):
            _together(together, lambda: breaker.allow(READ_PATH))
    assert reads.count == 2
    time.sleep(COOLDOWN + 0.05)
    _together(together, lambda: breaker.allow(READ_PATH))  # the trial...
    with pytest.raises(CircuitOpenError):  # ...taken by one call only
        _together(together, lambda: breaker.allow(READ_PATH))
    assert reads.count == 4
    breaker.record_success()


def test_a_page_s_reads_share_one_check_and_the_request_keeps_none(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    from guests.selectors.fanout import run_reads

    breaker = shared()
    reads = Reads(breaker, monkeypatch)
    outcomes = run_reads({name: partial(breaker.allow, READ_PATH) for name in "abcde"})
    assert all(outcome.ok for outcome in outcomes.values())
    assert reads.count == 1
    breaker.allow(READ_PATH)
    assert reads.count == 2


def test_a_fault_is_counted_before_the_calls_sent_with_it_ask_again(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker = shared()
    together = ChecksTogether()
    asked_after: list[bool] = []
    forget = together.forget

    def forget_then_ask(key: str) -> None:
        forget(key)
        # Another call of the group asks right after the fault made it forget: it must see
        # the fault counted, or its success would not reset it.
        _, _, failing = together.seen(key, breaker._clock, breaker._open_and_tripped)
        asked_after.append(failing)

    monkeypatch.setattr(together, "forget", forget_then_ask)

    def failed() -> None:
        breaker.allow(READ_PATH)
        breaker.record_failure()

    _together(together, failed)
    assert asked_after == [True]


def test_calls_sent_together_fall_back_together_when_redis_does_not_answer(
    shared: Callable[..., SharedCircuitBreaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    breaker = shared()
    asked: list[float] = []

    def hangs() -> tuple[int, int, bool]:
        asked.append(time.monotonic())
        raise redis.ConnectionError("timed out")

    monkeypatch.setattr(breaker, "_open_and_tripped", hangs)
    together = ChecksTogether()
    for _ in range(5):
        # Each falls back to the process's own breaker (closed here): the call may go.
        _together(together, lambda: breaker.allow(READ_PATH))
    # Redis was asked once for the five, not once each in turn.
    assert len(asked) == 1
