"""Prometheus metrics: the families, what feeds them, and the ``/metrics`` page.

Counters and histograms are kept per process. Under gunicorn (and in a Celery worker) every
process writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them up
(prometheus-client's multiprocess mode; ``portal/gunicorn.conf.py`` and ``portal/worker.py``
set the folder up). Values that live in the database (jobs waiting, the reconciler's backlog,
the audit chain's head) are read at scrape time, so every web node reports the same figure.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.db import DatabaseError
from django.db.models import Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.paytronix.observe import CallEnded

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}

http_request_seconds = Histogram(
    "loyaltydesk_http_request_duration_seconds",
    "Time to answer a request, by view (URL name), method and status class.",
    ["view", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
upstream_calls = Counter(
    "loyaltydesk_upstream_calls",
    "Paytronix call attempts by endpoint and result (the reply's result word, or fault).",
    ["endpoint", "result"],
)
upstream_seconds = Histogram(
    "loyaltydesk_upstream_call_duration_seconds",
    "Time of one Paytronix call attempt, by endpoint.",
    ["endpoint"],
    buckets=_LATENCY_BUCKETS,
)
upstream_retries = Counter(
    "loyaltydesk_upstream_retries",
    "Paytronix read attempts after the first (retries on transport faults), by endpoint.",
    ["endpoint"],
)
upstream_faults = Counter(
    "loyaltydesk_upstream_faults",
    "Paytronix transport faults by endpoint and kind (read timeout, http error...).",
    ["endpoint", "fault"],
)
breaker_state = Gauge(
    "loyaltydesk_upstream_breaker_state",
    "Circuit breaker of the Paytronix client: 0 closed, 1 half-open, 2 open (worst process).",
    multiprocess_mode="livemax",
)
breaker_opened = Counter(
    "loyaltydesk_upstream_breaker_opened", "Times the Paytronix circuit breaker opened."
)
job_items = Counter(
    "loyaltydesk_job_items",
    "Job items ended, by job kind and outcome.",
    ["kind", "outcome"],
)
reconciler_verdicts = Counter(
    "loyaltydesk_reconciler_verdicts",
    "Unknown outcomes the reconciler handled: abandoned (process died), settled, reviewed.",
    ["verdict"],
)
audit_records = Counter(
    "loyaltydesk_audit_records_written", "Audit records written, by kind.", ["kind"]
)
audit_anchor_timestamp = Gauge(
    "loyaltydesk_audit_anchor_last_timestamp_seconds",
    "Unix time of the last audit chain anchor written (logger portal.audit.anchor).",
    multiprocess_mode="max",
)
logins = Counter("loyaltydesk_logins", "Staff sign-in attempts by result.", ["result"])
lockouts = Counter("loyaltydesk_lockouts", "Staff sign-ins locked out after too many failures.")

#: Every family a scrape must show (tests/test_metrics.py checks each one).
FAMILIES = (
    "loyaltydesk_http_request_duration_seconds",
    "loyaltydesk_upstream_calls",
    "loyaltydesk_upstream_call_duration_seconds",
    "loyaltydesk_upstream_retries",
    "loyaltydesk_upstream_faults",
    "loyaltydesk_upstream_breaker_state",
    "loyaltydesk_upstream_breaker_opened",
    "loyaltydesk_jobs",
    "loyaltydesk_job_oldest_queued_age_seconds",
    "loyaltydesk_job_items",
    "loyaltydesk_reconciler_backlog",
    "loyaltydesk_reconciler_oldest_unknown_age_seconds",
    "loyaltydesk_reconciler_verdicts",
    "loyaltydesk_audit_records_written",
    "loyaltydesk_audit_chain_head_seq",
    "loyaltydesk_audit_anchor_last_timestamp_seconds",
    "loyaltydesk_logins",
    "loyaltydesk_lockouts",
)


class UpstreamMetrics:
    """The observer ``portal.apps`` registers with the Paytronix client."""

    def call_ended(self, event: CallEnded) -> None:
        upstream_calls.labels(event.endpoint, event.result).inc()
        upstream_seconds.labels(event.endpoint).observe(event.seconds)
        if event.attempt > 1:
            upstream_retries.labels(event.endpoint).inc()
        if event.fault:
            upstream_faults.labels(event.endpoint, event.fault).inc()

    def breaker_changed(self, state: str) -> None:
        breaker_state.set(BREAKER_STATES[state])
        if state == "open":
            breaker_opened.inc()


upstream_metrics = UpstreamMetrics()


def reconcile_observed(summary: Any) -> None:
    """Count one reconciler pass's verdicts (a ``ReconcileSummary``)."""
    for verdict in ("abandoned", "settled", "reviewed"):
        reconciler_verdicts.labels(verdict).inc(getattr(summary, verdict))


def audit_record_observed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of an audit record (they are only ever created)."""
    if created:
        audit_records.labels(instance.kind).inc()


def job_item_observed(*, kind: str, outcome: str) -> None:
    job_items.labels(kind, outcome).inc()


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time."""

    def collect(self) -> Iterable[Metric]:
        try:
            yield from self._collect()
        except DatabaseError as exc:
            # /readyz reports the database; the rest of the scrape is still worth having.
            logger.warning("metrics: database figures unavailable: %s", type(exc).__name__)

    def _collect(self) -> Iterator[Metric]:
        # Imported at scrape time: the job runner and the reconciler import this module's
        # counters, so importing them (and the models, not loaded when gunicorn's config imports
        # this module) at the top would be a cycle.
        from portal.audit.models import AuditChainHead
        from portal.audit.reconcile import unknown_backlog
        from portal.jobs.models import Job, JobStatus

        now = timezone.now()
        jobs = GaugeMetricFamily("loyaltydesk_jobs", "Jobs waiting or running.", labels=["status"])
        for status in (JobStatus.QUEUED, JobStatus.RUNNING):
            jobs.add_metric([str(status)], Job.objects.filter(status=status).count())
        yield jobs
        oldest = Job.objects.filter(status=JobStatus.QUEUED).aggregate(at=Min("created_at"))["at"]
        yield GaugeMetricFamily(
            "loyaltydesk_job_oldest_queued_age_seconds",
            "Age of the oldest job no worker has started (0 when none waits).",
            value=_age(now - oldest) if oldest else 0.0,
        )
        backlog, oldest_unknown = unknown_backlog(now=now)
        yield GaugeMetricFamily(
            "loyaltydesk_reconciler_backlog",
            "Changes whose outcome is unknown (or missing) and not yet settled or reviewed.",
            value=backlog,
        )
        yield GaugeMetricFamily(
            "loyaltydesk_reconciler_oldest_unknown_age_seconds",
            "Age of the oldest change in the reconciler's backlog (0 when empty).",
            value=_age(now - oldest_unknown) if oldest_unknown else 0.0,
        )
        head = AuditChainHead.objects.values_list("seq", flat=True).first()
        yield GaugeMetricFamily(
            "loyaltydesk_audit_chain_head_seq",
            "Position of the last record in the audit chain.",
            value=head or 0,
        )


def _age(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


def worker_registry() -> CollectorRegistry:
    """This process's metrics, or with ``PROMETHEUS_MULTIPROC_DIR`` those of every process
    writing to that folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_text() -> bytes:
    """Every family in the Prometheus text format: the processes' own, then the database's."""
    own = generate_latest(worker_registry())
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return own + generate_latest(database)


class RequestMetricsMiddleware:
    """Times every request, labelled by the view's URL name (not its path, which holds ids)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name or "unnamed") if match else "unmatched"
        http_request_seconds.labels(
            view, request.method, f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


class AnchorMetricsHandler(logging.Handler):
    """On the ``portal.audit.anchor`` logger: each anchor written moves the gauge."""

    def emit(self, record: logging.LogRecord) -> None:
        audit_anchor_timestamp.set(record.created)
