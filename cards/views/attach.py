"""Attach a card, and attach-and-combine: the form asks for the card, then for exactly what
upstream's ``more_info`` named. Credentials are hidden from error reports
(``sensitive_post_parameters``) and go to the service only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from cards.forms import AttachAndCombineForm, AttachCardForm
from cards.limits import ATTACH_THEN_COMBINE, combine_needs_approval
from cards.selectors import NO_PRIMARY_CARD
from cards.services.attach import card_attach
from cards.views.common import (
    card_screen,
    change_answer,
    change_refused,
    credentials_from,
    guest_of,
    guest_page_url,
)
from portal.audit.actions import action_get
from portal.audit.door import LimitExceededError
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, ViewFunc, form_response, submission_of, viewer_of

ATTACH_PAGE = {
    "title": "Attach another card",
    "explanation": (
        "The card's balances stay on its own account until it is combined; the guest can then "
        "use either card. If the card has a registration code, or belongs to someone else's "
        "login, you will be asked for it next."
    ),
    "button": "Attach card",
    "submit_url": "cards:attach_submit",
    "no_primary_card": NO_PRIMARY_CARD,
}

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
    "submit_url": "cards:attach_and_combine_submit",
    "no_primary_card": NO_PRIMARY_CARD,
}

TEMPLATE = "cards/attach.html"


def _attach_submit(
    request: HtmxHttpRequest, account_id: int, form: AttachCardForm, page: dict[str, str]
) -> HttpResponse:
    """Attach (or attach and combine): the change, or the form asking for what upstream named."""
    valid = form.is_valid()
    guest = guest_of(request, account_id, fresh=valid)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": page, "error": ""}
    if not valid:
        return form_response(request, TEMPLATE, context, status=422)
    try:
        result = card_attach(
            submission_of(request, form),
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            combine=isinstance(form, AttachAndCombineForm),
        )
    except LimitExceededError as refused:
        context["error"] = refused.sentence
        return form_response(request, TEMPLATE, context, status=403)
    except ValidationError as refusal:
        return change_refused(request, TEMPLATE, context, refusal)
    if result.needs_more_info:
        context["form"] = form.ask_for(list(result.fields))
        context["asked_sentence"] = result.message
        return form_response(request, TEMPLATE, context)
    done = guest_page_url(account_id)
    return change_answer(request, TEMPLATE, context, form, result, done_url=done)


def _attach_screens(
    form_class: type[AttachCardForm], page: dict[str, str]
) -> tuple[ViewFunc, ViewFunc]:
    """The form and submit views of an attach screen; who may use them is whoever may do the
    form's action (attach: agents; attach and combine: supervisors)."""
    permission = action_get(form_class.action).permission

    @require_GET
    @requires(permission)
    @card_screen
    def form_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
        if form_class is AttachAndCombineForm and combine_needs_approval(viewer_of(request)):
            # The door refuses it to them (cards.limits): attach, then ask for the combine.
            messages.info(request, ATTACH_THEN_COMBINE)
            return redirect(reverse("cards:attach", args=[account_id]))
        context = {"guest": guest_of(request, account_id), "form": form_class(), "page": page}
        return render(request, TEMPLATE, context)

    @sensitive_post_parameters("other_password", "registration_code", "other_card_number")
    @require_POST
    @requires(permission)
    @card_screen
    def submit_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
        return _attach_submit(request, account_id, form_class(request.POST), page)

    return form_view, submit_view


card_attach_form, card_attach_submit = _attach_screens(AttachCardForm, ATTACH_PAGE)
attach_and_combine_form, attach_and_combine_submit = _attach_screens(
    AttachAndCombineForm, ATTACH_AND_COMBINE_PAGE
)
