"""What the card screens share: the guest and the card a screen is about, the form again after
a change that did not go through, and the credentials an attach form carries."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse

from cards.forms import AttachCardForm
from cards.selectors import GuestCards, guest_cards
from cards.services.attach import AttachCredentials
from portal.audit.forms import ChangeForm
from portal.audit.outcome import ChangeOutcome
from portal.web import (
    HtmxHttpRequest,
    form_response,
    redirect_after_change,
    upstream_errors,
    viewer_of,
)

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


def change_refused(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], refusal: ValidationError
) -> HttpResponse:
    """The door refused the change before sending it (a reason missing, a form reused)."""
    context["error"] = " ".join(refusal.messages)
    return form_response(request, template, context, status=422)


def change_answer(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    form: ChangeForm,
    result: ChangeOutcome,
    *,
    done_url: str,
) -> HttpResponse:
    """After a change: done, a message and a redirect to ``done_url`` (a GET of its own);
    otherwise the form with the sentence. A failed change may be tried again (a new key); one
    whose outcome is unknown or still pending keeps its key, so submitting again settles it
    rather than sending it twice."""
    if result.ok:
        messages.success(request, result.message)
        return redirect_after_change(request, done_url)
    if result.account_suspended:
        # Answered, and nothing to try again: the guest's page now shows the suspended account.
        messages.warning(request, result.message)
        return redirect_after_change(request, done_url)
    if result.failed:
        form.renew_key()
    context["error"] = result.message
    return form_response(request, template, context)


def credentials_from(form: AttachCardForm) -> AttachCredentials:
    """Only the fields upstream asked for are sent, whatever else the form carried."""
    data, needed = form.cleaned_data, form.needed_fields
    return AttachCredentials(
        registration_code=data["registration_code"] if "registrationCode" in needed else "",
        username=data["other_username"] if "username" in needed else "",
        password=data["other_password"] if "password" in needed else "",
    )
