"""What every guests service needs before its change: the audit target of the guest's account,
and a refusal for a change that cannot be asked for."""

from __future__ import annotations

from guests.selectors.scope import scope_of
from portal.audit.types import Target
from portal.paytronix.models import AccountInformation
from portal.staff.models import User


class ChangeRefusedError(Exception):
    """A change that cannot be asked for; the message says why, for the CSR."""


def account_target(actor: User, account_id: int, account: AccountInformation) -> Target:
    """The account read with the CSR's scope, as the door's target: its identifiers (whose
    cached reads are dropped after the change) and the store group the door checks."""
    card = account.primary_card.printed_card_number if account.primary_card else None
    return Target(
        account_id=account_id,
        printed_card_number=card or "",
        username=account.username or "",
        store_group_code=scope_of(actor),
    )


def registered_username(account: AccountInformation) -> str:
    if not account.username:
        raise ChangeRefusedError(
            "This card is not registered to a guest, so it has no preferences to change."
        )
    return account.username
