"""Reads of the stored-value payments panel: the guest's saved payment methods (brand and last
four digits only), auto-recharge and its settings, and recharge history (Payment Service).

Every read first passes the guest page's gate: the account read with the viewer's store-group
scope (``guests.selectors.guest_account``), so a store manager sees payments only of guests of
their store group. The three Payment Service reads then run at once, each cached per account
like the guest page's panels (the door's invalidation after any change to the guest drops
them). The service names the stored-value card by its printed number: the account's primary
card, whose full number is read only when a Payment Service read is not in the cache.

The console never takes card data: nothing here (or anywhere in the portal) accepts a payment
card number, and the Payment Service only ever answers brand and last four digits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from guests.selectors import guest_account, reads, scope_of
from guests.selectors.fanout import run_reads
from guests.selectors.optional import PAYMENTS
from guests.selectors.scope import Viewer
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.scrub import card_hash
from portal.guestcache import guest_cache
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import (
    AccountInformation,
    AutoRecharge,
    Recharge,
    SavedPaymentMethod,
)
from portal.sentences import NotShownError, explain

#: How many recharges the panel lists (newest first).
RECHARGES_SHOWN = 10

NO_STORED_VALUE = "This program keeps no stored value on this account."
NO_CARD = "This account has no primary card, so its payments cannot be looked up."


#: How long a change sent is remembered at all (it stops polling after GUESTS_PENDING_SECONDS).
_PENDING_REMEMBER_SECONDS = 30 * 60
AUTO_RECHARGE_OFF = "payment.autorecharge.disable"
METHOD_REMOVED = "payment.method.remove"


@dataclass(frozen=True)
class PendingPayment:
    """A payments change sent upstream (succeeded, or its outcome unknown) that the panel waits
    to see: Paytronix is eventually consistent. ``token`` names the removed method."""

    action: str
    summary: str
    token: str = ""
    started: float = field(default_factory=time.time)

    @property
    def overdue(self) -> bool:
        return time.time() - self.started > settings.GUESTS_PENDING_SECONDS


def _pending_key(account_id: int) -> str:
    return f"cards:payments-pending:{account_id}"


def _pending_load(account_id: int) -> list[PendingPayment]:
    stored: Any = guest_cache().get(_pending_key(account_id)) or []
    return [PendingPayment(**item) for item in stored if isinstance(item, dict)]


def _pending_store(account_id: int, changes: list[PendingPayment]) -> None:
    if changes:
        items = [asdict(change) for change in changes]
        guest_cache().set(_pending_key(account_id), items, timeout=_PENDING_REMEMBER_SECONDS)
    else:
        guest_cache().delete(_pending_key(account_id))


def _pending_update(
    account_id: int, update: Callable[[list[PendingPayment]], list[PendingPayment]]
) -> None:
    """Store ``update(changes)`` as the account's pending payment changes, the changes read
    again here: one another request added or settled meanwhile is kept as it is."""
    _pending_store(account_id, update(_pending_load(account_id)))


def pending_payment_add(*, account_id: int, change: PendingPayment) -> None:
    """Remember a change sent for the panel to wait on (a newer one of the same kind and
    method replaces it). Pending changes are not guest reads: the door's invalidation leaves
    them alone."""
    kind = (change.action, change.token)
    _pending_update(
        account_id, lambda changes: [*(c for c in changes if (c.action, c.token) != kind), change]
    )


def removal_sent(*, account_id: int, idempotency_key: str) -> bool:
    """Whether this form (its idempotency key) already asked to remove a payment method of the
    account: a second submit of it then gets the first outcome, though the method is gone."""
    return AuditRecord.objects.filter(
        kind=Kind.INTENT,
        action=METHOD_REMOVED,
        account_id=account_id,
        idempotency_key=idempotency_key,
    ).exists()


@dataclass(frozen=True)
class MethodRemoval:
    """A removal of a saved payment method that succeeded, as the audit log holds it."""

    label: str
    removed_at: Any
    by: str


#: How many characters of the keyed hash name a saved payment method in a URL.
_TOKEN_LENGTH = 16


def removal_done(*, account_id: int, token: str) -> MethodRemoval | None:
    """The latest successful removal of the method ``token`` names from the account, from the
    audit log (which holds the method's hash, never its reference), or None. Only a whole
    token names a method (a shorter one would match any removal whose hash starts with it)."""
    if len(token) != _TOKEN_LENGTH:
        return None
    intents = AuditRecord.objects.filter(
        kind=Kind.INTENT,
        action=METHOD_REMOVED,
        account_id=account_id,
        outcomes__outcome=Outcome.SUCCEEDED,
    ).order_by("-seq")
    for intent in intents[:50]:
        if str(intent.params.get("paymentMethodHash", ""))[:_TOKEN_LENGTH] == token:
            done = intent.outcomes.filter(outcome=Outcome.SUCCEEDED).order_by("-seq").first()
            return MethodRemoval(
                label=str(intent.params.get("paymentMethod") or "The payment method"),
                removed_at=done.occurred_at if done else intent.occurred_at,
                by=intent.actor_username,
            )
    return None


class PaymentMethodNotFoundError(NotShownError):
    """No saved payment method of the guest's card under that reference (removed already?)."""

    @property
    def sentence(self) -> str:
        return "This guest has no such saved payment method (it may have been removed already)."


def method_token(method: SavedPaymentMethod) -> str:
    """How a URL names a saved payment method: a keyed hash of upstream's reference, never the
    reference itself (which the audit log does not hold either)."""
    return card_hash(method.payment_method_id or "")[:_TOKEN_LENGTH]


@dataclass(frozen=True)
class PaymentMethodRow:
    method: SavedPaymentMethod
    funds_auto_recharge: bool
    #: What to call a method no longer listed (a second submit of its removal).
    name: str = ""

    @property
    def token(self) -> str:
        return method_token(self.method)

    @property
    def label(self) -> str:
        return self.name or self.method.label


@dataclass(frozen=True)
class GuestPayments:
    """The payments panel of one account: what to show, or why there is nothing."""

    account_id: int
    account: AccountInformation = field(repr=False)
    #: Why the panel has nothing to show (service off, no stored value, no card); else "".
    unavailable: str = ""
    methods: list[PaymentMethodRow] = field(default_factory=list)
    auto_recharge: AutoRecharge | None = None
    recharges: list[Recharge] = field(default_factory=list)
    #: Each read that failed, by name (``methods``, ``auto_recharge``, ``recharges``): the
    #: sentence to show in its place.
    errors: dict[str, str] = field(default_factory=dict)
    #: Changes sent that upstream does not show yet: within ``GUESTS_PENDING_SECONDS`` (the
    #: panel polls) and past it (the panel says so and stops polling).
    waiting: list[PendingPayment] = field(default_factory=list)
    overdue: list[PendingPayment] = field(default_factory=list)

    @property
    def auto_recharge_off_pending(self) -> bool:
        return any(c.action == AUTO_RECHARGE_OFF for c in (*self.waiting, *self.overdue))

    @property
    def removing(self) -> set[str]:
        """Tokens of the saved methods whose removal was sent and does not show yet."""
        return {c.token for c in (*self.waiting, *self.overdue) if c.action == METHOD_REMOVED}

    @property
    def card_number(self) -> str:
        """The full number of the stored-value card. Only a fresh read has it (a cached account
        keeps masked numbers), and a write must never be sent with a masked one."""
        primary = self.account.primary_card
        number = (primary.printed_card_number or "") if primary is not None else ""
        if not number:
            raise RuntimeError("a cached account has no full card number: read it fresh")
        return number

    def method(self, token: str) -> PaymentMethodRow:
        """The saved method with that token; ``PaymentMethodNotFoundError`` if none."""
        found = next((row for row in self.methods if row.token == token), None)
        if found is None:
            raise PaymentMethodNotFoundError(token)
        return found


class _Once:
    """A value computed at most once, by whichever read thread asks first."""

    def __init__(self, compute: Callable[[], str]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._value: str | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._compute()
            return self._value


def _unavailable(account: AccountInformation) -> str:
    if not PAYMENTS.available():
        return PAYMENTS.sentence
    if account.stored_value_balance is None:
        return NO_STORED_VALUE
    if account.primary_card is None:
        return NO_CARD
    return ""


def guest_payments(*, viewer: Viewer, account_id: int, fresh: bool = False) -> GuestPayments:
    """The payments panel of account ``account_id`` as ``viewer`` may see it.

    ``fresh`` reads the account and the Payment Service past the cache (a change about to be
    made acts on upstream's current state). Raises ``GuestNotFoundError`` (unknown, or outside
    the viewer's store group), ``GuestUnavailableError`` or the client's ``PaytronixError`` for
    the account; a failed Payment Service read is kept in ``errors`` for its part of the panel.
    """
    account = guest_account(viewer=viewer, account_id=account_id, fresh=fresh)
    pending = _pending_load(account_id)
    # While a change is awaited, the Payment Service is read past the cache to see it arrive.
    fresh = fresh or any(not change.overdue for change in pending)
    unavailable = _unavailable(account)
    if unavailable:
        return GuestPayments(account_id=account_id, account=account, unavailable=unavailable)
    scope = scope_of(viewer)
    numbered = _Once(lambda: _primary_number(reads.with_card_numbers(account, scope=scope)))
    payment = client_from_settings().payment

    def cached[T](kind: str, load: Callable[[str], T]) -> Callable[[], T | None]:
        return lambda: PAYMENTS.call(
            lambda: reads.cached(account_id, kind, lambda: load(numbered()), fresh=fresh)
        )

    results = run_reads(
        {
            "methods": cached(
                "payment-methods",
                lambda number: payment.saved_payment_methods(printed_card_number=number),
            ),
            "auto_recharge": cached(
                "auto-recharge",
                lambda number: payment.auto_recharge_status(printed_card_number=number),
            ),
            "recharges": cached(
                "recharges",
                lambda number: payment.recharge_history(
                    printed_card_number=number, max_number_of_results=RECHARGES_SHOWN
                ),
            ),
        }
    )
    if any(result.ok and result.value is None for result in results.values()):
        # The service turned out to be missing for this integration (remembered a while).
        return GuestPayments(account_id=account_id, account=account, unavailable=PAYMENTS.sentence)
    errors = {name: explain(r.error) for name, r in results.items() if r.error is not None}
    auto_recharge = results["auto_recharge"].value
    funding = auto_recharge.payment_method_id if auto_recharge and auto_recharge.enabled else None
    methods = [
        PaymentMethodRow(m, funds_auto_recharge=bool(funding) and m.payment_method_id == funding)
        for m in results["methods"].value or []
    ]
    waiting, overdue = _pending_settle(account_id, pending, auto_recharge, methods, errors)
    return GuestPayments(
        account_id=account_id,
        account=account,
        methods=methods,
        auto_recharge=auto_recharge,
        recharges=results["recharges"].value or [],
        errors=errors,
        waiting=waiting,
        overdue=overdue,
    )


def _pending_settle(
    account_id: int,
    pending: list[PendingPayment],
    auto_recharge: AutoRecharge | None,
    methods: list[PaymentMethodRow],
    errors: dict[str, str],
) -> tuple[list[PendingPayment], list[PendingPayment]]:
    """Forget the changes upstream now shows; sort the others into waiting and overdue. A
    change whose read failed stays as it was (it cannot be told)."""
    if not pending:
        return [], []
    tokens = {row.token for row in methods}
    kept: list[PendingPayment] = []
    done: list[PendingPayment] = []
    for change in pending:
        if change.action == AUTO_RECHARGE_OFF:
            failed, shown = "auto_recharge" in errors, not (auto_recharge and auto_recharge.enabled)
        else:
            failed, shown = "methods" in errors, change.token not in tokens
        (kept if failed or not shown else done).append(change)
    if done:
        # Only the ones settled here go: one added meanwhile by another request stays.
        _pending_update(account_id, lambda changes: [c for c in changes if c not in done])
    return [c for c in kept if not c.overdue], [c for c in kept if c.overdue]


def _primary_number(account: AccountInformation) -> str:
    primary = account.primary_card
    number = (primary.printed_card_number or "") if primary is not None else ""
    if not number:
        raise PaytronixError("the account's primary card has no number", endpoint="account")
    return number
