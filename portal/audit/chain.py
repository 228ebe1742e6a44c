"""The hash chain: how a record is appended, and how the chain is checked.

Each record's ``record_hash`` is an HMAC-SHA256 (key derived from ``AUDIT_HASH_KEY``) over the
canonical JSON of its content, which includes its position ``seq`` and ``prev_hash``, the hash of
the record before it. Editing, deleting or reordering any record breaks the chain at that
record; a keyed hash means that rewriting the whole chain needs the key, not just the database.

Appends are serialised by locking the single ``AuditChainHead`` row (``SELECT ... FOR UPDATE``
on PostgreSQL; on SQLite the IMMEDIATE transaction mode set in settings takes the database's
write lock when the transaction begins), so two writers can never both extend the same record.

The chain alone cannot show that its newest records were removed together with the head (a
truncation): what is left is a shorter chain that fits. So the head is also *anchored* outside
the database (``portal.audit.anchor``), and ``chain_verify`` checks the chain against an anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.models import AuditChainHead, AuditRecord

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


def chain_append(**fields: Any) -> AuditRecord:
    """Write one record at the end of the chain and return it (committed with the caller's
    transaction if there is one, else at once). ``occurred_at`` is taken inside the lock so that
    chain order and time order agree."""
    with transaction.atomic():
        head = chain_lock()
        record = AuditRecord(
            seq=head.seq + 1,
            prev_hash=head.last_hash,
            occurred_at=timezone.now(),
            **fields,
        )
        record.record_hash = record_hash_compute(record)
        record.save()
        AuditChainHead.objects.filter(pk=head.pk).update(
            seq=record.seq, last_hash=record.record_hash
        )
        every = settings.AUDIT_ANCHOR_EVERY
        if every and record.seq % every == 0:
            # Imported here: the anchor module builds on this one. An anchor names only a
            # committed head, and a sink that fails must not fail the change that was recorded.
            from portal.audit.anchor import anchor_publish

            transaction.on_commit(
                partial(anchor_publish, ChainAnchor(record.seq, record.record_hash), "records"),
                robust=True,
            )
    return record


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
