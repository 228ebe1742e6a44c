"""gunicorn's settings (``portal/gunicorn.conf.py``): the worker timeout outlasts the longest
upstream wait a request can meet, as the client defines it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from portal.paytronix.session import ClientConfig

CONF = Path(__file__).resolve().parent.parent / "portal" / "gunicorn.conf.py"


@pytest.fixture
def gunicorn_conf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """The file gunicorn reads, loaded as gunicorn loads it; what it changes in the process
    (its metrics folder, the environment, ``sys.path``) is undone after the test."""
    monkeypatch.setattr(sys, "path", [*sys.path])
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("LOYALTY_METRICS_DIR_EMPTIED_FOR", "")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "portal.settings")
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_longest_upstream_wait_is_a_retried_reads_then_the_audit_doors(
    gunicorn_conf: ModuleType, settings: Any
) -> None:
    settings.PAYTRONIX_CONNECT_TIMEOUT, settings.PAYTRONIX_READ_TIMEOUT = 2.0, 5.0
    settings.PAYTRONIX_MAX_ATTEMPTS = 3
    # A read's three attempts of 2 + 5 s (its read timeouts are retried) and two 4 s pauses.
    waited = gunicorn_conf.portal.AUDIT_IN_PROGRESS_WAIT

    assert gunicorn_conf._upstream_worst_case() == 29.0 + waited


def test_the_longest_upstream_wait_is_the_clients_longest_call(
    gunicorn_conf: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[bool] = []

    def longest_call(config: ClientConfig, *, retryable: bool = True) -> float:
        asked.append(retryable)
        return 41.0

    monkeypatch.setattr(ClientConfig, "longest_call", longest_call)
    waited = gunicorn_conf.portal.AUDIT_IN_PROGRESS_WAIT

    assert gunicorn_conf._upstream_worst_case() == 41.0 + waited
    assert asked == [True]


def test_the_worker_timeout_exceeds_the_longest_upstream_wait(gunicorn_conf: ModuleType) -> None:
    assert gunicorn_conf.timeout > gunicorn_conf._upstream_worst_case()


class _Request:
    """What the hooks use of gunicorn's request: ``force_close`` (``Connection: close``)."""

    def __init__(self) -> None:
        self.must_close = False

    def force_close(self) -> None:
        self.must_close = True


def test_a_worker_with_half_its_threads_busy_ends_keep_alive_and_then_keeps_it_again(
    gunicorn_conf: ModuleType,
) -> None:
    worker = SimpleNamespace(cfg=SimpleNamespace(threads=8))
    requests = [_Request() for _ in range(5)]

    for request in requests[:3]:
        gunicorn_conf.pre_request(worker, request)
    assert [request.must_close for request in requests[:3]] == [False, False, False]
    # The fourth at once takes half the threads: its client is told to connect again, and its
    # next connection goes to a worker free to accept it.
    gunicorn_conf.pre_request(worker, requests[3])
    assert requests[3].must_close is True

    for request in requests[:4]:
        gunicorn_conf.post_request(worker, request, {}, None)
    gunicorn_conf.pre_request(worker, requests[4])
    assert requests[4].must_close is False
    gunicorn_conf.post_request(worker, requests[4], {}, None)


def test_a_worker_with_one_thread_keeps_its_connections(gunicorn_conf: ModuleType) -> None:
    # It never has two requests in flight: closing at "every thread busy" closed every one of
    # its connections after each request; half of one thread rounds up to two, never reached.
    worker = SimpleNamespace(cfg=SimpleNamespace(threads=1))
    request = _Request()
    gunicorn_conf.pre_request(worker, request)
    assert request.must_close is False
    gunicorn_conf.post_request(worker, request, {}, None)


def test_workers_are_replaced_rarely_and_not_all_at_once(gunicorn_conf: ModuleType) -> None:
    assert gunicorn_conf.max_requests == 20_000
    assert gunicorn_conf.max_requests_jitter == 2_000
