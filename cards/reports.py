"""The adjustments report: wallet adjustments and their voids by reason, agent, store and
period, with totals per wallet and the approvals, read from the audit log alone.

What the log holds (``portal.audit``): each ``wallet.adjust`` / ``wallet.void`` is an intent
record (who, when, the account, ``params``: ``wallet_code``, ``wallet_name``, ``quantity`` signed
in the wallet's unit, ``reason_code``, ``comment``; an approved change also ``approval_request``,
``requested_by``, ``approved_by``) and outcome records; the latest outcome says whether it went
through. Only changes that went through count in the totals; the others are counted apart.
Approvals are the ``approval.request`` / ``approval.approve`` / ``approval.reject`` /
``approval.withdraw`` intents whose ``params.action`` is ``wallet.adjust``.

The store: the audit record itself names none (its target is the account and card), and the
staff who adjust have no store group (only store managers do, and they change nothing). A line's
store is the ``store_code`` its params carry (the guest's enrollment store, as the adjustment
read it; a void carries its adjustment's, so the two net out in the same store), or none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from portal.approvals.models import ApprovalRequest
from portal.approvals.models import Status as ApprovalStatus
from portal.audit.actions import ACTIONS
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.selectors import latest_outcomes

ADJUST = "wallet.adjust"
VOID = "wallet.void"
APPROVALS = ("approval.request", "approval.approve", "approval.reject", "approval.withdraw")
PERIODS = ("day", "week", "month")
#: Intents read (and their outcomes looked up) per database round trip.
CHUNK = 1000


@dataclass(frozen=True)
class AdjustmentFilters:
    """What the report covers; also its URL query and a job's params (``as_query``)."""

    since: date | None = None
    until: date | None = None
    agent: str = ""
    reason: str = ""
    store: str = ""
    wallet: int | None = None
    period: str = "day"

    def as_query(self) -> dict[str, str]:
        query = {}
        for name, value in asdict(self).items():
            if value in (None, "") or (name == "period" and value == "day"):
                continue
            query[name] = value.isoformat() if isinstance(value, date) else str(value)
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> AdjustmentFilters:
        """Read back what ``as_query`` wrote (a job's params; the screen goes through its form)."""

        def day(name: str) -> date | None:
            value = str(query.get(name) or "")
            return date.fromisoformat(value) if value else None

        def number(name: str) -> int | None:
            value = str(query.get(name) or "")
            return int(value) if value.isascii() and value.lstrip("-").isdigit() else None

        period = str(query.get("period") or "day")
        return cls(
            since=day("since"),
            until=day("until"),
            agent=str(query.get("agent") or ""),
            reason=str(query.get("reason") or ""),
            store=str(query.get("store") or ""),
            wallet=number("wallet"),
            period=period if period in PERIODS else "day",
        )


@dataclass(frozen=True)
class AdjustmentLine:
    """One adjustment or void, as its intent and latest outcome recorded it."""

    record_id: int
    action: str
    occurred_at: datetime
    outcome: str
    agent: str
    role: str
    store: str
    account_id: int | None
    card_masked: str
    wallet_code: int | None
    wallet_name: str
    quantity: Decimal
    reason_code: str
    comment: str
    approval_request: int | None = None
    requested_by: str = ""
    approved_by: str = ""
    voids: int | None = None

    @property
    def applied(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED

    @property
    def is_void(self) -> bool:
        return self.action == VOID

    @property
    def reason(self) -> str:
        spec = ACTIONS.get(self.action)
        label = spec.reason_label(self.reason_code) if spec is not None else None
        return label or self.reason_code or "no reason code"


@dataclass
class Totals:
    """Applied adjustments and voids of one wallet (in its unit), and how many."""

    wallet_code: int | None
    wallet_name: str
    count: int = 0
    added: Decimal = Decimal(0)
    taken: Decimal = Decimal(0)
    voided: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.added + self.taken + self.voided

    def add(self, line: AdjustmentLine) -> None:
        self.count += 1
        if line.is_void:
            self.voided += line.quantity
        elif line.quantity >= 0:
            self.added += line.quantity
        else:
            self.taken += line.quantity


@dataclass(frozen=True)
class Group:
    """One value of a dimension (a reason, an agent, a store, a period) and its wallets."""

    label: str
    wallets: list[Totals]

    @property
    def count(self) -> int:
        return sum(t.count for t in self.wallets)


@dataclass
class ApprovalCounts:
    requested: int = 0
    approved: int = 0
    rejected: int = 0
    #: Taken back by the staff user who asked, before anyone decided.
    withdrawn: int = 0
    #: Of the requests this user asked for in the period, those nobody has decided yet (now).
    waiting: int = 0


@dataclass(frozen=True)
class AdjustmentsReport:
    filters: AdjustmentFilters
    #: Totals per wallet of every applied adjustment and void.
    wallets: list[Totals]
    by_reason: list[Group]
    by_agent: list[Group]
    by_store: list[Group]
    by_period: list[Group]
    #: Adjustments and voids that did not go through (refused, unknown, waiting), by outcome.
    not_applied: dict[str, int]
    #: Approval steps per staff user (requests they made, decisions they took).
    approvals: dict[str, ApprovalCounts]
    #: Applied adjustments made on another person's approval.
    approved_adjustments: list[AdjustmentLine] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(t.count for t in self.wallets)


def _window(filters: AdjustmentFilters) -> dict[str, datetime]:
    """The period as an ``occurred_at`` range in the server's zone (``until`` inclusive)."""
    zone = timezone.get_current_timezone()
    bounds = {}
    if filters.since is not None:
        bounds["occurred_at__gte"] = datetime.combine(filters.since, time.min, tzinfo=zone)
    if filters.until is not None:
        end = filters.until + timedelta(days=1)
        bounds["occurred_at__lt"] = datetime.combine(end, time.min, tzinfo=zone)
    return bounds


def _intents(filters: AdjustmentFilters, actions: Iterable[str], upto: int | None = None) -> Any:
    records = AuditRecord.objects.filter(kind=Kind.INTENT, action__in=list(actions))
    records = records.filter(**_window(filters))
    if filters.agent:
        records = records.filter(actor_username=filters.agent)
    if filters.reason:
        records = records.filter(reason_code=filters.reason)
    if upto is not None:
        records = records.filter(id__lte=upto)
    return records.order_by("occurred_at", "id")


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quantity(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _line(intent: AuditRecord, outcome: str) -> AdjustmentLine:
    params = intent.params or {}
    return AdjustmentLine(
        record_id=intent.pk,
        action=intent.action,
        occurred_at=intent.occurred_at,
        outcome=outcome,
        agent=intent.actor_username,
        role=intent.actor_role,
        store=str(params.get("store_code") or ""),
        account_id=intent.account_id,
        card_masked=intent.card_masked,
        wallet_code=_number(params.get("wallet_code")),
        wallet_name=str(params.get("wallet_name") or ""),
        quantity=_quantity(params.get("quantity")),
        reason_code=intent.reason_code or str(params.get("reason_code") or ""),
        comment=intent.reason_text or str(params.get("comment") or ""),
        approval_request=_number(params.get("approval_request")),
        requested_by=str(params.get("requested_by") or ""),
        approved_by=str(params.get("approved_by") or ""),
        voids=_number(params.get("voids")),
    )


def adjustment_lines(
    filters: AdjustmentFilters, *, upto: int | None = None
) -> Iterator[AdjustmentLine]:
    """Every adjustment and void ``filters`` selects, oldest first, each with its latest
    outcome; read in chunks, so memory stays flat whatever the range. ``upto``: the last record
    id to read (an export reads the log as it was when it started)."""
    chunk: list[AuditRecord] = []

    def flush() -> Iterator[AdjustmentLine]:
        outcomes = latest_outcomes([intent.pk for intent in chunk])
        for intent in chunk:
            line = _line(intent, outcomes.get(intent.pk, Outcome.PENDING))
            if filters.store and line.store != filters.store:
                continue
            if filters.wallet is not None and line.wallet_code != filters.wallet:
                continue
            yield line
        chunk.clear()

    for intent in _intents(filters, (ADJUST, VOID), upto).iterator(chunk_size=CHUNK):
        chunk.append(intent)
        if len(chunk) >= CHUNK:
            yield from flush()
    yield from flush()


def _period_of(moment: datetime, period: str) -> str:
    day = timezone.localtime(moment).date()
    if period == "month":
        return f"{day:%Y-%m}"
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


class _Grouped:
    """Totals per (dimension value, wallet), in first-seen order of the values."""

    def __init__(self) -> None:
        self._groups: dict[str, dict[int | None, Totals]] = defaultdict(dict)

    def add(self, label: str, line: AdjustmentLine) -> None:
        wallets = self._groups[label]
        if line.wallet_code not in wallets:
            wallets[line.wallet_code] = Totals(line.wallet_code, line.wallet_name)
        wallets[line.wallet_code].add(line)

    def groups(self, *, sort: bool = True) -> list[Group]:
        labels = sorted(self._groups) if sort else list(self._groups)
        return [Group(label, list(self._groups[label].values())) for label in labels]


def adjustments_report(filters: AdjustmentFilters) -> AdjustmentsReport:
    """The report of ``filters``: totals per wallet and by each dimension, what did not go
    through, and the approvals."""
    totals = _Grouped()
    by_reason, by_agent, by_store, by_period = _Grouped(), _Grouped(), _Grouped(), _Grouped()
    not_applied: dict[str, int] = defaultdict(int)
    approved: list[AdjustmentLine] = []
    for line in adjustment_lines(filters):
        if not line.applied:
            not_applied[line.outcome] += 1
            continue
        totals.add("", line)
        by_reason.add(line.reason, line)
        by_agent.add(line.agent, line)
        by_store.add(line.store or "not recorded", line)
        by_period.add(_period_of(line.occurred_at, filters.period), line)
        if line.approval_request is not None:
            approved.append(line)
    everything = totals.groups()
    return AdjustmentsReport(
        filters=filters,
        wallets=everything[0].wallets if everything else [],
        by_reason=by_reason.groups(),
        by_agent=by_agent.groups(),
        by_store=by_store.groups(),
        by_period=by_period.groups(),
        not_applied=dict(not_applied),
        approvals=_approvals(filters),
        approved_adjustments=approved,
    )


def _approvals(filters: AdjustmentFilters) -> dict[str, ApprovalCounts]:
    """Approval steps about wallet adjustments in the period, per staff user."""
    counts: dict[str, ApprovalCounts] = defaultdict(ApprovalCounts)
    records = AuditRecord.objects.filter(kind=Kind.INTENT, action__in=APPROVALS)
    records = records.filter(**_window(filters))
    if filters.agent:
        records = records.filter(actor_username=filters.agent)
    steps = [
        (record_id, action, user)
        for record_id, action, user, params in records.values_list(
            "id", "action", "actor_username", "params"
        )
        if isinstance(params, dict) and params.get("action") == ADJUST
    ]
    asked = [record_id for record_id, action, _ in steps if action == "approval.request"]
    still_open = set(
        ApprovalRequest.objects.filter(
            request_record_id__in=asked, status=ApprovalStatus.OPEN
        ).values_list("request_record_id", flat=True)
    )
    for record_id, action, user in steps:
        step = counts[user]
        if action == "approval.request":
            step.requested += 1
            step.waiting += record_id in still_open
        elif action == "approval.approve":
            step.approved += 1
        elif action == "approval.withdraw":
            step.withdrawn += 1
        else:
            step.rejected += 1
    return dict(sorted(counts.items()))


def lines_count(filters: AdjustmentFilters) -> int:
    """How many intents the filters' period, agent and reason select (before store and
    wallet, which are read from each line): whether the CSV is made now or as a job."""
    return _intents(filters, (ADJUST, VOID)).count()


def report_reason_choices() -> list[tuple[str, str]]:
    """Every reason code of an adjustment or a void, with its label, for the filter."""
    choices: dict[str, str] = {}
    for action in (ADJUST, VOID):
        spec = ACTIONS.get(action)
        if spec is not None:
            for code, label in spec.reason_codes:
                choices.setdefault(code, label)
    return list(choices.items())
