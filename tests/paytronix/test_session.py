"""The transport: auth, merchantId, retries, outcome-unknown writes, breaker, result mapping."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from portal.paytronix import ClientConfig, Endpoint, Transport, permit_writes, writes_permitted
from portal.paytronix.breaker import SharedCircuitBreaker
from portal.paytronix.endpoint import mask_digits
from portal.paytronix.errors import (
    AttachFailureError,
    CircuitOpenError,
    FailureError,
    InvalidStatusError,
    MalformedReplyError,
    MoreInfoError,
    OutcomeUnknownError,
    TransportError,
    UnexpectedResultError,
    UpstreamStatusError,
    WriteNotPermittedError,
)

from .conftest import MERCHANT_ID, SECRET, USERNAME, FakeUpstream, Harness, Reply

CARD = "6000201000200841"
READ = Endpoint("guest/accountInformation.json", errors=frozenset({"invalid_status"}))
READ_POST = Endpoint("guest/validateVisitCode.json", "POST")
WRITE = Endpoint("guest/changeCardStatus.json", "POST", write=True)
WRITE_GET = Endpoint("guest/migrateEmailAsUsername.json", "GET", write=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Request shape


def test_every_call_sends_basic_auth_with_the_integration_secret(
    upstream: FakeUpstream, harness: Harness
) -> None:
    harness.transport.call(READ, {"printedCardNumber": CARD})

    scheme, token = upstream.requests[0].headers["Authorization"].split()
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"{USERNAME}:{SECRET}"


def test_get_sends_merchant_id_and_parameters_in_the_query_string(
    upstream: FakeUpstream, harness: Harness
) -> None:
    harness.transport.call(
        READ, {"printedCardNumber": CARD, "skipped": None, "flag": True, "other": False}
    )

    seen = upstream.requests[0]
    assert (seen.method, seen.path) == ("GET", "/rest/25.33/guest/accountInformation.json")
    assert seen.query == {
        "merchantId": str(MERCHANT_ID),
        "printedCardNumber": CARD,
        "flag": "true",
        "other": "false",
    }
    assert seen.body is None


def test_post_sends_merchant_id_and_parameters_in_the_json_body(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with permit_writes():
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "DISABLED", "x": None})

    seen = upstream.requests[0]
    assert seen.method == "POST"
    assert seen.query == {}
    assert seen.body == {"merchantId": MERCHANT_ID, "printedCardNumber": CARD, "status": "DISABLED"}


def test_calls_reuse_one_pooled_session(upstream: FakeUpstream, harness: Harness) -> None:
    first = harness.transport.session
    harness.transport.call(READ, {"printedCardNumber": CARD})
    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert harness.transport.session is first
    assert len(upstream.requests) == 2


def test_a_closed_transport_reconnects_on_its_next_call(
    upstream: FakeUpstream, harness: Harness
) -> None:
    harness.transport.call(READ, {"printedCardNumber": CARD})
    first = harness.transport.session

    harness.transport.close()
    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert harness.transport.session is not first
    assert len(upstream.requests) == 2


def test_a_proxy_named_in_the_environment_is_used(
    upstream: FakeUpstream, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = upstream.base_url.split("/rest/")[0]
    monkeypatch.setenv("http_proxy", proxy)
    harness = make_harness(base_url="http://paytronix.invalid/rest/25.33/")

    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert [seen.path for seen in upstream.requests] == [f"/rest/25.33/{READ.path}"]


def test_credentials_in_the_proxy_url_are_sent_to_the_proxy(
    upstream: FakeUpstream, make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    host = upstream.base_url.split("/rest/")[0].removeprefix("http://")
    monkeypatch.setenv("http_proxy", f"http://egress:p%40ss@{host}")
    harness = make_harness(base_url="http://paytronix.invalid/rest/25.33/")

    harness.transport.call(READ, {"printedCardNumber": CARD})

    sent = upstream.requests[0].headers["Proxy-Authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")) == b"egress:p@ss"


def test_a_write_through_an_unreachable_proxy_was_not_sent(
    make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port}")
    harness = make_harness(base_url="http://paytronix.invalid/rest/25.33/")

    with permit_writes(), pytest.raises(TransportError) as caught:
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "DISABLED"})

    # Nothing reached Paytronix: a plain fault, never "outcome unknown".
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert "proxy" in caught.value.message


def test_a_ca_bundle_directory_is_accepted(
    upstream: FakeUpstream,
    make_harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path))
    harness = make_harness()
    pool = harness.transport.session
    assert pool.connection_pool_kw["ca_cert_dir"] == str(tmp_path)
    assert "ca_certs" not in pool.connection_pool_kw


# Retries of reads


def test_a_get_failing_twice_then_succeeding_is_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503), Reply(status=500), {"result": "success", "username": "ann"})

    reply = harness.transport.call(READ, {"printedCardNumber": CARD})

    assert reply["username"] == "ann"
    assert len(upstream.requests) == 3
    # Full jitter (fixed at 0.5 here) of 0.25s doubling per attempt.
    assert harness.sleeps == [0.125, 0.25]


def test_a_get_gives_up_after_max_attempts_with_a_transient_transport_error(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=502), Reply(status=502), Reply(status=502), Reply(status=200))

    with pytest.raises(TransportError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert type(caught.value) is TransportError
    assert caught.value.status == 502
    assert caught.value.transient is True
    assert len(upstream.requests) == 3


def test_backoff_is_capped(upstream: FakeUpstream, make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_attempts=5, backoff_base=1.0, backoff_cap=2.0)
    upstream.reply(*[Reply(status=503)] * 4)

    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert harness.sleeps == [0.5, 1.0, 1.0, 1.0]


def test_retry_after_in_seconds_is_honoured(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(Reply(status=503, headers={"Retry-After": "3"}), {"result": "success"})

    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert harness.sleeps == [3.0]


def test_retry_after_as_an_http_date_is_honoured(upstream: FakeUpstream, harness: Harness) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    upstream.reply(Reply(status=429, headers={"Retry-After": when}), {"result": "success"})

    harness.transport.call(READ, {"printedCardNumber": CARD})

    assert len(harness.sleeps) == 1
    assert 1.0 < harness.sleeps[0] <= 3.0


def test_a_retry_after_longer_than_the_backoff_cap_ends_the_retries(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503, headers={"Retry-After": "120"}), {"result": "success"})

    with pytest.raises(TransportError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert caught.value.status == 503
    assert harness.sleeps == []
    assert len(upstream.requests) == 1


def test_a_read_timeout_on_a_get_is_retried(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(read_timeout=0.2)
    upstream.reply(Reply(hang=2.0), {"result": "success"})

    assert harness.transport.call(READ, {"printedCardNumber": CARD}) == {"result": "success"}
    assert len(upstream.requests) == 2


def test_a_dropped_connection_on_a_get_is_retried(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(Reply(drop=True), {"result": "success"})

    assert harness.transport.call(READ, {"printedCardNumber": CARD}) == {"result": "success"}
    assert len(upstream.requests) == 2


@pytest.mark.parametrize(
    "body", [b"<html>Bad gateway</html>", b"[1, 2]", b'{"username": "no result"}'], ids=str
)
def test_a_reply_that_is_not_a_json_object_with_a_result_is_a_malformed_reply(
    upstream: FakeUpstream, harness: Harness, body: bytes
) -> None:
    upstream.reply(*[Reply(body=body)] * 3)

    with pytest.raises(MalformedReplyError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert caught.value.transient is True
    assert len(upstream.requests) == 3


def test_malformed_json_then_a_good_reply_is_retried(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(body=b'{"result": "succ'), {"result": "success"})

    assert harness.transport.call(READ, {"printedCardNumber": CARD}) == {"result": "success"}


# POST and writes: never retried


def test_a_post_that_times_out_is_not_retried_and_its_outcome_is_unknown(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(read_timeout=0.2)
    upstream.reply(Reply(hang=2.0))

    with permit_writes(), pytest.raises(OutcomeUnknownError) as caught:
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "DISABLED"})

    assert len(upstream.requests) == 1
    assert harness.sleeps == []
    assert caught.value.endpoint == "guest/changeCardStatus.json"
    assert "read timeout" in str(caught.value)


@pytest.mark.parametrize(
    "reply",
    [Reply(status=500), Reply(status=503, headers={"Retry-After": "1"}), Reply(drop=True)],
    ids=["500", "503", "dropped"],
)
def test_a_write_whose_transport_fails_after_sending_is_outcome_unknown(
    upstream: FakeUpstream, harness: Harness, reply: Reply
) -> None:
    upstream.reply(reply)

    with permit_writes(), pytest.raises(OutcomeUnknownError):
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "ACTIVE"})

    assert len(upstream.requests) == 1
    assert harness.sleeps == []


@pytest.mark.parametrize("endpoint", [WRITE, READ_POST], ids=["write", "read_only_post"])
def test_a_post_that_cannot_connect_was_never_sent_so_it_is_retried_then_a_plain_error(
    make_harness: Callable[..., Harness], endpoint: Endpoint
) -> None:
    # Nothing left the process: retrying cannot apply the write twice.
    harness = make_harness(base_url=f"http://127.0.0.1:{_closed_port()}/rest/25.33/")

    with permit_writes(), pytest.raises(TransportError) as caught:
        harness.transport.call(endpoint, {"printedCardNumber": CARD, "status": "ACTIVE"})

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert "cannot connect" in str(caught.value)
    assert harness.sleeps == [0.125, 0.25]


def test_a_write_refused_at_connect_then_sent_is_applied_once(
    make_harness: Callable[..., Harness],
) -> None:
    port = _closed_port()
    harness = make_harness(base_url=f"http://127.0.0.1:{port}/rest/25.33/")
    # The first attempt finds nobody listening; upstream comes up on that port during the
    # pause before the retry.
    late: list[FakeUpstream] = []

    def pause(seconds: float) -> None:
        harness.sleeps.append(seconds)
        upstream = FakeUpstream(port=port)
        upstream.reply({"result": "success"})
        upstream.thread.start()
        late.append(upstream)

    harness.transport._sleep = pause
    try:
        with permit_writes():
            reply = harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "ACTIVE"})
    finally:
        for upstream in late:
            upstream.server.shutdown()
            upstream.server.server_close()

    assert reply == {"result": "success"}
    assert [len(upstream.requests) for upstream in late] == [1]
    assert harness.sleeps == [0.125]


def test_a_read_only_post_is_not_retried_and_its_fault_is_a_plain_transport_error(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=503), {"result": "success"})

    with pytest.raises(TransportError) as caught:
        harness.transport.call(READ_POST, {"code": "ABC"})

    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(upstream.requests) == 1


def test_migrate_email_as_username_is_a_get_treated_as_a_write(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.transport.call(WRITE_GET, {"username": "ann", "email": "ann@example.com"})
    assert upstream.requests == []

    upstream.reply(Reply(status=503), {"result": "success"})
    with permit_writes(), pytest.raises(OutcomeUnknownError):
        harness.transport.call(WRITE_GET, {"username": "ann", "email": "ann@example.com"})
    assert len(upstream.requests) == 1
    assert upstream.requests[0].method == "GET"


# The write guard


def test_a_write_outside_permit_writes_is_refused_before_anything_is_sent(
    upstream: FakeUpstream, harness: Harness
) -> None:
    with pytest.raises(WriteNotPermittedError) as caught:
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "DISABLED"})

    assert caught.value.endpoint == "guest/changeCardStatus.json"
    assert upstream.requests == []


def test_permit_writes_ends_with_its_block_even_on_error() -> None:
    def fail_inside() -> None:
        with permit_writes():
            assert writes_permitted()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    assert not writes_permitted()


def test_permit_writes_nests() -> None:
    with permit_writes():
        with permit_writes():
            assert writes_permitted()
        assert writes_permitted()
    assert not writes_permitted()


def test_permit_writes_does_not_leak_into_another_thread() -> None:
    seen: list[bool] = []
    with permit_writes():
        worker = threading.Thread(target=lambda: seen.append(writes_permitted()))
        worker.start()
        worker.join()
    assert seen == [False]


# Circuit breaker


def test_the_breaker_opens_after_consecutive_faults_and_fails_fast(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=2, breaker_cooldown=30.0)
    upstream.reply(Reply(status=503), Reply(status=503))
    for _ in range(2):
        with pytest.raises(TransportError):
            harness.transport.call(READ, {"printedCardNumber": CARD})

    harness.clock.advance(10)
    with pytest.raises(CircuitOpenError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert len(upstream.requests) == 2
    assert caught.value.retry_in == pytest.approx(20.0)
    assert "paused for 20s" in str(caught.value)
    assert harness.transport.breaker.state == "open"


def test_the_breaker_half_opens_after_the_cooldown_and_closes_on_success(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=2, breaker_cooldown=30.0)
    upstream.reply(Reply(status=503), Reply(status=503))
    for _ in range(2):
        with pytest.raises(TransportError):
            harness.transport.call(READ, {"printedCardNumber": CARD})

    harness.clock.advance(30)
    assert harness.transport.breaker.state == "half_open"
    assert harness.transport.call(READ, {"printedCardNumber": CARD}) == {"result": "success"}

    assert harness.transport.breaker.state == "closed"
    harness.transport.call(READ, {"printedCardNumber": CARD})
    assert len(upstream.requests) == 4


def test_a_failed_half_open_trial_opens_the_breaker_for_another_cooldown(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=3, breaker_cooldown=30.0)
    upstream.reply(*[Reply(status=500)] * 4)
    for _ in range(3):
        with pytest.raises(TransportError):
            harness.transport.call(READ, {"printedCardNumber": CARD})
    harness.clock.advance(31)

    with pytest.raises(TransportError) as trial:
        harness.transport.call(READ, {"printedCardNumber": CARD})
    assert not isinstance(trial.value, CircuitOpenError)

    with pytest.raises(CircuitOpenError):
        harness.transport.call(READ, {"printedCardNumber": CARD})
    assert len(upstream.requests) == 4


def test_half_open_lets_only_one_trial_through(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=1, breaker_cooldown=5.0)
    upstream.reply(Reply(status=500))
    with pytest.raises(TransportError):
        harness.transport.call(READ, {"printedCardNumber": CARD})
    harness.clock.advance(5)

    harness.transport.breaker.allow("trial in flight")
    with pytest.raises(CircuitOpenError):
        harness.transport.call(READ, {"printedCardNumber": CARD})
    assert len(upstream.requests) == 1


def test_the_breaker_stops_the_retries_of_a_get_once_open(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=3, breaker_threshold=2)
    upstream.reply(*[Reply(status=503)] * 3)

    with pytest.raises(CircuitOpenError):
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert len(upstream.requests) == 2


def test_result_errors_do_not_count_as_transport_faults(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=2)
    upstream.reply(Reply(status=503), {"result": "failure", "errorCode": "x"}, Reply(status=503))
    for _ in range(3):
        with pytest.raises((TransportError, FailureError)):
            harness.transport.call(READ, {"printedCardNumber": CARD})

    assert harness.transport.breaker.state == "closed"


def test_an_open_breaker_refuses_a_write_before_sending_it(
    upstream: FakeUpstream, make_harness: Callable[..., Harness]
) -> None:
    harness = make_harness(max_attempts=1, breaker_threshold=1)
    upstream.reply(Reply(status=503))
    with pytest.raises(TransportError):
        harness.transport.call(READ, {"printedCardNumber": CARD})

    with permit_writes(), pytest.raises(CircuitOpenError):
        harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "ACTIVE"})
    assert len(upstream.requests) == 1


# Result mapping


def test_failure_carries_error_code_and_message(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply(
        {"result": "failure", "errorCode": "account_info.invalid_card", "errorMessage": "no card"}
    )

    with pytest.raises(FailureError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert caught.value.result == "failure"
    assert caught.value.error_code == "account_info.invalid_card"
    assert caught.value.error_message == "no card"
    assert caught.value.transient is False
    assert len(upstream.requests) == 1


def test_invalid_status_carries_account_and_card_status(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "invalid_status",
            "accountStatus": "TERMINATED",
            "cardStatus": "DISABLED",
            "errorCode": "account_info.invalid_account_status",
            "errorMessage": "account in invalid state",
        }
    )

    with pytest.raises(InvalidStatusError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert (caught.value.account_status, caught.value.card_status) == ("TERMINATED", "DISABLED")
    assert caught.value.extra == {"accountStatus": "TERMINATED", "cardStatus": "DISABLED"}


def test_more_info_carries_the_fields_to_ask_for(upstream: FakeUpstream, harness: Harness) -> None:
    attach = Endpoint("guest/attachCard.json", "POST", write=True, errors=frozenset({"more_info"}))
    upstream.reply({"result": "more_info", "fields": ["username", "password"]})

    with permit_writes(), pytest.raises(MoreInfoError) as caught:
        harness.transport.call(attach, {"printedCardNumber": CARD})

    assert caught.value.fields == ["username", "password"]


def test_a_result_the_endpoint_does_not_document_is_unexpected(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "attach_failure", "errorCode": "x"}, {"result": "teapot"})

    with pytest.raises(UnexpectedResultError) as documented_elsewhere:
        harness.transport.call(READ, {"printedCardNumber": CARD})
    with pytest.raises(UnexpectedResultError) as unknown:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert not isinstance(documented_elsewhere.value, AttachFailureError)
    assert documented_elsewhere.value.result == "attach_failure"
    assert unknown.value.result == "teapot"


def test_an_endpoint_with_its_own_success_word_succeeds_on_it_only(
    upstream: FakeUpstream, harness: Harness
) -> None:
    add_comment = Endpoint("csr/addAccountComment.json", "POST", write=True, success="addSuccess")
    upstream.reply({"result": "addSuccess", "comment": {}}, {"result": "success"})

    with permit_writes():
        assert harness.transport.call(add_comment, {})["result"] == "addSuccess"
        with pytest.raises(UnexpectedResultError):
            harness.transport.call(add_comment, {})


def test_a_4xx_carrying_a_result_is_mapped_like_a_200(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(Reply(status=400, body={"result": "failure", "errorCode": "bad"}))

    with pytest.raises(FailureError):
        harness.transport.call(READ, {"printedCardNumber": CARD})


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_rejected_request_is_a_permanent_status_error_not_retried(
    upstream: FakeUpstream, harness: Harness, status: int
) -> None:
    upstream.reply(Reply(status=status, body=b"Unauthorized"), {"result": "success"})

    with pytest.raises(UpstreamStatusError) as caught:
        harness.transport.call(READ, {"printedCardNumber": CARD})

    assert caught.value.status == status
    assert caught.value.transient is False
    assert len(upstream.requests) == 1
    assert harness.transport.breaker.state == "closed"


# Secrets


def test_secrets_never_reach_logs_exceptions_or_reprs(
    upstream: FakeUpstream,
    make_harness: Callable[..., Harness],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="portal.paytronix")
    harness = make_harness(read_timeout=0.2)
    password, registration_code = "hunter2-P@ss", "REG-778899"
    upstream.reply(
        {"result": "failure", "errorCode": "c", "errorMessage": f"card {CARD} not loaded"},
        Reply(hang=2.0),
    )
    errors: list[BaseException] = []
    with permit_writes():
        for _ in range(2):
            try:
                harness.client.guest.attach_card(
                    printed_card_number=CARD,
                    other_printed_card_number="6000201000999999",
                    other_registration_code=registration_code,
                    other_username="bob",
                    other_password=password,
                )
            except (FailureError, OutcomeUnknownError) as exc:
                errors.append(exc)
    harness_on_closed = make_harness(base_url=f"http://127.0.0.1:{_closed_port()}/rest/25.33/")
    try:
        harness_on_closed.client.guest.account_information(printed_card_number=CARD)
    except TransportError as exc:
        errors.append(exc)

    assert [type(e) for e in errors] == [FailureError, OutcomeUnknownError, TransportError]
    assert upstream.requests[0].body["otherPassword"] == password
    texts = [
        caplog.text,
        repr(harness.client),
        repr(harness.transport),
        repr(harness.client.config),
    ]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for text in texts:
        for secret in (SECRET, password, registration_code, CARD):
            assert secret not in text
    assert "****0841" in str(errors[0])


def test_mask_digits_keeps_the_last_four_of_long_numbers_only() -> None:
    assert mask_digits("card 6000201000200841, store 464") == "card ****0841, store 464"


# Configuration


def test_config_adds_the_trailing_slash_and_hides_the_secret() -> None:
    config = ClientConfig(
        base_url="https://m1001.api.example.com/rest/25.33",
        merchant_id=1001,
        username="id",
        secret=SECRET,
    )

    assert config.base_url == "https://m1001.api.example.com/rest/25.33/"
    assert SECRET not in repr(config)


@pytest.mark.parametrize(
    "base_url", ["https://host/api/25.33/", "https://host/rest/", "ftp://host/rest/25.33/"]
)
def test_config_refuses_a_base_url_without_a_release(base_url: str) -> None:
    with pytest.raises(ValueError, match="/rest/<release>/"):
        ClientConfig(base_url=base_url, merchant_id=1, username="id", secret=SECRET)


def _config(**overrides: Any) -> ClientConfig:
    options: dict[str, Any] = {
        "base_url": "https://m1001.api.example.com/rest/25.33/",
        "merchant_id": 1001,
        "username": "id",
        "secret": SECRET,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "max_attempts": 3,
        "backoff_cap": 4.0,
    }
    return ClientConfig(**(options | overrides))


def test_the_longest_read_waits_out_every_attempts_read_timeout() -> None:
    # A GET is retried after a read timeout: three attempts of 2 + 5 s, two pauses of 4 s.
    assert _config().longest_call() == 3 * (2.0 + 5.0) + 2 * 4.0 == 29.0


def test_the_longest_write_retries_only_connect_faults() -> None:
    # A write is retried only when nothing was sent: two connect timeouts and their pauses,
    # then one attempt that connects and waits out its read timeout.
    assert _config().longest_call(retryable=False) == 3 * 2.0 + 5.0 + 2 * 4.0 == 19.0


def test_one_attempt_is_the_longest_call_when_there_are_no_retries() -> None:
    config = _config(max_attempts=1)

    assert config.longest_attempt == 7.0
    assert config.longest_call() == config.longest_call(retryable=False) == 7.0


def test_the_shared_breakers_trial_is_held_for_one_attempt_and_a_second() -> None:
    # Building the breaker opens no connection to Redis; nothing listens on this port.
    config = _config(breaker_redis_url=f"redis://127.0.0.1:{_closed_port()}/0")

    breaker = Transport(config).breaker

    assert isinstance(breaker, SharedCircuitBreaker)
    assert breaker._trial_ms == 8000


def test_the_breakers_trial_ttl_comes_from_the_configs_longest_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ClientConfig, "longest_attempt", property(lambda config: 12.5))
    config = _config(breaker_redis_url=f"redis://127.0.0.1:{_closed_port()}/0")

    breaker = Transport(config).breaker

    assert isinstance(breaker, SharedCircuitBreaker)
    assert breaker._trial_ms == 13500


def test_a_write_through_a_proxy_that_refuses_the_tunnel_was_not_sent(
    make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An egress proxy answering CONNECT with 407 (credentials refused): nothing reached
    Paytronix, so the write fails plainly and is never "outcome unknown"."""
    for name in ("no_proxy", "NO_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    asked: list[bytes] = []
    done = threading.Event()

    def refuse() -> None:
        # Every attempt's CONNECT is refused (a write not sent is tried again).
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with conn:
                asked.append(conn.recv(4096))
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="egress"\r\nContent-Length: 0\r\n\r\n'
                )

    proxy = threading.Thread(target=refuse, daemon=True)
    proxy.start()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{listener.getsockname()[1]}")
    harness = make_harness(base_url="https://paytronix.invalid/rest/25.33/")
    try:
        with permit_writes(), pytest.raises(TransportError) as caught:
            harness.transport.call(WRITE, {"printedCardNumber": CARD, "status": "DISABLED"})
    finally:
        done.set()
        proxy.join(timeout=5)
        listener.close()

    assert asked
    assert all(each.startswith(b"CONNECT paytronix.invalid:443") for each in asked)
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert "proxy" in caught.value.message


def test_a_credential_that_is_not_latin_1_is_refused_without_its_text(
    make_harness: Callable[..., Harness],
) -> None:
    with pytest.raises(ValueError, match="not Latin-1") as caught:
        make_harness(secret="s3cr\u20act")
    assert "s3cr" not in repr(caught.value)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None
