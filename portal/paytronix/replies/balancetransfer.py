"""Balance Transfer Service reply (vendor page ``pxs_api_reference/balance_transfer.html``)."""

from __future__ import annotations

from dataclasses import dataclass

from ._wire import WireModel


@dataclass(frozen=True)
class BalanceTransferReply(WireModel):
    """transferBalances.json's success: the vendor lists ``result`` only. Whether the source
    account was closed is not in the reply; read the source account back to tell."""

    result: str | None = None
