"""Guest Management Service: the password reset email (vendor page
``pxs_api_reference/guestmanagement.html``, documented: DOC).

``generateAndSendGuestResetPasswordCode`` makes Paytronix email the guest a unique reset link.
It takes exactly one of ``printedCardNumber``, ``username``, ``email`` or ``accountId`` and
answers ``email``, the address the mail went to. Its error codes are not on the page; those of
the Guest Service's reset password (``reset_password.*``) are the likely ones (INFERRED).
"""

from __future__ import annotations

from .endpoint import Endpoint
from .session import Transport

RESET_PASSWORD = Endpoint(
    "guestmanagement/generateAndSendGuestResetPasswordCode.json", "POST", write=True
)


class GuestManagementService:
    """The Guest Management Service endpoints the console uses, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def generate_and_send_guest_reset_password_code(
        self,
        *,
        account_id: int | None = None,
        username: str | None = None,
        printed_card_number: str | None = None,
        email: str | None = None,
    ) -> str:
        """*Write*: email the guest a password reset link; returns the address it went to
        (in full: mask it before showing or recording it)."""
        given = {
            "accountId": account_id,
            "username": username or None,
            "printedCardNumber": printed_card_number or None,
            "email": email or None,
        }
        given = {name: value for name, value in given.items() if value is not None}
        if len(given) != 1:
            raise ValueError(
                "give exactly one of account_id, username, printed_card_number or email"
            )
        reply = self._transport.call(RESET_PASSWORD, given)
        return str(reply.get("email") or "")
