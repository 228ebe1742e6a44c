"""The base of every form that goes through the door (``ChangeForm``: an idempotency key and
the reason its action asks for), and the audit screen's filter and export forms."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any, ClassVar

from django import forms
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from portal.audit.actions import OTHER, action_choices, action_get
from portal.audit.models import Outcome
from portal.audit.scrub import card_hash, card_normalize
from portal.audit.selectors import AuditFilters
from portal.audit.types import MAX_REASON_LENGTH, Reason

_LOCAL = "%Y-%m-%dT%H:%M"
#: What a key minted here looks like (hex), or a caller's (letters, digits, - and _).
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


#: A blank field's label, widget and help as drawn, by everything that drawing depends on.
_DRAWN: dict[tuple[Any, ...], SafeString] = {}
_DRAWN_MAX = 512
_DRAWN_LOCK = threading.Lock()


def _drawing_key(bound: BoundField) -> tuple[Any, ...] | None:
    """What a blank field's drawing depends on, or None when it cannot be told (choices read
    from somewhere else, a value that is not plain data)."""
    field, form = bound.field, bound.form
    choices = getattr(field, "choices", ())
    if not isinstance(choices, (list, tuple)):
        return None
    value = bound.value()
    if not isinstance(value, (str, int, bool, type(None))):
        return None
    return (
        get_language(),
        type(form),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        getattr(form, "required_css_class", None),
        getattr(form, "error_css_class", None),
        bound.name,
        value,
        str(field.label),
        str(field.help_text),
        field.required,
        field.disabled,
        type(field.widget),
        repr(sorted(field.widget.attrs.items())),
        repr(choices),
        bound.template_name,
    )


def _plain_hidden(bound: BoundField, widget: forms.Widget, attrs: Any, only_initial: bool) -> bool:
    """Whether ``bound`` draws as a bare hidden input: a blank form's, with no attributes of
    its own, no help, not disabled, a plain non-empty value (what Django's widget template then
    draws)."""
    field = bound.field
    value = bound.value()
    return (
        not bound.form.is_bound
        and type(widget) is forms.HiddenInput
        and not attrs
        and not widget.attrs
        and not only_initial
        and not field.disabled
        and not field.help_text
        and isinstance(value, str)
        and bool(value)
    )


class BlankDrawnOnce(BoundField):
    """A field of a blank (unbound) change form is drawn the same way every time: the guest
    page draws a dozen of them on every view, so each is drawn once per process and reused.
    A bound field (with the CSR's input and its errors) is always drawn afresh. A hidden input
    with nothing but a name and a value (every change form's idempotency key, fresh on every
    view) is drawn directly instead of through the widget's template."""

    def as_widget(
        self, widget: forms.Widget | None = None, attrs: Any = None, only_initial: bool = False
    ) -> SafeString:
        if not _plain_hidden(self, widget or self.field.widget, attrs, only_initial):
            return super().as_widget(widget, attrs, only_initial)
        if self.auto_id:
            return format_html(
                '<input type="hidden" name="{}" value="{}" id="{}">',
                self.html_name,
                self.value(),
                self.auto_id,
            )
        return format_html(
            '<input type="hidden" name="{}" value="{}">', self.html_name, self.value()
        )

    def as_field_group(self) -> SafeString:
        if self.form.is_bound:
            return super().as_field_group()
        key = _drawing_key(self)
        if key is None:
            return super().as_field_group()
        drawn = _DRAWN.get(key)
        if drawn is None:
            drawn = super().as_field_group()
            with _DRAWN_LOCK:
                if len(_DRAWN) >= _DRAWN_MAX:
                    _DRAWN.clear()
                _DRAWN[key] = drawn
        return drawn


def idempotency_key_valid(key: str) -> bool:
    """Whether ``key`` has the shape of a key this console mints (before it is looked up)."""
    return bool(_KEY.fullmatch(key))


class IdempotencyKeyForm(forms.Form):
    """A form the door takes: a hidden idempotency key, minted when the form is first shown, so
    a double click, a refresh or the back button resubmits the same key and the door answers
    with the first outcome instead of acting twice."""

    bound_field_class = BlankDrawnOnce

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not idempotency_key_valid(key):
            raise forms.ValidationError("This form is out of date; reload the page and try again.")
        return key

    def renew_key(self) -> None:
        """Show this (bound) form again with a fresh key: the next submit is a new attempt.

        For a change that failed. Not for one whose outcome is unknown or still pending: that
        one must be resubmitted with the same key, so the door settles it instead of sending
        it again.
        """
        data = dict(self.data.items())
        data[self.add_prefix("idempotency_key")] = new_idempotency_key()
        self.data = data


class ChangeForm(IdempotencyKeyForm):
    """Every change form: the hidden idempotency key, and the reason as the door asks for it.

    The reason fields come from the action's ``ActionSpec``, so the form and the door never
    disagree: with reason codes (disable, enable) a choice, where "other" needs details;
    without codes, free text, required when the action requires a reason.
    """

    action: ClassVar[str] = ""

    reason_code = forms.ChoiceField(label="Reason", widget=forms.RadioSelect)
    reason_text = forms.CharField(
        label="Details",
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spec = action_get(self.action)
        text = self.fields["reason_text"]
        if spec.reason_codes:
            codes = self.fields["reason_code"]
            assert isinstance(codes, forms.ChoiceField)
            codes.choices = list(spec.reason_codes)
            text.help_text = "Required when the reason is Other."
        else:
            del self.fields["reason_code"]
            text.label = "Reason"
            text.required = spec.reason_required
            text.help_text = "Recorded in the audit log with the change."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Details refused already (too long) have their own message: not a second one.
        if (
            data.get("reason_code") == OTHER
            and "reason_text" not in self.errors
            and not data.get("reason_text", "").strip()
        ):
            self.add_error("reason_text", "Say why, in a few words.")
        return data

    def reason(self) -> Reason:
        """The reason as the door takes it (the code is empty for an action without codes)."""
        return Reason(
            code=str(self.cleaned_data.get("reason_code") or ""),
            text=str(self.cleaned_data.get("reason_text") or "").strip(),
        )


class LocalDateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` box, which takes only ``yyyy-mm-ddThh:mm``: a moment given in full
    (the list's own links write ``2026-11-30T10:30:00+00:00``) is shown that way, in the time
    zone the field reads it in, instead of being left blank by the browser (and then lost by
    the next filter)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=_LOCAL)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            moment = parse_datetime(value.strip())
            if moment is None:
                return value  # as typed: its error says what is wrong with it
            value = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        return super().format_value(value)


def _when(label: str) -> forms.DateTimeField:
    # Read in the current time zone (``TIME_ZONE``), which the form names (``__init__``).
    return forms.DateTimeField(label=label, required=False, widget=LocalDateTimeInput())


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
    reads = forms.BooleanField(
        label="Show reading rows too",
        required=False,
        help_text="Looking at this log or a report, downloading a job's file.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action"), *action_choices()]
        zone = timezone.get_current_timezone_name()
        for name in ("since", "until"):
            self.fields[name].help_text = zone

    def clean_card(self) -> str:
        digits = card_normalize(self.cleaned_data.get("card", ""))
        if digits and (not (digits.isascii() and digits.isdigit()) or not 6 <= len(digits) <= 25):
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
            reads=bool(data.get("reads")),
        )


class AuditExportForm(AuditFilterForm, IdempotencyKeyForm):
    """The filters of the current view, posted with the form's idempotency key."""
