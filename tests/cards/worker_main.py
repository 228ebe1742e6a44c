"""Entry point of the Celery worker that the worker tests start and kill.

The same app and settings as production (``portal.celery``), with two test-only broker options
read from the environment: a short visibility timeout, so that a task whose worker was killed is
handed to the next worker within seconds rather than after the production timeout, and a key
prefix, so that the test's messages never mix with another process's on a shared Redis.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from portal.celery import app  # noqa: E402  (after django.setup())

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
