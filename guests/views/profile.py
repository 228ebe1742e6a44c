"""The guest's details and addresses, each on a screen of its own (Enrollment Service).

Each screen reads the guest with the CSR's scope; a form with errors is shown again from the
cached read (bad input costs no upstream call); a valid one reads the guest afresh, makes the
change through the door and answers like every change screen (``portal.web.change_answer``),
with each field upstream refused marked on its field. Without the Enrollment Service the
screens say so calmly and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from guests.profile_forms import AddressAddForm, AddressDeleteForm, AddressEditForm, DetailsForm
from guests.selectors.optional import ENROLLMENT, OptionalService
from guests.selectors.profile import GuestProfile, guest_profile
from guests.services import ChangeRefusedError
from guests.services.profile import address_add, address_delete, address_edit, guest_details_edit
from portal.audit.forms import ChangeForm
from portal.audit.outcome import ChangeOutcome
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    change_answer,
    change_refused,
    form_response,
    submission_of,
    upstream_errors,
    viewer_of,
)

DETAILS = "guests/profile/details.html"
ADDRESSES = "guests/profile/addresses.html"
ADDRESS_EDIT = "guests/profile/address_edit.html"
ADDRESS_DELETE = "guests/profile/address_delete.html"
UNAVAILABLE = "guests/profile/unavailable.html"

profile_screen = upstream_errors(title="The guest's details could not be loaded")


def guest_page_url(account_id: int, panel: str = "header") -> str:
    return reverse("guests:guest", args=[account_id]) + f"#panel-{panel}"


def service_unavailable(
    request: HtmxHttpRequest, account_id: int, service: OptionalService
) -> HttpResponse | None:
    """The calm page of a service this integration does not have, or ``None`` if it has it."""
    if service.available():
        return None
    context = {"account_id": account_id, "sentence": service.sentence}
    return render(request, UNAVAILABLE, context)


def profile_of(request: HtmxHttpRequest, account_id: int, *, fresh: bool = False) -> GuestProfile:
    return guest_profile(viewer=viewer_of(request), account_id=account_id, fresh=fresh)


def answer_change(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    form: ChangeForm,
    make: Callable[[], ChangeOutcome],
    *,
    done_url: str,
) -> HttpResponse:
    """Make the change (``make()``: a ``ChangeOutcome``) and answer it; a refusal before
    anything is sent, and each field upstream refused, are shown on the form."""
    try:
        result = make()
    except ValidationError as refusal:
        return change_refused(request, template, context, refusal)
    except ChangeRefusedError as refusal:
        context["error"] = str(refusal)
        return form_response(request, template, context, status=422)
    add_field_errors = getattr(form, "add_field_errors", None)
    if result.field_errors and add_field_errors is not None:
        add_field_errors(result.field_errors)
    return change_answer(request, template, context, form, result, done_url=done_url)


@require_GET
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def details_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The guest's details as their program has them, to change."""
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    return render(request, DETAILS, {"profile": profile, "form": DetailsForm(profile=profile)})


@require_POST
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def details_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    form = DetailsForm(request.POST, profile=profile_of(request, account_id))
    context: dict[str, Any] = {"profile": form.profile, "form": form}
    if not form.is_valid():
        return form_response(request, DETAILS, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        DETAILS,
        context,
        form,
        lambda: guest_details_edit(
            submission_of(request, form), profile=fresh, values=form.values()
        ),
        done_url=guest_page_url(account_id),
    )


def _addresses_context(profile: GuestProfile, form: ChangeForm) -> dict[str, Any]:
    return {"profile": profile, "form": form}


@require_GET
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def addresses(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The guest's addresses, each to edit or delete, and a form to add one."""
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    return render(request, ADDRESSES, _addresses_context(profile, AddressAddForm()))


@require_POST
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def address_add_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    form = AddressAddForm(request.POST)
    context = _addresses_context(profile_of(request, account_id), form)
    if not form.is_valid():
        return form_response(request, ADDRESSES, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        ADDRESSES,
        context,
        form,
        lambda: address_add(submission_of(request, form), profile=fresh, address=form.address()),
        done_url=reverse("guests:addresses", args=[account_id]),
    )


def _address_initial(profile: GuestProfile, address_id: str) -> dict[str, str]:
    address = profile.address(address_id)
    return {
        "label": address.label or "",
        "address1": address.address1 or "",
        "address2": address.address2 or "",
        "city": address.city or "",
        "state_province": address.state_province or "",
        "postal_code": address.postal_code or "",
        "country": address.country or "",
    }


@require_GET
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def address_edit_form(request: HtmxHttpRequest, account_id: int, address_id: str) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    form = AddressEditForm(initial=_address_initial(profile, address_id))
    context = {"profile": profile, "form": form, "address": profile.address(address_id)}
    return render(request, ADDRESS_EDIT, context)


@require_POST
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def address_edit_submit(request: HtmxHttpRequest, account_id: int, address_id: str) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    form = AddressEditForm(request.POST)
    context = {"profile": profile, "form": form, "address": profile.address(address_id)}
    if not form.is_valid():
        return form_response(request, ADDRESS_EDIT, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        ADDRESS_EDIT,
        context,
        form,
        lambda: address_edit(
            submission_of(request, form),
            profile=fresh,
            address_id=address_id,
            address=form.address(),
        ),
        done_url=reverse("guests:addresses", args=[account_id]),
    )


@require_GET
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def address_delete_form(request: HtmxHttpRequest, account_id: int, address_id: str) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    context = {
        "profile": profile,
        "form": AddressDeleteForm(),
        "address": profile.address(address_id),
    }
    return render(request, ADDRESS_DELETE, context)


@require_POST
@requires("lookup_guests", "edit_guest_details")
@profile_screen
def address_delete_submit(
    request: HtmxHttpRequest, account_id: int, address_id: str
) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    form = AddressDeleteForm(request.POST)
    context = {"profile": profile, "form": form, "address": profile.address(address_id)}
    if not form.is_valid():
        return form_response(request, ADDRESS_DELETE, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        ADDRESS_DELETE,
        context,
        form,
        lambda: address_delete(submission_of(request, form), profile=fresh, address_id=address_id),
        done_url=reverse("guests:addresses", args=[account_id]),
    )
