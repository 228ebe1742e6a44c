"""The sandbox held to the Guest Service contract table (``portal/sandbox/contract``): every
endpoint is there with its method, refuses what the table refuses with the family's own code,
and answers documented results with the table's fields and JSON types."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from portal.sandbox import contract
from portal.sandbox.contract.derive import derive
from portal.sandbox.endpoints import ENDPOINTS
from portal.sandbox.errors import MESSAGES
from portal.sandbox.testing import SandboxController
from tests.sandbox.conftest import Api
from tests.sandbox.contract_calls import VALID, ill_typed, reply_problems

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "spec" / "guest-service.txt"
PATHS = sorted(contract.endpoints())
FAILURE_KEYS = {"result", "errorCode", "errorMessage"}


def send(api: Api, path: str, params: dict[str, Any]) -> dict[str, Any]:
    terms = contract.endpoints()[path]
    return api.get(path, **params) if terms.method == "GET" else api.post(path, **params)


def refusal(path: str, param: str) -> tuple[str, str]:
    """(result, errorCode) the table says a bad ``param`` of ``path`` answers."""
    terms = contract.endpoints()[path]
    return terms.request_error_result, terms.parameter_errors.get(param, terms.request_error)


# -- the table itself ---------------------------------------------------------------------------


def test_the_table_is_what_the_spec_text_derives_to() -> None:
    if not SPEC.is_file():
        pytest.skip("the vendor's reference text is not next to this checkout")
    derived = derive(SPEC.read_text(encoding="utf-8"))
    assert derived == contract.table()


def test_the_table_covers_every_guest_service_endpoint_of_the_spec() -> None:
    assert len(PATHS) == 36
    assert set(VALID) == set(PATHS)


@pytest.mark.parametrize("path", PATHS)
def test_the_sandbox_serves_each_endpoint_with_the_tables_method(path: str) -> None:
    assert ENDPOINTS[path].method == contract.endpoints()[path].method


def test_the_sandbox_serves_no_guest_endpoint_outside_the_table() -> None:
    served = {key for key in ENDPOINTS if key.startswith("guest/")}
    assert served == set(PATHS)


def test_the_sandboxs_spec_codes_carry_the_specs_messages() -> None:
    documented = contract.error_codes()
    families = {code.split(".")[0] for code in documented}
    ours = {code for code in MESSAGES if code.split(".")[0] in families}
    assert ours <= set(documented)
    assert {code: MESSAGES[code] for code in ours} == {code: documented[code] for code in ours}


def test_every_refusal_code_of_the_table_is_a_documented_code() -> None:
    for terms in contract.endpoints().values():
        codes = {terms.request_error, terms.merchant_error, *terms.parameter_errors.values()}
        assert codes <= set(contract.error_codes()), terms.path


# -- requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_each_missing_required_parameter_is_refused_with_the_familys_code(
    api: Api, path: str
) -> None:
    terms = contract.endpoints()[path]
    for param in terms.params:
        if not param.required or param.name == "merchantId":
            continue
        params = {k: v for k, v in VALID[path].items() if k != param.name}
        reply = send(api, path, params)
        assert set(reply) == FAILURE_KEYS, (param.name, reply)
        assert (reply["result"], reply["errorCode"]) == refusal(path, param.name), param.name
        assert param.name in reply["errorMessage"]


@pytest.mark.parametrize("path", PATHS)
def test_each_ill_typed_parameter_is_refused_in_the_strict_mode(api: Api, path: str) -> None:
    terms = contract.endpoints()[path]
    for param in terms.params:
        wrong = ill_typed(terms, param, VALID[path].get(param.name))
        if wrong is None or param.name == "merchantId":
            continue
        params = {**VALID[path], param.name: wrong}
        if terms.one_of and param.name in terms.one_of:
            params = {k: v for k, v in params.items() if k not in terms.one_of or k == param.name}
        reply = send(api, path, params)
        assert set(reply) == FAILURE_KEYS, (param.name, reply)
        assert (reply["result"], reply["errorCode"]) == refusal(path, param.name), param.name


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_parameter_is_refused_in_the_strict_mode(api: Api, path: str) -> None:
    reply = send(api, path, {**VALID[path], "startDate": "2024-01-01"})
    assert (reply["result"], reply["errorCode"]) == refusal(path, "startDate")
    assert reply["errorMessage"] == "Unknown argument: startDate"


@pytest.mark.parametrize("path", PATHS)
def test_another_merchant_is_refused_with_the_familys_code(api: Api, path: str) -> None:
    terms = contract.endpoints()[path]
    reply = send(api, path, {**VALID[path], "merchantId": api.sandbox.merchant_id + 1})
    assert set(reply) == FAILURE_KEYS
    assert (reply["result"], reply["errorCode"]) == (
        terms.request_error_result,
        terms.merchant_error,
    )


@pytest.mark.parametrize("path", ["guest/applyVisitCode", "guest/validateVisitCode"])
def test_a_visit_code_needs_exactly_one_account_key(api: Api, path: str) -> None:
    both = {**VALID[path], "printedCardNumber": contract_card(), "accountId": 9000001}
    neither = {"code": VALID[path]["code"]}
    for params in (both, neither):
        reply = send(api, path, params)
        assert (reply["result"], reply["errorCode"]) == ("failure", "account_info.error")
        assert reply["errorMessage"] == "Supply exactly one of printedCardNumber or accountId"


def contract_card() -> str:
    return str(VALID["guest/accountInformation"]["printedCardNumber"])


@pytest.mark.parametrize(
    ("path", "param", "value"),
    [
        ("guest/updateMessageFrequency", "preference", "WEEKLY"),
        ("guest/updateUserLanguagePrefByUsername", "languageCode", "en"),
        ("guest/changeCardStatus", "status", "EXCHANGED"),
    ],
)
def test_a_value_outside_the_specs_list_is_refused_in_any_mode(
    api: Api, sandbox: SandboxController, path: str, param: str, value: str
) -> None:
    sandbox.app.strict = False
    try:
        reply = send(api, path, {**VALID[path], param: value})
    finally:
        sandbox.app.strict = True
    assert (reply["result"], reply["errorCode"]) == refusal(path, param)
    assert reply["errorMessage"].startswith(f"Argument {param} must be one of ")


def test_outside_the_strict_mode_loose_parameters_are_logged_by_name_only(
    api: Api, sandbox: SandboxController, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.app.strict = False
    try:
        with caplog.at_level(logging.WARNING, logger="portal.sandbox.app"):
            reply = api.post(
                "guest/changeCardStatus",
                printedCardNumber=int(contract_card()),
                status="DISABLED",
                note="lost",
            )
    finally:
        sandbox.app.strict = True
    assert reply == {"result": "success"}
    logged = " | ".join(r.getMessage() for r in caplog.records)
    assert "Argument printedCardNumber must be a string" in logged
    assert "Unknown argument: note" in logged
    assert contract_card() not in logged


# -- replies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_each_endpoint_answers_its_success_with_the_tables_fields_and_types(
    api: Api, path: str
) -> None:
    reply = send(api, path, VALID[path])
    assert reply["result"] == "success", reply
    assert reply_problems(path, reply, exact=True) == []


@pytest.mark.parametrize("path", PATHS)
def test_each_endpoint_changes_state_exactly_when_the_table_says_it_writes(
    api: Api, sandbox: SandboxController, path: str
) -> None:
    # The reads sent as POST (validateVisitCode, validateReferralCode) change nothing; the
    # write sent as GET (migrateEmailAsUsername) does.
    sandbox.reset()
    reply = send(api, path, VALID[path])
    assert reply["result"] == "success", reply
    assert sandbox.state.summary()["changedSinceReset"] is contract.endpoints()[path].writes


def test_the_table_names_a_read_sent_as_post_and_a_write_sent_as_get() -> None:
    terms = contract.endpoints()
    posted_reads = {p for p, t in terms.items() if t.method == "POST" and not t.writes}
    writing_gets = {p for p, t in terms.items() if t.method == "GET" and t.writes}
    assert posted_reads == {"guest/validateVisitCode", "guest/validateReferralCode"}
    assert writing_gets == {"guest/migrateEmailAsUsername"}


def test_the_failure_replies_of_every_endpoint_carry_only_the_tables_fields(api: Api) -> None:
    for path in PATHS:
        reply = send(api, path, {})
        assert reply_problems(path, reply, exact=True) == [], path


def test_the_table_is_valid_json_with_its_provenance() -> None:
    raw = json.loads(contract.TABLE.read_text(encoding="utf-8"))
    assert raw["source"].startswith("../shared/spec/guest-service.txt")
    assert "decisions.py" in raw["derivedBy"]
