"""Account search results (Transaction Service accountQuery.json, AccountQueryReply)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._wire import WireModel


@dataclass(frozen=True)
class AccountQueryMatch(WireModel):
    """An account matching a search; ``field_values`` holds the matched guest fields by their
    UserFields wire names (firstName, lastName, email, phone, postalCode...)."""

    account_id: int | None = None
    printed_card_number: str | None = field(default=None, repr=False)
    field_values: dict[str, str] = field(default_factory=dict)
