"""Changes sent upstream but not yet showing: Paytronix is eventually consistent.

After a change succeeds (or its outcome is unknown), the service records what the page should
show once upstream has applied it: "the user's message frequency reads SNOOZE". The panel that
shows it reads its sources past the cache and compares on every render; while it does not
match, the panel says the change is pending and polls; once it matches, it says the change is
showing and forgets it; after ``GUESTS_PENDING_SECONDS`` it stops polling and says the change
has not shown yet (and keeps checking on later renders for a while, from the cache). A change
whose outcome was unknown and that the audit log has since settled as failed (the reconciler
read upstream back: it never applied) is said to have not gone through, to every CSR who opens
the guest for ``_FAILED_SHOWN_SECONDS`` after it was made, or until it is made again: the CSR
makes it again, rather than wait for a change that will never show.

Pending changes live in the guests' cache (``portal.guestcache.guest_cache``: plain JSON data)
under their own key, one list per account, shared by every CSR looking at the guest. They are
not guest reads: the door's invalidation leaves them alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from guests.selectors.history import HistoryQuery
from guests.selectors.page import GuestPage
from portal.audit.models import Outcome
from portal.audit.outcome import ChangeOutcome
from portal.audit.personal import address_digest, field_value, values_digest
from portal.audit.selectors import latest_outcomes
from portal.guestcache import guest_cache
from portal.paytronix.transaction import reference_absence_unproven
from portal.requestscope import request_forget, request_scoped

#: How long a pending change is remembered at all (it stops polling much earlier).
_REMEMBER_SECONDS = 30 * 60
#: How long after it was made a change that did not go through is said so (not to the first
#: CSR who opens the guest only).
_FAILED_SHOWN_SECONDS = 30 * 60
#: How far upstream's clock (a history transaction's date) may be from ours.
_CLOCK_DIFFERENCE_SECONDS = 60
#: What the page says of a change it cannot follow (its check answers ``UNREPORTED``).
_UNREPORTED_WORDS = {
    "message_frequency": "Sent to Paytronix; it does not report this preference back.",
    "history_reference": (
        "Sent to Paytronix, whose history does not carry the reference the console sent, so "
        "this page cannot tell which transaction is this one. Check the balance and the history."
    ),
}


@dataclass(frozen=True)
class PendingChange:
    """A change and how to recognise it in the page's data once upstream shows it."""

    action: str
    panel: str
    #: GuestPage sources to read past the cache while waiting (``account``, ``user``...).
    sources: tuple[str, ...]
    #: Name of the check in ``_CHECKS``; ``expected`` is what it compares with.
    check: str
    expected: Any
    #: What changed, in words: "Message frequency: Snooze for 14 days".
    summary: str
    started: float = field(default_factory=time.time)
    #: What the change is about, where a change of another action on the same thing
    #: supersedes it (a card's masked number: disabling it, then enabling it again); else
    #: a change supersedes one of the same action and check.
    about: str = ""
    #: The change's audit intent: its settled outcome says whether it failed after all.
    intent_id: int | None = None
    #: Upstream answered that the change was made: its own message said so already.
    confirmed: bool = False
    #: A page has shown it waiting ("Pending", "Not showing yet").
    seen_waiting: bool = False
    #: The audit log has settled it as failed: it did not go through.
    failed: bool = False

    @property
    def kind(self) -> tuple[str, ...]:
        """What a later change supersedes it by (``pending_add``)."""
        return (self.check, self.about) if self.about else (self.action, self.check)

    @property
    def identity(self) -> tuple[str, str, float]:
        """The one change, whatever its flags say since it was added: what settling matches
        stored changes by (another request may have stored it again, marked seen)."""
        return (self.action, self.check, self.started)

    @property
    def announced(self) -> bool:
        """Whether the page says "Now showing" once it shows: it closes a "Pending" the CSR
        saw, or settles a change whose outcome was not known. A change confirmed and showing
        at once is not said twice (its own message said it)."""
        return self.seen_waiting or not self.confirmed

    @property
    def overdue(self) -> bool:
        return time.time() - self.started > settings.GUESTS_PENDING_SECONDS

    @property
    def unreported_words(self) -> str:
        """What the page says when upstream gives no way to see the change applied."""
        return _UNREPORTED_WORDS.get(
            self.check, "Sent to Paytronix, which does not report it back."
        )


@dataclass(frozen=True)
class PanelChanges:
    """The pending changes of one panel, sorted by what the panel should say about them."""

    waiting: list[PendingChange] = field(default_factory=list)
    applied: list[PendingChange] = field(default_factory=list)
    overdue: list[PendingChange] = field(default_factory=list)
    #: Sent, but upstream does not report the value back, so it can never be seen applied.
    unreported: list[PendingChange] = field(default_factory=list)
    #: Its outcome was unknown, and the audit log has since settled it as failed.
    failed: list[PendingChange] = field(default_factory=list)

    @property
    def polling(self) -> bool:
        return bool(self.waiting)

    @property
    def listed(self) -> bool:
        """Whether the summary lists any of them (waiting, not showing yet, or failed)."""
        return bool(self.waiting or self.overdue or self.failed)

    @property
    def settled(self) -> bool:
        """Whether any was settled here (showing, never reported, or found failed): the
        summary, which listed it, is to be drawn again."""
        # A change found failed here for the first time is not yet stored as failed.
        newly_failed = any(not change.failed for change in self.failed)
        return bool(self.applied or self.unreported or newly_failed)

    def add_unsettled(self, change: PendingChange, *, failed: bool) -> None:
        """Sort a change not showing: failed (the audit log says so), overdue or waiting."""
        if failed:
            self.failed.append(change)
        else:
            (self.overdue if change.overdue else self.waiting).append(change)

    def __bool__(self) -> bool:
        return self.listed or self.settled


_FIELDS = frozenset(PendingChange.__dataclass_fields__)


def _key(account_id: int) -> str:
    return f"guests:pending:{account_id}"


def pending_cache_entry(account_id: int) -> tuple[str, str]:
    """Where the account's pending changes are kept (cache alias, key), for
    ``portal.redis_cache.looked_up_together``."""
    return "guests", _key(account_id)


def _load(account_id: int) -> tuple[PendingChange, ...]:
    """The account's pending changes, read once per request (the page asks before its reads
    and again after them)."""

    def read() -> tuple[PendingChange, ...]:
        changes = []
        for item in guest_cache().get(_key(account_id)) or []:
            # Only the fields this code knows: a newer release may have stored more.
            values = {k: v for k, v in dict(item).items() if k in _FIELDS}
            values["sources"] = tuple(values["sources"])
            changes.append(PendingChange(**values))
        return tuple(changes)

    return request_scoped(_key(account_id), read)


def _store(
    account_id: int, update: Callable[[tuple[PendingChange, ...]], list[PendingChange]]
) -> None:
    """Store ``update(changes)`` as the account's pending changes: the one read-modify-write of
    them, for adding and settling alike.

    The changes updated are read again, not taken from the request's memo: a change another
    request added or settled meanwhile (while this page read upstream) is kept as it is. The
    memo is forgotten once stored, so a later read in this request sees what was stored.
    """
    key = _key(account_id)
    with _held(f"{key}:lock"):
        request_forget(key)
        changes = update(_load(account_id))
        request_forget(key)
        if changes:
            guest_cache().set(key, [asdict(c) for c in changes], timeout=_REMEMBER_SECONDS)
        else:
            guest_cache().delete(key)


#: How long one request may hold an account's pending changes to update them (a read and a
#: write of the cache: milliseconds), and how long another waits for it before it goes ahead
#: anyway (a holder that died: the change it was storing is then the one at risk, as before).
_LOCK_SECONDS = 2
_LOCK_WAIT = 1.0


@contextmanager
def _held(lock: str) -> Iterator[None]:
    """The account's pending changes held while one request updates them: two requests
    storing at once (a change added while a page settles another) no longer lose one."""
    cache = guest_cache()
    deadline = time.monotonic() + _LOCK_WAIT
    held = cache.add(lock, 1, timeout=_LOCK_SECONDS)
    while not held and time.monotonic() < deadline:
        time.sleep(0.005)
        held = cache.add(lock, 1, timeout=_LOCK_SECONDS)
    try:
        yield
    finally:
        if held:
            cache.delete(lock)


def pending_add(*, account_id: int, change: PendingChange) -> None:
    """Remember ``change`` as sent and not yet shown; it replaces an earlier change of the
    same kind (a second frequency change supersedes the first; a card's enable supersedes
    its disable: ``PendingChange.kind``)."""
    _store(account_id, lambda changes: [*(c for c in changes if c.kind != change.kind), change])


def pending_watch(outcome: ChangeOutcome, *, account_id: int, change: PendingChange) -> None:
    """After a change: watch for it on the page if it was applied, or may have been."""
    if outcome.may_have_applied:
        made = replace(change, intent_id=outcome.intent_id, confirmed=outcome.ok)
        pending_add(account_id=account_id, change=made)


def _failed(changes: Iterable[PendingChange]) -> list[PendingChange]:
    """Of ``changes`` (not showing), those the audit log has settled as failed since (one
    query, only where there are such changes not already known to have failed)."""
    changes = list(changes)
    # A change upstream confirmed can never be settled as failed: only the others are asked.
    asked = [c for c in changes if c.intent_id is not None and not c.confirmed and not c.failed]
    latest = latest_outcomes([c.intent_id for c in asked if c.intent_id is not None])
    found = [c for c in asked if latest.get(c.intent_id or 0) == Outcome.FAILED]
    return [c for c in changes if c.failed] + found


def _failed_long_ago(change: PendingChange) -> bool:
    return time.time() - change.started > _FAILED_SHOWN_SECONDS


def pending_sources(*, account_id: int, panels: Iterable[str]) -> set[str]:
    """The sources to read past the cache for the changes these panels are waiting on."""
    wanted = set(panels)
    return {
        source
        for change in _load(account_id)
        if change.panel in wanted and not change.overdue and not change.failed
        for source in change.sources
    }


def pending_listed(account_id: int) -> dict[str, PanelChanges]:
    """Every panel's pending changes as the summary lists them, waiting or overdue, with no
    read of what would show them (each panel's own poll settles its changes and then has the
    summary drawn again)."""
    listed: dict[str, PanelChanges] = {}
    changes = _load(account_id)
    failed = _failed(changes)
    for change in changes:
        if change in failed and _failed_long_ago(change):
            continue
        listed.setdefault(change.panel, PanelChanges()).add_unsettled(
            change, failed=change in failed
        )
    return listed


def pending_settle(*, page: GuestPage, panels: Iterable[str]) -> dict[str, PanelChanges]:
    """Compare the pending changes of ``panels`` with ``page``; forget those now showing.

    A check whose data did not load (its read failed) keeps the change waiting.
    """
    wanted = set(panels)
    done: list[PendingChange] = []
    sorted_out: dict[str, PanelChanges] = {}
    not_shown: list[PendingChange] = []
    for change in _load(page.account_id):
        if change.panel not in wanted:
            continue
        shown = _CHECKS[change.check](page, change)
        bucket = sorted_out.setdefault(change.panel, PanelChanges())
        if shown is UNREPORTED:
            bucket.unreported.append(change)
            done.append(change)
        elif shown:
            if change.announced:
                bucket.applied.append(change)
            done.append(change)
        else:
            not_shown.append(change)
    failed = _failed(not_shown)
    seen: list[PendingChange] = []
    found_failed: list[PendingChange] = []
    for change in not_shown:
        if change in failed:
            if _failed_long_ago(change):
                # Said long enough: forgotten.
                done.append(change)
                continue
            if not change.failed:
                found_failed.append(change)
        elif not change.seen_waiting:
            seen.append(change)
        sorted_out[change.panel].add_unsettled(change, failed=change in failed)
    if done or seen or found_failed:
        # Only the ones settled (or first shown waiting, or first found failed) here change
        # (``_store`` reads the changes again: one added meanwhile by another request stays as
        # it is), matched by identity: another request may have stored one again, marked.
        gone = {c.identity for c in done}
        marked = {c.identity for c in seen}
        now_failed = {c.identity for c in found_failed}
        _store(
            page.account_id,
            lambda changes: [
                replace(
                    c,
                    seen_waiting=c.seen_waiting or c.identity in marked,
                    failed=c.failed or c.identity in now_failed,
                )
                for c in changes
                if c.identity not in gone
            ],
        )
    return sorted_out


# -- checks: does the page's data show the change? (None: cannot tell, the read failed) ----


class _Unreported:
    """A check's answer when upstream's reply has no such field: waiting would never end."""


UNREPORTED = _Unreported()
Seen = bool | None | _Unreported


def _user_field(page: GuestPage, name: str) -> str | None:
    if page.user is None or not page.user.ok:
        return None
    fields = page.user_fields
    return str(getattr(fields, name, None) or "") if fields else ""


def _message_frequency(page: GuestPage, change: PendingChange) -> Seen:
    if page.user is None or not page.user.ok:
        return None
    # The spec's UserInformation has no messageFrequency (only the sandbox sends one).
    fields = page.user_fields
    value = fields.message_frequency if fields else None
    return UNREPORTED if value is None else value == change.expected


def _language(page: GuestPage, change: PendingChange) -> bool | None:
    value = _user_field(page, "user_language_pref")
    return None if value is None else value == change.expected


def _username(page: GuestPage, change: PendingChange) -> bool | None:
    return (page.account.username or "").lower() == str(change.expected).lower()


def _referral_emails(page: GuestPage, change: PendingChange) -> bool | None:
    if page.referrals is None or not page.referrals.ok:
        return None
    listed = {(r.email or "").lower() for r in page.referrals.get().user_referrals}
    return {str(e).lower() for e in change.expected} <= listed


def _note(page: GuestPage, change: PendingChange) -> bool | None:
    notes = page.notes.get() if page.notes is not None and page.notes.ok else None
    if notes is None:
        # Not read, or the integration has no CSR service: nothing to compare.
        return None
    return any(
        (n.comment or "") == change.expected["comment"]
        and (n.author or "") == change.expected["author"]
        for n in notes
    )


def _card_status(page: GuestPage, change: PendingChange) -> bool | None:
    """The card (by its masked number) of the page's account reads in the status asked."""
    if page.account is None:
        return None
    masked, status = change.expected["masked"], change.expected["status"]
    for card in page.cards:
        if card.masked_card_number == masked:
            return card.status == status
    return None


def _wallet_balances(page: GuestPage, change: PendingChange) -> bool | None:
    balances = {str(w.wallet_code): w.balance for w in page.wallets}
    try:
        return all(
            code in balances and balances[code] == Decimal(str(amount))
            for code, amount in dict(change.expected).items()
        )
    except InvalidOperation:
        return None


def _user_values(page: GuestPage, change: PendingChange) -> bool | None:
    """The user's fields named in ``expected`` read as the change set them (by their digest:
    the values themselves are not kept here)."""
    if page.user is None or not page.user.ok:
        return None
    names = [str(name) for name in change.expected["fields"]]
    return (
        values_digest({n: field_value(page.user_fields, n) for n in names})
        == change.expected["digest"]
    )


def _account_values(page: GuestPage, change: PendingChange) -> bool | None:
    """The account's fields named in ``expected`` read as the change set them (digest)."""
    names = [str(name) for name in change.expected["fields"]]
    fields = page.account.fields
    return values_digest({n: field_value(fields, n) for n in names}) == change.expected["digest"]


def _address(page: GuestPage, change: PendingChange) -> bool | None:
    """An address change shows: an address with the digest asked for (under ``addressId``
    when given), or, for a deletion (no digest), no address under ``addressId`` any more."""
    user = page.user_information
    if user is None:
        return None
    wanted_id, digest = str(change.expected["addressId"]), str(change.expected["digest"])
    if not digest:
        return all(a.address_id != wanted_id for a in user.addresses)
    return any(
        address_digest(a) == digest and (not wanted_id or a.address_id == wanted_id)
        for a in user.addresses
    )


def _history_reference(page: GuestPage, change: PendingChange) -> Seen:
    """A wallet adjustment showing: a transaction on the history's first page carries its
    reference (``expected``, sent as ``posTransactionId``) as its check number
    (``posTransactionNumber``).

    That upstream keeps the reference there is ASSUMED (only the sandbox shows it;
    docs/wire-notes.md). Where the page cannot tell, it says so rather than wait for a
    reference that may never come, or call the adjustment missing:

    - the history shown is filtered or a later page: ours may be left out (None);
    - no transaction on it carries any of the console's references (``LD-…``) although one
      is dated since the adjustment was sent (or has no date to tell): that one may be ours
      under a number of upstream's own (``UNREPORTED``: never "applied", never "missing");
    - a console reference is there, only not ours: upstream does keep them; ours is not
      showing yet (False), as it is while nothing newer than the adjustment is there.
    """
    if page.history is None or not page.history.ok:
        return None
    shown = page.history.get()
    if any(row.check_number == change.expected for row in shown.rows):
        return True
    if shown.query != HistoryQuery():
        return None
    rows = ((row.check_number, row.occurred_at) for row in shown.rows)
    return UNREPORTED if reference_absence_unproven(rows, since=_sent_after(change)) else False


def _sent_after(change: PendingChange) -> datetime:
    """The earliest moment upstream may have dated the change's transaction: ``started`` is
    stamped once the call came back, which took at most the client's timeouts (a write is
    never retried), and upstream's clock may run behind ours."""
    slack = (
        settings.PAYTRONIX_CONNECT_TIMEOUT
        + settings.PAYTRONIX_READ_TIMEOUT
        + _CLOCK_DIFFERENCE_SECONDS
    )
    return datetime.fromtimestamp(change.started - slack, tz=UTC)


_CHECKS: dict[str, Callable[[GuestPage, PendingChange], Seen]] = {
    "message_frequency": _message_frequency,
    "language": _language,
    "username": _username,
    "referral_emails": _referral_emails,
    "note": _note,
    "wallet_balances": _wallet_balances,
    "card_status": _card_status,
    "user_values": _user_values,
    "account_values": _account_values,
    "address": _address,
    "history_reference": _history_reference,
}
