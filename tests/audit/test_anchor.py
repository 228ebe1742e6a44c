"""Anchors of the chain's head outside the database, and audit_verify reporting a truncation
(the newest records removed together with the head) against the latest anchor."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from portal.audit.anchor import anchor_from_file, anchor_publish_head
from portal.audit.chain import GENESIS_HASH, ChainAnchor, chain_append, chain_head, chain_verify
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.tasks import audit_anchor_task
from tests.test_security import production_env, run_python

pytestmark = pytest.mark.django_db


def _chain(count: int) -> list[AuditRecord]:
    return [
        chain_append(
            kind=Kind.EVENT, action="auth.login", outcome=Outcome.RECORDED, params={"n": n}
        )
        for n in range(count)
    ]


@pytest.fixture
def anchor_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "audit-anchors.log"
    settings.AUDIT_ANCHOR_FILE = str(path)
    return path


@pytest.fixture
def cut_back(raw_sql: Callable[..., None]) -> Callable[[list[AuditRecord], int], None]:
    """Remove the newest ``count`` records and move the head back to the one before them, as
    someone with the database's superuser or owner rights can."""

    def cut(records: list[AuditRecord], count: int) -> None:
        kept = records[: len(records) - count]
        raw_sql("DELETE FROM audit_auditrecord WHERE seq > %s", [len(kept)])
        last = kept[-1] if kept else None
        raw_sql(
            "UPDATE audit_auditchainhead SET seq = %s, last_hash = %s",
            [last.seq if last else 0, last.record_hash if last else GENESIS_HASH],
        )

    return cut


def _verify(*args: str) -> str:
    try:
        call_command("audit_verify", *args)
    except CommandError as exc:
        return f"error {exc.returncode}: {exc}"
    return "intact"


def test_an_intact_chain_reaches_its_anchor(
    anchor_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _chain(5)
    assert anchor_publish_head() == []

    call_command("audit_verify", "--anchor-file", str(anchor_file))

    out = capsys.readouterr().out
    assert "Audit chain intact: 5 records, reaching the anchor #5" in out
    assert f"#5 ({records[-1].record_hash[:12]}" in out


def test_records_written_after_the_anchor_are_fine(anchor_file: Path) -> None:
    _chain(3)
    anchor_publish_head()
    _chain(4)

    assert _verify("--anchor-file", str(anchor_file)) == "intact"
    assert chain_verify(anchor=anchor_from_file(anchor_file)).checked == 7


@pytest.mark.parametrize("removed", [1, 50])
def test_removing_the_newest_records_and_moving_the_head_back_is_a_truncation(
    removed: int, anchor_file: Path, cut_back: Callable[..., None]
) -> None:
    records = _chain(60)
    anchor_publish_head()
    cut_back(records, removed)
    assert chain_verify().intact  # what the chain alone cannot see

    result = _verify("--anchor-file", str(anchor_file))

    kept = 60 - removed
    assert result.startswith(f"error 1: Audit chain truncated at record #{kept + 1}: ")
    assert f"the chain ends at #{kept} but the anchor says it reached #60" in result
    assert f"({kept} records before it are intact)" in result


def test_removing_every_record_and_the_head_row_is_a_truncation(
    anchor_file: Path, raw_sql: Callable[..., None]
) -> None:
    _chain(5)
    anchor_publish_head()
    raw_sql("DELETE FROM audit_auditrecord")
    raw_sql("DELETE FROM audit_auditchainhead")
    assert chain_verify().intact

    result = _verify("--anchor-file", str(anchor_file))

    assert result.startswith("error 1: Audit chain truncated at record #1: ")
    assert "records #1 to #5 were removed (truncated)" in result


def test_a_chain_cut_back_and_written_again_past_the_anchor_is_a_truncation(
    anchor_file: Path, cut_back: Callable[..., None]
) -> None:
    records = _chain(10)
    anchor_publish_head()
    cut_back(records, 4)
    _chain(6)  # the chain is longer than the anchor again, and fits

    report = chain_verify(anchor=anchor_from_file(anchor_file))

    assert report.broken is not None
    assert report.broken.truncated
    assert report.broken.seq == 10
    assert "not the record the anchor #10" in report.broken.problem


def test_an_anchor_given_on_the_command_line_catches_a_truncation(
    cut_back: Callable[..., None],
) -> None:
    records = _chain(5)
    anchor = f"5:{records[-1].record_hash}"
    assert _verify("--anchor", anchor) == "intact"

    cut_back(records, 1)

    assert _verify("--anchor", anchor).startswith("error 1: Audit chain truncated at record #5")


def test_the_highest_anchor_counts_even_when_a_lower_one_was_written_after_it(
    anchor_file: Path, cut_back: Callable[..., None]
) -> None:
    records = _chain(8)
    anchor_publish_head()
    cut_back(records, 3)
    anchor_publish_head()  # the next periodic anchor sees the shortened chain

    assert [json.loads(line)["seq"] for line in anchor_file.read_text().splitlines()] == [8, 5]
    assert "the anchor says it reached #8" in _verify("--anchor-file", str(anchor_file))


def test_anchors_are_read_from_a_shipped_log_among_other_lines(tmp_path: Path) -> None:
    records = _chain(2)
    line = json.dumps({"seq": 2, "hash": records[-1].record_hash, "at": "2026-11-29T15:00:00Z"})
    log = tmp_path / "shipped.log"
    log.write_text(
        "2026-11-29 15:00:00 INFO django.request [-] GET /\n"
        f"2026-11-29 15:00:01 INFO portal.audit.anchor [-] audit-anchor {line}\n"
        "2026-11-29 15:00:02 INFO celery.worker [-] {not an anchor}\n"
    )

    assert anchor_from_file(log) == ChainAnchor(2, records[-1].record_hash)
    assert _verify("--anchor-file", str(log)) == "intact"


def test_every_nth_record_is_anchored_once_committed(
    settings: Any,
    anchor_file: Path,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.AUDIT_ANCHOR_EVERY = 3
    caplog.set_level(logging.INFO, logger="portal.audit.anchor")

    with django_capture_on_commit_callbacks(execute=True):
        records = _chain(7)

    lines = [json.loads(line) for line in anchor_file.read_text().splitlines()]
    assert [(a["seq"], a["hash"], a["trigger"]) for a in lines] == [
        (3, records[2].record_hash, "records"),
        (6, records[5].record_hash, "records"),
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.audit.anchor"]
    assert [m.split(" ", 1)[0] for m in logged] == ["audit-anchor", "audit-anchor"]
    assert json.loads(logged[1].split(" ", 1)[1])["seq"] == 6


def test_no_anchor_is_written_for_a_record_that_is_rolled_back(
    settings: Any, anchor_file: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_ANCHOR_EVERY = 1

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        _chain(1)
        raise RuntimeError("the change fails after its record was written")

    assert callbacks == []
    assert not anchor_file.exists()
    assert chain_head() == ChainAnchor(0, GENESIS_HASH)


def test_the_periodic_anchor_task_writes_the_head_to_the_log_and_the_file(
    anchor_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = _chain(4)
    caplog.set_level(logging.INFO, logger="portal.audit.anchor")

    audit_anchor_task.delay()

    [line] = anchor_file.read_text().splitlines()
    anchor = json.loads(line)
    assert (anchor["seq"], anchor["hash"], anchor["trigger"]) == (
        4,
        records[-1].record_hash,
        "interval",
    )
    assert f"audit-anchor {line}" in caplog.messages


def test_the_periodic_anchor_task_fails_when_a_sink_cannot_be_written(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _chain(1)
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "missing-folder" / "anchors.log")

    with pytest.raises(RuntimeError, match=r"audit anchor not written to file .*missing-folder"):
        audit_anchor_task.delay()

    assert any(m.startswith("audit-anchor {") for m in caplog.messages)  # the log still has it
    assert any("not written to file" in m for m in caplog.messages)


def test_an_empty_chain_is_anchored_at_its_start(anchor_file: Path) -> None:
    assert chain_head() == ChainAnchor(0, GENESIS_HASH)
    anchor_publish_head()

    assert _verify("--anchor-file", str(anchor_file)) == "intact"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--anchor", "12"], "give the anchor as SEQ:HASH"),
        (["--anchor", "x:" + "a" * 64], "position must be a number"),
        (["--anchor=-1:" + "a" * 64], "cannot be negative"),
        (["--anchor", "3:abc"], "64 hexadecimal digits"),
        (["--anchor-file", "/nonexistent/anchors.log"], "cannot read the anchor file"),
        (["--anchor-redis"], "needs AUDIT_ANCHOR_REDIS_URL"),
    ],
)
def test_an_unusable_anchor_is_refused_with_a_clear_message(
    args: list[str], message: str, settings: Any
) -> None:
    settings.AUDIT_ANCHOR_REDIS_URL = ""
    _chain(1)

    result = _verify(*args)

    assert result.startswith("error 2: No anchor to check against: ")
    assert message in result


def test_a_file_without_anchors_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")

    assert "no audit anchor found in" in _verify("--anchor-file", str(empty))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AUDIT_ANCHOR_INTERVAL", "0"),
        ("AUDIT_ANCHOR_INTERVAL", "300"),
        ("AUDIT_ANCHOR_INTERVAL", "soon"),
        ("AUDIT_ANCHOR_EVERY", "-1"),
        ("AUDIT_ANCHOR_REDIS_URL", "http://anchors.internal:6379/0"),
    ],
)
def test_a_malformed_anchor_setting_stops_start_up_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="portal.settings", **{variable: value})

    result = run_python(["-c", "import django; django.setup()"], env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert variable in last_line


@pytest.mark.redis
def test_the_redis_stream_holds_anchors_that_catch_a_truncation(
    settings: Any, cut_back: Callable[..., None]
) -> None:
    import redis

    settings.AUDIT_ANCHOR_REDIS_URL = os.environ["REDIS_URL"]
    settings.AUDIT_ANCHOR_REDIS_STREAM = f"test:audit-anchors:{os.getpid()}"
    client = redis.Redis.from_url(settings.AUDIT_ANCHOR_REDIS_URL)
    client.delete(settings.AUDIT_ANCHOR_REDIS_STREAM)
    try:
        records = _chain(6)
        assert anchor_publish_head() == []
        assert _verify("--anchor-redis") == "intact"

        cut_back(records, 2)
        anchor_publish_head()

        assert client.xlen(settings.AUDIT_ANCHOR_REDIS_STREAM) == 2
        result = _verify("--anchor-redis")
        assert result.startswith("error 1: Audit chain truncated at record #5")
    finally:
        client.delete(settings.AUDIT_ANCHOR_REDIS_STREAM)
