"""Replace a lost or damaged card: the new card's number checked first, what happens to the old
card confirmed, then the exchange; the guest page shows the result (the new card primary where
the old one was, the old one exchanged)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from cards.forms import ExchangeCardForm
from cards.previews import ExchangeCheck, exchange_check, old_card_problem
from cards.services.exchange import card_exchange, exchange_success
from cards.services.outcomes import already_submitted, change_replay
from cards.views.common import card_screen, change_answer, change_refused, guest_page_url
from guests.selectors.optional import TRANSACTIONS
from portal.audit.types import Submission, Target
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, form_response, submission_of, viewer_of

TEMPLATE = "cards/exchange.html"


def _context(check: ExchangeCheck, form: ExchangeCardForm) -> dict[str, Any]:
    return {
        "guest": check.guest,
        "card": check.card,
        "check": check,
        "form": form,
        "error": check.problem,
        # This card cannot be replaced at all: the screen says why, with no form.
        "card_problem": old_card_problem(check.guest, check.card),
        "unavailable": "" if TRANSACTIONS.available() else TRANSACTIONS.sentence,
    }


def _check(
    request: HtmxHttpRequest,
    account_id: int,
    masked: str,
    new_card_number: str = "",
    *,
    fresh: bool = True,
) -> ExchangeCheck:
    return exchange_check(
        viewer=viewer_of(request),
        account_id=account_id,
        masked_card_number=masked,
        new_card_number=new_card_number,
        fresh=fresh,
    )


@require_GET
@requires("exchange_cards")
@card_screen
def exchange_form(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    """The card to replace, what happens to it, and the new card's number."""
    check = _check(request, account_id, masked)
    return render(request, TEMPLATE, _context(check, ExchangeCardForm()))


@require_POST
@requires("exchange_cards")
@card_screen
def exchange_submit(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    """Without ``confirm``: the new card checked (nothing changes). With it: checked again,
    then the exchange through the door."""
    form = ExchangeCardForm(request.POST)
    valid = form.is_valid()
    if (not valid and not form.unticked) or not TRANSACTIONS.available():
        # Refused input costs no upstream call: the form is redrawn from the cached reads.
        check = _check(request, account_id, masked, fresh=False)
        status = 422 if TRANSACTIONS.available() else 409
        return form_response(request, TEMPLATE, _context(check, form), status=status)
    submission = submission_of(request, form)
    if valid and form.confirmed and already_submitted(submission):
        return _answer_again(request, account_id, masked, form, submission)
    check = _check(request, account_id, masked, form.cleaned_data["new_card_number"])
    if not check.possible:
        return form_response(request, TEMPLATE, _context(check, form), status=409)
    if not valid:
        # The confirmation again, the new card checked, with the box's error.
        return form_response(request, TEMPLATE, _context(check, form), status=422)
    if not form.confirmed:
        return form_response(request, TEMPLATE, _context(check, form.to_confirm()))
    context = _context(check, form)
    try:
        result = card_exchange(submission, check=check)
    except ValidationError as refusal:
        return change_refused(request, TEMPLATE, context, refusal)
    if result.failed:
        # Upstream refused the new card (another program's, which an unused card cannot show
        # before): the check said it was ready, and no longer stands. Back to checking a card.
        refused = replace(check, problem=result.message)
        return form_response(request, TEMPLATE, _context(refused, form.to_check_again()))
    return change_answer(
        request, TEMPLATE, context, form, result, done_url=guest_page_url(account_id)
    )


def _answer_again(
    request: HtmxHttpRequest,
    account_id: int,
    masked: str,
    form: ExchangeCardForm,
    submission: Submission,
) -> HttpResponse:
    """The same confirmed form again: the first exchange's outcome (settled by reading back if
    it was unknown); never a second exchange. The old card is exchanged by now, so it is not
    checked again."""
    check = _check(request, account_id, masked)
    context = _context(check, form)
    new_masked = form.cleaned_data["new_card_number"][-6:]
    try:
        result = change_replay(
            submission,
            action="card.exchange",
            target=Target(
                account_id=account_id,
                printed_card_number=check.card.full_number,
                username=check.guest.username,
            ),
            success=exchange_success(check.card.masked_card_number, new_masked),
        )
    except ValidationError as refusal:
        return change_refused(request, TEMPLATE, context, refusal)
    return change_answer(
        request, TEMPLATE, context, form, result, done_url=guest_page_url(account_id)
    )
