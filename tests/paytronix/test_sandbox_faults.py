"""The retry policy, outcome-unknown writes and the breaker against the sandbox's injected faults.

Sleeps are recorded, not slept, and the breaker runs on a hand-driven clock: nothing here
asserts on elapsed time.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portal.paytronix import PaytronixClient, Transport, config_from_settings, permit_writes
from portal.paytronix.errors import (
    CircuitOpenError,
    MalformedReplyError,
    OutcomeUnknownError,
    TransportError,
    UpstreamStatusError,
)
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

from .conftest import FakeClock

ACCOUNT_INFORMATION = "guest/accountInformation"
CHANGE_CARD_STATUS = "guest/changeCardStatus"


@dataclasses.dataclass
class Probe:
    client: PaytronixClient
    sleeps: list[float]
    clock: FakeClock


@pytest.fixture
def make_probe(sandbox: SandboxController) -> Iterator[Callable[..., Probe]]:
    """A client on the sandbox's settings, with recorded sleeps and a hand-driven clock."""
    made: list[Transport] = []

    def make(**overrides: Any) -> Probe:
        config = dataclasses.replace(config_from_settings(), **overrides)
        sleeps: list[float] = []
        clock = FakeClock()
        transport = Transport(config, sleep=sleeps.append, clock=clock, jitter=lambda: 0.5)
        made.append(transport)
        return Probe(PaytronixClient(config, transport=transport), sleeps, clock)

    yield make
    for transport in made:
        transport.close()


def _status(probe: Probe) -> str | None:
    account = probe.client.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)
    return account.query_card_status


def test_a_get_failing_twice_then_succeeding_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=ACCOUNT_INFORMATION, times=2)

    assert _status(probe) == "ACTIVE"
    assert probe.sleeps == [0.125, 0.25]


def test_a_get_that_keeps_failing_gives_up_after_three_attempts(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe()
    rule = sandbox.faults.error(500, endpoint=ACCOUNT_INFORMATION, times=4)

    with pytest.raises(TransportError) as caught:
        _status(probe)

    assert caught.value.status == 500
    assert rule.times == 1
    assert len(probe.sleeps) == 2


def test_retry_after_from_upstream_is_honoured(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=ACCOUNT_INFORMATION, times=1, retry_after=2)

    assert _status(probe) == "ACTIVE"
    assert probe.sleeps == [2.0]


@pytest.mark.parametrize("fault", ["drop", "malformed"])
def test_a_dropped_or_garbled_get_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Probe], fault: str
) -> None:
    probe = make_probe()
    sandbox.faults.add(fault, endpoint=ACCOUNT_INFORMATION, times=1)

    assert _status(probe) == "ACTIVE"
    assert len(probe.sleeps) == 1


def test_a_reply_that_stays_garbled_is_a_malformed_reply(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe()
    sandbox.faults.malformed(endpoint=ACCOUNT_INFORMATION)

    with pytest.raises(MalformedReplyError):
        _status(probe)


def test_a_read_that_hangs_past_the_timeout_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe(read_timeout=0.3)
    sandbox.faults.hang(5.0, endpoint=ACCOUNT_INFORMATION, times=1)

    assert _status(probe) == "ACTIVE"


def test_a_post_that_times_out_is_not_retried_and_is_settled_by_reading_back(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe(read_timeout=0.3)
    # The sandbox applies the change, then holds the reply past the client's timeout.
    rule = sandbox.faults.hang(5.0, endpoint=CHANGE_CARD_STATUS, times=2)

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        probe.client.guest.change_card_status(
            printed_card_number=demo.DEMO_ACTIVE_CARD, status="DISABLED"
        )

    assert rule.times == 1
    assert probe.sleeps == []
    assert _status(probe) == "DISABLED"


def test_a_write_refused_before_processing_is_still_outcome_unknown_to_the_client(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=CHANGE_CARD_STATUS, times=1)

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        probe.client.guest.change_card_status(
            printed_card_number=demo.DEMO_ACTIVE_CARD, status="DISABLED"
        )

    assert _status(probe) == "ACTIVE"


def test_the_breaker_opens_on_a_failing_upstream_and_closes_once_it_recovers(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe(max_attempts=1, breaker_threshold=3, breaker_cooldown=30.0)
    sandbox.faults.error(503)
    for _ in range(3):
        with pytest.raises(TransportError):
            _status(probe)

    with pytest.raises(CircuitOpenError):
        _status(probe)
    sandbox.faults.clear()
    with pytest.raises(CircuitOpenError):
        _status(probe)

    probe.clock.advance(30)
    assert _status(probe) == "ACTIVE"
    assert probe.client.transport.breaker.state == "closed"


def test_wrong_credentials_are_a_permanent_status_error(
    sandbox: SandboxController, make_probe: Callable[..., Probe]
) -> None:
    probe = make_probe(secret="not-the-secret")

    with pytest.raises(UpstreamStatusError) as caught:
        _status(probe)

    assert caught.value.status == 401
    assert "not-the-secret" not in str(caught.value)


def test_nothing_secret_is_logged_over_a_whole_session(
    sandbox: SandboxController,
    make_probe: Callable[..., Probe],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="portal.paytronix")
    probe = make_probe(read_timeout=0.3)
    sandbox.faults.error(503, endpoint=ACCOUNT_INFORMATION, times=1)
    sandbox.faults.hang(5.0, endpoint="guest/attachCard", times=1)
    _status(probe)
    with permit_writes(), pytest.raises(OutcomeUnknownError):
        probe.client.guest.attach_card(
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            other_printed_card_number=demo.DEMO_CARD_OWNED_BY_OTHER_USER,
            other_username=demo.DEMO_OTHER_USERNAME,
            other_password=demo.DEMO_OTHER_PASSWORD,
        )

    assert "paytronix GET guest/accountInformation.json" in caplog.text
    for secret in (
        sandbox.auth[1],
        demo.DEMO_OTHER_PASSWORD,
        demo.DEMO_ACTIVE_CARD,
        demo.DEMO_CARD_OWNED_BY_OTHER_USER,
    ):
        assert secret not in caplog.text
