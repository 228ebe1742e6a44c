"""Attach a card, and attach-and-combine: the form asks for the card, then for exactly what
upstream's ``more_info`` named. Credentials are hidden from error reports
(``sensitive_post_parameters``) and go to the service only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from cards.forms import AttachAndCombineForm, AttachCardForm
from cards.selectors import NO_PRIMARY_CARD
from cards.services.attach import card_attach
from cards.views.common import (
    card_screen,
    credentials_from,
    guest_of,
    guest_page_url,
    retry_or_settle,
)
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    audit_context,
    form_response,
    redirect_after_change,
    viewer_of,
)

ATTACH_PAGE = {
    "title": "Attach another card",
    "explanation": (
        "The card's balances stay on its own account until it is combined; the guest can then "
        "use either card. If the card has a registration code, or belongs to someone else's "
        "login, you will be asked for it next."
    ),
    "button": "Attach card",
    "submit_url": "cards:attach-submit",
    "no_primary_card": NO_PRIMARY_CARD,
}


@require_GET
@requires("attach_cards")
@card_screen
def card_attach_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    guest = guest_of(request, account_id)
    context = {"guest": guest, "form": AttachCardForm(), "page": ATTACH_PAGE}
    return render(request, "cards/attach.html", context)


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("attach_cards")
@card_screen
def card_attach_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    return _attach_submit(request, account_id, AttachCardForm(request.POST), ATTACH_PAGE)


def _attach_submit(
    request: HtmxHttpRequest, account_id: int, form: AttachCardForm, page: dict[str, str]
) -> HttpResponse:
    """Attach (or attach and combine): the change, or the form asking for what upstream named."""
    valid = form.is_valid()
    guest = guest_of(request, account_id, fresh=valid)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": page, "error": ""}
    if not valid:
        return form_response(request, "cards/attach.html", context, status=422)
    try:
        result = card_attach(
            actor=viewer_of(request),
            context=audit_context(request),
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            reason=form.reason(),
            idempotency_key=form.cleaned_data["idempotency_key"],
            combine=isinstance(form, AttachAndCombineForm),
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return form_response(request, "cards/attach.html", context, status=422)
    if result.needs_more_info:
        context["form"] = form.ask_for(list(result.fields))
        context["asked_sentence"] = result.message
        return form_response(request, "cards/attach.html", context)
    if not result.ok:
        retry_or_settle(form, result)
        context["error"] = result.message
        return form_response(request, "cards/attach.html", context)
    messages.success(request, result.message)
    return redirect_after_change(request, guest_page_url(account_id))


ATTACH_AND_COMBINE_PAGE = {
    "title": "Attach and combine a card",
    "explanation": (
        "The card is attached to this guest and its balances are moved into the guest's main "
        "account in one step. If the card has a registration code, or belongs to someone "
        "else's login, you will be asked for it next."
    ),
    "warning": (
        "Combining many cards into one account can make the loyalty system put the account "
        "on hold for a review."
    ),
    "button": "Attach and combine",
    "submit_url": "cards:attach-and-combine-submit",
    "no_primary_card": NO_PRIMARY_CARD,
}


@require_GET
@requires("combine_cards")
@card_screen
def attach_and_combine_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    guest = guest_of(request, account_id)
    context = {"guest": guest, "form": AttachAndCombineForm(), "page": ATTACH_AND_COMBINE_PAGE}
    return render(request, "cards/attach.html", context)


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("combine_cards")
@card_screen
def attach_and_combine_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    form = AttachAndCombineForm(request.POST)
    return _attach_submit(request, account_id, form, ATTACH_AND_COMBINE_PAGE)
