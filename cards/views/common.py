"""What every card screen shares: the request type, finding the guest and card, answering
htmx and plain requests alike, and PRG after a change."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from cards.forms import (
    AttachCardForm,
    IdempotentForm,
)
from cards.selectors import (
    CardNotFoundError,
    GuestCard,
    GuestCards,
    guest_cards,
)
from cards.services.attach import AttachCredentials
from cards.services.common import CardChange
from guests.messages import explain
from guests.selectors import GuestNotFoundError, GuestUnavailableError
from guests.views.viewer import HtmxHttpRequest, viewer_of
from portal.audit.models import Outcome
from portal.audit.services import Reason
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError


def guest_page_url(account_id: int) -> str:
    """Where a CSR goes back to after a change: the guest page's cards panel."""
    return reverse("guests:guest", args=[account_id]) + "#panel-cards"


def guest_or_404(request: HtmxHttpRequest, account_id: int, *, fresh: bool = False) -> GuestCards:
    """The guest as the viewer may see it; ``fresh`` for a submitted change (see
    ``guest_cards``)."""
    try:
        return guest_cards(viewer=viewer_of(request), account_id=account_id, fresh=fresh)
    except GuestNotFoundError:
        raise Http404(f"No guest with account id {account_id}.") from None
    except GuestUnavailableError as error:
        raise Http404(error.sentence) from None
    except (FailureError, InvalidStatusError) as error:
        raise Http404(explain(error)) from None


def card_or_404(guest: GuestCards, masked: str) -> GuestCard:
    try:
        return guest.find(masked)
    except CardNotFoundError:
        raise Http404("This account has no card with that number.") from None


def upstream_trouble(request: HtmxHttpRequest, error: PaytronixError) -> HttpResponse:
    if not request.htmx:
        context = {"error": explain(error), "retry_url": request.get_full_path()}
        return render(request, "cards/unavailable.html", context, status=503)
    # htmx 2 swaps only 2xx answers: the sentence takes the page's main content instead of the
    # form (whose place is too small for it), and "Try again" reloads the page the CSR was on.
    retry = request.htmx.current_url_abs_path or request.get_full_path()
    context = {"error": explain(error), "retry_url": retry}
    response = render(request, "cards/unavailable.html#problem", context)
    return reswap(retarget(response, "#main"), "innerHTML")


def redirect_after_change(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a change: a full navigation (htmx or not), so the result is a GET of its own."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url, status=303)


def form_response(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The form again, with its errors. A plain POST keeps ``status`` (422, 409...); an htmx
    one gets the form fragment with 200, because htmx 2 swaps no 4xx or 5xx answer and the
    CSR would see nothing happen."""
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context, status=status)


def retry_or_settle(form: IdempotentForm, result: CardChange) -> None:
    """A failed change may be tried again (a new key); one whose outcome is unknown or still
    pending keeps its key, so submitting again settles it rather than sending it twice."""
    if result.outcome == Outcome.FAILED:
        form.renew_key()


def reason_of(form: IdempotentForm) -> Reason:
    code, text = form.reason()
    return Reason(code=code, text=text)


def credentials_from(form: AttachCardForm) -> AttachCredentials:
    """Only the fields upstream asked for are sent, whatever else the form carried."""
    data, needed = form.cleaned_data, form.needed_fields
    return AttachCredentials(
        registration_code=data["registration_code"] if "registrationCode" in needed else "",
        username=data["other_username"] if "username" in needed else "",
        password=data["other_password"] if "password" in needed else "",
    )
