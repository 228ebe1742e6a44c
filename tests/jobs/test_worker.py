"""A job whose real Celery worker is killed mid-way (after a write was applied, or while a write
hangs that upstream never carried out), or stopped with SIGTERM, finishes after a restart
without losing an item or doing one twice: every card is changed exactly once."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from portal.audit.chain import chain_verify
from portal.audit.models import AuditRecord, Kind
from portal.celery import app as celery_app
from portal.jobs.models import ItemOutcome, Job, JobStatus
from portal.jobs.tasks import job_run_task
from portal.sandbox.server import SandboxServer
from portal.sandbox.testing import MERCHANT_ID, SECRET, USERNAME
from tests.jobs.conftest import active_cards

pytestmark = [
    pytest.mark.worker,
    pytest.mark.proof,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 12
VISIBILITY_TIMEOUT = 4


class CountingSandbox:
    """The sandbox app behind a counter of changeCardStatus requests per card number."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.writes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").endswith("/guest/changeCardStatus.json"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            with self._lock:
                self.writes[json.loads(body)["printedCardNumber"]] += 1
        return self.app(environ, start_response)


@pytest.fixture
def counting_sandbox(sandbox: Any) -> Iterator[tuple[CountingSandbox, str]]:
    counting = CountingSandbox(sandbox.app)
    server = SandboxServer(counting).start()
    try:
        yield counting, f"{server.root_url}/rest/{sandbox.app.release}/"
    finally:
        server.stop()


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_env(base_url: str, broker: str) -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_ENV": "test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # A task held by a dead worker goes back to the queue after this many seconds.
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        # An item under way when the worker died is settled by reading back after this long
        # (beyond a write's longest time: one attempt a call, 2.5 s).
        "PAYTRONIX_MAX_ATTEMPTS": "1",
        "AUDIT_ABANDONED_AFTER": "3",
        # ... and a card still unchanged that long after its write counts as not applied.
        "AUDIT_NOT_APPLIED_AFTER": "3",
        "AUDIT_IN_PROGRESS_WAIT": "0.5",
        "PAYTRONIX_CONNECT_TIMEOUT": "0.5",
        "PAYTRONIX_READ_TIMEOUT": "2",
        "PAYTRONIX_BASE_URL": base_url,
        "PAYTRONIX_USERNAME": USERNAME,
        "PAYTRONIX_SECRET": SECRET,
        "PAYTRONIX_MERCHANT_ID": str(MERCHANT_ID),
        "JOBS_CONCURRENCY": "1",
    }


def _start_worker(
    env: dict[str, str], queue: str, log: Path, pool: tuple[str, ...] = ("--pool=solo",)
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        *pool,
        "--queues",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _worker_health(env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "manage.py", "workerhealth"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)


def _wait_for(condition: Any, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


def _job(job_id: int) -> Job:
    return Job.objects.get(pk=job_id)


class SendTo:
    """The task, sent for real (tests otherwise run tasks eagerly) to one test's queue."""

    def __init__(self, broker: str, queue: str) -> None:
        self.broker = broker
        self.queue = queue

    def delay(self, job_id: int) -> None:
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        try:
            with celery_app.connection_for_write(self.broker) as conn:
                # celery-types does not know apply_async's ``connection`` option.
                send: Any = job_run_task.apply_async
                send(args=(job_id,), queue=self.queue, connection=conn)
        finally:
            celery_app.conf.task_always_eager = eager


def _assert_every_card_written_once(
    job_id: int, cards: list[str], counting: Any, sandbox: Any
) -> None:
    job = _job(job_id)
    assert (job.status, job.done, job.failed) == (JobStatus.SUCCEEDED, ITEMS, 0)
    assert set(job.items.values_list("outcome", flat=True)) == {ItemOutcome.SUCCEEDED}
    assert counting.writes == Counter(dict.fromkeys(cards, 1))
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    keys = AuditRecord.objects.filter(kind=Kind.INTENT, action="card.disable").values_list(
        "idempotency_key", flat=True
    )
    assert sorted(keys) == sorted(f"job:{job_id}:item:{n}:try:1" for n in range(1, ITEMS + 1))
    assert chain_verify().intact


def test_sigterm_mid_job_finishes_the_item_under_way_and_hands_the_rest_back(
    counting_sandbox: tuple[CountingSandbox, str],
    sandbox: Any,
    bulk_job: Any,
    tmp_path: Path,
) -> None:
    counting, base_url = counting_sandbox
    broker = os.environ["REDIS_URL"]
    queue = f"jobs-test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    # No visibility timeout to wait out: a handed-back task is in the queue at once.
    heartbeat = tmp_path / "heartbeat"
    env = _worker_env(base_url, broker) | {
        "CELERY_VISIBILITY_TIMEOUT": "3600",
        "WORKER_HEARTBEAT_FILE": str(heartbeat),
    }
    cards = active_cards(sandbox, ITEMS)
    # Slow enough that the job is still under way after the health command has run.
    sandbox.faults.latency(0.8, endpoint="changeCardStatus")
    job = bulk_job(cards, task=SendTo(broker, queue))
    # The production pool (prefork): Celery does not signal its pool processes on SIGTERM.
    prefork = ("--pool=prefork", "--concurrency=1")
    first = _start_worker(env, queue, log, pool=prefork)
    try:
        _wait_for(lambda: _job(job.pk).done >= 3, 90, "a few items done", log)
        # The health command an orchestrator runs beside the worker says it is alive.
        assert _worker_health(env).returncode == 0
        first.send_signal(signal.SIGTERM)
        # It stops after the item under way, not after the whole job.
        assert first.wait(30) == 0, log.read_text()[-4000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

    assert _worker_health(env).returncode == 1
    stopped = _job(job.pk)
    assert stopped.status == JobStatus.RUNNING
    assert 3 <= stopped.done < ITEMS, "the worker did not stop mid-job"
    statuses = Counter(stopped.items.values_list("status", flat=True))
    # Nothing left half-done: each item ended, or waits untouched for the next worker.
    assert statuses == Counter({"done": stopped.done, "pending": ITEMS - stopped.done})
    assert sum(counting.writes.values()) == stopped.done
    assert "handed back to the broker" in log.read_text()

    second = _start_worker(env, queue, log, pool=prefork)
    try:
        _wait_for(lambda: _job(job.pk).status == JobStatus.SUCCEEDED, 90, "the job", log)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    _assert_every_card_written_once(job.pk, cards, counting, sandbox)


def test_a_job_survives_its_worker_being_killed_and_does_each_item_once(
    counting_sandbox: tuple[CountingSandbox, str],
    sandbox: Any,
    bulk_job: Any,
    tmp_path: Path,
) -> None:
    counting, base_url = counting_sandbox
    broker = os.environ["REDIS_URL"]
    queue = f"jobs-test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = _worker_env(base_url, broker)
    cards = active_cards(sandbox, ITEMS)
    sandbox.faults.latency(0.3, endpoint="changeCardStatus")

    job = bulk_job(cards, task=SendTo(broker, queue))
    first = _start_worker(env, queue, log)
    try:
        _wait_for(lambda: _job(job.pk).done >= 4, 90, "a few items done", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        done_at_kill = _job(job.pk).done
        assert done_at_kill < ITEMS, "the job finished before the worker could be killed"
        # Redis hands the task back once its visibility timeout has passed; a starting worker
        # looks for such tasks at once, and then only every couple of minutes.
        time.sleep(VISIBILITY_TIMEOUT + 1)

        second = _start_worker(env, queue, log)
        try:
            _wait_for(lambda: _job(job.pk).status == JobStatus.SUCCEEDED, 90, "the job", log)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

    _assert_every_card_written_once(job.pk, cards, counting, sandbox)


def test_a_worker_killed_while_its_write_was_never_carried_out_has_that_item_tried_again(
    counting_sandbox: tuple[CountingSandbox, str],
    sandbox: Any,
    bulk_job: Any,
    counted_status_changes: Counter[str],
    tmp_path: Path,
) -> None:
    counting, base_url = counting_sandbox
    broker = os.environ["REDIS_URL"]
    queue = f"jobs-test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    # Time to kill the worker while the write is held, before its read timeout.
    env = _worker_env(base_url, broker) | {
        "PAYTRONIX_READ_TIMEOUT": "5",
        "AUDIT_ABANDONED_AFTER": "6",
    }
    cards = active_cards(sandbox, ITEMS)
    sandbox.faults.latency(0.3, endpoint="changeCardStatus")

    job = bulk_job(cards, task=SendTo(broker, queue))
    first = _start_worker(env, queue, log)
    try:
        _wait_for(lambda: _job(job.pk).done >= 4, 90, "a few items done", log)
        # The next write reaches upstream and is held there, never carried out.
        hang = sandbox.faults.hang(30, endpoint="changeCardStatus", process=False, times=1)
        _wait_for(lambda: hang not in sandbox.faults.rules, 30, "a write to hang", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        sandbox.faults.clear()
        time.sleep(VISIBILITY_TIMEOUT + 1)

        second = _start_worker(env, queue, log)
        try:
            _wait_for(lambda: _job(job.pk).status == JobStatus.SUCCEEDED, 90, "the job", log)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

    done = _job(job.pk)
    assert (done.done, done.failed) == (ITEMS, 0)
    assert {sandbox.state.card(card).status for card in cards} == {"DISABLED"}
    assert counted_status_changes == Counter(dict.fromkeys(cards, 1))
    [again] = done.items.filter(attempts=2)
    assert again.message.startswith("Attempt 1 never reached the loyalty system")
    # Two requests for that card (the one held and the retry), one for every other card.
    assert sorted(counting.writes.values()) == [1] * (ITEMS - 1) + [2]
    assert chain_verify().intact
