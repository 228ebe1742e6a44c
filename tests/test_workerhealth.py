"""``manage.py workerhealth``: alive only with a fresh heartbeat and a broker that answers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from portal.worker import heartbeat_touch
from tests.test_healthz import celery_conf, closed_port

__all__ = ["celery_conf"]


@pytest.fixture
def heartbeat(settings: Any, tmp_path: Path) -> Path:
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "heartbeat"
    settings.WORKER_HEARTBEAT_SECONDS = 10
    return Path(settings.WORKER_HEARTBEAT_FILE)


def test_a_fresh_heartbeat_and_a_broker_that_answers_is_alive(
    heartbeat: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heartbeat_touch()
    call_command("workerhealth")
    assert "worker alive" in capsys.readouterr().out


def test_no_heartbeat_means_no_worker(heartbeat: Path) -> None:
    with pytest.raises(CommandError, match="the worker is not running"):
        call_command("workerhealth")


def test_a_stale_heartbeat_means_a_stuck_worker(heartbeat: Path) -> None:
    heartbeat_touch()
    old = time.time() - 31
    os.utime(heartbeat, (old, old))
    with pytest.raises(CommandError, match="31s old"):
        call_command("workerhealth")
    call_command("workerhealth", "--max-age", "60")


def test_a_broker_that_does_not_answer_is_not_alive(
    heartbeat: Path, celery_conf: Callable[..., None]
) -> None:
    heartbeat_touch()
    celery_conf(broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(CommandError, match="the broker does not answer"):
        call_command("workerhealth")
