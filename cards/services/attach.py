"""Attaching another card to a guest's account, through the audit door (``card.attach``).

Secrets: the credentials upstream may ask for (registration code, the current owner's username
and password) live only in an ``AttachCredentials`` handed to the client call. What the audit
records is the marker ``(given)`` in their place; they are never logged, stored, cached or
queued, and the functions holding them are marked ``sensitive_variables`` so that even a crash
report shows no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from cards.selectors import GuestCards, primary_card_number
from cards.services.common import CardChange, card_change_from
from portal.audit.scrub import SECRET_GIVEN, card_mask
from portal.audit.services import Reason, Target, mutation_run
from portal.paytronix.client import PaytronixClient


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
            "otherUsername": self.username or None,
            "otherPassword": SECRET_GIVEN if self.password else None,
        }


@sensitive_variables("credentials", "attach")
def card_attach(
    *,
    actor: Any,
    request: HttpRequest | None,
    guest: GuestCards,
    other_card_number: str,
    credentials: AttachCredentials,
    reason: Reason,
    idempotency_key: str,
) -> CardChange:
    """Attach ``other_card_number`` to the guest's account (``card.attach``).

    On ``needs_more_info`` the result's ``fields`` name what to ask for; resubmit with those
    ``credentials`` and a new idempotency key. The credentials go to upstream in this call and
    nowhere else.
    """
    primary = primary_card_number(guest)

    def attach(client: PaytronixClient) -> None:
        client.guest.attach_card(
            printed_card_number=primary,
            other_printed_card_number=other_card_number,
            other_registration_code=credentials.registration_code or None,
            other_username=credentials.username or None,
            other_password=credentials.password or None,
        )

    result = mutation_run(
        actor=actor,
        action="card.attach",
        target=Target(
            account_id=guest.account_id, printed_card_number=primary, username=guest.username
        ),
        params={
            "printedCardNumber": primary,
            "otherPrintedCardNumber": other_card_number,
            **credentials.audit_params(),
        },
        reason=reason,
        idempotency_key=idempotency_key,
        request=request,
        call=attach,
        also_invalidate=[Target(printed_card_number=other_card_number)],
    )
    return card_change_from(
        result, f"Card ending {card_mask(other_card_number)} is now attached to this account."
    )
