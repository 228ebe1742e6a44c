"""Visit codes and what applying one changed (spec "Reply Objects": VisitCode, AddRedeemReply).

The guest spec lists no fields for AddRedeemReply; the fields read here are the Transaction
Service's (pxTransactionId, walletContents), assumed as docs/wire-notes.md says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._wire import WireModel


@dataclass(frozen=True)
class VisitCode(WireModel):
    """What a visit code stands for: the store, check and amount it was issued for."""

    store_code: str | None = None
    check_number: str | None = None
    dollar_spent: Decimal | None = None
    check_date: date | None = None
    normalized_code: str | None = None


@dataclass(frozen=True)
class WalletContent(WireModel):
    """A wallet balance after a visit code was applied."""

    wallet_code: int | None = None
    name: str | None = None
    balance: Decimal | None = None


@dataclass(frozen=True)
class AddRedeemReply(WireModel):
    """What changed in the wallets when a visit code was applied."""

    px_transaction_id: str | None = None
    wallet_contents: list[WalletContent] = field(default_factory=list)
