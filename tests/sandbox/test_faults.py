"""Fault injection from Python and from the control endpoint, and the portal's client riding
out those faults: its retry policy, outcome-unknown writes and the breaker.

Sleeps of the client are recorded, not slept, and its breaker runs on a hand-driven clock:
nothing here asserts on elapsed time.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from portal.paytronix import config_from_settings, permit_writes
from portal.paytronix.errors import (
    CircuitOpenError,
    MalformedReplyError,
    OutcomeUnknownError,
    TransportError,
    UpstreamStatusError,
)
from portal.sandbox import demo
from portal.sandbox.faults import FaultRule, Faults
from portal.sandbox.testing import SandboxController
from tests.paytronix.conftest import Harness, harness_for
from tests.sandbox.conftest import Api

CARD = {"printedCardNumber": demo.DEMO_ACTIVE_CARD}
DISABLE = {"printedCardNumber": demo.DEMO_ACTIVE_CARD, "status": "DISABLED"}


def test_the_next_n_requests_fail_with_the_chosen_status(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.error(status=502, times=2, retry_after=3)
    first = api.get_raw("guest/accountInformation", **CARD)
    second = api.get_raw("guest/accountInformation", **CARD)
    third = api.get_raw("guest/accountInformation", **CARD)
    assert [first.status_code, second.status_code, third.status_code] == [502, 502, 200]
    assert first.headers["Retry-After"] == "3"
    assert first.headers["Content-Type"].startswith("text/html")
    assert sandbox.faults.rules == []


def test_an_error_before_processing_leaves_a_write_undone(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.error(status=503, times=1, method="POST")
    assert api.post_raw("guest/changeCardStatus", **DISABLE).status_code == 503
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_an_error_after_processing_applies_the_write(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.error(status=504, times=1, process=True)
    assert api.post_raw("guest/changeCardStatus", **DISABLE).status_code == 504
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"


def test_faults_can_be_limited_to_an_endpoint_and_method(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.error(status=500, endpoint="guest/accountInformation.json", method="GET")
    assert api.get_raw("guest/accountInformation", **CARD).status_code == 500
    assert (
        api.get_raw("guest/accountInformationById", accountId=demo.DEMO_ACCOUNT_ID).status_code
        == 200
    )
    sandbox.faults.clear()
    sandbox.faults.error(status=500, endpoint="changeCardStatus")
    assert api.get_raw("guest/accountInformation", **CARD).status_code == 200
    assert api.post_raw("guest/changeCardStatus", **DISABLE).status_code == 500


def test_a_zero_rate_never_fires_and_a_full_rate_always_does() -> None:
    faults = Faults()
    faults.error(rate=0.0)
    assert all(faults.plan("guest/accountInformation", "GET").fault is None for _ in range(50))
    faults.clear()
    faults.error(rate=1.0)
    assert all(faults.plan("guest/accountInformation", "GET").fault for _ in range(50))


def test_an_error_rate_is_reproducible_for_a_seed() -> None:
    def pattern() -> list[bool]:
        faults = Faults(seed=3)
        faults.error(rate=0.3)
        return [faults.plan("guest/userInformation", "GET").fault is not None for _ in range(40)]

    first = pattern()
    assert first == pattern()
    assert 0 < sum(first) < 40


def test_latency_adds_fixed_delay_plus_bounded_jitter() -> None:
    faults = Faults()
    faults.latency(0.25, jitter=0.1, method="GET")
    delays = [faults.plan("guest/userInformation", "GET").latency for _ in range(20)]
    assert all(0.25 <= d <= 0.35 for d in delays)
    assert faults.plan("guest/attachCard", "POST").latency == 0.0


def test_a_slow_reply_still_answers(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.latency(0.05, jitter=0.05)
    assert api.get("guest/accountInformation", **CARD)["result"] == "success"


def test_a_hang_outlasts_the_client_timeout_after_applying_the_write(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.hang(seconds=30, times=1)
    api.timeout = 0.5
    with pytest.raises(requests.ReadTimeout):
        api.post_raw("guest/changeCardStatus", **DISABLE)
    # The write happened: the outcome is unknown to the client, known to the sandbox.
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"


def test_a_hang_without_processing_ends_in_a_dropped_connection(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.hang(seconds=0.2, times=1, process=False)
    with pytest.raises(requests.ConnectionError):
        api.post_raw("guest/changeCardStatus", **DISABLE)
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_clearing_faults_releases_a_held_request(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.hang(seconds=60, times=1)
    api.timeout = 0.3
    with pytest.raises(requests.ReadTimeout):
        api.get_raw("guest/accountInformation", **CARD)
    sandbox.faults.clear()
    api.timeout = 10.0
    assert api.get("guest/accountInformation", **CARD)["result"] == "success"


def test_a_dropped_connection_gets_no_reply(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.drop(times=1)
    with pytest.raises(requests.ConnectionError):
        api.get_raw("guest/accountInformation", **CARD)
    assert api.get("guest/accountInformation", **CARD)["result"] == "success"


def test_a_malformed_reply_is_not_json(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.malformed(times=1)
    response = api.get_raw("guest/accountInformation", **CARD)
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Extra"):
        response.json()


def test_faults_are_switched_through_the_control_endpoint(
    api: Api, sandbox: SandboxController
) -> None:
    response = api.control(
        "POST",
        "faults",
        {"rules": [{"kind": "error", "status": 503, "times": 1, "endpoint": "accountInformation"}]},
    )
    assert response.status_code == 200
    assert response.json()["rules"][0]["kind"] == "error"
    assert api.get_raw("guest/accountInformation", **CARD).status_code == 503
    assert api.get_raw("guest/accountInformation", **CARD).status_code == 200
    api.control("POST", "faults", {"rules": [{"kind": "drop"}], "mode": "add"})
    assert len(api.control("GET", "faults").json()["rules"]) == 1
    assert api.control("DELETE", "faults").json() == {"rules": [], "consistencyDelay": 0.0}
    assert sandbox.faults.rules == []


@pytest.mark.parametrize(
    "kind", [{"kind": "hang", "seconds": 30, "times": 1}, {"kind": "drop"}, {"kind": "malformed"}]
)
def test_each_kind_can_be_set_through_the_control_endpoint(
    api: Api, sandbox: SandboxController, kind: dict[str, object]
) -> None:
    assert api.control("POST", "faults", {"rules": [kind]}).status_code == 200
    api.timeout = 0.5
    with pytest.raises((requests.RequestException, ValueError)):
        api.get_raw("guest/accountInformation", **CARD).json()


def test_the_control_endpoint_rejects_unknown_fault_documents(api: Api) -> None:
    response = api.control("POST", "faults", {"rules": [{"kind": "meteor"}]})
    assert response.status_code == 400
    response = api.control("POST", "faults", {"rules": [{"kind": "error", "colour": "red"}]})
    assert response.status_code == 400


def test_fault_rules_round_trip_as_json() -> None:
    rule = FaultRule("error", endpoint="guest/attachCard", status=502, times=2, retry_after=5)
    assert FaultRule.from_json(rule.to_json()) == rule


# -- the portal's client against the faults ---------------------------------------------------

ACCOUNT_INFORMATION = "guest/accountInformation"
CHANGE_CARD_STATUS = "guest/changeCardStatus"


@pytest.fixture
def make_probe(sandbox: SandboxController) -> Iterator[Callable[..., Harness]]:
    """A client on the sandbox's settings, with recorded sleeps and a hand-driven clock."""
    made: list[Harness] = []

    def make(**overrides: Any) -> Harness:
        made.append(harness_for(dataclasses.replace(config_from_settings(), **overrides)))
        return made[-1]

    yield make
    for harness in made:
        harness.transport.close()


def _status(probe: Harness) -> str | None:
    account = probe.client.guest.account_information(printed_card_number=demo.DEMO_ACTIVE_CARD)
    return account.query_card_status


def test_a_get_failing_twice_then_succeeding_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=ACCOUNT_INFORMATION, times=2)

    assert _status(probe) == "ACTIVE"
    assert probe.sleeps == [0.125, 0.25]


def test_a_get_that_keeps_failing_gives_up_after_three_attempts(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe()
    rule = sandbox.faults.error(500, endpoint=ACCOUNT_INFORMATION, times=4)

    with pytest.raises(TransportError) as caught:
        _status(probe)

    assert caught.value.status == 500
    assert rule.times == 1
    assert len(probe.sleeps) == 2


def test_retry_after_from_upstream_is_honoured(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=ACCOUNT_INFORMATION, times=1, retry_after=2)

    assert _status(probe) == "ACTIVE"
    assert probe.sleeps == [2.0]


@pytest.mark.parametrize("fault", ["drop", "malformed"])
def test_a_dropped_or_garbled_get_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Harness], fault: str
) -> None:
    probe = make_probe()
    sandbox.faults.add(fault, endpoint=ACCOUNT_INFORMATION, times=1)

    assert _status(probe) == "ACTIVE"
    assert len(probe.sleeps) == 1


def test_a_reply_that_stays_garbled_is_a_malformed_reply(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe()
    sandbox.faults.malformed(endpoint=ACCOUNT_INFORMATION)

    with pytest.raises(MalformedReplyError):
        _status(probe)


def test_a_read_that_hangs_past_the_timeout_is_retried(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe(read_timeout=0.3)
    sandbox.faults.hang(5.0, endpoint=ACCOUNT_INFORMATION, times=1)

    assert _status(probe) == "ACTIVE"


def test_a_post_that_times_out_is_not_retried_and_is_settled_by_reading_back(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
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
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe()
    sandbox.faults.error(503, endpoint=CHANGE_CARD_STATUS, times=1)

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        probe.client.guest.change_card_status(
            printed_card_number=demo.DEMO_ACTIVE_CARD, status="DISABLED"
        )

    assert _status(probe) == "ACTIVE"


def test_the_breaker_opens_on_a_failing_upstream_and_closes_once_it_recovers(
    sandbox: SandboxController, make_probe: Callable[..., Harness]
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
    sandbox: SandboxController, make_probe: Callable[..., Harness]
) -> None:
    probe = make_probe(secret="not-the-secret")

    with pytest.raises(UpstreamStatusError) as caught:
        _status(probe)

    assert caught.value.status == 401
    assert "not-the-secret" not in str(caught.value)


def test_nothing_secret_is_logged_over_a_whole_session(
    sandbox: SandboxController,
    make_probe: Callable[..., Harness],
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
