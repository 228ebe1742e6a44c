"""The audit screen's filter form and the export form, and the base of every form that goes
through the door with an idempotency key."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from portal.audit.actions import action_choices
from portal.audit.models import Outcome
from portal.audit.scrub import card_hash, card_normalize
from portal.audit.selectors import AuditFilters

_LOCAL = "%Y-%m-%dT%H:%M"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class IdempotencyKeyForm(forms.Form):
    """A form the door takes: a hidden idempotency key, minted when the form is first shown, so
    a double click, a refresh or the back button resubmits the same key and the door answers
    with the first outcome instead of acting twice."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not key.isalnum():
            raise forms.ValidationError("This form is out of date; reload the page and try again.")
        return key


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL),
        help_text="UTC",
    )


class AuditFilterForm(forms.Form):
    """Filters, read from the query string (GET) or posted (a card number never goes in a URL:
    it is posted, then replaced by its keyed hash)."""

    since = _when("From")
    until = _when("Until")
    username = forms.CharField(label="User", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False)
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *Outcome.choices]
    )
    account_id = forms.IntegerField(label="Account id", required=False, min_value=0)
    card = forms.CharField(
        label="Card number",
        required=False,
        max_length=40,
        help_text="The full printed number: an exact match.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    card_hash = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action"), *action_choices()]

    def clean_card(self) -> str:
        digits = card_normalize(self.cleaned_data.get("card", ""))
        if digits and (not digits.isdigit() or not 6 <= len(digits) <= 25):
            raise forms.ValidationError("Enter the card's printed number (digits only).")
        return digits

    def clean_card_hash(self) -> str:
        value = str(self.cleaned_data.get("card_hash", "")).lower()
        if value and (len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value)):
            raise forms.ValidationError("Not a card filter.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "“Until” must be after “From”.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            since=data.get("since"),
            until=data.get("until"),
            username=data.get("username", "").strip(),
            action=data.get("action", ""),
            outcome=data.get("outcome", ""),
            account_id=data.get("account_id"),
            card_hash=card_hash(data["card"]) if data.get("card") else data.get("card_hash", ""),
        )


class AuditExportForm(AuditFilterForm):
    """The filters of the current view, posted with the form's idempotency key."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("idempotency_key", new_idempotency_key())
