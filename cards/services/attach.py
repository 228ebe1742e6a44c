"""Attaching another card to a guest's account (``card.attach``), and attaching it and combining
its balances in one step (``cards.attach_and_combine``), each one upstream write through the
audit door, made in the request.

Secrets: the credentials upstream may ask for (registration code, the current owner's username
and password) live only in an ``AttachCredentials`` handed to the client call. What the audit
records is the marker ``(given)`` in their place (the owner's username masked, as a username
is personal data: ``portal.audit.personal``); they are never logged, stored, cached or
queued (which is why attach-and-combine is not a job: a password must not reach the broker),
and the functions holding them are marked ``sensitive_variables`` so that even a crash report
shows no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.views.decorators.debug import sensitive_variables

from cards.selectors import GuestCards, primary_card_number
from portal.audit.outcome import ChangeOutcome, change_run
from portal.audit.personal import username_mask
from portal.audit.scrub import SECRET_GIVEN, card_mask
from portal.audit.types import Submission, Target
from portal.paytronix.client import PaytronixClient
from portal.sentences import SUSPENDED_WHAT_TO_DO


@dataclass(frozen=True)
class AttachCredentials:
    """What upstream's ``more_info`` asked for. Never logged or stored: see the module doc."""

    registration_code: str = field(default="", repr=False)
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"AttachCredentials(given={self.given()})"

    def given(self) -> list[str]:
        """Names of the fields that were given (what the audit may say)."""
        names = ("registrationCode", "username", "password")
        values = (self.registration_code, self.username, self.password)
        return [name for name, value in zip(names, values, strict=True) if value]

    def audit_params(self) -> dict[str, Any]:
        """The credentials as the audit records them: whether each was given, nothing more."""
        return {
            "otherRegistrationCode": SECRET_GIVEN if self.registration_code else None,
            "otherUsername": username_mask(self.username) if self.username else None,
            "otherPassword": SECRET_GIVEN if self.password else None,
        }


@sensitive_variables("credentials", "write")
def card_attach(
    submission: Submission,
    *,
    guest: GuestCards,
    other_card_number: str,
    credentials: AttachCredentials,
    combine: bool = False,
) -> ChangeOutcome:
    """Attach ``other_card_number`` to the guest's account (``card.attach``) or, with
    ``combine``, attach it and combine its balances into the guest's main account in the same
    write (``cards.attach_and_combine``: ``attach_failure`` and ``combine_failure`` are told
    apart in the message).

    On ``needs_more_info`` the result's ``fields`` name what to ask for; resubmit with those
    ``credentials`` and a new idempotency key. The credentials go to upstream in this call and
    nowhere else. A second submit of the same form gets the first outcome back. Raises
    ``PermissionDenied`` or ``ValidationError`` as the door does, before anything is sent.
    """
    primary = primary_card_number(guest)
    masked = card_mask(other_card_number)

    def write(client: PaytronixClient) -> None:
        endpoint = client.guest.attach_and_combine if combine else client.guest.attach_card
        endpoint(
            printed_card_number=primary,
            other_printed_card_number=other_card_number,
            other_registration_code=credentials.registration_code or None,
            other_username=credentials.username or None,
            other_password=credentials.password or None,
        )

    outcome = change_run(
        submission,
        action="cards.attach_and_combine" if combine else "card.attach",
        target=Target(
            account_id=guest.account_id, printed_card_number=primary, username=guest.username
        ),
        params={
            "printedCardNumber": primary,
            "otherPrintedCardNumber": other_card_number,
            **credentials.audit_params(),
        },
        call=write,
        success=(
            f"Card ending {masked} is attached and its balances combined into this account."
            if combine
            else f"Card ending {masked} is now attached to this guest: it keeps its own account "
            "and balances until that account is combined."
        ),
        also_invalidate=[Target(printed_card_number=other_card_number)],
    )
    if outcome.account_suspended:
        # The combine step's result. Whether the attach step before it stands, the spec does not
        # say (only our sandbox keeps it: docs/wire-notes.md): the CSR is told how to see it.
        return replace(outcome, message=attached_not_combined(masked))
    return outcome


def attached_not_combined(masked: str) -> str:
    """What the CSR is told after an attach-and-combine answered ``accountSuspended``: nothing
    was combined; the card may or may not be attached, which the cards panel shows."""
    return (
        "Nothing was combined: the loyalty system suspended the guest's main account instead "
        "(its guard against too many cards combined into one account). "
        f"Card ending {masked} may still have been attached: if it was, the cards panel lists "
        "it under its own account, with its own balances. " + SUSPENDED_WHAT_TO_DO
    )
