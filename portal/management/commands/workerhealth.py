"""``manage.py workerhealth``: is this machine's Celery worker alive? For an orchestrator's
liveness probe, run beside the worker (same machine or container, same settings).

Alive means: the worker's heartbeat file (``WORKER_HEARTBEAT_FILE``, touched by its event loop
every ``WORKER_HEARTBEAT_SECONDS``) is younger than ``--max-age`` seconds, and the broker
answers. Exit status 0 when alive, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.celery import app as celery_app
from portal.worker import heartbeat_path


class Command(BaseCommand):
    help = "Exit 0 if this machine's Celery worker is alive (fresh heartbeat, broker up), else 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help="Seconds a heartbeat stays fresh (default: 3 x WORKER_HEARTBEAT_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        max_age = options["max_age"] or 3 * settings.WORKER_HEARTBEAT_SECONDS
        path = heartbeat_path()
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            raise CommandError(
                f"no worker heartbeat at {path}: the worker is not running"
            ) from None
        if age > max_age:
            raise CommandError(
                f"the worker's last heartbeat is {age:.0f}s old (more than {max_age:.0f}s): "
                "its event loop is stuck or it has died"
            )
        try:
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise CommandError(f"the broker does not answer ({type(exc).__name__})") from None
        self.stdout.write(f"worker alive: heartbeat {age:.0f}s old, broker answers")
