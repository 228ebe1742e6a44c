"""Move a balance from another card to this account's primary card: the card and the choice,
a preview of both cards before and after, then the change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from cards.forms import TransferBalanceForm
from cards.previews import TransferPreview, transfer_preview
from cards.services.outcomes import already_submitted, change_replay
from cards.services.transfer import balances_transfer
from cards.views.common import (
    card_screen,
    change_answer,
    change_refused,
    guest_of,
    guest_page_url,
)
from guests.selectors.optional import BALANCE_TRANSFER
from portal.audit.types import Submission, Target
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, form_response, submission_of, viewer_of

TEMPLATE = "cards/transfer.html"


def _context(
    request: HtmxHttpRequest,
    account_id: int,
    form: TransferBalanceForm,
    preview: TransferPreview | None = None,
) -> dict[str, Any]:
    guest = preview.guest if preview is not None else guest_of(request, account_id)
    return {
        "guest": guest,
        "card": guest.primary_card,
        "form": form,
        "preview": preview,
        "error": preview.problem if preview is not None else "",
        "unavailable": "" if BALANCE_TRANSFER.available() else BALANCE_TRANSFER.sentence,
    }


@require_GET
@requires("transfer_balances")
@card_screen
def transfer_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The card to move balances from, and which balances."""
    return render(request, TEMPLATE, _context(request, account_id, TransferBalanceForm()))


@require_POST
@requires("transfer_balances")
@card_screen
def transfer_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Without ``confirm``: the preview (nothing changes). With it: the preview read again,
    then the transfer through the door."""
    form = TransferBalanceForm(request.POST)
    if not BALANCE_TRANSFER.available():
        return form_response(request, TEMPLATE, _context(request, account_id, form), status=409)
    valid = form.is_valid()
    if not valid and not form.unticked:
        return form_response(request, TEMPLATE, _context(request, account_id, form), status=422)
    submission = submission_of(request, form)
    if valid and form.confirmed and already_submitted(submission):
        return _answer_again(request, account_id, form, submission)
    preview = transfer_preview(
        viewer=viewer_of(request),
        account_id=account_id,
        from_card_number=form.cleaned_data["from_card_number"],
        must_transfer_all=form.must_transfer_all,
    )
    if not preview.possible:
        context = _context(request, account_id, form, preview)
        return form_response(request, TEMPLATE, context, status=409)
    if not valid:
        # The confirmation again, the preview read, with the box's error.
        context = _context(request, account_id, form, preview)
        return form_response(request, TEMPLATE, context, status=422)
    if not form.confirmed:
        return form_response(
            request, TEMPLATE, _context(request, account_id, form.to_confirm(), preview)
        )
    context = _context(request, account_id, form, preview)
    try:
        result = balances_transfer(submission, preview=preview)
    except ValidationError as refusal:
        return change_refused(request, TEMPLATE, context, refusal)
    done = guest_page_url(account_id)
    return change_answer(request, TEMPLATE, context, form, result, done_url=done)


def _answer_again(
    request: HtmxHttpRequest, account_id: int, form: TransferBalanceForm, submission: Submission
) -> HttpResponse:
    """The same confirmed form again (a double click, a retry after a lost reply): the first
    transfer's outcome, settled by reading back if it was unknown; never a second transfer."""
    guest = guest_of(request, account_id, fresh=True)
    context = {**_context(request, account_id, form), "guest": guest, "card": guest.primary_card}
    number = guest.primary_card.full_number if guest.primary_card is not None else ""
    try:
        result = change_replay(
            submission,
            action="balance.transfer",
            target=Target(
                account_id=account_id, printed_card_number=number, username=guest.username
            ),
            success="The balances were moved to this account.",
        )
    except ValidationError as refusal:
        return change_refused(request, TEMPLATE, context, refusal)
    done = guest_page_url(account_id)
    return change_answer(request, TEMPLATE, context, form, result, done_url=done)
