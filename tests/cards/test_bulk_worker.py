"""A bulk job on a real Celery worker over Redis and PostgreSQL: the worker is killed mid-way
(after a write was applied, or after an intent and before its request left), another one takes
the task over, and every row ends done, each card changed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from cards.bulk_file import BulkAction
from cards.models import BulkUpload
from cards.services.bulk import bulk_card_status_start
from portal.audit.models import AuditRecord
from portal.audit.types import AuditContext
from portal.jobs.models import ItemStatus, Job

pytestmark = [
    pytest.mark.worker,
    pytest.mark.proof,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.timeout(240),
    pytest.mark.django_db(transaction=True),
]

ROWS = 16
VISIBILITY_TIMEOUT = 3.0
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """One worker process, started in its own process group so it can be killed whole."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cards.worker_main"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def _wait_for(predicate: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _active_cards(sandbox: Any, count: int) -> list[str]:
    live = sandbox.state.live
    numbers = [
        card.number
        for card in live.cards.values()
        if card.status == "ACTIVE" and live.accounts[card.account_id].status == "ACTIVE"
    ]
    return sorted(numbers)[:count]


def _database_url(db: dict[str, Any]) -> str:
    """The test database (not the one DATABASE_URL names) as the worker must reach it."""
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


#: The 5th write: CARDS_BULK_CONCURRENCY=2 leaves a few rows done before it.
DIES_AT_WRITE = 5


@pytest.mark.parametrize("killed", ["after_a_write", "before_a_write_leaves"])
def test_a_job_whose_worker_is_killed_mid_way_finishes_every_row_exactly_once(
    killed, sandbox, supervisor, counted_status_changes, monkeypatch, tmp_path, figures
):
    redis_url = os.environ["REDIS_URL"]
    # Celery prefers this variable to the broker a Celery() is given (CI sets it).
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    queue = f"cards-worker-test-{uuid.uuid4().hex}"
    prefix = f"{queue}:"
    producer = Celery(broker=redis_url)
    producer.conf.broker_transport_options = {"global_keyprefix": prefix}
    sent: list[list[Any]] = []

    class ToTheWorker:
        """The task as the bulk service sends it, to this test's queue on Redis."""

        def delay(self, job_id: int) -> None:
            sent.append([job_id])
            producer.send_task("portal.jobs.tasks.job_run_task", args=[job_id], queue=queue)

    monkeypatch.setattr("portal.jobs.services.job_run_task", ToTheWorker())
    # Slow enough to kill the worker with rows still to do, fast enough for a short test.
    sandbox.faults.latency(0.3, endpoint="guest/changeCardStatus")
    cards = _active_cards(sandbox, ROWS)
    upload = BulkUpload.objects.create(
        owner=supervisor,
        filename="sweep.csv",
        action=BulkAction.DISABLE.value,
        reason="Fraud sweep",
        rows=[
            {"line": n, "card_number": c, "action": "disable", "reason": "", "problem": ""}
            for n, c in enumerate(cards, start=1)
        ],
        row_count=ROWS,
    )
    job = bulk_card_status_start(
        owner=supervisor,
        context=AuditContext(),
        upload=upload,
        skip_bad_rows=False,
        idempotency_key="w1",
    )
    assert sent == [[job.pk]]  # the broker carries the job id and nothing else

    env = {
        **os.environ,
        "LOYALTY_ENV": "test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": redis_url,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "PAYTRONIX_BASE_URL": sandbox.url,
        "PAYTRONIX_USERNAME": sandbox.auth[0],
        "PAYTRONIX_SECRET": sandbox.auth[1],
        "PAYTRONIX_MERCHANT_ID": str(sandbox.merchant_id),
        "PAYTRONIX_CONNECT_TIMEOUT": "1",
        "PAYTRONIX_READ_TIMEOUT": "2",
        # One attempt a call, so that a write's longest time (3 s) is within the abandon time.
        "PAYTRONIX_MAX_ATTEMPTS": "1",
        "AUDIT_ABANDONED_AFTER": "4",
        "AUDIT_NOT_APPLIED_AFTER": "4",
        "AUDIT_IN_PROGRESS_WAIT": "1",
        "CARDS_BULK_CONCURRENCY": "2",
        "WORKER_TEST_QUEUE": queue,
        "WORKER_TEST_KEY_PREFIX": prefix,
        "WORKER_TEST_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    log = tmp_path / "worker.log"
    dies_itself = killed == "before_a_write_leaves"
    first_env = env | ({"WORKER_TEST_DIE_BEFORE_WRITE": str(DIES_AT_WRITE)} if dies_itself else {})

    def done() -> int:
        return Job.objects.filter(pk=job.pk).values_list("done", flat=True).get()

    first = Worker(first_env, log)
    try:
        _wait_for(
            lambda: done() >= 4 or not first.alive(),
            timeout=90,
            what="the first worker to do some rows",
        )
        if dies_itself:
            _wait_for(lambda: not first.alive(), timeout=90, what="the worker to die mid-write")
        else:
            assert first.alive(), log.read_text()[-3000:]
    finally:
        first.kill()
    assert done() < ROWS, "the first worker finished before it could be killed"
    killed_at = time.monotonic()
    done_at_kill = done()
    # The killed worker's task is handed out again once its visibility timeout has passed.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = Worker(env, log)
    try:
        _wait_for(
            lambda: Job.objects.get(pk=job.pk).is_finished,
            timeout=150,
            what=f"the second worker to finish the job (log: {log.read_text()[-2000:]})",
        )
    finally:
        second.stop()

    job.refresh_from_db()
    figures(
        f"killed worker ({killed.replace('_', ' ')})",
        rows=ROWS,
        rows_done_when_killed=done_at_kill,
        seconds_from_kill_to_the_end=round(time.monotonic() - killed_at, 1),
        rows_tried_again=job.items.filter(attempts=2).count(),
        cards_changed_more_than_once=sum(1 for n in counted_status_changes.values() if n > 1),
        cards_never_changed=sum(1 for c in cards if counted_status_changes[c] == 0),
    )
    # On a failure, which rows did not succeed and why (a run on a loaded machine once ended
    # with one row failed and its card never changed, and nothing said why).
    not_succeeded = [
        (item.position, item.outcome, item.attempts, item.message)
        for item in job.items.exclude(outcome="succeeded")
    ]
    assert (job.status, job.done, job.failed) == ("succeeded", ROWS, 0), not_succeeded
    assert set(job.items.values_list("status", flat=True)) == {ItemStatus.DONE}
    assert set(job.items.values_list("outcome", flat=True)) == {"succeeded"}
    assert all(sandbox.state.card(c).status == "DISABLED" for c in cards)
    assert counted_status_changes == Counter({c: 1 for c in cards})
    tried_again = list(job.items.filter(attempts=2))
    # A row is tried again only when its first request surely changed nothing, for one of two
    # reasons, told apart by the first try's recorded outcome:
    # - it never left (killed between its intent and its send: the worker that killed itself,
    #   or a row another worker thread had just recorded): read back, found unchanged, settled
    #   as not applied, and tried again;
    # - upstream could not be reached (a connect timing out on a loaded machine): a transient
    #   failure the door recorded as such, tried again under a new key.
    settled_as_never_sent = 0
    for again in tried_again:
        assert again.intent_id is not None
        retry = AuditRecord.objects.get(pk=again.intent_id)
        first_try = AuditRecord.objects.get(idempotency_key=retry.idempotency_key[:-1] + "1")
        assert retry.params["retry_of"] == first_try.pk
        ended = AuditRecord.objects.filter(intent=first_try).order_by("-seq").first()
        assert ended is not None
        assert ended.outcome == "failed"
        if ended.upstream_result == "settled":
            settled_as_never_sent += 1
            assert again.message.startswith("Attempt 1 never reached the loyalty system")
        else:
            assert ended.transient, (ended.upstream_result, ended.error_code, again.message)
            assert "never reached the loyalty system" not in again.message
    if dies_itself:
        # The row whose request never left is among them.
        assert settled_as_never_sent >= 1
