"""Payment Service replies: saved payment methods, auto-recharge status, recharge history.

Only the vendor's ``ChargeResponse`` example (recharge.json) is readable; its field names
(``cardType``, ``lastFour``, ``amount``, ``transactionDatetime``, ``transactionState``) are
reused for the objects below, whose shapes are otherwise ASSUMED (docs/wire-notes.md,
"Payment Service"). No field here can hold a full payment card number: Paytronix keeps the
card with its processor and answers the brand and last four digits only, and the client reads
nothing else (no cardholder name, no expiry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ._wire import WireModel, enumerated


@dataclass(frozen=True)
class SavedPaymentMethod(WireModel):
    """A payment method the guest saved with the program: brand and last four digits.

    ``payment_method_id`` is upstream's reference to it (a removal names it); it is never shown
    and never written to the audit log (its keyed hash is).
    """

    payment_method_id: str | None = None
    #: ``CREDIT_CARD``...
    type: str | None = field(default=None, metadata=enumerated("type"))
    #: The brand, as the vendor's ChargeResponse spells it (``VISA``).
    card_type: str | None = field(default=None, metadata=enumerated("cardType"))
    last_four: str | None = None
    #: What the guest uses it for (``AUTO_RECHARGE``, ``RECHARGE``...).
    default_usages: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``VISA ending 1111``: all the console ever shows of a payment card."""
        brand = (self.card_type or self.type or "Card").replace("_", " ").title()
        last_four = (self.last_four or "")[-4:]
        return f"{brand} ending {last_four}" if last_four else brand


@dataclass(frozen=True)
class AutoRecharge(WireModel):
    """Whether the stored-value card recharges itself, and with what: when the balance falls
    below ``threshold_amount``, ``recharge_amount`` is charged to the funding method."""

    enabled: bool = False
    threshold_amount: Decimal | None = None
    recharge_amount: Decimal | None = None
    payment_method_id: str | None = None
    card_type: str | None = field(default=None, metadata=enumerated("cardType"))
    last_four: str | None = None

    @property
    def funding_label(self) -> str:
        """The funding method as ``SavedPaymentMethod.label`` shows it; empty if none."""
        if not (self.card_type or self.last_four):
            return ""
        return SavedPaymentMethod(card_type=self.card_type, last_four=self.last_four).label


@dataclass(frozen=True)
class Recharge(WireModel):
    """One recharge of the stored-value card (an item shaped as the vendor's ChargeResponse)."""

    transaction_datetime: datetime | None = None
    amount: Decimal | None = None
    card_type: str | None = field(default=None, metadata=enumerated("cardType"))
    last_four: str | None = None
    #: ``Succeeded``, ``Declined``... as upstream words it.
    transaction_state: str | None = None
    #: True for a recharge auto-recharge made, False for one the guest asked for.
    automatic: bool | None = None

    @property
    def funding_label(self) -> str:
        return SavedPaymentMethod(card_type=self.card_type, last_four=self.last_four).label
