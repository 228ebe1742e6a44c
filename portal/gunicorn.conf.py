"""gunicorn settings: ``gunicorn -c portal/gunicorn.conf.py portal.wsgi``.

Values derive from the portal's own settings (``portal/settings.py``, so ``.env`` counts too)
and can be overridden by the GUNICORN_* variables of ``.env.example`` or on the command line.

* Workers from the CPU count (``WEB_CONCURRENCY``, default CPUs + 1), each with threads
  (``GUNICORN_THREADS``, default 4): requests mostly wait on Paytronix, not on the CPU.
* The worker timeout sits above the longest upstream wait a request can meet (every attempt of
  a read with its connect and read timeouts and backoff, plus the audit door's wait), so
  gunicorn never kills a request the client would still have finished or failed cleanly.
* The application is loaded and warmed in the master before the workers are forked
  (``portal.warmup``): a worker answers its first requests as fast as any other.
* Keep-alive connections spread over the workers: a worker with half its threads busy answers
  ``Connection: close`` (``pre_request``), so its clients' next connections go to a worker
  with its core free instead of queueing behind the busy one. Workers are replaced rarely
  (``max_requests``): a replaced worker's connections all move to the others at once.
* Graceful shutdown: on SIGTERM a worker stops accepting and finishes its requests for up to
  ``GUNICORN_GRACEFUL_TIMEOUT`` seconds. Keep-alive outlasts a load balancer's idle timeout.
* The access log is one JSON object a line when ``LOG_FORMAT=json``; it never holds the query
  string, where a search puts card numbers and emails.
* Prometheus multiprocess mode: every worker writes its metrics to
  ``PROMETHEUS_MULTIPROC_DIR`` (default ``var/metrics/web``, emptied when gunicorn starts; give
  each gunicorn its own folder), and ``/metrics`` adds them up.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from portal import settings as portal  # noqa: E402  (after sys.path has the project)
from portal.inflight import InFlight  # noqa: E402
from portal.paytronix.client import config_from_settings  # noqa: E402  (builds no connection)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(
            f"Environment variable {name} is malformed: {raw!r} is not a number"
        ) from None


def _upstream_worst_case() -> float:
    """The longest call of any kind (a read: its read timeouts are retried too), then the
    audit door's wait for an answer in progress."""
    return config_from_settings().longest_call() + portal.AUDIT_IN_PROGRESS_WAIT


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", (os.cpu_count() or 1) + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", math.ceil(_upstream_worst_case()) + 15)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# A worker is replaced after this many requests (with jitter, so not all at once): a slow leak
# never grows for ever. Not often: a replaced worker's kept-alive connections all move to the
# others at once, and the new one starts with none of its own memos (decoded replies, drawn
# fragments) or connections; at 100 pages a second, 2,000 replaced each worker every 40 s and
# was the p95's worst moments. What a worker keeps in memory is bounded (README, P6).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20_000)
max_requests_jitter = max_requests // 10
# The application is loaded once, in the master, and warmed there (``when_ready``): every
# worker, a replacement for a recycled one included, is forked with the views imported and the
# templates compiled, instead of spending a second or two of CPU on them over its first
# requests while the other workers carry the load. A code change needs a restart, not a HUP.
preload_app = True
_RAM_DISK = "/dev/shm"  # noqa: S108  (gunicorn's own advice; not a shared temp file)
if Path(_RAM_DISK).is_dir():
    # Workers' heartbeat files on a RAM disk: a slow disk must not get them killed.
    worker_tmp_dir = _RAM_DISK
accesslog = "-"
errorlog = "-"
if timeout <= _upstream_worst_case():
    raise SystemExit(
        f"GUNICORN_TIMEOUT ({timeout}s) must exceed the longest upstream wait "
        f"({_upstream_worst_case():.0f}s: attempts x (connect + read timeout) + backoff)"
    )

METRICS_DIR = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(BASE_DIR / "var" / "metrics" / "web"))
)
# This gunicorn's folder, emptied when it starts (what a previous run left would add old
# processes' values in): here, not in ``on_starting``, because the application (and its
# metrics) is loaded before that hook runs. Once per master: re-reading this file on a HUP
# leaves the live workers' values alone.
_EMPTIED_FOR = "LOYALTY_METRICS_DIR_EMPTIED_FOR"
if os.environ.get(_EMPTIED_FOR) != str(os.getpid()):
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    os.environ[_EMPTIED_FOR] = str(os.getpid())


class PortalLogger(Logger):
    """gunicorn's logger with a JSON (or a plain, query-free) access line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if portal.LOG_FORMAT == "json":
            formatter = JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = dict((name.lower(), value) for name, value in resp.headers)
        fields = {
            "remote_ip": environ.get("REMOTE_ADDR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000),
            "request_id": headers.get("x-request-id", "-"),
            "user_agent": environ.get("HTTP_USER_AGENT", "")[:300],
        }
        if portal.LOG_FORMAT == "json":
            self.access_log.info("request", extra=fields)
        else:
            self.access_log.info(
                "%(remote_ip)s %(method)s %(path)s %(status)s %(duration_ms)sms [%(request_id)s]",
                fields,
            )


logger_class = PortalLogger


def when_ready(server: Any) -> None:
    from portal.warmup import warm_up

    server.log.info("warmed up before forking: %d templates compiled", warm_up())


#: Requests this worker is answering now (each worker process has its own, forked).
_busy = InFlight()


def _shed_at(threads: int) -> int:
    """Requests in flight at which a worker answers ``Connection: close`` (``pre_request``)."""
    return max(2, threads // 2)


def pre_request(worker: Any, req: Any) -> None:
    # A kept-alive connection stays with the worker that accepted it, and one worker can end up
    # with most of a client's (or a load balancer's) connections while another idles (all of
    # them, after the other worker was recycled): its requests then queue for its one core.
    # A worker with half its threads busy answers "Connection: close": its core is the limit
    # well before every thread is busy (a page is mostly Python holding the GIL), and the
    # client's next connection is accepted by whichever worker is free to accept it first,
    # so the connections spread to where the cores are free.
    if _busy.start() >= _shed_at(worker.cfg.threads):
        req.force_close()


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    _busy.end()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
