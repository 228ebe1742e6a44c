"""The production log: one JSON object a line with the fields an operator searches by, and never
a card number, password, registration code or guest email in clear.

The card and guest flows run against the sandbox with the handler, filter and formatter that
``LOG_FORMAT=json`` configures (taken from settings.LOGGING), and every line is scanned."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.logcontext import CONTEXT_FIELDS, text_redact
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
BASE_FIELDS = ("time", "level", "logger", "message")
UPSTREAM_FIELDS = ("upstream_endpoint", "upstream_result", "error_code", "duration_ms")
NEVER_IN_CLEAR = (
    demo.DEMO_ACTIVE_CARD,
    demo.DEMO_CARD_WITH_REGISTRATION_CODE,
    demo.DEMO_CARD_OWNED_BY_OTHER_USER,
    *demo.DEMO_COMBINABLE_PAIR,
    demo.DEMO_REGISTRATION_CODE,
    demo.DEMO_OTHER_PASSWORD,
    demo.DEMO_EMAIL,
    demo.DEMO_ECLUB_EMAIL,
    "new.friend@example.org",
    PASSWORD,
    "wrong-" + PASSWORD,
)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged (DEBUG and up) while the test runs, formatted as production does."""
    config: dict[str, Any] = settings.LOGGING
    configurator = logging.config.DictConfigurator(config)
    formatter = configurator.configure_formatter(dict(config["formatters"]["json"]))
    context = configurator.configure_filter(dict(config["filters"]["context"]))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(context)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="')[1].split('"')[0]


def attach_with_more_info(client: Client, card: str, key: str, **answers: str) -> Any:
    url = reverse("cards:attach_submit", args=[ACCOUNT])
    first = client.post(
        url, {"idempotency_key": key, "other_card_number": card, "reason_text": "Guest request"}
    )
    html = first.content.decode()
    return client.post(
        url,
        {
            "idempotency_key": hidden(html, "idempotency_key"),
            "other_card_number": hidden(html, "other_card_number"),
            "needed": hidden(html, "needed"),
            "reason_text": "Guest request",
            **answers,
        },
    )


def run_card_and_guest_flows(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    on_commit: Callable[..., Any],
) -> None:
    # Sign-in attempts, a wrong password among them.
    Client().post(reverse("login"), {"username": "alice.agent", "password": "wrong-" + PASSWORD})
    # Finding the guest by card number and by email, then the guest page.
    for text in (demo.DEMO_ACTIVE_CARD, demo.DEMO_EMAIL, demo.DEMO_ECLUB_EMAIL):
        agent_client.post(reverse("guests:search"), {"q": text})
    agent_client.get(reverse("guests:guest", args=[ACCOUNT]))
    # Attaching with a registration code, then with the owner's password.
    attached = attach_with_more_info(
        agent_client,
        demo.DEMO_CARD_WITH_REGISTRATION_CODE,
        "r1",
        registration_code=demo.DEMO_REGISTRATION_CODE,
    )
    assert attached.status_code == 303
    attached = attach_with_more_info(
        agent_client,
        demo.DEMO_CARD_OWNED_BY_OTHER_USER,
        "o1",
        other_username=demo.DEMO_OTHER_USERNAME,
        other_password=demo.DEMO_OTHER_PASSWORD,
    )
    assert attached.status_code == 303
    # Disabling a card, and the same while Paytronix drops the connection (outcome unknown).
    masked = demo.DEMO_ACTIVE_CARD[-6:]
    disable = reverse("cards:disable_submit", args=[ACCOUNT, masked])
    supervisor_client.post(disable, {"idempotency_key": "d1", "reason_code": "lost"})
    sandbox.faults.drop(endpoint="changeCardStatus")
    enable = reverse("cards:enable_submit", args=[ACCOUNT, masked])
    supervisor_client.post(enable, {"idempotency_key": "e1", "reason_code": "found"})
    sandbox.faults.clear()
    # Combining two cards: a job, run in-process here, item by item.
    # Combine acts on the attached account, through its card.
    other = demo.DEMO_COMBINABLE_PAIR[1]
    other_account = sandbox.state.account_for_card(other).account_id
    with on_commit(execute=True):
        supervisor_client.post(
            reverse("cards:combine_submit", args=[other_account, other[-6:]]),
            {"idempotency_key": "c1", "reason_text": "Two cards", "understood": "on"},
        )
    # Guest changes that carry emails.
    htmx = {"HX-Request": "true"}
    agent_client.post(
        reverse("guests:username_migrate", args=[ACCOUNT]),
        {
            "username-email": demo.DEMO_EMAIL,
            "username-reason": "Forgot username",
            "username-idempotency_key": "u1",
        },
        headers=htmx,
    )
    agent_client.post(
        reverse("guests:referrals_add", args=[ACCOUNT]),
        {"referrals-emails": "new.friend@example.org", "referrals-idempotency_key": "f1"},
        headers=htmx,
    )


def test_the_card_and_guest_flows_log_no_secret_and_no_personal_data_in_clear(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    json_log: io.StringIO,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    run_card_and_guest_flows(
        sandbox, agent_client, supervisor_client, django_capture_on_commit_callbacks
    )
    text = json_log.getvalue()
    assert len(text.splitlines()) > 20, "the flows logged almost nothing: is the capture on?"
    for secret in NEVER_IN_CLEAR:
        assert secret not in text, f"{secret!r} is in the log"


def test_every_line_is_one_json_object_with_the_context_fields(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    json_log: io.StringIO,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    run_card_and_guest_flows(
        sandbox, agent_client, supervisor_client, django_capture_on_commit_callbacks
    )
    records = lines(json_log)
    for record in records:
        assert set(BASE_FIELDS + CONTEXT_FIELDS) <= set(record), record
    upstream = [
        r for r in records if r["logger"] == "portal.paytronix" and "upstream_endpoint" in r
    ]
    assert upstream, "no upstream call was logged"
    for record in upstream:
        assert set(UPSTREAM_FIELDS) <= set(record), record
        assert isinstance(record["duration_ms"], int)
    assert any(
        r["upstream_endpoint"] == "guest/accountInformationById.json"
        and r["upstream_result"] == "success"
        and r["account_id"] == ACCOUNT
        for r in upstream
    )
    assert any(r.get("upstream_fault") == "connection dropped" for r in upstream)
    by_agent = [r for r in records if r["user"] == "alice.agent"]
    assert by_agent
    assert {r["role"] for r in by_agent} == {"agent"}
    assert all(len(r["request_id"]) >= 8 for r in by_agent)
    job_lines = [r for r in records if r["job_id"] is not None and r["job_item"] is not None]
    assert job_lines, "no line of the combine job's item carries the job id and item"


def test_a_card_number_or_email_logged_by_mistake_is_masked(json_log: io.StringIO) -> None:
    logging.getLogger("portal.test").warning(
        "looked up %s for %s", "6000 2019 0000 0011", "ava.thompson@example.com"
    )
    logging.getLogger("portal.test").info("extra", extra={"note": "card 6000201900000011"})
    first, second = lines(json_log)
    assert first["message"] == "looked up ****0011 for a***@example.com"
    assert second["note"] == "card ****0011"


def test_redaction_leaves_account_ids_and_times_alone() -> None:
    assert text_redact("account 9000001 at 2026-11-29T15:30:26") == (
        "account 9000001 at 2026-11-29T15:30:26"
    )
    assert text_redact("at 2026-11-29 15:30:26") == "at 2026-11-29 15:30:26"


@pytest.mark.parametrize("number", ["60002019001", "600020190011", "6000 2019 001"])
def test_the_shortest_card_numbers_the_console_takes_are_masked_too(number: str) -> None:
    # The forms and bulk files take 11 to 19 digits; the logs masked 13 and more.
    last_four = number.replace(" ", "")[-4:]
    assert text_redact(f"card {number} refused") == f"card ****{last_four} refused"


def test_digits_inside_a_hash_are_not_masked_but_a_card_number_is() -> None:
    anchor = 'audit-anchor {"seq":4,"hash":"f3484416f84916580841153b4f2966a1","trigger":"interval"}'

    assert text_redact(anchor) == anchor
    assert text_redact("card=6000201900000011 ok") == "card=****0011 ok"
    assert text_redact('{"printedCardNumber": "6000 2019 0000 0011"}') == (
        '{"printedCardNumber": "****0011"}'
    )
