"""Services a merchant's integration may not have: the CSR service (notes) and accountQuery
(search by email, phone, name). Found missing (404) or switched off, each is said once,
calmly, remembered so no page spends a call on it, and search falls back to what works."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from django.test import Client
from django.urls import reverse

from guests.selectors.optional import ACCOUNT_SEARCH, NOTES
from portal.audit.models import AuditRecord
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import UpstreamCalls
from tests.guests.conftest import search

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])
NOTES_CALL = "csr/accountComments.json"
QUERY_CALL = "transaction/accountQuery.json"


def _notes_panel(html: str) -> str:
    start = html.index('id="panel-notes"')
    return html[start : html.index("</section>", start)]


def test_without_the_csr_service_the_notes_panel_says_so_calmly_once_asked(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox.app.without = frozenset({"csr"})

    with caplog.at_level(logging.WARNING, logger="guests.selectors.optional"):
        first = agent_client.get(GUEST_URL)
        second = agent_client.get(GUEST_URL)

    for response in (first, second):
        assert response.status_code == 200
        panel = _notes_panel(response.content.decode())
        assert NOTES.sentence in panel
        assert "alert error" not in panel
        assert "Add note" not in panel
    # Found out once; the second view asks nothing and logs nothing.
    assert upstream_calls.paths().count(NOTES_CALL) == 1
    assert [r.name for r in caplog.records].count("guests.selectors.optional") == 1
    # The rest of the page is there.
    assert demo.DEMO_FIRST_NAME in first.content.decode()


def test_the_csr_service_switched_off_costs_no_call(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls, settings: Any
) -> None:
    settings.PAYTRONIX_CSR_SERVICE = False

    response = agent_client.get(GUEST_URL)

    assert NOTES.sentence in _notes_panel(response.content.decode())
    assert NOTES_CALL not in upstream_calls.paths()


def test_a_refused_notes_read_is_still_an_error_with_a_retry(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(500, endpoint="csr/accountComments")

    panel = _notes_panel(agent_client.get(GUEST_URL).content.decode())

    assert "alert error" in panel
    assert NOTES.sentence not in panel


def test_without_account_search_a_phone_search_says_so_and_asks_once(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    sandbox.app.without = frozenset({"transaction/accountQuery"})

    first = search(agent_client, demo.DEMO_PHONE)
    second = search(agent_client, f"{demo.DEMO_FIRST_NAME} {demo.DEMO_LAST_NAME}")

    for response in (first, second):
        html = response.content.decode()
        assert response.status_code == 200
        assert ACCOUNT_SEARCH.sentence in html
        assert "refused" not in html
        assert "No guest matches" not in html
    assert upstream_calls.paths().count(QUERY_CALL) == 1


def test_without_account_search_an_eclub_email_still_finds_its_member(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls, settings: Any
) -> None:
    settings.PAYTRONIX_ACCOUNT_QUERY = False
    account_id = sandbox.state.card(demo.DEMO_ECLUB_CARD).account_id

    response = search(agent_client, demo.DEMO_ECLUB_EMAIL)

    assert response["Location"] == reverse("guests:guest", args=[account_id])
    assert QUERY_CALL not in upstream_calls.paths()


def test_without_account_search_an_email_that_is_a_username_finds_its_guest(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.PAYTRONIX_ACCOUNT_QUERY = False
    migrated = requests.get(
        f"{sandbox.url}guest/migrateEmailAsUsername.json",
        params={
            "merchantId": str(sandbox.merchant_id),
            "username": demo.DEMO_USERNAME,
            "email": demo.DEMO_EMAIL,
        },
        auth=sandbox.auth,
        timeout=10,
    )
    assert migrated.json()["result"] == "success"

    response = search(agent_client, demo.DEMO_EMAIL)

    assert response["Location"] == GUEST_URL


def test_card_and_account_id_searches_need_no_account_search(
    sandbox: SandboxController, agent_client: Client, settings: Any
) -> None:
    settings.PAYTRONIX_ACCOUNT_QUERY = False

    assert search(agent_client, demo.DEMO_ACTIVE_CARD)["Location"] == GUEST_URL
    assert search(agent_client, str(demo.DEMO_ACCOUNT_ID))["Location"] == GUEST_URL
    assert search(agent_client, demo.DEMO_USERNAME)["Location"] == GUEST_URL


def test_a_note_posted_without_the_csr_service_is_refused_calmly_and_sends_nothing(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls, settings: Any
) -> None:
    settings.PAYTRONIX_CSR_SERVICE = False

    response = agent_client.post(
        reverse("guests:note_add", args=[demo.DEMO_ACCOUNT_ID]),
        {"note-idempotency_key": "n1", "note-note": "Guest called"},
    )

    assert response.status_code == 200
    assert NOTES.sentence in response.content.decode()
    assert "csr/addAccountComment.json" not in upstream_calls.paths()
    assert not AuditRecord.objects.filter(action="account_note.add").exists()


def test_a_guest_page_reads_every_services_missing_flag_in_one_cache_round_trip(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    agent_client.get(GUEST_URL)  # everything cached
    asked: list[tuple[str, Any]] = []
    get, get_many = cache.get, cache.get_many

    inside_many = False

    def counted_get(key: str, *args: Any, **kwargs: Any) -> Any:
        if not inside_many:  # the local memory cache answers get_many by get
            asked.append(("get", key))
        return get(key, *args, **kwargs)

    def counted_get_many(keys: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal inside_many
        asked.append(("get_many", tuple(keys)))
        inside_many = True
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside_many = False

    monkeypatch.setattr(cache, "get", counted_get)
    monkeypatch.setattr(cache, "get_many", counted_get_many)
    html = agent_client.get(GUEST_URL).content.decode()
    flags = [(how, keys) for how, keys in asked if "paytronix-unavailable" in str(keys)]
    assert len(flags) == 1
    how, keys = flags[0]
    assert how == "get_many"
    assert {f"paytronix-unavailable:{name}" for name in ("csr", "transaction", "payment")} <= set(
        keys
    )
    assert "Point Adjustment" in html


def test_a_service_found_missing_mid_request_is_seen_missing_by_the_rest_of_that_request() -> None:
    from portal.paytronix.errors import UpstreamStatusError
    from portal.requestscope import request_scope

    with request_scope():
        assert NOTES.available()
        NOTES.remember_unavailable(UpstreamStatusError("404", endpoint=NOTES_CALL, status=404))
        assert not NOTES.available()
        assert ACCOUNT_SEARCH.available()


def test_every_service_declared_in_the_module_is_read_and_one_made_elsewhere_is_not() -> None:
    from guests.selectors import optional
    from portal.paytronix.errors import UpstreamStatusError

    declared = [v for v in vars(optional).values() if isinstance(v, optional.OptionalService)]
    made_elsewhere = optional.OptionalService(
        name="made_elsewhere",
        setting="PAYTRONIX_CSR_SERVICE",
        sentence="A service a test made for itself.",
    )
    for service in (*declared, made_elsewhere):
        service.remember_unavailable(UpstreamStatusError("404", endpoint=NOTES_CALL, status=404))

    assert optional._found_missing() == {
        "csr",
        "account_query",
        "enrollment",
        "guestmanagement",
        "transaction",
        "payment",
        "balance_transfer",
    }
    assert {service.name for service in declared} == optional._found_missing()
