"""Forms of the guest's details, addresses, password reset and privacy deletion.

The details form is built from the guest's program (``GuestProfile.fields``): each field as
the program labels it, required where the program requires it, a list where it has choices.
A refusal upstream sends back per field lands on that field (``add_field_errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from guests.selectors.profile import BOOLEAN, CHOICE, DATE, EMAIL, PHONE, DetailField, GuestProfile
from guests.selectors.query import QueryError, phone_number
from portal.audit.forms import ChangeForm
from portal.paytronix.enrollment import AddressFields

MAX_ADDRESS_LINE = 100
#: The birthday's wire name: a date that cannot be in the future.
BIRTHDAY = "dateOfBirth"


def _phone(value: str) -> str:
    try:
        return phone_number(value)
    except QueryError as error:
        raise ValidationError(str(error)) from None


def _form_field(spec: DetailField) -> forms.Field:
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    if spec.kind == BOOLEAN:
        return forms.BooleanField(**{**common, "required": False})
    if spec.kind == EMAIL:
        return forms.EmailField(**common, max_length=254)
    if spec.kind == DATE:
        attrs = {"type": "date"}
        if spec.name == BIRTHDAY:
            attrs["max"] = timezone.localdate().isoformat()
        return forms.DateField(**common, widget=forms.DateInput(attrs=attrs))
    if spec.kind == CHOICE:
        empty = [("", "— not set —")] if not spec.required else []
        return forms.ChoiceField(**common, choices=[*empty, *spec.choices])
    field = forms.CharField(**common, max_length=spec.max_length)
    if spec.kind == PHONE:
        field.widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
    return field


class DetailsForm(ChangeForm):
    """The guest's details, as their program has them."""

    action = "guest.edit"
    prefix = "details"

    @staticmethod
    def specs(profile: GuestProfile) -> tuple[DetailField, ...]:
        """The fields this form edits."""
        return profile.fields

    @staticmethod
    def on_file(profile: GuestProfile) -> dict[str, Any]:
        """Their values on file."""
        return profile.values

    def __init__(self, *args: Any, profile: GuestProfile, **kwargs: Any) -> None:
        self.specs_shown = type(self).specs(profile)
        data = args[0] if args else kwargs.get("data")
        if data is None:
            values = type(self).on_file(profile)
            kwargs["initial"] = {
                spec.name: values.get(spec.name) for spec in self.specs_shown
            } | dict(kwargs.get("initial") or {})
        super().__init__(*args, **kwargs)
        self.profile = profile
        for spec in self.specs_shown:
            self.fields[spec.name] = _form_field(spec)
        # The reason last, after the guest's fields.
        for name in ("reason_code", "reason_text"):
            if name in self.fields:
                self.fields[name] = self.fields.pop(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for spec in self.specs_shown:
            value = data.get(spec.name)
            if spec.kind == PHONE and value:
                try:
                    data[spec.name] = _phone(value)
                except ValidationError as error:
                    self.add_error(spec.name, error)
            elif spec.kind == EMAIL and value:
                data[spec.name] = value.strip().lower()
            elif spec.name == BIRTHDAY and self._future_birthday_typed(value):
                self.add_error(spec.name, "A birthday cannot be in the future.")
        return data

    def _future_birthday_typed(self, value: Any) -> bool:
        """A birthday after today, as typed: one already on file (a slip at enrolment) does
        not block every other change of the guest's details."""
        if not value or value <= timezone.localdate():
            return False
        return str(value) != str(type(self).on_file(self.profile).get(BIRTHDAY))

    def values(self) -> dict[str, Any]:
        """The guest's fields as typed (wire name → value; ``None`` for a cleared field)."""
        values: dict[str, Any] = {}
        for spec in self.specs_shown:
            value = self.cleaned_data.get(spec.name)
            values[spec.name] = bool(value) if spec.kind == BOOLEAN else (value or None)
        return values

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[spec.name] for spec in self.specs_shown]

    def add_field_errors(self, errors: Mapping[str, tuple[str, ...]]) -> None:
        """Upstream's refusals, each on its field (a field the form does not show: on top)."""
        for name, sentences in errors.items():
            for sentence in sentences:
                self.add_error(name if name in self.fields else None, sentence)


class AccountFieldsForm(DetailsForm):
    """The account fields the program lists (the customer number)."""

    action = "guest.edit_account"
    prefix = "account_fields"

    @staticmethod
    def specs(profile: GuestProfile) -> tuple[DetailField, ...]:
        return profile.account_fields

    @staticmethod
    def on_file(profile: GuestProfile) -> dict[str, Any]:
        return profile.account_values


class AddressForm(ChangeForm):
    """One postal address (add or edit)."""

    label = forms.CharField(label="Label", max_length=40, required=False, help_text="Home, Work…")
    address1 = forms.CharField(label="Street address", max_length=MAX_ADDRESS_LINE)
    address2 = forms.CharField(label="Address line 2", max_length=MAX_ADDRESS_LINE, required=False)
    city = forms.CharField(label="City", max_length=60)
    state_province = forms.CharField(label="State or province", max_length=40, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=12)
    country = forms.CharField(
        label="Country", max_length=2, initial="US", help_text="Two-letter code (US, CA…)"
    )

    def clean_country(self) -> str:
        value = str(self.cleaned_data.get("country") or "").strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValidationError("Give the two-letter country code (US, CA…).")
        return value

    def address(self) -> AddressFields:
        data = self.cleaned_data
        return AddressFields(
            label=data.get("label", "").strip(),
            address1=data["address1"].strip(),
            address2=data.get("address2", "").strip(),
            city=data["city"].strip(),
            state_province=data.get("state_province", "").strip(),
            postal_code=data["postal_code"].strip().upper(),
            country=data["country"],
        )

    def add_field_errors(self, errors: Mapping[str, tuple[str, ...]]) -> None:
        names = {"stateProvince": "state_province", "postalCode": "postal_code"}
        for name, sentences in errors.items():
            field = names.get(name, name)
            for sentence in sentences:
                self.add_error(field if field in self.fields else None, sentence)


class AddressAddForm(AddressForm):
    action = "guest.address_add"
    prefix = "address"


class AddressEditForm(AddressForm):
    action = "guest.address_edit"
    prefix = "address"


class AddressDeleteForm(ChangeForm):
    action = "guest.address_delete"
    prefix = "address_delete"


class PasswordResetForm(ChangeForm):
    action = "guest.password_reset"
    prefix = "password_reset"


IDENTITY_CHECKS: tuple[tuple[str, str], ...] = (
    ("name", "The caller gave the guest's full name as on file."),
    ("email", "The caller gave the email address on file."),
    ("card", "The caller gave the card number or the account's phone number."),
    (
        "request",
        "The guest asked for all their personal data to be deleted (not only to stop "
        "marketing messages).",
    ),
)


class DeletionRequestForm(ChangeForm):
    """A privacy deletion: the identity checklist, the typed confirmation, the reason."""

    action = "guest.delete"
    prefix = "deletion"

    identity = forms.MultipleChoiceField(
        label="The guest's identity is confirmed",
        choices=IDENTITY_CHECKS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Confirm the guest's identity: tick every check."},
    )
    confirmation = forms.CharField(
        label="Type the confirmation",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, account_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = f"DELETE {account_id}"
        self.fields["confirmation"].help_text = f"Type {self.expected} to confirm."
        for name in ("reason_code", "reason_text"):
            if name in self.fields:
                self.fields[name] = self.fields.pop(name)

    def clean_identity(self) -> list[str]:
        ticked = list(self.cleaned_data.get("identity") or [])
        if set(ticked) != {code for code, _ in IDENTITY_CHECKS}:
            raise ValidationError("Confirm the guest's identity: tick every check.")
        return ticked

    def clean_confirmation(self) -> str:
        # Exactly as asked, capitals and all: only spaces around it are forgiven.
        typed = str(self.cleaned_data.get("confirmation") or "").strip()
        if typed != self.expected:
            raise ValidationError(f"Type {self.expected} exactly to confirm.")
        return typed
