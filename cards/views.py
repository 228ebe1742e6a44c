"""Card screens: thin views that check access, validate a form, call one service or selector,
and render. A card is named in the URL by its account id and masked number only.

Every change is POST then redirect (a refresh of the result page changes nothing), and every
form carries the idempotency key minted when it was shown (a double click or a resubmitted
form gets the first outcome back). With htmx a form swaps itself; without it, it is a plain
form and the same view answers with a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from cards.bulk import MAX_FILE_BYTES, BulkAction, BulkFileError
from cards.forms import (
    AttachAndCombineForm,
    AttachCardForm,
    BulkConfirmForm,
    BulkUploadForm,
    CombineCardForm,
    DisableCardForm,
    EnableCardForm,
    IdempotentForm,
    new_idempotency_key,
)
from cards.models import BulkUpload
from cards.selectors import (
    CardNotFoundError,
    CombinePreview,
    GuestCard,
    GuestCards,
    bulk_upload_of_owner,
    card_job_outcome,
    combine_preview,
    guest_cards,
)
from cards.services.attach import AttachCredentials, card_attach
from cards.services.bulk import bulk_card_status_start, bulk_upload_create
from cards.services.combine import cards_attach_and_combine_run, cards_combine_start
from cards.services.common import CardChange
from cards.services.status import card_status_change
from guests.messages import explain
from portal.audit.models import Outcome
from portal.audit.services import Reason
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError
from portal.staff.access import requires


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def guest_page_url(account_id: int) -> str:
    """Where a CSR goes back to after a change: the guest page's cards panel."""
    return reverse("guests:guest", args=[account_id]) + "#panel-cards"


def _guest_or_404(account_id: int) -> GuestCards:
    try:
        return guest_cards(account_id=account_id)
    except (FailureError, InvalidStatusError) as error:
        raise Http404(explain(error)) from None


def _card_or_404(guest: GuestCards, masked: str) -> GuestCard:
    try:
        return guest.find(masked)
    except CardNotFoundError:
        raise Http404("This account has no card with that number.") from None


def _upstream_trouble(request: HtmxHttpRequest, error: PaytronixError) -> HttpResponse:
    return render(request, "cards/unavailable.html", {"error": explain(error)}, status=503)


def _redirect(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a change: a full navigation (htmx or not), so the result is a GET of its own."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url, status=303)


def _form_response(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    name = f"{template}#form" if request.htmx else template
    return render(request, name, context, status=status)


def _retry_or_settle(form: IdempotentForm, result: CardChange) -> None:
    """A failed change may be tried again (a new key); one whose outcome is unknown or still
    pending keeps its key, so submitting again settles it rather than sending it twice."""
    if result.outcome == Outcome.FAILED:
        form.renew_key()


def _reason(form: IdempotentForm) -> Reason:
    code, text = form.reason()
    return Reason(code=code, text=text)


@dataclass(frozen=True)
class StatusChange:
    """What the disable and enable screens say and do."""

    status: str
    title: str
    consequence: str
    form_class: type[IdempotentForm]
    submit_url: str

    @property
    def disable(self) -> bool:
        return self.status == "DISABLED"


STATUS_CHANGES: dict[str, StatusChange] = {
    "disable": StatusChange(
        status="DISABLED",
        title="Disable",
        consequence=(
            "The card stops working at once: it cannot earn or redeem until it is enabled "
            "again. Balances stay on the account and the guest's other cards keep working."
        ),
        form_class=DisableCardForm,
        submit_url="cards:disable-submit",
    ),
    "enable": StatusChange(
        status="ACTIVE",
        title="Enable",
        consequence=(
            "The card works again at once: it can earn and redeem against the account's "
            "balances. Enable a card only when the guest has it in hand."
        ),
        form_class=EnableCardForm,
        submit_url="cards:enable-submit",
    ),
}


def _status_context(
    guest: GuestCards, card: GuestCard, change: str, form: IdempotentForm, error: str = ""
) -> dict[str, Any]:
    return {
        "guest": guest,
        "card": card,
        "change": STATUS_CHANGES[change],
        "form": form,
        "error": error,
    }


@require_GET
@requires("change_card_status")
def card_status_form(
    request: HtmxHttpRequest, account_id: int, masked: str, change: str
) -> HttpResponse:
    """The confirmation step: the card, its guest, what will happen, and the reason."""
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    card = _card_or_404(guest, masked)
    form = STATUS_CHANGES[change].form_class()
    return render(request, "cards/status_change.html", _status_context(guest, card, change, form))


@require_POST
@requires("change_card_status")
def card_status_submit(
    request: HtmxHttpRequest, account_id: int, masked: str, change: str
) -> HttpResponse:
    spec = STATUS_CHANGES[change]
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    card = _card_or_404(guest, masked)
    form = spec.form_class(request.POST)
    context = _status_context(guest, card, change, form)
    if not form.is_valid():
        return _form_response(request, "cards/status_change.html", context, status=422)
    try:
        result = card_status_change(
            actor=request.user,
            request=request,
            guest=guest,
            card=card,
            status="DISABLED" if spec.disable else "ACTIVE",
            reason=_reason(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return _form_response(request, "cards/status_change.html", context, status=422)
    if not result.ok:
        _retry_or_settle(form, result)
        context["error"] = result.message
        return _form_response(request, "cards/status_change.html", context)
    messages.success(request, result.message)
    return _redirect(request, guest_page_url(account_id))


ATTACH_PAGE = {
    "title": "Attach another card",
    "explanation": (
        "The card's balances stay on its own account until it is combined; the guest can then "
        "use either card. If the card has a registration code, or belongs to someone else's "
        "login, you will be asked for it next."
    ),
    "button": "Attach card",
    "submit_url": "cards:attach-submit",
}


@require_GET
@requires("attach_cards")
def card_attach_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    return render(
        request,
        "cards/attach.html",
        {"guest": guest, "form": AttachCardForm(), "page": ATTACH_PAGE},
    )


def credentials_from(form: AttachCardForm) -> AttachCredentials:
    """Only the fields upstream asked for are sent, whatever else the form carried."""
    data, needed = form.cleaned_data, form.needed_fields
    return AttachCredentials(
        registration_code=data["registration_code"] if "registrationCode" in needed else "",
        username=data["other_username"] if "username" in needed else "",
        password=data["other_password"] if "password" in needed else "",
    )


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("attach_cards")
def card_attach_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    form = AttachCardForm(request.POST)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": ATTACH_PAGE, "error": ""}
    if not form.is_valid():
        return _form_response(request, "cards/attach.html", context, status=422)
    try:
        result = card_attach(
            actor=request.user,
            request=request,
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            reason=_reason(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return _form_response(request, "cards/attach.html", context, status=422)
    if result.needs_more_info:
        context["form"] = form.ask_for(list(result.fields))
        context["asked_sentence"] = result.message
        return _form_response(request, "cards/attach.html", context)
    if not result.ok:
        _retry_or_settle(form, result)
        context["error"] = result.message
        return _form_response(request, "cards/attach.html", context)
    messages.success(request, result.message)
    return _redirect(request, guest_page_url(account_id))


# -- combine ---------------------------------------------------------------------------------


def _combine_context(
    preview: CombinePreview, form: CombineCardForm, error: str = ""
) -> dict[str, Any]:
    return {
        "preview": preview,
        "guest": preview.guest,
        "card": preview.card,
        "form": form,
        "error": error,
    }


def _preview_or_404(account_id: int, masked: str) -> CombinePreview:
    try:
        return combine_preview(account_id=account_id, masked_card_number=masked)
    except CardNotFoundError:
        raise Http404("This account has no card with that number.") from None
    except (FailureError, InvalidStatusError) as error:
        raise Http404(explain(error)) from None


@require_GET
@requires("combine_cards")
def card_combine_form(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    """Is the card combinable, the balances before and after, the warning, and the reason."""
    try:
        preview = _preview_or_404(account_id, masked)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    return render(request, "cards/combine.html", _combine_context(preview, CombineCardForm()))


@require_POST
@requires("combine_cards")
def card_combine_submit(request: HtmxHttpRequest, account_id: int, masked: str) -> HttpResponse:
    try:
        preview = _preview_or_404(account_id, masked)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    form = CombineCardForm(request.POST)
    context = _combine_context(preview, form)
    if not preview.combinable:
        context["error"] = "This card cannot be combined into this account."
        return _form_response(request, "cards/combine.html", context, status=409)
    if not form.is_valid():
        return _form_response(request, "cards/combine.html", context, status=422)
    try:
        job = cards_combine_start(
            actor=request.user,
            request=request,
            guest=preview.guest,
            card=preview.card,
            other_account_id=preview.other_account_id,
            reason=_reason(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return _form_response(request, "cards/combine.html", context, status=422)
    return _redirect(request, reverse("cards:job", args=[job.pk]))


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
}


@require_GET
@requires("combine_cards")
def attach_and_combine_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    context = {"guest": guest, "form": AttachAndCombineForm(), "page": ATTACH_AND_COMBINE_PAGE}
    return render(request, "cards/attach.html", context)


@sensitive_post_parameters("other_password", "registration_code", "other_card_number")
@require_POST
@requires("combine_cards")
def attach_and_combine_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    try:
        guest = _guest_or_404(account_id)
    except PaytronixError as error:
        return _upstream_trouble(request, error)
    form = AttachAndCombineForm(request.POST)
    context: dict[str, Any] = {"guest": guest, "form": form, "page": ATTACH_AND_COMBINE_PAGE}
    if not form.is_valid():
        return _form_response(request, "cards/attach.html", context, status=422)
    try:
        job, result = cards_attach_and_combine_run(
            actor=request.user,
            request=request,
            guest=guest,
            other_card_number=form.cleaned_data["other_card_number"],
            credentials=credentials_from(form),
            reason=_reason(form),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return _form_response(request, "cards/attach.html", context, status=422)
    if result.needs_more_info:
        context["form"] = form.ask_for(list(result.fields))
        context["asked_sentence"] = result.message
        return _form_response(request, "cards/attach.html", context)
    return _redirect(request, reverse("cards:job", args=[job.pk]))


@require_GET
@requires("view_jobs")
def card_job(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    """A combine or attach-and-combine job: its progress, then the surviving account and its
    balances as upstream shows them now."""
    outcome = card_job_outcome(owner=request.user, job_id=job_id)
    if outcome is None:
        raise Http404("No such job.")
    return render(request, "cards/job.html", {"outcome": outcome, "job": outcome.job})


# -- bulk ------------------------------------------------------------------------------------


@require_GET
@requires("run_bulk_jobs")
def bulk_upload_form(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "cards/bulk_upload.html", {"form": BulkUploadForm()})


@require_POST
@requires("run_bulk_jobs")
def bulk_upload_submit(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "cards/bulk_upload.html", {"form": form}, status=422)
    upload_file = form.cleaned_data["file"]
    try:
        upload = bulk_upload_create(
            owner=request.user,
            data=upload_file.read(MAX_FILE_BYTES + 1),
            filename=upload_file.name or "",
            action=BulkAction(form.cleaned_data["action"]),
            reason=form.cleaned_data["reason"],
        )
    except BulkFileError as unusable:
        form.add_error("file", str(unusable))
        return render(request, "cards/bulk_upload.html", {"form": form}, status=422)
    return HttpResponseRedirect(reverse("cards:bulk-review", args=[upload.pk]), status=303)


def _own_upload(request: HttpRequest, upload_id: int) -> BulkUpload:
    upload = bulk_upload_of_owner(owner=request.user, upload_id=upload_id)
    if upload is None:
        raise Http404("No such upload.")
    return upload


@require_GET
@requires("run_bulk_jobs")
def bulk_review(request: HtmxHttpRequest, upload_id: int) -> HttpResponse:
    """Every problem of the file with its line number; nothing runs until Start."""
    upload = _own_upload(request, upload_id)
    if upload.job is not None:
        return HttpResponseRedirect(reverse("jobs:detail", args=[upload.job.pk]))
    form = BulkConfirmForm(initial={"idempotency_key": new_idempotency_key()})
    return render(request, "cards/bulk_review.html", {"upload": upload, "form": form})


@require_POST
@requires("run_bulk_jobs")
def bulk_start(request: HtmxHttpRequest, upload_id: int) -> HttpResponse:
    upload = _own_upload(request, upload_id)
    form = BulkConfirmForm(request.POST)
    context = {"upload": upload, "form": form}
    if not form.is_valid():
        return render(request, "cards/bulk_review.html", context, status=422)
    try:
        job = bulk_card_status_start(
            owner=request.user,
            request=request,
            upload=upload,
            skip_bad_rows=form.cleaned_data["skip_bad_rows"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except ValidationError as invalid:
        context["error"] = " ".join(invalid.messages)
        return render(request, "cards/bulk_review.html", context, status=422)
    return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]), status=303)
