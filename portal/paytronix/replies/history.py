"""Transaction history and annotations (spec "Reply Objects")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ._wire import WireModel, wire


@dataclass(frozen=True)
class WalletInfo(WireModel):
    """A wallet that appears in the history's transaction details."""

    wallet_code: int | None = None
    name: str | None = None
    scale: int | None = None


@dataclass(frozen=True)
class TransactionDetail(WireModel):
    """The change one transaction made to one wallet."""

    wallet_code: int | None = None
    accrued: Decimal | None = None
    redeemed: Decimal | None = None
    balance: Decimal | None = None


@dataclass(frozen=True)
class Transaction(WireModel):
    """One transaction of an account. ``occurred_at`` is the wire's ``datetime``.

    Show a guest only transactions with ``guest_type`` and ``authorized`` true.
    """

    transaction_type: str | None = None
    guest_type: bool | None = None
    authorized: bool | None = None
    transaction_id: int | None = None
    pos_transaction_number: str | None = None
    occurred_at: datetime | None = field(default=None, metadata=wire("datetime"))
    store_merchant: str | None = None
    store_code: str | None = None
    store_name: str | None = None
    terminal_id: str | None = None
    operator_id: int | None = None
    sender: str | None = None
    px_auth_code: str | None = None
    details: list[TransactionDetail] = field(default_factory=list)
    request_event: str | None = None


@dataclass(frozen=True)
class TransactionHistory(WireModel):
    """The wallets used and the transactions, as transactionHistory answers them."""

    wallet_info: list[WalletInfo] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


@dataclass(frozen=True)
class TransactionAnnotation(WireModel):
    """Guest-visible CSR and system comments on one transaction."""

    comment: str | None = None
    system_comment: str | None = None
