"""Reading the audit log: an intent's latest outcome, filters, keyset pages, one record with
its intent and outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils.dateparse import parse_datetime

from portal.audit.actions import READ_ACTIONS
from portal.audit.models import (
    SURVIVING_ACCOUNT,
    AuditRecord,
    AuditRecordQuerySet,
    Kind,
    Outcome,
)

PAGE_SIZE = 50


def latest_outcome(intent: AuditRecord) -> AuditRecord | None:
    """The newest outcome recorded for ``intent`` (a later settlement wins over an unknown);
    from its outcomes prefetched with it (``prefetch_related("outcomes")``) where they are,
    without a query of its own."""
    if "outcomes" in getattr(intent, "_prefetched_objects_cache", {}):
        return max(intent.outcomes.all(), key=lambda outcome: outcome.seq, default=None)
    return intent.outcomes.order_by("-seq").first()


def latest_outcomes(intent_ids: Sequence[int], *, upto: int | None = None) -> dict[int, str]:
    """Each of ``intent_ids`` that has an outcome recorded (up to record ``upto``, if given):
    its newest outcome, by chain position, read for all of them at once. On PostgreSQL the ids
    go as one array (thousands of ids spelt out one by one in an ``IN`` list took a fifth of
    an export's CPU)."""
    if not intent_ids:
        return {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditRecord._meta.db_table)
        bound = " AND id <= %s" if upto is not None else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT intent_id, seq, outcome FROM {table} "  # noqa: S608 (a model's table)
                f"WHERE intent_id = ANY(%s){bound}",
                [list(intent_ids), *([upto] if upto is not None else [])],
            )
            rows = cursor.fetchall()
    else:
        found = AuditRecord.objects.filter(intent_id__in=intent_ids)
        if upto is not None:
            found = found.filter(id__lte=upto)
        rows = list(found.values_list("intent_id", "seq", "outcome"))
    newest: dict[int, tuple[int, str]] = {}
    for intent_id, seq, outcome in rows:
        if intent_id not in newest or seq > newest[intent_id][0]:
            newest[intent_id] = (seq, outcome)
    return {intent_id: outcome for intent_id, (_, outcome) in newest.items()}


def intent_of_key(idempotency_key: str) -> AuditRecord | None:
    """The intent a change form's key already started, if any (a resubmit of that form)."""
    if not idempotency_key:
        return None
    return AuditRecord.objects.filter(kind=Kind.INTENT, idempotency_key=idempotency_key).first()


def recorded_reply(intent_id: int) -> dict[str, Any]:
    """Upstream's reply to a change, as its latest outcome recorded it (scrubbed), or {}."""
    latest = AuditRecord.objects.filter(intent_id=intent_id).order_by("-seq").first()
    return dict(latest.upstream_detail) if latest is not None else {}


@dataclass(frozen=True)
class AuditFilters:
    """What the audit screen filters on. A card is searched by its keyed hash only."""

    since: datetime | None = None
    until: datetime | None = None
    username: str = ""
    action: str = ""
    outcome: str = ""
    account_id: int | None = None
    card_hash: str = ""
    #: Also the rows of reading (looking at the audit log, downloading a job's file): left
    #: out unless asked for, so the changes are not lost among the auditors' own views.
    reads: bool = False

    def as_query(self) -> dict[str, str]:
        """The filters as URL query parameters (and as a job's params): no empty ones."""
        query = {}
        for name, value in asdict(self).items():
            if value in (None, "", False):
                continue
            if value is True:
                query[name] = "1"
                continue
            query[name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> AuditFilters:
        """Read back what ``as_query`` wrote (values already validated by the form)."""
        since = parse_datetime(str(query.get("since", ""))) if query.get("since") else None
        until = parse_datetime(str(query.get("until", ""))) if query.get("until") else None
        account = str(query.get("account_id", ""))
        return cls(
            since=since,
            until=until,
            username=str(query.get("username", "")),
            action=str(query.get("action", "")),
            outcome=str(query.get("outcome", "")),
            account_id=int(account) if account.isascii() and account.isdigit() else None,
            card_hash=str(query.get("card_hash", "")),
            reads=str(query.get("reads", "")) in ("1", "True", "true", "on"),
        )

    @property
    def any(self) -> bool:
        return bool(self.as_query())


def audit_records_filter(filters: AuditFilters) -> AuditRecordQuerySet:
    records = AuditRecord.objects.all()
    if filters.since is not None:
        records = records.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        records = records.filter(occurred_at__lt=filters.until)
    if filters.username:
        records = records.filter(actor_username=filters.username)
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.outcome:
        records = records.filter(outcome=filters.outcome)
    if filters.account_id is not None:
        records = records.filter(account_id=filters.account_id)
    if filters.card_hash:
        records = records.filter(card_hash=filters.card_hash)
    if not filters.reads and not filters.action:
        # (An action asked for is itself the filter, reading or not, on its own index.)
        records = records.exclude(action__in=READ_ACTIONS)
    return records


def audit_rows_filter(filters: AuditFilters) -> AuditRecordQuerySet:
    """The records that stand for one row each on the audit screen: a change by its intent
    (its outcomes join it), an event by itself. Filtered on an outcome, a change is found by
    the outcome record that says so (an intent with none yet by itself, for "pending")."""
    records = audit_records_filter(replace(filters, outcome=""))
    if not filters.outcome:
        return records.filter(kind__in=(Kind.INTENT, Kind.EVENT))
    if filters.outcome == Outcome.PENDING:
        settled = AuditRecord.objects.filter(intent_id=OuterRef("pk"))
        return records.filter(kind=Kind.INTENT, outcome=Outcome.PENDING).exclude(Exists(settled))
    return records.filter(kind__in=(Kind.OUTCOME, Kind.EVENT), outcome=filters.outcome)


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit screen: a change (its intent) with its latest outcome, or an
    event (which is its own outcome)."""

    record: AuditRecord
    outcome: AuditRecord | None = None

    @property
    def result(self) -> AuditRecord:
        """The record that says how it went: the outcome, the event itself, or the intent
        (pending) when no outcome is recorded yet."""
        return self.outcome or self.record

    @property
    def outcome_label(self) -> str:
        return self.result.outcome_label

    @property
    def outcome_class(self) -> str:
        return self.result.outcome_class


def _entries(rows: list[AuditRecord]) -> list[AuditEntry]:
    """Rows joined to their intents or latest outcomes: one query for the whole page."""
    intents = [row.pk for row in rows if row.kind == Kind.INTENT]
    latest: dict[int, AuditRecord] = {}
    if intents:
        for outcome in AuditRecord.objects.filter(intent_id__in=intents).order_by("seq"):
            assert outcome.intent_id is not None
            latest[outcome.intent_id] = outcome
    entries = []
    for row in rows:
        if row.kind == Kind.OUTCOME and row.intent is not None:
            entries.append(AuditEntry(record=row.intent, outcome=row))
        else:
            entries.append(AuditEntry(record=row, outcome=latest.get(row.pk)))
    return entries


@dataclass(frozen=True)
class AuditPage:
    #: The records the page was read from (the cursors are theirs).
    records: list[AuditRecord]
    #: Record ids to page from: ``?before=older`` and ``?after=newer``; None at either end.
    older: int | None
    newer: int | None

    @property
    def entries(self) -> list[AuditEntry]:
        """The rows as the screen shows them, each change with its outcome."""
        return _entries(self.records)


def records_before(at: datetime, pk: int) -> Q:
    """The records after ``(at, pk)`` newest first: ``(occurred_at, id) < (at, pk)``, spelt so
    the index range on ``occurred_at`` applies (an ``occurred_at < at OR ...`` alone is a
    filter over every newer record, each page of a deep keyset costing more than the last)."""
    return Q(occurred_at__lte=at) & (Q(occurred_at__lt=at) | Q(id__lt=pk))


def _anchor(record_id: int) -> tuple[datetime, int] | None:
    row = AuditRecord.objects.filter(pk=record_id).values_list("occurred_at", "id").first()
    return (row[0], row[1]) if row else None


def audit_page(
    filters: AuditFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of rows (changes and events), newest first, by keyset on (occurred_at, id):
    every page costs the same, plus one query joining the page's changes to their outcomes."""
    records = audit_rows_filter(filters)
    if filters.outcome and filters.outcome != Outcome.PENDING:
        records = records.select_related("intent")
    anchor = _anchor(before or after or 0) if (before or after) else None
    if anchor is not None and after:
        at, pk = anchor
        # (occurred_at, id) > (at, pk), spelt so the index range on occurred_at applies.
        later = Q(occurred_at__gte=at) & (Q(occurred_at__gt=at) | Q(id__gt=pk))
        rows = list(records.filter(later).order_by("occurred_at", "id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        return AuditPage(rows, rows[-1].pk if rows else None, rows[0].pk if has_newer else None)
    if anchor is not None:
        records = records.filter(records_before(*anchor))
    rows = list(records.newest_first()[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    older = rows[-1].pk if has_older and rows else None
    newer = rows[0].pk if anchor is not None and rows else None
    return AuditPage(rows, older, newer)


@dataclass(frozen=True)
class AuditStory:
    """A record seen with the change it belongs to: the intent and every outcome after it."""

    record: AuditRecord
    intent: AuditRecord | None
    outcomes: list[AuditRecord]

    @property
    def latest(self) -> AuditRecord | None:
        return self.outcomes[-1] if self.outcomes else None


def audit_story(record_id: int) -> AuditStory | None:
    record = AuditRecord.objects.filter(pk=record_id).select_related("intent").first()
    if record is None:
        return None
    intent = record if record.kind == Kind.INTENT else record.intent
    outcomes = list(intent.outcomes.order_by("seq")) if intent is not None else []
    return AuditStory(record=record, intent=intent, outcomes=outcomes)


def _combines() -> AuditRecordQuerySet:
    return AuditRecord.objects.filter(
        kind=Kind.OUTCOME, action="cards.combine", outcome=Outcome.SUCCEEDED
    )


def combined_in(account_id: int, *, limit: int) -> list[int]:
    """The intents of the newest ``limit`` combines that moved another account into this one
    (recorded on the account combined away; its reply names this one as the surviving
    account: ``audit_combined_into_idx``)."""
    found = (
        _combines()
        .alias(into=KT(f"upstream_detail__{SURVIVING_ACCOUNT}"))
        .filter(into=str(account_id))
        .exclude(account_id=account_id)
        .newest_first()
        .values_list("intent_id", flat=True)
    )
    return [pk for pk in found[:limit] if pk is not None]


def combined_into(account_id: int) -> int | None:
    """The account ``account_id`` was last combined into through this console (the surviving
    account its combine's reply named), or None."""
    detail = (
        _combines()
        .filter(account_id=account_id, upstream_detail__has_key=SURVIVING_ACCOUNT)
        .newest_first()
        .values_list("upstream_detail", flat=True)
        .first()
    )
    surviving = detail.get(SURVIVING_ACCOUNT) if isinstance(detail, dict) else None
    return surviving if isinstance(surviving, int) and surviving != account_id else None
