"""What every guests service shares: the change on the guest's account through the door, with
the pending change the page watches for, and a refusal for a change that cannot be asked for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from guests.pending import PendingChange, pending_watch
from guests.selectors.scope import scope_of
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.types import Submission, Target
from portal.paytronix.client import PaytronixClient
from portal.paytronix.replies import AccountInformation


class ChangeRefusedError(Exception):
    """A change that cannot be asked for; the message says why, for the CSR."""


def account_change(
    submission: Submission,
    *,
    account_id: int,
    account: AccountInformation,
    action: str,
    params: Mapping[str, Any],
    call: Callable[[PaytronixClient], Any],
    success: str,
    watch: PendingChange | None = None,
) -> ChangeOutcome:
    """The change on the guest's ``account`` (``change_target``). ``watch`` is what the page
    should show once upstream has applied it, watched for when the change was applied or may
    have been."""
    target = change_target(submission, account)
    outcome = change_run(
        submission, action=action, target=target, params=params, call=call, success=success
    )
    if watch is not None:
        pending_watch(outcome, account_id=account_id, change=watch)
    return outcome


def change_target(submission: Submission, account: AccountInformation) -> Target:
    """The ``Target`` of a change to ``account`` (read with the CSR's scope: the door's
    store-group check and the target's identifiers come from it). It names the primary card by
    its full number when the account was just read, else (a cached copy) by the masked number
    and keyed hash the cache keeps: the audit record needs no more, so nothing is read again
    for it."""
    card = account.primary_card
    return Target(
        account_id=account.account_id,
        printed_card_number=(card.printed_card_number if card else None) or "",
        card_hash=(card.card_hash if card else None) or "",
        card_masked=(card.masked_card_number if card else None) or "",
        username=account.username or "",
        store_group_code=scope_of(submission.actor),
    )


def registered_username(account: AccountInformation) -> str:
    if not account.username:
        raise ChangeRefusedError(
            "This card is not registered to a guest, so it has no preferences to change."
        )
    return account.username
