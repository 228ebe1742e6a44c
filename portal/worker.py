"""The Celery worker's life: a heartbeat for its health command, metrics, and a graceful stop.

* **Graceful stop.** SIGTERM makes Celery stop taking tasks and wait for the ones running
  (warm shutdown). A job task can run for an hour, so waiting for it would outlast any
  orchestrator's patience: ``stop_requested()`` tells the job runner to finish the items under
  way, start no other, and hand the task back to the broker (``portal/jobs/runner.py``). The
  flag lives in shared memory made before the pool forks, so prefork pool processes (which
  Celery does not signal) see it as well as the main process (solo and thread pools).
* **Heartbeat.** Every ``WORKER_HEARTBEAT_SECONDS`` the worker's event loop touches
  ``WORKER_HEARTBEAT_FILE``; ``manage.py workerhealth`` (for an orchestrator's liveness probe)
  checks that the file is fresh and that the broker answers. The file goes when the worker
  stops, so a stopped worker is not reported alive.
* **Metrics.** With ``PROMETHEUS_MULTIPROC_DIR`` set, pool processes write their metrics there;
  with ``WORKER_METRICS_PORT`` set, the main process serves them (Prometheus text format) on
  ``WORKER_METRICS_ADDRESS``:``WORKER_METRICS_PORT``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from celery import bootsteps
from celery.signals import (
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
    worker_shutting_down,
)

logger = logging.getLogger("portal.worker")

# Shared memory, made before the pool forks: the main process sets it, and every pool
# process (whatever task it is running) sees it set. A lock-free byte, because it is set from
# a signal handler, which must not wait for a lock the interrupted code may hold.
_stopping = multiprocessing.RawValue("b", 0)


def stop_requested() -> bool:
    """True once this worker was asked to stop: finish what is under way, start nothing new."""
    return bool(_stopping.value)


@worker_shutting_down.connect
def _on_shutting_down(**kwargs: Any) -> None:
    _stopping.value = 1


@worker_process_shutdown.connect
def _on_pool_process_end(pid: int | None = None, **kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def heartbeat_path() -> Path:
    from django.conf import settings

    return Path(settings.WORKER_HEARTBEAT_FILE)


def heartbeat_touch() -> None:
    path = heartbeat_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()} {time.time():.0f}\n")


class Heartbeat(bootsteps.StartStopStep):
    """Touches the heartbeat file from the consumer's timer: it stops when the event loop does."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._entry: Any = None

    def start(self, parent: Any) -> None:
        from django.conf import settings

        heartbeat_touch()
        self._entry = parent.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, heartbeat_touch, priority=10
        )

    def stop(self, parent: Any) -> None:
        if self._entry is not None:
            self._entry.cancel()
        heartbeat_path().unlink(missing_ok=True)


def _clear_dead_metric_files(folder: Path) -> None:
    """Drop the files of processes that are gone (a previous run's), keep live ones."""
    for path in folder.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            continue


@worker_ready.connect
def _on_ready(**kwargs: Any) -> None:
    from django.conf import settings

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        _clear_dead_metric_files(Path(folder))
    if settings.WORKER_METRICS_PORT:
        # Imported only when the worker serves its own metrics page (and after the metrics
        # module has been set up for the worker's processes).
        from prometheus_client import start_http_server

        from portal.metrics import worker_registry

        start_http_server(
            settings.WORKER_METRICS_PORT,
            addr=settings.WORKER_METRICS_ADDRESS,
            registry=worker_registry(),
        )
        logger.info(
            "worker metrics on %s:%d", settings.WORKER_METRICS_ADDRESS, settings.WORKER_METRICS_PORT
        )


@worker_shutdown.connect
def _on_shutdown(**kwargs: Any) -> None:
    heartbeat_path().unlink(missing_ok=True)
