"""Guest Service, cards: attach, combine, attach-and-combine, combinability, card status."""

from __future__ import annotations

from ..replies import CombineResult
from .endpoints import (
    ATTACH_AND_COMBINE,
    ATTACH_CARD,
    CARD_STATUSES,
    CHANGE_CARD_STATUS,
    COMBINE_CARD,
    IS_CARD_COMBINABLE,
    GuestCalls,
    checked_choice,
    required_field,
)


class CardCalls(GuestCalls):
    """The card endpoints."""

    def attach_card(
        self,
        *,
        printed_card_number: str,
        other_printed_card_number: str,
        other_registration_code: str | None = None,
        other_username: str | None = None,
        other_password: str | None = None,
    ) -> None:
        """*Write*: attach another card to the account of ``printed_card_number``.

        ``MoreInfoError.fields`` lists what to ask for and resubmit: ``registrationCode``, or
        ``username`` and ``password`` of the other card's current owner.
        """
        self._call(
            ATTACH_CARD,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
                "otherRegistrationCode": other_registration_code,
                "otherUsername": other_username,
                "otherPassword": other_password,
            },
        )

    def combine_card(
        self, *, printed_card_number: str, other_printed_card_number: str | None = None
    ) -> CombineResult:
        """*Write*: combine an attached card into the main account of its template.

        ``other_printed_card_number`` is obsolete upstream (v14.10) and sent only if given.
        ``AccountSuspendedError`` when too many cards were combined into one account.
        """
        reply = self._call(
            COMBINE_CARD,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
            },
        )
        return CombineResult.from_wire(reply)

    def attach_and_combine(
        self,
        *,
        printed_card_number: str,
        other_printed_card_number: str,
        other_registration_code: str | None = None,
        other_username: str | None = None,
        other_password: str | None = None,
    ) -> None:
        """*Write*: attach a card and combine it; ``AttachFailureError`` or
        ``CombineFailureError`` say which step failed, ``MoreInfoError`` as for attach."""
        self._call(
            ATTACH_AND_COMBINE,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
                "otherRegistrationCode": other_registration_code,
                "otherUsername": other_username,
                "otherPassword": other_password,
            },
        )

    def is_card_combinable(self, *, printed_card_number: str) -> bool:
        """Whether the card can be combined into the main account of its template."""
        reply = self._call(IS_CARD_COMBINABLE, {"printedCardNumber": printed_card_number})
        return required_field(reply, "isCombinable", bool)

    def change_card_status(self, *, printed_card_number: str, status: str) -> None:
        """*Write*: enable (``ACTIVE``) or disable (``DISABLED``) a card."""
        checked_choice(status, CARD_STATUSES, "status")
        self._call(CHANGE_CARD_STATUS, {"printedCardNumber": printed_card_number, "status": status})
