"""CSR account notes (vendor CSR Service; field names assumed, see docs/wire-notes.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._wire import WireModel


@dataclass(frozen=True)
class AccountComment(WireModel):
    """A CSR note on an account: its text, the staff author and (when read back) its time."""

    comment: str | None = None
    author: str | None = None
    date_created: datetime | None = None
