"""Append-only records, the hash chain, and audit_verify naming the first record that does not
fit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.audit import chain
from portal.audit.chain import (
    GENESIS_HASH,
    ChainAnchor,
    chain_append,
    chain_verify,
    intent_append_or_first,
)
from portal.audit.models import AuditChainHead, AuditImmutableError, AuditRecord, Kind, Outcome

pytestmark = pytest.mark.django_db


def _event(n: int = 0) -> AuditRecord:
    return chain_append(
        kind=Kind.EVENT, action="auth.login", outcome=Outcome.SUCCEEDED, params={"n": n}
    )


def _chain(count: int) -> list[AuditRecord]:
    return [_event(n) for n in range(count)]


def test_each_record_links_to_the_one_before() -> None:
    first, second, third = _chain(3)

    assert [r.seq for r in (first, second, third)] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.record_hash
    assert third.prev_hash == second.record_hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.last_hash) == (3, third.record_hash)


def test_a_record_is_stored_exactly_as_appended_whatever_its_values() -> None:
    """The append prepares only what needs it (a plain str of a text field goes as it is):
    every value reads back as it was given, and the chain still verifies."""
    from django.utils.functional import lazy

    lazy_text = lazy(lambda: "Läzy <reason> ✓", str)()
    record = chain_append(
        kind=Kind.EVENT,
        action="auth.login",
        outcome=Outcome.SUCCEEDED,
        actor_username="zoë.agent",
        reason_text=lazy_text,
        error_message="",
        params={"n": 1, "note": "naïve", "nested": [1, None, "x"]},
        account_id=9000001,
        duration_ms=12,
        transient=True,
    )
    stored = AuditRecord.objects.get(pk=record.pk)
    assert stored.actor_username == "zoë.agent"
    assert stored.reason_text == "Läzy <reason> ✓"
    assert stored.error_message == ""
    assert stored.params == {"n": 1, "note": "naïve", "nested": [1, None, "x"]}
    assert (stored.account_id, stored.duration_ms, stored.transient) == (9000001, 12, True)
    assert stored.record_hash == record.record_hash
    assert chain_verify().intact


def test_a_record_refuses_to_be_changed_or_deleted() -> None:
    record = _event()
    record.outcome = Outcome.FAILED

    with pytest.raises(AuditImmutableError):
        record.save()
    with pytest.raises(AuditImmutableError):
        record.delete()
    with pytest.raises(AuditImmutableError):
        AuditRecord.objects.filter(pk=record.pk).update(outcome=Outcome.FAILED)
    with pytest.raises(AuditImmutableError):
        AuditRecord.objects.all().delete()
    with pytest.raises(AuditImmutableError):
        AuditRecord.objects.bulk_create([AuditRecord(action="x")])
    with pytest.raises(AuditImmutableError, match="chain_append"):
        AuditRecord(action="x", kind=Kind.EVENT, outcome=Outcome.RECORDED).save()

    assert AuditRecord.objects.get().outcome == Outcome.SUCCEEDED


@pytest.mark.postgres
@pytest.mark.table_owner  # Even the owner, whom GRANTs do not hold, meets the triggers.
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET outcome = 'failed'",
        "DELETE FROM audit_auditrecord",
        "TRUNCATE audit_auditrecord CASCADE",
        "DELETE FROM audit_auditchainhead",
        "TRUNCATE audit_auditchainhead",
    ],
)
def test_postgresql_itself_refuses_to_change_or_remove_records(sql: str) -> None:
    _event()

    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred foreign-key checks of the insert above would block TRUNCATE first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)

    assert AuditRecord.objects.get().outcome == Outcome.SUCCEEDED


def test_audit_verify_passes_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    _chain(5)

    call_command("audit_verify")

    assert "Audit chain intact: 5 records." in capsys.readouterr().out


def test_audit_verify_names_an_edited_record(raw_sql: Callable[..., None]) -> None:
    records = _chain(5)
    raw_sql(
        "UPDATE audit_auditrecord SET reason_text = 'nothing to see' WHERE id = %s",
        [records[2].pk],
    )

    with pytest.raises(CommandError, match=r"record #3 \(id \d+\): .*\(edited\)"):
        call_command("audit_verify")


def test_audit_verify_names_a_deleted_record(raw_sql: Callable[..., None]) -> None:
    records = _chain(5)
    raw_sql("DELETE FROM audit_auditrecord WHERE id = %s", [records[1].pk])

    with pytest.raises(CommandError, match=r"record #2 is missing \(deleted\)"):
        call_command("audit_verify")


def test_audit_verify_names_reordered_records(raw_sql: Callable[..., None]) -> None:
    records = _chain(5)
    second, third = records[1], records[2]
    raw_sql("UPDATE audit_auditrecord SET seq = 1000 WHERE id = %s", [second.pk])
    raw_sql("UPDATE audit_auditrecord SET seq = 2 WHERE id = %s", [third.pk])
    raw_sql("UPDATE audit_auditrecord SET seq = 3 WHERE id = %s", [second.pk])

    with pytest.raises(CommandError, match=r"record #2 .*does not follow record #1 \(reordered"):
        call_command("audit_verify")


def test_audit_verify_notices_the_newest_records_deleted(raw_sql: Callable[..., None]) -> None:
    records = _chain(5)
    raw_sql("DELETE FROM audit_auditrecord WHERE id >= %s", [records[3].pk])

    report = chain_verify()

    assert report.broken is not None
    assert report.broken.seq == 4
    assert "ends at #5" in report.broken.problem


def test_audit_verify_notices_a_rewritten_hash(raw_sql: Callable[..., None]) -> None:
    records = _chain(3)
    raw_sql(
        "UPDATE audit_auditrecord SET record_hash = %s WHERE id = %s", ["f" * 64, records[2].pk]
    )

    report = chain_verify()

    assert report.broken is not None
    assert report.broken.seq == 3


def _writers(count: int, then: Callable[[], None] = lambda: None) -> list[BaseException]:
    """``count`` threads, started together, each appending ten events and then calling
    ``then``; what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def write(worker: int) -> None:
        try:
            start.wait()
            for n in range(10):
                chain_append(
                    kind=Kind.EVENT,
                    action="auth.login",
                    outcome=Outcome.RECORDED,
                    params={"worker": worker, "n": n},
                )
            then()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _seqs() -> list[int]:
    return list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_cannot_fork_the_chain() -> None:
    assert _writers(6) == []
    assert _seqs() == list(range(1, 61))
    report = chain_verify()
    assert report.intact
    assert report.checked == 60


@pytest.mark.django_db(transaction=True)
def test_appends_at_the_same_moment_share_a_commit_and_the_chain_stays_verifiable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commits: list[int] = []
    original = chain._batch_commit

    def counting(batch: list[Any]) -> None:
        commits.append(len(batch))
        original(batch)

    monkeypatch.setattr(chain, "_batch_commit", counting)
    claims: list[tuple[int, bool]] = []

    def claim() -> None:
        # Every worker claims the same key: one intent, the same one for all.
        intent, created = intent_append_or_first(
            idempotency_key="same-key",
            kind=Kind.INTENT,
            outcome=Outcome.PENDING,
            action="card.disable",
        )
        claims.append((intent.pk, created))

    assert _writers(8, claim) == []
    assert _seqs() == list(range(1, 82))
    assert sum(created for _, created in claims) == 1
    assert len({pk for pk, _ in claims}) == 1
    assert sum(commits) == 88
    assert len(commits) < 88  # some appends shared a commit
    report = chain_verify()
    assert report.intact
    assert report.checked == 81
    head = AuditChainHead.objects.get()
    last = AuditRecord.objects.order_by("-seq").first()
    assert last is not None
    assert (head.seq, head.last_hash) == (81, last.record_hash)


def test_one_bad_record_in_a_batch_fails_only_its_own_caller() -> None:
    good = chain._Append(fields={"kind": Kind.EVENT, "action": "auth.login", "params": {}})
    bad = chain._Append(fields={"kind": Kind.EVENT, "no_such_field": 1})
    chain._batch_write([good, bad])
    assert good.error is None
    assert good.record is not None
    assert good.record.seq == 1
    assert isinstance(bad.error, TypeError)
    assert bad.record is None
    assert chain_verify().intact


def test_the_chain_continues_from_the_last_record_when_its_head_is_lost(
    raw_sql: Callable[..., Any],
) -> None:
    _chain(2)
    raw_sql("DELETE FROM audit_auditchainhead")

    third = _event()

    assert third.seq == 3
    assert chain_verify().intact


def _append_elsewhere() -> AuditRecord:
    """A record this process's appender did not write (as another process's): appended
    inside a transaction of the caller's, which locks the head and reads it."""
    with transaction.atomic():
        return _event(99)


def test_an_append_follows_the_head_another_process_moved() -> None:
    first = _event()
    other = _append_elsewhere()
    assert chain._head_seen.anchor == ChainAnchor(first.seq, first.record_hash)

    third = _event()

    assert (third.seq, third.prev_hash) == (3, other.record_hash)
    assert chain_verify().intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_record_alone_after_this_processs_last_is_one_statement_and_no_lock_taken() -> None:
    _event()
    with CaptureQueriesContext(connection) as alone:
        second = _event()
    other = _append_elsewhere()
    with CaptureQueriesContext(connection) as after_another:
        fourth = _event()

    # No BEGIN, no COMMIT, no head read first.
    assert [query["sql"].split()[0] for query in alone.captured_queries] == ["WITH"]
    assert second.seq == 2
    # The head moved: the statement wrote nothing; then the head locked, read and moved.
    assert [query["sql"].split()[0] for query in after_another.captured_queries] == [
        "WITH",
        "BEGIN",
        "SELECT",
        "WITH",
        "COMMIT",
    ]
    assert (fourth.seq, fourth.prev_hash) == (4, other.record_hash)
    head = AuditChainHead.objects.get()
    assert (head.seq, head.last_hash) == (4, fourth.record_hash)
    assert chain_verify().intact


@pytest.mark.postgres
def test_an_append_after_a_head_that_moved_writes_nothing() -> None:
    first = _event()
    _append_elsewhere()
    with connection.cursor() as cursor, pytest.raises(chain._HeadMoved):
        chain._record_write(
            cursor, first.seq + 1, first.record_hash, {"kind": Kind.EVENT, "action": "x"}
        )
    assert _seqs() == [1, 2]
    assert chain_verify().intact


def _requests(count: int) -> list[Any]:
    return [
        chain._Append(fields={"kind": Kind.EVENT, "action": "auth.login", "params": {"n": n}})
        for n in range(count)
    ]


@pytest.mark.postgres
def test_a_batch_is_one_statement_and_the_head_moves_over_it_once() -> None:
    _event()
    batch = _requests(3)
    with CaptureQueriesContext(connection) as queries:
        chain._batch_write(batch)

    appends = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH")]
    assert len(appends) == 1
    assert [request.record.seq for request in batch] == [2, 3, 4]
    assert [r.params for r in AuditRecord.objects.order_by("seq")][1:] == [
        {"n": 0},
        {"n": 1},
        {"n": 2},
    ]
    head = AuditChainHead.objects.get()
    assert (head.seq, head.last_hash) == (4, batch[-1].record.record_hash)
    assert chain_verify().intact


@pytest.mark.postgres
def test_a_batch_keeps_every_value_as_given_and_is_the_same_statement_whatever_its_size() -> None:
    _event()
    awkward: list[dict[str, Any]] = [
        {
            "kind": Kind.EVENT,
            "action": "auth.login",
            "reason_text": 'a "quoted", {braced} \\ back\\slash NULL',
            "error_message": "NULL",
            "user_agent": "✓ ünïcode, {}",
            "params": {"a": [1, {"b": "}"}], "c": None, "d": "\\"},
            "upstream_detail": {"x": None, "y": "'"},
            "account_id": 9_000_000_000_001,
            "duration_ms": None,
            "transient": True,
        },
        {"kind": Kind.EVENT, "action": "auth.logout", "reason_text": "", "ip": "::1"},
    ]
    first = [chain._Append(fields=dict(fields)) for fields in awkward]
    second = _requests(5)
    statements: list[tuple[str, int]] = []

    def seen(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, len(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        chain._batch_write(first)
        chain._batch_write(second)

    appends = [(sql, count) for sql, count in statements if sql.startswith("WITH")]
    # One statement a batch, the same text and number of parameters for 2 records and for 5
    # (the driver parses it once): one array a column.
    assert len(appends) == 2
    assert appends[0] == appends[1]
    stored = list(AuditRecord.objects.order_by("seq"))[1:3]
    for record, fields in zip(stored, awkward, strict=True):
        for name, value in fields.items():
            assert getattr(record, name) == value, name
    assert [request.record.seq for request in second] == [4, 5, 6, 7, 8]
    assert chain_verify().intact


@pytest.mark.postgres
def test_a_batch_with_an_intent_whose_key_is_taken_is_written_record_by_record() -> None:
    first, _ = intent_append_or_first(
        idempotency_key="taken", kind=Kind.INTENT, outcome=Outcome.PENDING, action="card.disable"
    )
    claim = chain._Append(
        fields={
            "kind": Kind.INTENT,
            "outcome": Outcome.PENDING,
            "action": "card.disable",
            "idempotency_key": "taken",
        },
        claim=True,
    )
    before, after = _requests(2)
    chain._batch_write([before, claim, after])

    assert claim.record is not None
    assert (claim.record.pk, claim.created) == (first.pk, False)
    assert (before.record.seq, after.record.seq) == (2, 3)
    assert _seqs() == [1, 2, 3]
    assert chain_verify().intact


@pytest.mark.postgres
@pytest.mark.table_owner
@pytest.mark.parametrize(
    ("seq", "named", "refusal"),
    [
        (1, 0, "only moves forward: #3 to #1"),
        (3, 2, "only moves forward: #3 to #3"),
        # Over records that are not there.
        (5, 2, "must name record #5 that follows it"),
    ],
)
def test_the_head_moves_only_forward_over_records_that_follow(
    seq: int, named: int, refusal: str
) -> None:
    records = _chain(3)
    with (
        pytest.raises(DatabaseError, match=refusal),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditchainhead SET seq = %s, last_hash = %s",
            [seq, records[named].record_hash],
        )
    assert chain_verify().intact


@pytest.mark.postgres
@pytest.mark.table_owner
def test_the_head_cannot_move_over_a_record_that_does_not_follow(
    raw_sql: Callable[..., Any],
) -> None:
    first = _event()
    with transaction.atomic():
        # Records #2 and #3 as a forger writes them, the head left at #1: #2 does not
        # follow #1 (its previous hash is wrong), #3 follows #2.
        second = AuditRecord(seq=2, prev_hash="f" * 64, kind=Kind.EVENT, action="x")
        raw_sql(
            "INSERT INTO audit_auditrecord (seq, prev_hash, record_hash, kind, occurred_at, "
            "actor_username, actor_role, ip, user_agent, request_id, action, card_masked, "
            "card_hash, params, reason_code, reason_text, outcome, upstream_result, error_code, "
            "error_message, upstream_detail, transient, idempotency_key) SELECT n, p, h, "
            "'event', now(), '', '', '', '', '', 'x', '', '', '{}', '', '', 'recorded', '', "
            "'', '', '{}', false, '' FROM (VALUES (2, %s, %s), (3, %s, %s)) AS f(n, p, h)",
            [second.prev_hash, "a" * 64, "a" * 64, "b" * 64],
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
    with (
        pytest.raises(DatabaseError, match="must name record #3 that follows it"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditchainhead SET seq = 3, last_hash = %s", ["b" * 64])
    assert AuditChainHead.objects.get().last_hash == first.record_hash


def test_the_latest_outcome_of_intents_read_with_their_outcomes_costs_no_query(
    django_assert_num_queries: Any,
) -> None:
    # The guest's timeline reads up to 200 changes with their outcomes: one query, not 200.
    from portal.audit.selectors import latest_outcome

    intent = chain_append(
        kind=Kind.INTENT,
        action="card.disable",
        outcome=Outcome.PENDING,
        idempotency_key="k-latest",
    )
    chain_append(kind=Kind.OUTCOME, action="card.disable", outcome="unknown", intent=intent)
    settled = chain_append(
        kind=Kind.OUTCOME, action="card.disable", outcome=Outcome.SUCCEEDED, intent=intent
    )
    assert latest_outcome(intent) == settled
    (read,) = AuditRecord.objects.filter(pk=intent.pk).prefetch_related("outcomes")
    with django_assert_num_queries(0):
        assert latest_outcome(read) == settled
