"""Eventual consistency, reset to the seed, the state summary and the sandbox clock."""

from __future__ import annotations

from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import Api

CARD = {"printedCardNumber": demo.DEMO_ACTIVE_CARD}


def _status(api: Api) -> str:
    return str(api.get("guest/accountInformation", **CARD)["queryCardStatus"])


def test_a_change_becomes_visible_only_after_the_delay(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.set_consistency_delay(30)
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    assert _status(api) == "ACTIVE"
    sandbox.advance(29)
    assert _status(api) == "ACTIVE"
    sandbox.advance(2)
    assert _status(api) == "DISABLED"


def test_writes_are_checked_against_the_latest_state_not_the_visible_one(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.set_consistency_delay(30)
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    attach = api.post(
        "guest/attachCard",
        printedCardNumber=demo.DEMO_ACTIVE_CARD,
        otherPrintedCardNumber=demo.DEMO_ATTACHABLE_CARD,
    )
    assert attach["errorCode"] == "attach_card.card_not_active"


def test_changes_become_visible_in_order(api: Api, sandbox: SandboxController) -> None:
    sandbox.faults.set_consistency_delay(10)
    api.post("guest/combineCard", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1])
    sandbox.advance(5)
    api.post(
        "guest/changeCardStatus", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1], status="DISABLED"
    )
    sandbox.advance(6)
    main = api.get("guest/accountInformation", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[0])
    statuses = {c["printedCardNumber"]: c["status"] for c in main["additionalCards"]}
    assert statuses[demo.DEMO_COMBINABLE_PAIR[1]] == "ACTIVE"
    sandbox.advance(5)
    assert (
        api.get("guest/accountInformation", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1])[
            "queryCardStatus"
        ]
        == "DISABLED"
    )


def test_turning_the_delay_off_shows_everything_at_once(
    api: Api, sandbox: SandboxController
) -> None:
    sandbox.faults.set_consistency_delay(300)
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    assert _status(api) == "ACTIVE"
    sandbox.faults.set_consistency_delay(0)
    assert _status(api) == "DISABLED"


def test_consistency_delay_and_clock_through_the_control_endpoints(
    api: Api, sandbox: SandboxController
) -> None:
    api.control("POST", "faults", {"consistencyDelay": 20})
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    assert _status(api) == "ACTIVE"
    assert api.control("GET", "state").json()["changesNotYetVisible"] == 1
    assert api.control("POST", "clock", {"advance": 21}).status_code == 200
    assert _status(api) == "DISABLED"


def test_reset_restores_the_seed(api: Api, sandbox: SandboxController) -> None:
    seeded = api.get("guest/accountInformation", **CARD)
    api.post("guest/combineCard", printedCardNumber=demo.DEMO_COMBINABLE_PAIR[1])
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    sandbox.reset()
    assert api.get("guest/accountInformation", **CARD) == seeded
    other = sandbox.state.account_for_card(demo.DEMO_COMBINABLE_PAIR[1])
    assert (other.status, other.combined_into) == ("ACTIVE", None)


def test_reset_through_the_control_endpoint_also_clears_faults(
    api: Api, sandbox: SandboxController
) -> None:
    api.post("guest/changeCardStatus", **CARD, status="DISABLED")
    sandbox.faults.error(status=500, method="GET", endpoint="userInformation")
    assert api.control("POST", "reset").json() == {"result": "success"}
    assert _status(api) == "ACTIVE"
    assert sandbox.faults.rules == []
    sandbox.faults.error(status=500, endpoint="userInformation")
    api.control("POST", "reset", {"keepFaults": True})
    assert len(sandbox.faults.rules) == 1


def test_the_state_summary_counts_without_personal_data(api: Api) -> None:
    summary = api.control("GET", "state").json()
    assert summary["users"] >= 200
    assert summary["cardsByStatus"]["DISABLED"] > 0
    assert summary["changedSinceReset"] is False
    text = str(summary)
    assert demo.DEMO_EMAIL not in text
    assert demo.DEMO_PASSWORD not in text


def test_every_test_starts_from_the_seed(api: Api, sandbox: SandboxController) -> None:
    # The fixture reset happened: nothing earlier in the session leaks into this test.
    assert sandbox.state.summary()["changedSinceReset"] is False
    assert sandbox.faults.rules == []
    assert _status(api) == "ACTIVE"
