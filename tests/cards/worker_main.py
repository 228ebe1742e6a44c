"""Entry point of the Celery worker that the worker tests start and kill.

The same app and settings as production (``portal.celery``), with two test-only broker options
read from the environment: a short visibility timeout, so that a task whose worker was killed is
handed to the next worker within seconds rather than after the production timeout, and a key
prefix, so that the test's messages never mix with another process's on a shared Redis.

With ``WORKER_TEST_DIE_BEFORE_WRITE=N`` the worker kills itself (SIGKILL) as its N-th
changeCardStatus is about to be sent: after the door committed the intent, before the request
leaves, the case where reading back must show the write was never applied.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from portal.celery import app  # noqa: E402  (after django.setup())


def _die_before_write(nth: int) -> None:
    import itertools
    import signal
    import threading
    from typing import Any

    from portal.paytronix.session import Transport

    original = Transport.call
    writes = itertools.count(1)
    lock = threading.Lock()

    def call(self: Transport, endpoint: Any, params: Any) -> Any:
        if endpoint.path.startswith("guest/changeCardStatus"):
            with lock:
                if next(writes) == nth:
                    os.kill(os.getpid(), signal.SIGKILL)
        return original(self, endpoint, params)

    Transport.call = call  # type: ignore[method-assign]


if os.environ.get("WORKER_TEST_DIE_BEFORE_WRITE"):
    _die_before_write(int(os.environ["WORKER_TEST_DIE_BEFORE_WRITE"]))

app.conf.broker_transport_options = {
    "visibility_timeout": float(os.environ["WORKER_TEST_VISIBILITY_TIMEOUT"]),
    "global_keyprefix": os.environ["WORKER_TEST_KEY_PREFIX"],
}
app.worker_main(
    [
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
        "-Q",
        os.environ["WORKER_TEST_QUEUE"],
    ]
)
