"""/metrics: every family is there, each moves when what it counts happens, and only the
operator's listed addresses may read it. Under gunicorn the workers' figures add up."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from portal.metrics import FAMILIES, upstream_metrics
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import TransportError
from portal.paytronix.observe import CallEnded
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = demo.DEMO_ACCOUNT_ID


def scrape(client: Client | None = None) -> dict[str, Any]:
    """``{family name: metric family}`` of one scrape, through the view."""
    response = (client or Client()).get(reverse("metrics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, Any], sample: str, **labels: str) -> float:
    """The value of one sample (0 when it has not appeared yet)."""
    for family in families.values():
        for found in family.samples:
            if found.name == sample and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def test_every_family_is_in_a_scrape() -> None:
    families = scrape()
    missing = [name for name in FAMILIES if name not in families]
    assert missing == []


def test_metrics_are_refused_to_an_address_not_listed(settings: Any) -> None:
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]
    assert Client(REMOTE_ADDR="10.2.0.5").get(reverse("metrics")).status_code == 404
    assert Client(REMOTE_ADDR="127.0.0.1").get(reverse("metrics")).status_code == 404
    assert Client(REMOTE_ADDR="10.1.4.7").get(reverse("metrics")).status_code == 200


def test_request_latency_is_counted_by_view_name(client: Client) -> None:
    before = scrape()
    client.get(reverse("healthz"))
    client.get(reverse("healthz"))
    after = scrape()
    sample = "loyaltydesk_http_request_duration_seconds_count"
    labels = {"view": "healthz", "method": "GET", "status": "2xx"}
    assert value(after, sample, **labels) - value(before, sample, **labels) == 2


def test_upstream_calls_results_retries_and_faults_are_counted(
    sandbox: SandboxController,
) -> None:
    endpoint = "guest/accountInformationById.json"
    before = scrape()
    paytronix = client_from_settings()
    paytronix.guest.account_information_by_id(account_id=ACCOUNT)
    sandbox.faults.error(503, endpoint="accountInformationById", times=1)
    paytronix.guest.account_information_by_id(account_id=ACCOUNT)
    after = scrape()

    def moved(sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    assert moved("loyaltydesk_upstream_calls_total", endpoint=endpoint, result="success") == 2
    assert moved("loyaltydesk_upstream_calls_total", endpoint=endpoint, result="fault") == 1
    assert moved("loyaltydesk_upstream_faults_total", endpoint=endpoint, fault="http error") == 1
    assert moved("loyaltydesk_upstream_retries_total", endpoint=endpoint) == 1
    assert moved("loyaltydesk_upstream_call_duration_seconds_count", endpoint=endpoint) == 3


def test_the_breaker_state_follows_the_circuit(sandbox: SandboxController, settings: Any) -> None:
    settings.PAYTRONIX_BREAKER_THRESHOLD = 1
    settings.PAYTRONIX_MAX_ATTEMPTS = 1
    paytronix = client_from_settings()
    opened_before = value(scrape(), "loyaltydesk_upstream_breaker_opened_total")
    sandbox.faults.error(503, endpoint="accountInformationById")
    with pytest.raises(TransportError):
        paytronix.guest.account_information_by_id(account_id=ACCOUNT)
    families = scrape()
    assert value(families, "loyaltydesk_upstream_breaker_state") == 2
    assert value(families, "loyaltydesk_upstream_breaker_opened_total") == opened_before + 1
    upstream_metrics.breaker_changed("closed")
    assert value(scrape(), "loyaltydesk_upstream_breaker_state") == 0


def test_logins_and_lockouts_are_counted(agent: Any, settings: Any) -> None:
    before = scrape()
    Client().post(reverse("login"), {"username": agent.username, "password": PASSWORD})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": agent.username, "password": "wrong"})
    after = scrape()
    succeeded = value(after, "loyaltydesk_logins_total", result="succeeded")
    failed = value(after, "loyaltydesk_logins_total", result="failed")
    assert succeeded - value(before, "loyaltydesk_logins_total", result="succeeded") == 1
    assert failed - value(before, "loyaltydesk_logins_total", result="failed") >= 1
    lockouts = value(after, "loyaltydesk_lockouts_total")
    assert lockouts - value(before, "loyaltydesk_lockouts_total") == 1


def test_jobs_audit_records_and_the_reconcilers_backlog_are_reported(
    sandbox: SandboxController,
    supervisor_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    before = scrape()
    # Combine acts on the attached account, through its card.
    other = demo.DEMO_COMBINABLE_PAIR[1]
    other_account = sandbox.state.account_for_card(other).account_id
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(
            reverse("cards:combine_submit", args=[other_account, other[-6:]]),
            {"idempotency_key": "c1", "reason_text": "Two cards", "understood": "on"},
        )
    # A write whose connection drops: its outcome is unknown until the reconciler settles it.
    sandbox.faults.drop(endpoint="changeCardStatus")
    supervisor_client.post(
        reverse("cards:disable_submit", args=[ACCOUNT, demo.DEMO_ACTIVE_CARD[-6:]]),
        {"idempotency_key": "d1", "reason_code": "lost"},
    )
    after = scrape()
    item = {"kind": "cards.combine", "outcome": "succeeded"}
    assert (
        value(after, "loyaltydesk_job_items_total", **item)
        - value(before, "loyaltydesk_job_items_total", **item)
        == 1
    )
    written = value(after, "loyaltydesk_audit_records_written_total", kind="intent")
    assert written - value(before, "loyaltydesk_audit_records_written_total", kind="intent") >= 2
    assert value(after, "loyaltydesk_audit_chain_head_seq") >= 4
    assert value(after, "loyaltydesk_reconciler_backlog") == 1
    assert value(after, "loyaltydesk_reconciler_oldest_unknown_age_seconds") >= 0
    assert value(after, "loyaltydesk_jobs", status="queued") == 0


def test_an_anchor_logged_moves_the_anchor_gauge() -> None:
    import logging

    started = time.time()
    logging.getLogger("portal.audit.anchor").info("anchor seq=1")
    assert value(scrape(), "loyaltydesk_audit_anchor_last_timestamp_seconds") >= started


def test_a_call_event_without_a_fault_counts_no_fault() -> None:
    before = scrape()
    upstream_metrics.call_ended(
        CallEnded("GET", "guest/x.json", 200, "success", "", 0.01, attempt=1)
    )
    after = scrape()
    assert value(after, "loyaltydesk_upstream_faults_total", endpoint="guest/x.json") == 0
    assert (
        value(after, "loyaltydesk_upstream_calls_total", endpoint="guest/x.json")
        - value(before, "loyaltydesk_upstream_calls_total", endpoint="guest/x.json")
        == 1
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.worker
@pytest.mark.timeout(90)
def test_under_gunicorn_every_workers_requests_add_up_in_one_scrape(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "LOYALTY_ENV": "test",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "portal/gunicorn.conf.py",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        while log.read_text().count("Booting worker") < 3:
            # Every worker up before the count starts (a loaded machine boots them slowly).
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"gunicorn's workers did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        first = requests.get(f"{base}/metrics", timeout=20).text
        sent = 0
        with ThreadPoolExecutor(max_workers=6) as pool:
            # New connections, several at once, in rounds until two workers have answered:
            # which worker accepts a connection is the kernel's choice.
            while sent < 300 and len(_worker_pids(tmp_path)) < 2:
                list(pool.map(lambda _: _healthz(base), range(30)))
                sent += 30
        text = requests.get(f"{base}/metrics", timeout=20).text
    finally:
        server.terminate()
        server.wait(30)

    def healthz_count(scraped: str) -> float:
        families = {family.name: family for family in text_string_to_metric_families(scraped)}
        sample = "loyaltydesk_http_request_duration_seconds_count"
        return value(families, sample, view="healthz", method="GET", status="2xx")

    assert healthz_count(text) - healthz_count(first) == sent
    assert len(_worker_pids(tmp_path)) >= 2, "one worker answered everything: nothing added up"


def _healthz(base: str) -> None:
    requests.get(f"{base}/healthz", timeout=20, headers={"Connection": "close"})


def _worker_pids(tmp_path: Path) -> set[str]:
    """The workers that wrote metrics (one file per worker process and metric type)."""
    return {path.stem.rsplit("_", 1)[-1] for path in (tmp_path / "metrics").glob("histogram_*")}
