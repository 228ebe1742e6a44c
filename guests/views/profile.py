"""The guest's details and addresses, each on a screen of its own (Enrollment Service).

Every profile screen (these, and the password reset and deletion of ``guests.views.privacy``)
is a ``ProfileScreen``: its template, the service it needs, the form and what else it shows.
Shown (GET), it reads the guest with the CSR's scope. Submitted (POST), a form with errors is
shown again from the cached read (bad input costs no upstream call); a valid one reads the guest
afresh, makes the change through the door and answers like every change screen
(``portal.web.change_answer``), with each field upstream refused marked on its field. Without
the service the screens say so calmly and change nothing.
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

from guests.profile_forms import (
    AccountFieldsForm,
    AddressAddForm,
    AddressDeleteForm,
    AddressEditForm,
    DetailsForm,
)
from guests.selectors.optional import ENROLLMENT, OptionalService
from guests.selectors.profile import GuestProfile, guest_profile
from guests.services import ChangeRefusedError
from guests.services.profile import (
    account_fields_edit,
    address_add,
    address_delete,
    address_edit,
    guest_details_edit,
)
from portal.audit.forms import ChangeForm
from portal.audit.outcome import ChangeOutcome
from portal.audit.types import Submission
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    ViewFunc,
    change_answer,
    change_refused,
    form_response,
    submission_of,
    upstream_errors,
    viewer_of,
)

UNAVAILABLE = "guests/profile/unavailable.html"

profile_screen = upstream_errors(title="The guest's details could not be loaded")

#: ``make(submission, fresh_profile, form)``: the change a valid form asks for.
Make = Callable[[Submission, GuestProfile, Any], ChangeOutcome]


def guest_page_url(account_id: int, panel: str = "header") -> str:
    return reverse("guests:guest", args=[account_id]) + f"#panel-{panel}"


def addresses_url(account_id: int) -> str:
    return reverse("guests:addresses", args=[account_id])


def _nothing_more(profile: GuestProfile) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class ProfileScreen:
    """One screen of the guest's profile: what it shows and the change its form makes."""

    template: str
    service: OptionalService
    #: The form, unbound (``data`` None) or bound, for the guest shown.
    form: Callable[[GuestProfile, Any], ChangeForm]
    make: Make
    #: Where a done change goes (a GET of its own): the account id's URL.
    done: Callable[[int], str] = guest_page_url
    #: What else the template shows, from the guest (an address, the deletion's items).
    shows: Callable[[GuestProfile], dict[str, Any]] = _nothing_more

    def unavailable(self, request: HtmxHttpRequest, account_id: int) -> HttpResponse | None:
        """The calm page of a service this integration does not have, or ``None``."""
        if self.service.available():
            return None
        context = {"account_id": account_id, "sentence": self.service.sentence}
        return render(request, UNAVAILABLE, context)

    def context(self, profile: GuestProfile, form: ChangeForm) -> dict[str, Any]:
        return {"profile": profile, "form": form, **self.shows(profile)}

    def show(self, request: HtmxHttpRequest, account_id: int) -> HttpResponse:
        if (off := self.unavailable(request, account_id)) is not None:
            return off
        profile = profile_of(request, account_id)
        return render(request, self.template, self.context(profile, self.form(profile, None)))

    def submit(self, request: HtmxHttpRequest, account_id: int) -> HttpResponse:
        if (off := self.unavailable(request, account_id)) is not None:
            return off
        profile = profile_of(request, account_id)
        form = self.form(profile, request.POST)
        context = self.context(profile, form)
        if not form.is_valid():
            return form_response(request, self.template, context, status=422)
        fresh = profile_of(request, account_id, fresh=True)
        try:
            result = self.make(submission_of(request, form), fresh, form)
        except ValidationError as refusal:
            return change_refused(request, self.template, context, refusal)
        except ChangeRefusedError as refusal:
            context["error"] = str(refusal)
            return form_response(request, self.template, context, status=422)
        add_field_errors = getattr(form, "add_field_errors", None)
        if result.field_errors and add_field_errors is not None:
            add_field_errors(result.field_errors)
        done = self.done(account_id)
        return change_answer(request, self.template, context, form, result, done_url=done)


def profile_of(request: HtmxHttpRequest, account_id: int, *, fresh: bool = False) -> GuestProfile:
    return guest_profile(viewer=viewer_of(request), account_id=account_id, fresh=fresh)


DETAILS = ProfileScreen(
    template="guests/profile/details.html",
    service=ENROLLMENT,
    form=lambda profile, data: DetailsForm(data, profile=profile),
    make=lambda submission, fresh, form: guest_details_edit(
        submission, profile=fresh, values=form.values()
    ),
)
ACCOUNT_FIELDS = ProfileScreen(
    template="guests/profile/details.html",
    service=ENROLLMENT,
    form=lambda profile, data: AccountFieldsForm(data, profile=profile),
    make=lambda submission, fresh, form: account_fields_edit(
        submission, profile=fresh, values=form.values()
    ),
    shows=lambda profile: {
        "heading": "Edit the account's fields",
        "submit": "guests:account_fields_submit",
        "button": "Save the account fields",
        "account": True,
    },
)
ADDRESSES = ProfileScreen(
    template="guests/profile/addresses.html",
    service=ENROLLMENT,
    form=lambda profile, data: AddressAddForm(data),
    make=lambda submission, fresh, form: address_add(
        submission, profile=fresh, address=form.address()
    ),
    done=addresses_url,
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


def address_edit_screen(address_id: str) -> ProfileScreen:
    return ProfileScreen(
        template="guests/profile/address_edit.html",
        service=ENROLLMENT,
        form=lambda profile, data: AddressEditForm(
            data, initial=_address_initial(profile, address_id)
        ),
        make=lambda submission, fresh, form: address_edit(
            submission, profile=fresh, address_id=address_id, address=form.address()
        ),
        done=addresses_url,
        shows=lambda profile: {"address": profile.address(address_id)},
    )


def address_delete_screen(address_id: str) -> ProfileScreen:
    return ProfileScreen(
        template="guests/profile/address_delete.html",
        service=ENROLLMENT,
        form=lambda profile, data: AddressDeleteForm(data),
        make=lambda submission, fresh, form: address_delete(
            submission, profile=fresh, address_id=address_id
        ),
        done=addresses_url,
        shows=lambda profile: {"address": profile.address(address_id)},
    )


def screen_views(
    screen: Callable[..., ProfileScreen], permission: str, name: str
) -> tuple[ViewFunc, ViewFunc]:
    """The two views of a profile screen (``screen(**url ids)``): shown to whoever may do its
    change (GET), and submitted (POST)."""

    @require_GET
    @requires("lookup_guests", permission)
    @profile_screen
    def show(request: HtmxHttpRequest, account_id: int, **ids: str) -> HttpResponse:
        return screen(**ids).show(request, account_id)

    @require_POST
    @requires("lookup_guests", permission)
    @profile_screen
    def submit(request: HtmxHttpRequest, account_id: int, **ids: str) -> HttpResponse:
        return screen(**ids).submit(request, account_id)

    show.__name__ = show.__qualname__ = f"{name}_form"
    submit.__name__ = submit.__qualname__ = f"{name}_submit"
    return show, submit


details_form, details_submit = screen_views(lambda: DETAILS, "edit_guest_details", "details")
account_fields_form, account_fields_submit = screen_views(
    lambda: ACCOUNT_FIELDS, "edit_guest_details", "account_fields"
)
addresses, address_add_submit = screen_views(lambda: ADDRESSES, "edit_guest_details", "addresses")
address_edit_form, address_edit_submit = screen_views(
    address_edit_screen, "edit_guest_details", "address_edit"
)
address_delete_form, address_delete_submit = screen_views(
    address_delete_screen, "edit_guest_details", "address_delete"
)
