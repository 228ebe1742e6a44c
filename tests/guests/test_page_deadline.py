"""A hanging upstream costs the guest page a few seconds, not each read's timeouts: the page has
an overall deadline, and a panel whose read is late fails on its own."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

from guests.selectors import guest_page
from guests.selectors.fanout import read_within, run_reads
from portal.paytronix.errors import TransportError
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.conftest import UpstreamCalls

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])


def test_a_read_past_the_deadline_fails_alone_and_is_not_waited_for() -> None:
    release = threading.Event()
    started = time.monotonic()

    outcomes = run_reads({"fast": lambda: 1, "stuck": lambda: release.wait(10)}, deadline=0.3)

    assert time.monotonic() - started < 1.0
    assert outcomes["fast"].get() == 1
    error = outcomes["stuck"].error
    assert isinstance(error, TransportError)
    assert "no answer within the page's 0.3s" in error.message
    release.set()


def test_a_gate_read_past_the_deadline_raises_a_transport_error() -> None:
    release = threading.Event()
    with pytest.raises(TransportError):
        read_within(lambda: release.wait(10), name="account", deadline=0.2)
    release.set()
    assert read_within(lambda: 2, name="account", deadline=1) == 2


def test_a_hanging_panel_read_leaves_the_page_answering_within_its_deadline(
    sandbox: SandboxController, agent_client: Client, settings: object
) -> None:
    settings.GUESTS_PAGE_DEADLINE = 1.5  # type: ignore[attr-defined]
    settings.PAYTRONIX_READ_TIMEOUT = 20  # type: ignore[attr-defined]
    settings.AUDIT_ABANDONED_AFTER = 60  # type: ignore[attr-defined]
    sandbox.faults.hang(20, endpoint="guest/referralsByAccountId")
    started = time.monotonic()

    response = agent_client.get(GUEST_URL)

    assert time.monotonic() - started < 3.0
    assert response.status_code == 200
    html = response.content.decode()
    referrals = html[html.index('id="panel-referrals"') : html.index('id="panel-profile"')]
    assert "did not answer in time" in referrals
    assert "Try again" in referrals
    assert "Ava Thompson" in html
    assert "Point Adjustment" in html


def test_a_panel_read_answering_after_the_page_was_sent_fills_the_cache_for_the_retry(
    sandbox: SandboxController,
    agent_client: Client,
    settings: object,
    upstream_calls: UpstreamCalls,
) -> None:
    """The page stops waiting for a slow read and is sent; the read's answer, coming after the
    response, is still cached (it is written at once, not left for a response already gone),
    so the panel's "Try again" is answered without asking upstream again."""
    settings.GUESTS_PAGE_DEADLINE = 1.0  # type: ignore[attr-defined]
    settings.PAYTRONIX_READ_TIMEOUT = 20  # type: ignore[attr-defined]
    settings.AUDIT_ABANDONED_AFTER = 60  # type: ignore[attr-defined]
    sandbox.faults.latency(1.8, endpoint="guest/referralsByAccountId")

    page = agent_client.get(GUEST_URL).content.decode()
    assert "did not answer in time" in page[page.index('id="panel-referrals"') :]
    time.sleep(1.5)  # the read answers (1.8 s after it was sent) and caches what it read
    before = len(upstream_calls.to("guest/referralsByAccountId.json"))

    retry = agent_client.get(reverse("guests:panel", args=[demo.DEMO_ACCOUNT_ID, "referrals"]))

    assert retry.status_code == 200
    assert "did not answer in time" not in retry.content.decode()
    assert len(upstream_calls.to("guest/referralsByAccountId.json")) == before == 1


def test_a_hanging_account_read_answers_the_calm_page_within_the_deadline(
    sandbox: SandboxController, agent_client: Client, settings: object
) -> None:
    settings.GUESTS_PAGE_DEADLINE = 1.0  # type: ignore[attr-defined]
    settings.PAYTRONIX_READ_TIMEOUT = 20  # type: ignore[attr-defined]
    settings.AUDIT_ABANDONED_AFTER = 60  # type: ignore[attr-defined]
    sandbox.faults.hang(20, endpoint="guest/accountInformationById")
    started = time.monotonic()

    response = agent_client.get(GUEST_URL)

    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert b"did not answer in time" in response.content


def test_the_views_own_reads_run_while_upstream_answers_not_after(
    sandbox: SandboxController, agent: User
) -> None:
    sandbox.faults.latency(0.4)
    ran: list[float] = []
    started = time.monotonic()
    page = guest_page(
        viewer=agent,
        account_id=demo.DEMO_ACCOUNT_ID,
        meanwhile=lambda: ran.append(time.monotonic()),
    )
    done = time.monotonic()
    assert page.account.account_id == demo.DEMO_ACCOUNT_ID
    assert len(ran) == 1
    # Called once the reads were under way, long before their answers came.
    assert ran[0] - started < 0.2
    assert done - ran[0] >= 0.3
