"""Adjust a wallet (form, preview of before and after, then the change or a request for
approval) and void an adjustment (from its history row or its audit record)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cards.adjustments import AdjustableWallet, Adjustment, adjustable_wallet, adjustment_of
from cards.forms import WalletAdjustForm, WalletVoidForm
from cards.limits import wallet_void_limit
from cards.selectors import GuestCards
from cards.services.wallets import (
    WalletChange,
    wallet_adjust,
    wallet_adjust_over_limit,
    wallet_void,
)
from cards.views.common import card_screen, change_answer, change_refused, guest_of
from portal.approvals.services import REQUEST_SENT
from portal.audit.actions import reason_parts
from portal.audit.door import LimitExceededError
from portal.audit.types import Target
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    form_response,
    redirect_after_change,
    submission_of,
    viewer_of,
)

ADJUST_TEMPLATE = "cards/wallet_adjust.html"
_CHANGED_SINCE_PREVIEW = (
    "The form changed after its preview, so nothing was changed: check the new preview below, "
    "then confirm it."
)
VOID_TEMPLATE = "cards/wallet_void.html"


def _wallets_url(account_id: int) -> str:
    return reverse("guests:guest", args=[account_id]) + "#panel-wallets"


def _adjust_context(
    guest: GuestCards,
    wallet: AdjustableWallet,
    form: WalletAdjustForm,
    *,
    preview: WalletChange | None = None,
    over_limit: str = "",
    error: str = "",
    in_drawer: bool = False,
) -> dict[str, Any]:
    return {
        "guest": guest,
        "wallet": wallet,
        "form": form,
        "preview": preview,
        "over_limit": over_limit,
        "error": error,
        # Drawn in the guest page's wallets panel (htmx), not on a page of its own.
        "in_drawer": in_drawer,
    }


@require_GET
@requires("adjust_wallets")
@card_screen
def wallet_adjust_form(request: HtmxHttpRequest, account_id: int, wallet_code: int) -> HttpResponse:
    """The adjustment form for one wallet of the account (its balance as last read): a page,
    or for htmx the drawer the guest page's wallets panel opens it in."""
    guest = guest_of(request, account_id)
    wallet = adjustable_wallet(guest.account, wallet_code)
    form = WalletAdjustForm(wallet=wallet)
    if request.htmx:
        # Asked from the guest page: the form in the wallets panel's drawer.
        context = _adjust_context(guest, wallet, form, in_drawer=True)
        return render(request, f"{ADJUST_TEMPLATE}#drawer", context)
    return render(request, ADJUST_TEMPLATE, _adjust_context(guest, wallet, form))


@require_POST
@requires("adjust_wallets")
@card_screen
def wallet_adjust_submit(
    request: HtmxHttpRequest, account_id: int, wallet_code: int
) -> HttpResponse:
    """Without ``confirm``: the preview (before, after, and whether a supervisor must approve),
    no change made. With ``confirm``: the balance is read again and the change is made, or the
    request for approval is recorded, only if the form still asks what its preview showed
    (``previewed``); a form changed since is previewed anew instead."""
    confirm = "confirm" in request.POST
    drawer = bool(request.htmx) and "in_drawer" in request.POST
    # Refused input costs no upstream call: judged on the cached reads first, and only a
    # confirmed change that passes reads the balance again (and is judged again on it).
    guest = guest_of(request, account_id)
    wallet = adjustable_wallet(guest.account, wallet_code)
    form = WalletAdjustForm(request.POST, wallet=wallet)
    # A confirm of a form changed since its preview (the amount, the direction...) makes no
    # change: the new values are previewed, to be confirmed in turn.
    changed = confirm and form.is_valid() and request.POST.get("previewed") != form.asked()
    if form.is_valid() and confirm and not changed:
        guest = guest_of(request, account_id, fresh=True)
        wallet = adjustable_wallet(guest.account, wallet_code)
        form = WalletAdjustForm(request.POST, wallet=wallet)
    if not form.is_valid():
        context = _adjust_context(guest, wallet, form, in_drawer=drawer)
        return form_response(request, ADJUST_TEMPLATE, context, status=422)
    change = form.change()
    submission = submission_of(request, form)
    if not confirm or changed:
        over = wallet_adjust_over_limit(submission, guest=guest, change=change)
        context = _adjust_context(
            guest, wallet, form, preview=change, over_limit=over, in_drawer=drawer
        )
        if changed:
            context["error"] = _CHANGED_SINCE_PREVIEW
        return form_response(request, ADJUST_TEMPLATE, context, status=409 if changed else 200)
    context = _adjust_context(guest, wallet, form, preview=change, in_drawer=drawer)
    try:
        answer = wallet_adjust(submission, guest=guest, change=change)
    except LimitExceededError as over:
        context["over_limit"] = over.sentence
        return form_response(request, ADJUST_TEMPLATE, context, status=403)
    except ValidationError as refusal:
        return change_refused(request, ADJUST_TEMPLATE, context, refusal)
    if answer.request is not None:
        messages.info(request, f"{answer.limit} {REQUEST_SENT}")
        return redirect_after_change(request, reverse("approvals:detail", args=[answer.request.pk]))
    assert answer.outcome is not None
    return change_answer(
        request, ADJUST_TEMPLATE, context, form, answer.outcome, done_url=_wallets_url(account_id)
    )


def _void_context(
    request: HtmxHttpRequest, guest: GuestCards, adjustment: Adjustment, form: WalletVoidForm
) -> dict[str, Any]:
    # The form is also rendered alone (``#form``, an htmx answer): it names the intent itself.
    intent = adjustment.intent
    return {
        "guest": guest,
        "adjustment": adjustment,
        "intent": intent,
        # The door's own check, so the page offers the form only to whom it would let void.
        "refusal": wallet_void_limit(
            viewer_of(request), Target(account_id=guest.account_id), {"voids": intent.pk}
        ),
        "reason": " · ".join(
            reason_parts(
                intent.reason_label,
                intent.reason_code,
                str(intent.params.get("comment") or ""),
            )
        ),
        "form": form,
        "error": "",
    }


@require_GET
@requires("void_adjustments")
@card_screen
def wallet_void_form(request: HtmxHttpRequest, account_id: int, intent_id: int) -> HttpResponse:
    """The adjustment, whether it can be voided, and the reason."""
    guest = guest_of(request, account_id)
    adjustment = adjustment_of(account_id, intent_id)
    context = _void_context(request, guest, adjustment, WalletVoidForm())
    return render(request, VOID_TEMPLATE, context)


@require_POST
@requires("void_adjustments")
@card_screen
def wallet_void_submit(request: HtmxHttpRequest, account_id: int, intent_id: int) -> HttpResponse:
    form = WalletVoidForm(request.POST)
    valid = form.is_valid()
    guest = guest_of(request, account_id, fresh=valid)
    adjustment = adjustment_of(account_id, intent_id)
    context = _void_context(request, guest, adjustment, form)
    if not valid:
        return form_response(request, VOID_TEMPLATE, context, status=422)
    try:
        outcome = wallet_void(submission_of(request, form), guest=guest, adjustment=adjustment)
    except LimitExceededError as refused:
        context["error"] = refused.sentence
        return form_response(request, VOID_TEMPLATE, context, status=403)
    except ValidationError as refusal:
        return change_refused(request, VOID_TEMPLATE, context, refusal)
    done = reverse("guests:guest", args=[account_id]) + "#panel-history"
    return change_answer(request, VOID_TEMPLATE, context, form, outcome, done_url=done)
