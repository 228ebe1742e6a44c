"""The Celery application. Configuration lives in settings under the CELERY_ namespace.

What matters in production (docs/deploy.md): a task is acknowledged after it ran and handed
back if its worker is lost (acks late, reject on worker lost), a worker reserves one task at a
time (prefetch 1), and the broker's visibility timeout (settings) outlives the longest task.
``portal.worker`` adds the heartbeat, the worker's metrics and the graceful stop.
"""

import os
from pathlib import Path

from celery import Celery

from portal.worker import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()
app.steps["worker"].add(Heartbeat)


def _prepare_filesystem_broker() -> None:
    """The embedded broker keeps messages as files; its folders must exist before first use."""
    if not str(app.conf.broker_url).startswith("filesystem://"):
        return
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


app.on_after_configure.connect(lambda sender, **kwargs: _prepare_filesystem_broker(), weak=False)
