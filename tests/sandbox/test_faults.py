"""Fault injection from Python and from the control endpoint."""

from __future__ import annotations

import pytest
import requests

from portal.sandbox import demo
from portal.sandbox.faults import FaultRule, Faults
from portal.sandbox.testing import SandboxController
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
