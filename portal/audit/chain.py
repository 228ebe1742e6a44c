"""The hash chain: how a record is appended, and how the chain is checked.

Each record's ``record_hash`` is an HMAC-SHA256 (key derived from ``AUDIT_HASH_KEY``) over the
canonical JSON of its content, which includes its position ``seq`` and ``prev_hash``, the hash of
the record before it. Editing, deleting or reordering any record breaks the chain at that
record; a keyed hash means that rewriting the whole chain needs the key, not just the database.

Appends are serialised by locking the single ``AuditChainHead`` row (``SELECT ... FOR UPDATE``
on PostgreSQL; on SQLite the IMMEDIATE transaction mode set in settings takes the database's
write lock when the transaction begins), so two writers can never both extend the same record.
The appends of one process made outside a transaction are committed in batches (one lock
hold and one commit for all the records that arrived meanwhile, ``_GroupAppender``), so many
threads appending at once (a bulk job) do not queue on that lock one commit at a time. On
PostgreSQL a batch first tries to follow the head where this process last left it, without
reading it first: each record's statement locks the head and writes only where it is still
there (one statement for a record alone, no transaction), else the batch reads the head under
its lock as above.

The chain alone cannot show that its newest records were removed together with the head (a
truncation): what is left is a shorter chain that fits. So the head is also *anchored* outside
the database (``portal.audit.anchor``), and ``chain_verify`` checks the chain against an anchor.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from portal.audit.models import AuditChainHead, AuditRecord, Kind

GENESIS_HASH = "0" * 64
_HEAD_PK = 1
# Every stored field except the primary key and the hash itself.
_HASHED_FIELDS = tuple(
    field.attname
    for field in AuditRecord._meta.concrete_fields
    if field.attname not in {"id", "record_hash"}
)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def record_hash_compute(record: AuditRecord) -> str:
    """The hash ``record`` must carry, computed from its current field values."""
    content = {name: _canonical_value(getattr(record, name)) for name in _HASHED_FIELDS}
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    key = f"audit-chain:{settings.AUDIT_HASH_KEY}".encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainAnchor:
    """Where the chain's head was at some moment: its last record's position and hash."""

    seq: int
    record_hash: str

    def __str__(self) -> str:
        return f"#{self.seq} ({self.record_hash[:12]}…)"


def chain_head() -> ChainAnchor:
    """The committed head: the head row, or the last record if that row is missing."""
    head = AuditChainHead.objects.filter(pk=_HEAD_PK).values_list("seq", "last_hash").first()
    if head is None:
        head = AuditRecord.objects.order_by("-seq").values_list("seq", "record_hash").first()
    return ChainAnchor(*head) if head else ChainAnchor(0, GENESIS_HASH)


def chain_lock() -> AuditChainHead:
    """Lock the chain head until the current transaction ends (serialises every append)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=_HEAD_PK).first()
    if head is not None:
        return head
    # First append ever (or on a freshly flushed test database): start the head where the
    # records end, so a lost head row cannot restart the chain over existing records.
    last = AuditRecord.objects.order_by("-seq").values_list("seq", "record_hash").first()
    seq, last_hash = last if last else (0, GENESIS_HASH)
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=_HEAD_PK, seq=seq, last_hash=last_hash)
    except IntegrityError:
        pass  # a concurrent first append created it; lock theirs
    return AuditChainHead.objects.select_for_update().get(pk=_HEAD_PK)


# The statements of an append, written once from the models' metadata: every record of a bulk
# job runs them, and building each through the ORM's compilers cost more CPU than the rest of
# the append (bench.profile_bulk). What they store is exactly what ``Model.save`` stores (each
# value prepared by its own field); ``AuditRecord.save``'s guards hold because a record is
# written only here, once, with its hash.
_INSERTED = tuple(field for field in AuditRecord._meta.concrete_fields if field.attname != "id")
_TEXT, _INTEGER, _PREPARED = range(3)


def _insert_kind(field: models.Field[Any, Any]) -> int:
    """How an append prepares ``field``'s value. A ``str`` value of a CharField or TextField
    is what its preparation returns (it only casts lazy strings and non-strings), so it is
    passed as it is; an ``int`` or None of an IntegerField is what its preparation returns
    before the backend types it, so only the backend's ``adapt_integerfield_value`` is
    called; every other value is prepared by its field (dates, JSON, the intent link)."""
    if type(field) in (models.CharField, models.TextField):
        return _TEXT
    if isinstance(field, models.IntegerField):
        return _INTEGER
    return _PREPARED


#: Each inserted field, how its value is prepared, and its internal type (for integers).
#: Two thirds of the record's fields, and a tenth of a bulk card's worker CPU.
_INSERT_PLAN = tuple((field, _insert_kind(field), field.get_internal_type()) for field in _INSERTED)


class _AppendSql(NamedTuple):
    head_lock: str
    insert: str
    head_move: str
    #: PostgreSQL: ``insert`` and ``head_move`` as one statement (data-modifying WITH), made
    #: only where the head is at the position and hash the record follows: one round trip
    #: where two were, and atomic without a transaction. Its row: whether the head was there,
    #: and the new record's id (None for an intent whose key is taken).
    append_after: str | None


@functools.cache
def _append_sql(vendor: str) -> _AppendSql:
    """The head lock, the record insert and the head update for ``vendor``'s database. The
    insert writes nothing when it is an intent whose idempotency key another intent holds (the
    unique index on intents' keys decides, so no lookup comes first)."""
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    records = quote(AuditRecord._meta.db_table)
    lock = connection.ops.for_update_sql() if connection.features.has_select_for_update else ""
    columns = ", ".join(quote(str(field.column)) for field in _INSERTED)
    values = ", ".join(["%s"] * len(_INSERTED))
    returning = " RETURNING id" if connection.features.can_return_columns_from_insert else ""
    key_taken = "ON CONFLICT (idempotency_key) WHERE kind = 'intent' DO NOTHING"
    # Names from the models' metadata only; every value is a parameter. The head is locked
    # (FOR UPDATE) before the insert, as ``head_lock`` locks it; the head's own trigger
    # (migrations 0004, 0005) still checks the move against the inserted record, which it sees: the
    # update takes its row from the insert's RETURNING.
    append_after = (
        f"WITH head AS (SELECT seq FROM {head} WHERE id = %s AND seq = %s AND last_hash = %s "  # noqa: S608
        f"{lock}), written AS (INSERT INTO {records} ({columns}) SELECT {values} FROM head "
        f"{key_taken} RETURNING id, seq, record_hash), moved AS (UPDATE {head} SET "
        f"seq = written.seq, last_hash = written.record_hash FROM written WHERE {head}.id = %s) "
        "SELECT EXISTS (SELECT 1 FROM head), (SELECT id FROM written)"
    )
    return _AppendSql(
        head_lock=f"SELECT seq, last_hash FROM {head} WHERE id = %s {lock}",  # noqa: S608
        insert=f"INSERT INTO {records} ({columns}) VALUES ({values}) "  # noqa: S608
        f"{key_taken}{returning}",
        head_move=f"UPDATE {head} SET seq = %s, last_hash = %s WHERE id = %s",  # noqa: S608
        append_after=append_after if vendor == "postgresql" else None,
    )


#: Most records one statement appends (``_batch_fill``).
_BATCH_ROWS = 100


@functools.cache
def _append_many_sql(vendor: str) -> str:
    """PostgreSQL: records appended after the head and the head moved to the last of them, in
    one statement, whatever their number. As ``append_after``: written only where the head is
    at the position and hash the first record follows, locked first; and only where none of
    the intents' keys (an array parameter) is taken. The head moves only if every record was
    written; its trigger (migration 0005) checks that each follows the one before. Its row:
    whether the head was there, the ids written in order, the keys found taken.

    Each column's values come as one array (``unnest`` zips them into rows), so the statement
    and its number of parameters are the same for any batch: the driver parses it once and
    keeps it, where a ``VALUES`` row a record made a new statement of 29 parameters a record,
    parsed anew on every execution."""
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    records = quote(AuditRecord._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in _INSERTED)
    # Typed: an array parameter takes no type from the columns. Text as ``text``, not
    # ``varchar(n)``: an explicit cast would cut a value too long where the column refuses it.
    types = [
        "text" if kind == _TEXT else str(field.db_type(connection))
        for field, kind, _ in _INSERT_PLAN
    ]
    arrays = ", ".join(f"%s::{name}[]" for name in types)
    # Names and types from the models' metadata only; every value is a parameter.
    return (
        f"WITH head AS (SELECT seq FROM {head} WHERE id = %s AND seq = %s AND last_hash = %s "  # noqa: S608
        f"{connection.ops.for_update_sql()}), taken AS (SELECT idempotency_key FROM {records} "
        "WHERE kind = 'intent' AND idempotency_key = ANY(%s::text[])), written AS (INSERT INTO "
        f"{records} ({columns}) SELECT batch.* FROM unnest({arrays}) AS batch, "
        "head WHERE NOT EXISTS (SELECT 1 FROM taken) ON CONFLICT (idempotency_key) WHERE "
        "kind = 'intent' DO NOTHING RETURNING id, seq), moved AS "
        f"(UPDATE {head} SET seq = %s, last_hash = %s WHERE {head}.id = %s AND "
        "(SELECT count(*) FROM written) = %s) SELECT EXISTS (SELECT 1 FROM head), "
        "(SELECT array_agg(id ORDER BY seq) FROM written), "
        "(SELECT array_agg(idempotency_key) FROM taken)"
    )


class _KeyTakenInBatch(Exception):
    """A record of a batch written in one statement was not written (an intent whose key was
    taken unseen, or a record that is not a claim under a taken key): the statement moved no
    head, and its transaction is rolled back for the batch to be written record by record
    (``_batch_write``)."""


class _HeadMoved(Exception):
    """The head is not where the record to append follows (another process appended since,
    or the head row is missing): nothing was written."""


def _head_locked(cursor: Any) -> tuple[int, str]:
    """Lock the head (as ``chain_lock``) and return its position and hash."""
    cursor.execute(_append_sql(connection.vendor).head_lock, [_HEAD_PK])
    row = cursor.fetchone()
    if row is None:
        head = chain_lock()
        return head.seq, head.last_hash
    return int(row[0]), str(row[1])


def _inserted(cursor: Any, record: AuditRecord, values: list[Any]) -> int | None:
    """Insert ``record`` (its ``values``) and move the head to it; its id, or None for an
    intent whose key is taken. Raises ``_HeadMoved`` where the head is not at the record's
    previous one (only where the caller does not hold the lock)."""
    sql = _append_sql(connection.vendor)
    if sql.append_after is not None:
        cursor.execute(
            sql.append_after, [_HEAD_PK, record.seq - 1, record.prev_hash, *values, _HEAD_PK]
        )
        found, pk = cursor.fetchone()
        if not found:
            raise _HeadMoved
        return None if pk is None else int(pk)
    cursor.execute(sql.insert, values)
    if cursor.description:
        row = cursor.fetchone()
        pk = None if row is None else row[0]
    else:
        pk = cursor.lastrowid if cursor.rowcount == 1 else None
    if pk is None:
        return None
    # The head follows record by record (on PostgreSQL it refuses any other step).
    cursor.execute(sql.head_move, [record.seq, record.record_hash, _HEAD_PK])
    return int(pk)


def _intent_first(idempotency_key: str) -> AuditRecord | None:
    return AuditRecord.objects.filter(kind=Kind.INTENT, idempotency_key=idempotency_key).first()


def _anchor_after_commit(record: AuditRecord) -> None:
    every = settings.AUDIT_ANCHOR_EVERY
    if every and record.seq % every == 0:
        # Imported here: the anchor module builds on this one. An anchor names only a
        # committed head, and a sink that fails must not fail the change that was recorded.
        from portal.audit.anchor import anchor_publish

        transaction.on_commit(
            partial(anchor_publish, ChainAnchor(record.seq, record.record_hash), "records"),
            robust=True,
        )


def _record_made(seq: int, prev_hash: str, fields: dict[str, Any]) -> tuple[AuditRecord, list[Any]]:
    """The record at position ``seq`` after ``prev_hash``, hashed, and the values to insert.
    ``occurred_at`` is taken after the record before it was committed (read under the lock,
    or written by this process), so that chain order and time order agree."""
    record = AuditRecord(seq=seq, prev_hash=prev_hash, occurred_at=timezone.now(), **fields)
    record.record_hash = record_hash_compute(record)
    values: list[Any] = []
    adapt = connection.ops.adapt_integerfield_value
    for column, kind, internal_type in _INSERT_PLAN:
        value = getattr(record, column.attname)
        if kind == _TEXT and type(value) is str:
            values.append(value)
        elif kind == _INTEGER and (value is None or type(value) is int):
            values.append(None if value is None else adapt(value, internal_type))
        else:
            values.append(column.get_db_prep_save(value, connection))
    return record, values


def _record_saved(record: AuditRecord, pk: int) -> AuditRecord:
    record.pk = pk
    record._state.adding = False
    record._state.db = connection.alias
    _anchor_after_commit(record)
    # Written with SQL of its own, not ``save()``: what observes saved records (the metrics'
    # records-written count) is told as a save would tell it, once the record is committed (a
    # batch that fails and is written again record by record is not counted twice).
    transaction.on_commit(
        lambda: post_save.send(
            sender=AuditRecord,
            instance=record,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )
    )
    return record


def _record_write(
    cursor: Any, seq: int, prev_hash: str, fields: dict[str, Any]
) -> AuditRecord | None:
    """Insert one record at position ``seq`` after ``prev_hash`` and move the head to it; None,
    and nothing written, for an intent whose idempotency key is taken. ``_HeadMoved`` where
    the head is no longer at ``seq - 1`` (only where the caller does not hold the lock)."""
    record, values = _record_made(seq, prev_hash, fields)
    pk = _inserted(cursor, record, values)
    return None if pk is None else _record_saved(record, pk)


def _key_taken() -> IntegrityError:
    """What appending an intent under a key another intent holds raises (as the unique index
    did before the insert gave way to it); claims get the first intent instead."""
    return IntegrityError("an intent with this idempotency key is already recorded")


def _outside_transaction() -> bool:
    """No transaction of the caller's is open (a test case's own does not count, as Django's
    ``durable`` check does not count it)."""
    blocks = transaction.get_connection().atomic_blocks
    return not blocks or bool(getattr(blocks[-1], "_from_testcase", False))


def chain_append(**fields: Any) -> AuditRecord:
    """Write one record at the end of the chain and return it (committed with the caller's
    transaction if there is one, else at once, together with the records other threads of
    this process are appending at the same moment: see ``_GroupAppender``)."""
    if _outside_transaction():
        record, _ = _appender.append(fields)
        return record
    with transaction.atomic(), connection.cursor() as cursor:
        seq, last_hash = _head_locked(cursor)
        written = _record_write(cursor, seq + 1, last_hash, fields)
        if written is None:
            raise _key_taken()
    return written


def intent_append_or_first(*, idempotency_key: str, **fields: Any) -> tuple[AuditRecord, bool]:
    """Append an intent for ``idempotency_key``, committed at once: ``(new intent, True)``, or
    ``(the first intent of that key, False)`` when one is already recorded. Must be called
    outside a transaction (the door's ``mutation_run``); inside one, use
    ``portal.audit.door.intent_claim``."""
    if not _outside_transaction():
        raise RuntimeError("intent_append_or_first must run outside a transaction")
    if not idempotency_key:
        raise ValueError("an idempotency key is required (the form's hidden field)")
    return _appender.append({**fields, "idempotency_key": idempotency_key}, claim=True)


@dataclass
class _Append:
    """One record waiting to be appended, and what came of it."""

    fields: dict[str, Any]
    #: An intent: if its idempotency key already has one, answer that one, append nothing.
    claim: bool = False
    wake: threading.Event = field(default_factory=threading.Event)
    #: Set by the writer that hands over: this waiter writes the next batch.
    lead: bool = False
    record: AuditRecord | None = None
    created: bool = True
    error: BaseException | None = None


class _GroupAppender:
    """Appends of one process, committed in batches: one chain-lock hold and one commit for
    every record that arrived while the previous batch was being written.

    The chain is exactly the one ``chain_append`` writes one by one (each record's position,
    previous hash and hash computed in order under the lock; ``chain_verify`` cannot tell the
    difference); what changes is that sixteen threads of a bulk job no longer queue on the
    head row's lock one commit at a time. The thread whose record finds nobody writing writes
    the batch on its own connection, then hands the next batch to the first thread waiting
    and returns: no thread waits longer than the batch before its own and its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Append] = []
        self._writing = False

    def append(self, fields: dict[str, Any], *, claim: bool = False) -> tuple[AuditRecord, bool]:
        request = _Append(fields=fields, claim=claim)
        with self._lock:
            self._queue.append(request)
            leads = not self._writing
            self._writing = True
        if not leads:
            request.wake.wait()
        if request.record is None and request.error is None:
            self._write_next()
        if request.error is not None:
            raise request.error
        assert request.record is not None
        return request.record, request.created

    def _write_next(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            _batch_write(batch)
        except BaseException as error:
            # Interrupted mid-batch (a time limit): its transaction rolled back, nothing of it
            # is recorded, and every caller in it is told so.
            for request in batch:
                request.record, request.error = None, error
            raise
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._writing = False
            for request in batch:
                request.wake.set()


def _batch_write(batch: list[_Append]) -> None:
    """Write ``batch`` in one transaction; if that fails, each record on its own, so one bad
    record fails only its own caller."""
    try:
        _batch_commit(batch)
    except Exception as error:
        if len(batch) == 1:
            batch[0].record, batch[0].error = None, error
            return
        for request in batch:
            request.record, request.created = None, True
            _batch_write([request])


@dataclass
class _HeadSeen:
    """Where this process's appends last left the head (``_batch_commit``): a guess, which
    each append's statement checks against the head itself under its lock."""

    anchor: ChainAnchor | None = None


_head_seen = _HeadSeen()


def _batch_commit(batch: list[_Append]) -> None:
    seen = _head_seen.anchor if _append_sql(connection.vendor).append_after else None
    if seen is not None and len(batch) == 1 and connection.get_autocommit():
        # One record after the head as this process left it: one statement, atomic on its
        # own; no transaction, no lock taken before it.
        try:
            with connection.cursor() as cursor:
                _head_seen.anchor = _batch_fill(cursor, seen, batch)
        except _HeadMoved:
            pass  # another process appended meanwhile: lock the head and read it
        else:
            return
        seen = None
    with transaction.atomic(), connection.cursor() as cursor:
        head = None
        if seen is not None:
            # Only the first record can find the head moved: from it on, this transaction
            # holds the head's lock.
            with suppress(_HeadMoved):
                head = _batch_fill(cursor, seen, batch)
        if head is None:
            head = _batch_fill(cursor, ChainAnchor(*_head_locked(cursor)), batch)
    _head_seen.anchor = head


def _batch_fill(cursor: Any, head: ChainAnchor, batch: list[_Append]) -> ChainAnchor:
    """Write ``batch`` after ``head``, in order; where the head then is. On PostgreSQL
    (inside the batch's transaction) up to ``_BATCH_ROWS`` records a statement."""
    if len(batch) > 1 and _append_sql(connection.vendor).append_after is not None:
        for start in range(0, len(batch), _BATCH_ROWS):
            head = _batch_fill_at_once(cursor, head, batch[start : start + _BATCH_ROWS])
        return head
    seq, last_hash = head.seq, head.record_hash
    for request in batch:
        record = _record_write(cursor, seq + 1, last_hash, request.fields)
        if record is None:
            if not request.claim:
                raise _key_taken()
            _answer_with_first_intent(request)
            continue
        seq, last_hash = record.seq, record.record_hash
        request.record = record
    return ChainAnchor(seq, last_hash)


def _answer_with_first_intent(request: _Append) -> None:
    """A claim of a taken key: the first intent of that key is the answer, nothing written."""
    request.record = _intent_first(request.fields["idempotency_key"])
    request.created = False


def _batch_fill_at_once(cursor: Any, head: ChainAnchor, batch: list[_Append]) -> ChainAnchor:
    """Write ``batch`` after ``head`` in one statement (see ``_append_many_sql``). A claim
    whose key is taken, by an intent already recorded or by one before it in the batch, is
    answered with the first intent of that key and not written, as ``_batch_fill`` does."""
    keys: set[str] = set()
    writes = []
    for request in batch:
        key = request.fields["idempotency_key"] if request.claim else None
        if key in keys:
            continue
        if key:
            keys.add(key)
        writes.append(request)
    while writes and (taken := _written_unless_taken(cursor, head, writes)):
        # Nothing was written: the claims of taken keys leave the batch, and the rest is
        # written again after the same head.
        writes = [r for r in writes if not (r.claim and r.fields["idempotency_key"] in taken)]
    if writes:
        last = writes[-1].record
        assert last is not None
        head = ChainAnchor(last.seq, last.record_hash)
    for request in batch:
        if request.record is None:
            _answer_with_first_intent(request)
    return head


def _written_unless_taken(cursor: Any, head: ChainAnchor, writes: list[_Append]) -> set[str]:
    """Write ``writes`` after ``head`` in one statement, each request given its record; or,
    where claims' keys are found taken, write nothing and answer those keys."""
    made = []
    seq, last_hash = head.seq, head.record_hash
    for request in writes:
        record, values = _record_made(seq + 1, last_hash, request.fields)
        made.append((record, values))
        seq, last_hash = record.seq, record.record_hash
    claimed = [r.fields["idempotency_key"] for r in writes if r.claim]
    cursor.execute(
        _append_many_sql(connection.vendor),
        [
            _HEAD_PK,
            head.seq,
            head.record_hash,
            claimed,
            # One array a column, its values in the batch's order.
            *(list(column) for column in zip(*(values for _, values in made), strict=True)),
            seq,
            last_hash,
            _HEAD_PK,
            len(writes),
        ],
    )
    found, ids, taken = cursor.fetchone()
    if not found:
        raise _HeadMoved
    if taken:
        return set(taken)
    if ids is None or len(ids) != len(writes):
        raise _KeyTakenInBatch
    for request, (record, _), pk in zip(writes, made, ids, strict=True):
        request.record = _record_saved(record, int(pk))
    return set()


_appender = _GroupAppender()


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not fit."""

    seq: int
    record_id: int | None
    problem: str
    truncated: bool = False

    def __str__(self) -> str:
        where = f"record #{self.seq}" + (f" (id {self.record_id})" if self.record_id else "")
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken: ChainBreak | None
    anchor: ChainAnchor | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _records(chunk_size: int) -> Iterator[AuditRecord]:
    return AuditRecord.objects.order_by("seq").iterator(chunk_size=chunk_size)


def chain_verify(*, anchor: ChainAnchor | None = None, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order, in constant memory; stop at the first record that does
    not fit (edited, deleted, reordered) or at a head that says records are missing. With an
    ``anchor`` (a head recorded outside the database), also report a truncation: a chain that
    ends before the anchor, or whose record at the anchor's position is not the anchored one."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    anchored: AuditRecord | None = None
    for record in _records(chunk_size):
        if record.seq != expected_seq:
            problem = (
                f"record #{expected_seq} is missing (deleted)"
                if expected_seq == record.seq - 1
                else f"records #{expected_seq} to #{record.seq - 1} are missing (deleted)"
            )
            return ChainReport(checked, ChainBreak(expected_seq, None, problem), anchor)
        if record.prev_hash != prev_hash:
            problem = f"does not follow record #{record.seq - 1} (reordered or replaced)"
            return ChainReport(checked, ChainBreak(record.seq, record.pk, problem), anchor)
        if record_hash_compute(record) != record.record_hash:
            problem = "its content was changed after it was written (edited)"
            return ChainReport(checked, ChainBreak(record.seq, record.pk, problem), anchor)
        if anchor is not None and record.seq == anchor.seq:
            anchored = record
        prev_hash = record.record_hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    head = AuditChainHead.objects.filter(pk=_HEAD_PK).first()
    if head is not None and (head.seq, head.last_hash) != (last_seq, prev_hash):
        problem = (
            f"the chain head says it ends at #{head.seq}: the records after "
            f"#{last_seq} are missing (deleted) or the last one was replaced"
        )
        return ChainReport(checked, ChainBreak(expected_seq, None, problem), anchor)
    if anchor is not None:
        broken = _anchor_check(anchor, last_seq, anchored)
        if broken is not None:
            return ChainReport(checked, broken, anchor)
    return ChainReport(checked, None, anchor)


def _anchor_check(
    anchor: ChainAnchor, last_seq: int, anchored: AuditRecord | None
) -> ChainBreak | None:
    if last_seq < anchor.seq:
        problem = f"the chain ends at #{last_seq} but the anchor says it reached {anchor}: " + (
            f"record #{anchor.seq} was removed (truncated)"
            if last_seq + 1 == anchor.seq
            else f"records #{last_seq + 1} to #{anchor.seq} were removed (truncated)"
        )
        return ChainBreak(last_seq + 1, None, problem, truncated=True)
    anchored_hash = anchored.record_hash if anchored is not None else GENESIS_HASH
    if anchored_hash != anchor.record_hash:
        problem = (
            f"it is not the record the anchor {anchor} names: the chain was cut back to "
            "before it and written again (truncated)"
        )
        return ChainBreak(anchor.seq, anchored.pk if anchored else None, problem, truncated=True)
    return None
