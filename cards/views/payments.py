"""The stored-value payments panel of the guest page, and its two changes on the guest's
request: turn auto-recharge off, remove a saved payment method. Each change has a confirmation
screen (what will happen, the reason) and goes through the audit door.

The panel is loaded on its own (htmx asks for it once the guest page is drawn; without htmx it
is a page of its own), so the guest page never waits for the Payment Service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cards.forms import AutoRechargeDisableForm, PaymentMethodRemoveForm
from cards.selectors.payments import (
    GuestPayments,
    PaymentMethodNotFoundError,
    PaymentMethodRow,
    guest_payments,
    removal_done,
    removal_sent,
)
from cards.services.payments import auto_recharge_disable, payment_method_remove
from cards.views.common import change_answer, change_refused
from portal.audit.forms import ChangeForm, idempotency_key_valid
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import SavedPaymentMethod
from portal.sentences import explain
from portal.staff.access import requires, user_may
from portal.web import (
    HtmxHttpRequest,
    form_response,
    submission_of,
    upstream_errors,
    viewer_of,
)

PANEL_TEMPLATE = "cards/payments.html"
CHANGE_TEMPLATE = "cards/payment_change.html"
GONE_TEMPLATE = "cards/payment_method_gone.html"

payments_screen = upstream_errors(title="The guest's payments could not be loaded")


def payments_url(account_id: int) -> str:
    """Where a CSR goes back to after a change: the guest page's payments panel."""
    return reverse("guests:guest", args=[account_id]) + "#panel-payments"


def _payments(request: HtmxHttpRequest, account_id: int, *, fresh: bool = False) -> GuestPayments:
    return guest_payments(viewer=viewer_of(request), account_id=account_id, fresh=fresh)


@require_GET
@requires("lookup_guests")
@payments_screen
def payments_panel(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The panel: inside the guest page for htmx, a page of its own otherwise. Upstream trouble
    reading the account stays inside the panel (with a retry) when htmx asks for it."""
    try:
        payments = _payments(request, account_id)
    except PaytronixError as error:
        if not request.htmx:
            raise
        context = {"account_id": account_id, "panel_error": explain(error)}
        return render(request, f"{PANEL_TEMPLATE}#panel", context)
    context = {
        "account_id": account_id,
        "payments": payments,
        "can_change": user_may(request.user, "manage_payment_methods"),
    }
    template = f"{PANEL_TEMPLATE}#panel" if request.htmx else PANEL_TEMPLATE
    return render(request, template, context)


@dataclass(frozen=True)
class PaymentChange:
    """What a change's confirmation screen says and does."""

    title: str
    consequence: str
    form_class: type[ChangeForm]
    button: str


AUTO_RECHARGE_OFF = PaymentChange(
    title="Turn auto-recharge off",
    consequence=(
        "The guest's payment card is no longer charged when the stored-value balance runs low. "
        "The saved payment methods stay, and the guest can turn auto-recharge on again in the "
        "program's app or website."
    ),
    form_class=AutoRechargeDisableForm,
    button="Turn auto-recharge off",
)
METHOD_REMOVE = PaymentChange(
    title="Remove a saved payment method",
    consequence=(
        "The payment method is deleted from the guest's stored-value card: it can no longer be "
        "used to recharge it. The guest can save a card again in the program's app or website; "
        "the console never takes card details."
    ),
    form_class=PaymentMethodRemoveForm,
    button="Remove this payment method",
)


def _change_context(
    payments: GuestPayments,
    change: PaymentChange,
    form: ChangeForm,
    submit_url: str,
    row: PaymentMethodRow | None = None,
) -> dict[str, Any]:
    return {
        "payments": payments,
        "account_id": payments.account_id,
        "change": change,
        "form": form,
        "submit_url": submit_url,
        "row": row,
        "error": "",
    }


def _submit(
    request: HtmxHttpRequest,
    account_id: int,
    change: PaymentChange,
    submit_url: str,
    act: Callable[[Submission, GuestPayments], ChangeOutcome],
    find: Callable[[GuestPayments], PaymentMethodRow | None],
) -> HttpResponse:
    """Validate first (bad input costs no upstream call), read fresh, make the change."""
    form = change.form_class(request.POST)
    valid = form.is_valid()
    payments = _payments(request, account_id, fresh=valid)
    context = _change_context(payments, change, form, submit_url, find(payments))
    if not valid:
        return form_response(request, CHANGE_TEMPLATE, context, status=422)
    if payments.unavailable:
        # Switched off (or found missing) since the form was shown: nothing is sent.
        context["error"] = payments.unavailable
        return form_response(request, CHANGE_TEMPLATE, context, status=409)
    try:
        result = act(submission_of(request, form), payments)
    except ValidationError as refusal:
        return change_refused(request, CHANGE_TEMPLATE, context, refusal)
    done = payments_url(account_id)
    return change_answer(request, CHANGE_TEMPLATE, context, form, result, done_url=done)


@require_GET
@requires("manage_payment_methods")
@payments_screen
def auto_recharge_disable_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    payments = _payments(request, account_id)
    submit_url = reverse("cards:auto_recharge_disable_submit", args=[account_id])
    context = _change_context(payments, AUTO_RECHARGE_OFF, AutoRechargeDisableForm(), submit_url)
    return render(request, CHANGE_TEMPLATE, context)


@require_POST
@requires("manage_payment_methods")
@payments_screen
def auto_recharge_disable_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    submit_url = reverse("cards:auto_recharge_disable_submit", args=[account_id])
    return _submit(
        request,
        account_id,
        AUTO_RECHARGE_OFF,
        submit_url,
        lambda submission, payments: auto_recharge_disable(submission, payments=payments),
        lambda payments: None,
    )


@require_GET
@requires("manage_payment_methods")
@payments_screen
def payment_method_remove_form(
    request: HtmxHttpRequest, account_id: int, token: str
) -> HttpResponse:
    payments = _payments(request, account_id)
    try:
        row = payments.method(token)
    except PaymentMethodNotFoundError:
        # Back to the page of a method removed since (or never saved): say so, and where to go.
        removal = removal_done(account_id=account_id, token=token)
        context = {
            "payments": payments,
            "account_id": account_id,
            "removal": removal,
            "back_url": payments_url(account_id),
        }
        return render(request, GONE_TEMPLATE, context, status=410 if removal else 404)
    submit_url = reverse("cards:payment_method_remove_submit", args=[account_id, token])
    context = _change_context(payments, METHOD_REMOVE, PaymentMethodRemoveForm(), submit_url, row)
    return render(request, CHANGE_TEMPLATE, context)


@require_POST
@requires("manage_payment_methods")
@payments_screen
def payment_method_remove_submit(
    request: HtmxHttpRequest, account_id: int, token: str
) -> HttpResponse:
    submit_url = reverse("cards:payment_method_remove_submit", args=[account_id, token])
    key = str(request.POST.get("idempotency_key", ""))
    if not idempotency_key_valid(key):
        # Only a key this console minted is looked up (a forged one, a NUL byte, is no key).
        key = ""

    def find(payments: GuestPayments) -> PaymentMethodRow:
        # The method is gone after its removal: a second submit of the same form still gets
        # the first outcome from the door (which sends nothing again); anything else is a 404.
        gone = key and not any(row.token == token for row in payments.methods)
        if gone and removal_sent(account_id=account_id, idempotency_key=key):
            return PaymentMethodRow(SavedPaymentMethod(), False, name="The payment method")
        return payments.method(token)

    return _submit(
        request,
        account_id,
        METHOD_REMOVE,
        submit_url,
        lambda submission, payments: payment_method_remove(
            submission, payments=payments, row=find(payments)
        ),
        find,
    )
