"""What the card screens share: the guest and the card a screen is about, the form again after
a change that did not go through, and the credentials an attach form carries."""

from __future__ import annotations

from django.urls import reverse

from cards.forms import AttachCardForm
from cards.selectors import GuestCards, guest_cards
from cards.services.attach import AttachCredentials
from portal.web import (
    HtmxHttpRequest,
    change_answer,
    change_refused,
    upstream_errors,
    viewer_of,
)

__all__ = [
    "card_screen",
    "change_answer",
    "change_refused",
    "credentials_from",
    "guest_of",
    "guest_page_url",
]

#: Every card screen answers a guest, card or upstream it cannot read the same way.
card_screen = upstream_errors(title="The cards could not be loaded")


def guest_page_url(account_id: int) -> str:
    """Where a CSR goes back to after a change: the guest page's cards panel."""
    return reverse("guests:guest", args=[account_id]) + "#panel-cards"


def guest_of(request: HtmxHttpRequest, account_id: int, *, fresh: bool = False) -> GuestCards:
    """The guest as the viewer may see it; ``fresh`` for a change about to be made (see
    ``guest_cards``). A form with errors is shown again from the cached read: bad input costs
    no upstream call."""
    return guest_cards(viewer=viewer_of(request), account_id=account_id, fresh=fresh)


def credentials_from(form: AttachCardForm) -> AttachCredentials:
    """Only the fields upstream asked for are sent, whatever else the form carried."""
    data, needed = form.cleaned_data, form.needed_fields
    return AttachCredentials(
        registration_code=data["registration_code"] if "registrationCode" in needed else "",
        username=data["other_username"] if "username" in needed else "",
        password=data["other_password"] if "password" in needed else "",
    )
