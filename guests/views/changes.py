"""The changes a CSR makes on the guest page (each through the audit door), and the two code
checks that come before one.

With htmx a change answers with its panel re-rendered: the outcome in words, the panel's data
showing the change as pending, and the form fresh (a new idempotency key) or, if it was not
accepted, as submitted. Without htmx it redirects to the guest page with the outcome as a
message (a refresh cannot resubmit). A form that is not valid is shown again with its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from guests import services
from guests.forms import (
    LanguageForm,
    MessageFrequencyForm,
    NoteForm,
    ReferralCodeCheckForm,
    ReferralCodeCreateForm,
    ReferralsAddForm,
    UsernameMigrateForm,
    VisitCodeApplyForm,
    VisitCodeCheckForm,
)
from guests.selectors import referral_code_check, visit_code_check
from guests.selectors.codes import (
    ReferralCodeCheck,
    VisitCodeCheck,
    visit_check_carried,
    visit_check_carried_back,
)
from guests.services import ChangeRefusedError
from guests.views.page import (
    GUEST_TEMPLATE,
    ViewFunc,
    guest_context,
    guest_errors,
    summary_stale,
)
from portal.audit.actions import action_get
from portal.audit.forms import ChangeForm
from portal.audit.outcome import ChangeOutcome
from portal.paytronix.errors import PaytronixError
from portal.paytronix.replies import ReferralCode
from portal.sentences import explain
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, submission_of, viewer_of

_LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}


def _form_after(form: ChangeForm, result: ChangeOutcome | None) -> django_forms.Form | None:
    """The form to show next: None after a success (the page's own fresh form, filled in from
    the guest's data); as typed (with a new key) after a refusal; the same (same key:
    resubmitting is safe) while the outcome is not known."""
    if result is None or result.level == "warning":
        return form
    if result.ok:
        return None
    kept = {name: form[name].value() for name in form.fields if name != "idempotency_key"}
    return type(form)(initial=kept)


Perform = Callable[[dict[str, Any], dict[str, Any]], ChangeOutcome]


def _change(
    request: HtmxHttpRequest,
    account_id: int,
    *,
    panel: str,
    form: ChangeForm,
    perform: Perform,
) -> HttpResponse:
    """Validate ``form``, make the change with ``perform(cleaned_data, door)`` (``door`` holds
    the arguments every service takes alike: the submission and the account) and answer with
    its outcome."""
    result: ChangeOutcome | None = None
    if form.is_valid():
        door = {"submission": submission_of(request, form), "account_id": account_id}
        try:
            result = perform(form.cleaned_data, door)
        except ValidationError as error:
            form.add_error(None, error)
        except ChangeRefusedError as error:
            form.add_error(None, str(error))
    form_name = str(form.prefix)
    if not request.htmx and result is not None:
        # The redirect's page cannot show what only this reply holds: the message carries it.
        messages.add_message(request, _LEVELS[result.level], _plain_message(result, form_name))
        return redirect(reverse("guests:guest", args=[account_id]) + f"#panel-{panel}")
    shown = _form_after(form, result)
    forms = {form_name: shown} if shown is not None else {}
    if not request.htmx:
        context = guest_context(request, account_id, forms=forms)
        return render(request, GUEST_TEMPLATE, context)
    try:
        context = guest_context(
            request,
            account_id,
            panels=[panel],
            forms=forms,
            open_forms=[form_name],
            results={panel: result} if result else {},
            created_code=result.value if result and form_name == "referral_code" else None,
        )
    except PaytronixError as error:
        if result is None:
            raise
        # The change is made (or its outcome is known): say so, or the CSR would redo it.
        return _change_done(request, account_id, panel=panel, result=result, error=error)
    response = render(request, f"{GUEST_TEMPLATE}#panel-{panel}", context)
    return summary_stale(response) if result is not None else response


def _plain_message(result: ChangeOutcome, form_name: str) -> str:
    """The outcome's sentence, with the created referral code and link where there is one."""
    created = result.value if result.ok and form_name == "referral_code" else None
    if not isinstance(created, ReferralCode) or not created.code:
        return result.message
    link = f" Link: {created.url}." if created.url else ""
    return f"{result.message} Code: {created.code}.{link}"


def _change_done(
    request: HtmxHttpRequest,
    account_id: int,
    *,
    panel: str,
    result: ChangeOutcome,
    error: PaytronixError,
) -> HttpResponse:
    """The outcome of a change whose panel could not be read again, with a retry of the read."""
    reload = f"{explain(error)} The panel could not be shown again."
    context = {
        "panel": panel,
        "result": result,
        "message": reload,
        "url": reverse("guests:panel", args=[account_id, panel]),
        "target": f"panel-{panel}",
    }
    return render(request, "guests/_change_done.html", context)


@require_GET
@requires("lookup_guests", "manage_referrals")
@guest_errors
def referral_code_check_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Whose referral code a code is (a read: GET, nothing is audited)."""
    form = ReferralCodeCheckForm(request.GET)
    checked = None
    if form.is_valid():
        code = form.cleaned_data["code"]
        try:
            checked = referral_code_check(code=code)
        except PaytronixError as error:
            # Upstream trouble answers in the panel: the rest of the page is fine.
            checked = ReferralCodeCheck(code=code, referral=None, problem=explain(error))
    return _render_panel(
        request,
        account_id,
        panel="referrals",
        forms={"referral_check": form},
        referral_check=checked,
    )


@require_POST
@requires("lookup_guests", "apply_visit_codes")
@guest_errors
def visit_code_check_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """What a visit code is and whether it can be applied: the first of the two steps. (A POST
    although it is a read: visit codes are as good as money and stay out of URLs and logs.)"""
    form = VisitCodeCheckForm(request.POST)
    checked = None
    page_forms: dict[str, django_forms.Form] = {"visit_check": form}
    if form.is_valid():
        checked = _visit_checked(request, account_id, form.cleaned_data["code"])
        if checked.applicable:
            carried = visit_check_carried(
                checked, account_id=account_id, viewer_id=viewer_of(request).pk
            )
            page_forms["visit_apply"] = VisitCodeApplyForm(
                initial={"code": checked.code, "checked": carried}
            )
    return _render_panel(request, account_id, panel="wallets", forms=page_forms, visit=checked)


def _visit_checked(request: HtmxHttpRequest, account_id: int, code: str) -> VisitCodeCheck:
    try:
        return visit_code_check(viewer=viewer_of(request), account_id=account_id, code=code)
    except PaytronixError as error:
        # Upstream trouble answers in the panel: the rest of the page is fine.
        return VisitCodeCheck(code=code, info=None, problem=explain(error))


def _render_panel(
    request: HtmxHttpRequest, account_id: int, *, panel: str, **extra: Any
) -> HttpResponse:
    if request.htmx:
        context = guest_context(request, account_id, panels=[panel], **extra)
        return render(request, f"{GUEST_TEMPLATE}#panel-{panel}", context)
    return render(request, GUEST_TEMPLATE, guest_context(request, account_id, **extra))


def _change_view(
    form_class: type[ChangeForm],
    *,
    panel: str,
    service: Callable[..., ChangeOutcome],
    fields: tuple[str, ...] = (),
) -> ViewFunc:
    """The view of a change posted from a panel of the guest page: ``service`` is called with
    the form's ``fields`` and the door's arguments. Who may post it is whoever may do the form's
    action; the form's prefix names it in the page."""

    def perform(data: dict[str, Any], door: dict[str, Any]) -> ChangeOutcome:
        return service(**{name: data[name] for name in fields}, **door)

    @require_POST
    @requires("lookup_guests", action_get(form_class.action).permission)
    @guest_errors
    def change(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
        return _change(
            request, account_id, panel=panel, form=form_class(request.POST), perform=perform
        )

    change.__name__ = change.__qualname__ = f"{form_class.prefix}_change"
    return change


# The changes of the guest page: form, panel, service, and the form fields the service takes.
message_frequency = _change_view(
    MessageFrequencyForm, panel="header", service=services.message_frequency_change,
    fields=("preference",),
)  # fmt: skip
language = _change_view(
    LanguageForm, panel="header", service=services.language_change, fields=("language_code",)
)
username_migrate = _change_view(
    UsernameMigrateForm, panel="header", service=services.username_migrate, fields=("email",)
)
referrals_add = _change_view(
    ReferralsAddForm, panel="referrals", service=services.referrals_add,
    fields=("emails", "message"),
)  # fmt: skip
referral_code_create = _change_view(
    ReferralCodeCreateForm, panel="referrals", service=services.referral_code_create
)


@require_POST
@requires("lookup_guests", "apply_visit_codes")
@guest_errors
def visit_code_apply(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Apply a visit code checked first. Refused input (no reason given) shows the code's check
    again beside the form, as the form carried it (no upstream call for refused input): the
    CSR still sees what they are applying."""
    form = VisitCodeApplyForm(request.POST)
    code = str(form.data.get(form.add_prefix("code"), ""))
    carried = visit_check_carried_back(
        code,
        str(form.data.get(form.add_prefix("checked"), "")),
        account_id=account_id,
        viewer_id=viewer_of(request).pk,
    )
    if form.is_valid() or carried is None or set(form.errors) - {"reason_text", "reason_code"}:
        return _change(
            request,
            account_id,
            panel="wallets",
            form=form,
            perform=lambda data, door: services.visit_code_apply(code=data["code"], **door),
        )
    return _render_panel(
        request,
        account_id,
        panel="wallets",
        forms={"visit_check": VisitCodeCheckForm(initial={"code": code}), "visit_apply": form},
        visit=carried,
    )


note_add = _change_view(
    NoteForm, panel="notes", service=services.account_note_add, fields=("note",)
)
