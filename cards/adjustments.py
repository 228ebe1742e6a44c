"""Reads for wallet adjustments and voids: which wallets of an account can be adjusted, in which
unit; an adjustment as the audit log recorded it and whether it was voided; and how much was
adjusted on a guest today (what the per-day ceiling counts).

An adjustment is known by its audit intent (``wallet.adjust``): its params carry the wallet
(``wallet_code``), the signed ``quantity`` in the wallet's unit, the ``reason_code``, the
``comment``, the ``expiration`` and the ``reference`` upstream's history transaction carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format

from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.selectors import latest_outcomes
from portal.paytronix.replies import AccountInformation, BalanceInformation
from portal.paytronix.transaction import CONSOLE_REFERENCE_PREFIX
from portal.requestscope import request_scoped
from portal.sentences import NotShownError
from portal.templatetags import amounts

if TYPE_CHECKING:
    from portal.approvals.models import ApprovalRequest

POINTS, REWARDS, STORED_VALUE = "points", "rewards", "stored_value"
#: Outcomes that count as "may have moved the balance" (a failed one moved nothing).
_MAY_HAVE_APPLIED = frozenset(
    {Outcome.PENDING, Outcome.SUCCEEDED, Outcome.UNKNOWN, Outcome.NEEDS_REVIEW}
)


@dataclass(frozen=True)
class AdjustableWallet:
    """A wallet a CSR may adjust: stored value (money, two decimals), points (whole; visits
    are points too) or rewards (whole). ``kind`` is also which ceiling applies."""

    wallet_code: int
    name: str
    kind: str
    balance: Decimal
    #: The program shows expiration dates for this wallet: an addition may carry one.
    uses_expiration: bool

    @property
    def scale(self) -> int:
        return 2 if self.kind == STORED_VALUE else 0

    @property
    def money(self) -> bool:
        return self.kind == STORED_VALUE

    @property
    def unit(self) -> str:
        return "dollars" if self.money else self.name.lower()

    def amount(self, value: Decimal) -> Decimal:
        """``value`` in the wallet's scale (no rounding: callers check it is exact)."""
        return value.quantize(Decimal(1).scaleb(-self.scale))

    def words(self, value: Decimal) -> str:
        """``value``'s size, ``$10.00`` or ``25``, as a CSR says it."""
        return amount_words(self.kind, abs(value))


#: A figure's unit where a sentence names it (stored value is said in dollars).
_UNITS = {POINTS: "points", REWARDS: "rewards"}


def amount_words(kind: str, value: Decimal, *, unit: bool = False) -> str:
    """``value`` as a CSR says it, in the scale of a wallet of ``kind`` and grouped by
    thousands: ``$1,234.50`` (stored value) or ``1,235`` (points, rewards; ``1,235 points``
    with ``unit``), a fraction of a point kept as the guest page shows it (``12.5``), never
    rounded. The one format of the sentences, the limits and the adjust screen."""
    if kind == STORED_VALUE:
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    shown = str(amounts.amount(value))
    return f"{shown} {_UNITS[kind]}" if unit and kind in _UNITS else shown


def _wallet(info: BalanceInformation, kind: str) -> AdjustableWallet | None:
    if info.wallet_code is None:
        return None
    return AdjustableWallet(
        wallet_code=info.wallet_code,
        name=info.name or info.short_name or f"Wallet {info.wallet_code}",
        kind=kind,
        balance=info.balance if info.balance is not None else Decimal(0),
        uses_expiration=not info.hide_expiration_dates,
    )


def adjustable_wallets(account: AccountInformation) -> list[AdjustableWallet]:
    """The account's wallets that can be adjusted, in the guest page's order (a house charge
    balance is not a loyalty balance: it is not adjusted here)."""
    found: list[tuple[BalanceInformation, str]] = []
    if account.stored_value_balance is not None:
        found.append((account.stored_value_balance, STORED_VALUE))
    found += [(info, POINTS) for info in account.point_balances]
    found += [(info, REWARDS) for info in account.reward_balances]
    wallets = (_wallet(info, kind) for info, kind in found)
    return [wallet for wallet in wallets if wallet is not None]


class WalletNotFoundError(NotShownError):
    @property
    def sentence(self) -> str:
        return "This account has no such balance to adjust."


def adjustable_wallet(account: AccountInformation, wallet_code: int) -> AdjustableWallet:
    for wallet in adjustable_wallets(account):
        if wallet.wallet_code == wallet_code:
            return wallet
    raise WalletNotFoundError(wallet_code)


def signed_quantity(intent: AuditRecord) -> Decimal:
    """The signed quantity an adjustment (or void) recorded; zero if it recorded none."""
    try:
        return Decimal(str(intent.params.get("quantity", "0")))
    except InvalidOperation:
        return Decimal(0)


def _latest_outcomes(intents: Iterable[AuditRecord]) -> dict[int, str]:
    """intent id → its latest outcome (or pending), in one query."""
    ids = [intent.pk for intent in intents]
    return {**dict.fromkeys(ids, Outcome.PENDING), **latest_outcomes(ids)}


def adjusted_today(account_id: int | None, kind: str, *, besides: str = "") -> Decimal:
    """How much was adjusted (taken away or added: both count) on the account today, in the
    merchant's day (``TIME_ZONE``), in wallets of ``kind``: every adjustment that may have
    applied, by anyone, approved ones included, except the one with reference ``besides`` (the
    change being checked: its own resubmit must not count it twice)."""
    if account_id is None:
        return Decimal(0)
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    intents = list(
        AuditRecord.objects.filter(
            kind=Kind.INTENT,
            action="wallet.adjust",
            account_id=account_id,
            occurred_at__gte=start,
            params__limit_kind=kind,
        )
    )
    intents = [i for i in intents if not besides or i.params.get("reference") != besides]
    latest = _latest_outcomes(intents)
    return sum(
        (abs(signed_quantity(i)) for i in intents if latest[i.pk] in _MAY_HAVE_APPLIED),
        Decimal(0),
    )


@dataclass(frozen=True)
class Adjustment:
    """An adjustment as the audit log has it: its intent, how it went, its voids."""

    intent: AuditRecord
    outcome: str
    #: ``wallet.void`` intents naming it, each with its latest outcome, oldest first.
    voids: list[tuple[AuditRecord, str]] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED

    @property
    def quantity(self) -> Decimal:
        return signed_quantity(self.intent)

    @property
    def void(self) -> AuditRecord | None:
        """The void that went through, if one did."""
        return next((v for v, outcome in self.voids if outcome == Outcome.SUCCEEDED), None)

    @property
    def failed_voids(self) -> int:
        return sum(1 for _, outcome in self.voids if outcome == Outcome.FAILED)

    @property
    def void_under_way(self) -> AuditRecord | None:
        """A void whose outcome is not known yet (pending, unknown, for review)."""
        return next(
            (v for v, outcome in self.voids if outcome not in (Outcome.SUCCEEDED, Outcome.FAILED)),
            None,
        )


class AdjustmentNotFoundError(NotShownError):
    @property
    def sentence(self) -> str:
        return "There is no such balance adjustment on this account."


def _adjustments(intents: list[AuditRecord]) -> list[Adjustment]:
    voids = list(
        AuditRecord.objects.filter(
            kind=Kind.INTENT, action="wallet.void", params__voids__in=[i.pk for i in intents]
        ).order_by("seq")
    )
    latest = _latest_outcomes([*intents, *voids])
    return [
        Adjustment(
            intent=intent,
            outcome=latest[intent.pk],
            voids=[(v, latest[v.pk]) for v in voids if v.params.get("voids") == intent.pk],
        )
        for intent in intents
    ]


def adjustment_intent(intent_id: int) -> AuditRecord | None:
    """The ``wallet.adjust`` intent ``intent_id`` (of any account), read once per request: a
    void's form, the door's limit and the view each ask for it (an audit record never
    changes)."""
    return request_scoped(
        f"cards:adjustment-intent:{intent_id}",
        lambda: AuditRecord.objects.filter(
            pk=intent_id, kind=Kind.INTENT, action="wallet.adjust"
        ).first(),
    )


def adjustment_of(account_id: int, intent_id: int) -> Adjustment:
    """The adjustment ``intent_id`` on ``account_id``; ``AdjustmentNotFoundError`` if none."""
    intent = adjustment_intent(intent_id)
    if intent is None or intent.account_id != account_id:
        raise AdjustmentNotFoundError(intent_id)
    return _adjustments([intent])[0]


def adjustments_by_reference(account_id: int, references: Iterable[str]) -> dict[str, Adjustment]:
    """The console's adjustments among history rows, by the reference upstream's transaction
    carries (``posTransactionNumber``): two queries for a page of rows."""
    wanted = sorted({ref for ref in references if ref and ref.startswith(CONSOLE_REFERENCE_PREFIX)})
    if not wanted:
        return {}
    intents = list(
        AuditRecord.objects.filter(
            kind=Kind.INTENT,
            action="wallet.adjust",
            account_id=account_id,
            params__reference__in=wanted,
        )
    )
    return {str(a.intent.params["reference"]): a for a in _adjustments(intents)} if intents else {}


def voided_later(requests: list[ApprovalRequest]) -> dict[int, str]:
    """The approval kind's ``later`` for ``wallet.adjust``: of approved adjustments that were
    made, the ones voided since, by request id, saying when and by whom (two queries)."""
    by_intent = {r.change_record_id: r.pk for r in requests if r.change_record_id is not None}
    intents = list(
        AuditRecord.objects.filter(pk__in=by_intent, kind=Kind.INTENT, action="wallet.adjust")
    )
    notes: dict[int, str] = {}
    for adjustment in _adjustments(intents) if intents else []:
        void = adjustment.void
        if void is not None:
            when = date_format(timezone.localtime(void.occurred_at), "M j, Y g:i A")
            notes[by_intent[adjustment.intent.pk]] = (
                f"Voided later, on {when}, by {void.actor_username}."
            )
    return notes
