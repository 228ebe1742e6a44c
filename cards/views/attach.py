"""Attach a card, and attach-and-combine: the form asks for the card, then for exactly what
upstream's ``more_info`` named. Credentials are hidden from error reports
(``sensitive_post_parameters``) and go to the service only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from cards.forms import (
    AttachAndCombineForm,
    AttachCardForm,
)
from cards.selectors import NO_PRIMARY_CARD
from cards.services.attach import card_attach
from cards.services.combine import cards_attach_and_combine_run
from cards.views.common import (
    HtmxHttpRequest,
    credentials_from,
    form_response,
    guest_or_404,
    guest_page_url,
    reason_of,
    redirect_after_change,
    retry_or_settle,
    upstream_trouble,
)
from portal.paytronix.errors import PaytronixError
from portal.staff.access import requires

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
def card_attach_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = guest_or_404(request, account_id)
    except PaytronixError as error:
        return upstream_trouble(request, error)
    return render(
        request,
        "cards/attach.html",
        {"guest": guest, "form": AttachCardForm(), "page": ATTACH_PAGE},
    )


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("attach_cards")
def card_attach_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = guest_or_404(request, account_id, fresh=True)
    except PaytronixError as error:
        return upstream_trouble(request, error)
    form = AttachCardForm(request.POST)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": ATTACH_PAGE, "error": ""}
    if not form.is_valid():
        return form_response(request, "cards/attach.html", context, status=422)
    try:
        result = card_attach(
            actor=request.user,
            request=request,
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            reason=reason_of(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
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
def attach_and_combine_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = guest_or_404(request, account_id)
    except PaytronixError as error:
        return upstream_trouble(request, error)
    context = {"guest": guest, "form": AttachAndCombineForm(), "page": ATTACH_AND_COMBINE_PAGE}
    return render(request, "cards/attach.html", context)


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("combine_cards")
def attach_and_combine_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = guest_or_404(request, account_id, fresh=True)
    except PaytronixError as error:
        return upstream_trouble(request, error)
    form = AttachAndCombineForm(request.POST)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": ATTACH_AND_COMBINE_PAGE}
    if not form.is_valid():
        return form_response(request, "cards/attach.html", context, status=422)
    try:
        job, result = cards_attach_and_combine_run(
            actor=request.user,
            request=request,
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            reason=reason_of(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return form_response(request, "cards/attach.html", context, status=422)
    if job is None or result.needs_more_info:
        context["form"] = form.ask_for(list(result.fields))
        context["asked_sentence"] = result.message
        return form_response(request, "cards/attach.html", context)
    return redirect_after_change(request, reverse("cards:job", args=[job.pk]))
