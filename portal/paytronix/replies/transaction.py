"""What the Transaction Service's writes answer (vendor "TransactionReply" / "AddRedeemReply").

The vendor page names the reply objects but its field tables could not be read: the fields read
here are the ones public callers read (3P-CODE) and the derived OpenAPI lists (DERIVED), all
ASSUMED as docs/wire-notes.md says. ``pxTransactionId`` is a 64-bit integer since 21.18 (DOC):
read as text from a number or a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ._wire import WireModel
from .visit import WalletContent


@dataclass(frozen=True)
class WalletQuantity(WireModel):
    """A wallet and a quantity added or redeemed (``addWalletContents`` items)."""

    wallet_code: int | None = None
    quantity: Decimal | None = None


@dataclass(frozen=True)
class TransactionReply(WireModel):
    """What an adjustment, an add/redeem, its void or a card exchange did: the transaction it
    left (``px_transaction_id``), the card it acted on, and the wallets' balances after it."""

    px_transaction_id: str | None = None
    printed_card_number: str | None = field(default=None, repr=False)
    sv_current_balance: Decimal | None = None
    add_wallet_contents: list[WalletQuantity] = field(default_factory=list)
    redeem_wallet_contents: list[WalletQuantity] = field(default_factory=list)
    wallet_contents: list[WalletContent] = field(default_factory=list)

    def balance_of(self, wallet_code: int) -> Decimal | None:
        """The balance of one wallet after the transaction, if the reply gives it."""
        for wallet in self.wallet_contents:
            if wallet.wallet_code == wallet_code:
                return wallet.balance
        return None
