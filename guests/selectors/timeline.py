"""The guest's timeline: transactions, account notes and the changes made from this console, in
one list, newest first, with the guest's referrals (upstream gives them no dates) beside it.

Upstream pushes its events only to customer-data platforms, so the timeline pulls what it shows:
the account first (the store-group gate, as the guest page), then the notes and referrals the
page reads, the newest transactions, and the audit log's intents about the account with their
latest outcome. When more transactions match than the timeline reads, it shows only the span
the transactions it read cover, so nothing in it is out of order or missing between two rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from guests.selectors.history import HistoryRow, WalletCell, history_rows
from guests.selectors.load import guest_page
from guests.selectors.page import GuestPage, ReferralRow
from guests.selectors.reads import HistoryFilter
from guests.selectors.scope import Viewer
from portal.audit.actions import ACTIONS
from portal.audit.models import AuditRecord, AuditRecordQuerySet, Kind, Outcome
from portal.audit.selectors import combined_in, latest_outcome
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import AccountComment
from portal.sentences import explain, recorded_error

#: What the timeline can show, in the order its filters list them.
KINDS: dict[str, str] = {
    "transaction": "Transactions",
    "note": "Account notes",
    "change": "Changes made in Loyalty Desk",
    "referral": "Referrals",
}

#: Where on the guest page a change made from this console shows, by its action's first part.
CHANGE_PANELS: dict[str, str] = {
    "card": "cards",
    "cards": "cards",
    "bulk": "cards",
    "wallet": "wallets",
    "visit_code": "wallets",
    "referrals": "referrals",
    "account_note": "notes",
    "messaging": "header",
    "language": "header",
    "username": "header",
}

#: The newest transactions read (and, at most, audit records): older ones by narrowing dates.
TRANSACTION_LIMIT = 100
CHANGE_LIMIT = 200

#: A change whose outcome is not known yet, in a CSR's words.
NOT_CONFIRMED = (
    "Not confirmed: the loyalty system did not answer, so whether it went through is being "
    "checked (the audit log settles it)."
)


@dataclass(frozen=True)
class TimelineQuery:
    kinds: frozenset[str] = frozenset(KINDS)
    date_start: date | None = None
    date_end: date | None = None

    def covers(self, moment: datetime | None) -> bool:
        if moment is None:
            return self.date_start is None and self.date_end is None
        day = timezone.localtime(_aware(moment)).date()
        if self.date_start is not None and day < self.date_start:
            return False
        return self.date_end is None or day <= self.date_end


@dataclass(frozen=True)
class Entry:
    """One row of the timeline. ``transaction``/``note``/``change`` hold the source row."""

    kind: str
    when: datetime | None
    transaction: HistoryRow | None = None
    note: AccountComment | None = None
    change: AuditRecord | None = None
    #: The change's latest outcome record (None while none is recorded).
    outcome: AuditRecord | None = None
    #: A transaction's effect on each wallet it touched: (wallet name, cell).
    amounts: tuple[tuple[str, WalletCell], ...] = ()
    #: The account a combine moved into this one (the change is recorded on it).
    combined_from: int | None = None

    @property
    def change_label(self) -> str:
        if self.change is None:
            return ""
        spec = ACTIONS.get(self.change.action)
        return spec.label if spec is not None else self.change.action

    @property
    def decision(self) -> str:
        """A supervisor's or requester's decision on a request for approval, as its outcome
        says it once recorded ("Approved", "Rejected", "Withdrawn"); "" for any other change."""
        return _DECISIONS.get(self.change.action, "") if self.change is not None else ""

    @property
    def decided_request(self) -> str:
        """What a decision was on: "request #3 to adjust a wallet" ("" for any other change)."""
        if not self.decision:
            return ""
        asked = str(self._params.get("action") or "")
        spec = ACTIONS.get(asked)
        what = f" to {spec.label[0].lower()}{spec.label[1:]}" if spec is not None else ""
        return f"request #{self._params.get('approval_request')}{what}"

    @property
    def change_panel(self) -> str:
        """The guest page panel the change shows in (the page's top when none fits)."""
        if self.change is None:
            return ""
        return CHANGE_PANELS.get(self.change.action.split(".")[0], "header")

    @property
    def change_reason(self) -> str:
        """The reason's label and its text; "Other (say why)" is the form's prompt, not a
        reason: its text alone says why."""
        return "; ".join(self.change.reason_parts) if self.change is not None else ""

    @property
    def change_outcome(self) -> str:
        if self.outcome is None:
            return "No outcome recorded yet"
        if self.outcome.outcome == Outcome.SUCCEEDED:
            if self.is_approval_request:
                # What succeeded is the asking: the change itself waits for a supervisor.
                return "Sent for approval"
            if self.decision:
                # What succeeded is the deciding: "Succeeded" beside "Reject a request" reads
                # as if the change went through.
                return self.decision
        # As the audit screens say it: "Account suspended" for a combine upstream suspended.
        return self.outcome.outcome_label

    @property
    def change_card(self) -> str:
        """The masked card a change to a card acted on ("" for a change to the account, as a
        wallet's, even where its record names the card it was sent by)."""
        record = self.change
        if record is None:
            return ""
        action = (
            str(self._params.get("action") or "") if record.action.startswith("approval.") else ""
        ) or record.action
        if not action.startswith("card"):
            return ""
        # An attach is sent by the guest's own card; the card it acts on is the other one.
        other = self._params.get("otherPrintedCardNumber")
        if action in _ATTACHES and isinstance(other, dict) and other.get("masked"):
            return str(other["masked"])
        return record.card_masked

    @property
    def _params(self) -> dict[str, Any]:
        params = self.change.params if self.change is not None else None
        return params if isinstance(params, dict) else {}

    @property
    def is_approval_request(self) -> bool:
        return self.change is not None and self.change.action == "approval.request"

    @property
    def change_summary(self) -> str:
        """What a request for approval asks for, in its requester's words ("" otherwise)."""
        return str(self._params.get("summary") or "") if self.is_approval_request else ""

    @property
    def change_outcome_code(self) -> str:
        if self.outcome is None:
            return "pending"
        if self.decision and self.outcome.outcome == Outcome.SUCCEEDED:
            # Coloured as the approvals screens colour the request's status.
            return self.decision.lower()
        return self.outcome.outcome_class

    @property
    def change_problem(self) -> str:
        """Why the change did not go through: for upstream's answer, the sentence the guest
        page and the job page said for it (not upstream's own words); otherwise what the
        audit recorded (a settlement, an unknown outcome)."""
        outcome = self.outcome
        if outcome is None or outcome.outcome == Outcome.SUCCEEDED:
            return ""
        if outcome.outcome == Outcome.UNKNOWN:
            # The transport's own words ("guest/changeCardStatus.json: HTTP 500...") are for
            # the audit log, not for a CSR.
            return NOT_CONFIRMED
        error = recorded_error(
            upstream_result=outcome.upstream_result,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            detail=outcome.upstream_detail if isinstance(outcome.upstream_detail, dict) else {},
        )
        if outcome.outcome == Outcome.FAILED and error is not None:
            return explain(error)
        return outcome.error_message

    @property
    def change_via(self) -> str:
        """How the change was made when not from the guest page itself: by a job (a bulk
        file's row, a combine run in the background), or once a supervisor approved it."""
        record = self.change
        if record is None:
            return ""
        request = self._params.get("approval_request")
        if request and not self.decision:
            return f"once request #{request} was approved"
        if record.job_id:
            return f"by job #{record.job_id}"
        return ""


#: The changes that attach another card to the account (sent by the account's own card).
_ATTACHES = frozenset({"card.attach", "cards.attach_and_combine"})

#: The decisions on a request for approval, as their success reads on the timeline.
_DECISIONS = {
    "approval.approve": "Approved",
    "approval.reject": "Rejected",
    "approval.withdraw": "Withdrawn",
}


@dataclass
class Timeline:
    page: GuestPage
    query: TimelineQuery
    entries: list[Entry] = field(default_factory=list)
    referrals: list[ReferralRow] = field(default_factory=list)
    #: Why a source is missing ("The notes could not be loaded: ...").
    problems: list[str] = field(default_factory=list)
    #: Transactions older than those shown exist: the list starts at ``shown_since``.
    shown_since: datetime | None = None


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _changes(account_id: int, query: TimelineQuery, viewer: Viewer) -> list[Entry]:
    """The account's changes, and (outside a store group) the combines that moved another
    account into it, newest first."""
    records = AuditRecord.objects.filter(account_id=account_id, kind=Kind.INTENT)
    if not viewer.is_store_scoped:
        came_in = combined_in(account_id, limit=CHANGE_LIMIT)
        if came_in:
            # Two index walks merged here: an OR of both would read the account's every change.
            mine = _within(records, query).newest_first().values_list("pk", flat=True)
            records = AuditRecord.objects.filter(pk__in=[*mine[:CHANGE_LIMIT], *came_in])
    newest = _within(records, query).newest_first().prefetch_related("outcomes")[:CHANGE_LIMIT]
    return [
        Entry(
            kind="change",
            when=record.occurred_at,
            change=record,
            outcome=latest_outcome(record),
            combined_from=record.account_id if record.account_id != account_id else None,
        )
        for record in newest
    ]


def _within(records: AuditRecordQuerySet, query: TimelineQuery) -> AuditRecordQuerySet:
    if query.date_start is not None:
        records = records.filter(occurred_at__date__gte=query.date_start)
    if query.date_end is not None:
        records = records.filter(occurred_at__date__lte=query.date_end)
    return records


def guest_timeline(*, viewer: Viewer, account_id: int, query: TimelineQuery) -> Timeline:
    """The timeline of the account as ``viewer`` may see it (raises as ``guest_page`` does)."""
    # "header": the guest's name, for the title.
    wanted = ["header"] + [
        panel
        for panel, kind in (("notes", "note"), ("referrals", "referral"))
        if kind in query.kinds
    ]
    page = guest_page(viewer=viewer, account_id=account_id, panels=wanted)
    timeline = Timeline(page=page, query=query)
    entries: list[Entry] = []
    if "transaction" in query.kinds:
        filters = HistoryFilter(date_start=query.date_start, date_end=query.date_end)
        try:
            columns, rows, more = history_rows(
                account_id=account_id, filters=filters, limit=TRANSACTION_LIMIT
            )
        except PaytronixError as error:
            # Said on the page, as a panel says its own read failed; the rest is shown.
            timeline.problems.append(f"The transactions could not be loaded: {explain(error)}")
        else:
            entries += [
                Entry(
                    kind="transaction",
                    when=row.occurred_at,
                    transaction=row,
                    amounts=tuple(
                        (column.name, cell)
                        for column, cell in zip(columns, row.cells, strict=True)
                        if cell is not None
                    ),
                )
                for row in rows
            ]
            if more and rows and rows[-1].occurred_at is not None:
                timeline.shown_since = _aware(rows[-1].occurred_at)
    if "note" in query.kinds:
        if page.notes_unavailable:
            timeline.problems.append(page.notes_unavailable)
        elif page.notes_error:
            timeline.problems.append(f"The notes could not be loaded: {page.notes_error}")
        elif page.notes is not None and page.notes.ok:
            entries += [
                Entry(kind="note", when=note.date_created, note=note)
                for note in page.notes.get() or []
                if query.covers(note.date_created)
            ]
    if "change" in query.kinds:
        entries += _changes(account_id, query, viewer)
    if "referral" in query.kinds:
        if page.referrals_error:
            timeline.problems.append(f"The referrals could not be loaded: {page.referrals_error}")
        timeline.referrals = page.referral_rows + page.bulk_referral_rows
    since = timeline.shown_since
    if since is not None:
        entries = [e for e in entries if e.when is None or _aware(e.when) >= since]
    # Newest first; an undated entry (a note read back without its time) last.
    entries.sort(
        key=lambda e: _aware(e.when).timestamp() if e.when else float("-inf"), reverse=True
    )
    timeline.entries = entries
    return timeline
