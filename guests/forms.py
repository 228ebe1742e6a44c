"""Forms of the guest screens: search, history filters, and the changes a CSR makes.

Every change form carries a hidden idempotency key, minted when the form is first shown, so a
double click, a refresh or the back button resubmits the same key and the audit door answers
with the first outcome instead of changing the guest twice. Whether a reason is required comes
from the door's action registry, so the form and the door never disagree.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from guests import labels
from guests.selectors.history import MAX_PAGE, HistoryQuery
from guests.selectors.query import (
    AccountCriteria,
    Kind,
    Query,
    QueryError,
    account_id_query,
    card_query,
    classify,
    criteria_query,
    eclub_query,
    email_address,
    external_query,
    phone_number,
    postal_code,
    username_query,
)
from guests.selectors.reads import HistoryFilter
from guests.selectors.timeline import KINDS as TIMELINE_KINDS
from guests.selectors.timeline import TimelineQuery
from portal.audit.forms import BlankDrawnOnce, ChangeForm
from portal.paytronix.csr import MAX_COMMENT_LENGTH

MAX_REFERRAL_EMAILS = 10
MAX_REFERRAL_MESSAGE = 500


class SearchForm(forms.Form):
    """The global search box: one text, whatever the caller gave."""

    q = forms.CharField(
        label="Find a guest",
        max_length=200,
        error_messages={
            "required": "Type what the guest gave: a card number, account id, username, email, "
            "phone or name."
        },
    )

    def clean_q(self) -> Query:
        try:
            query = classify(self.cleaned_data["q"])
        except QueryError as error:
            raise ValidationError(str(error)) from None
        template = settings.GUESTS_ECLUB_TEMPLATE_CODE
        if query.kind is Kind.EMAIL and template is not None:
            # An email the account search does not know may be an eClub (email-only) member.
            eclub = eclub_query(query.value, card_template_code=template)
            return dataclasses.replace(query, fallback=eclub)
        return query


def _optional(text: str | None) -> str:
    return (text or "").strip()


class AdvancedSearchForm(forms.Form):
    """Each search field on its own: one identifier, or any mix of email, phone, name and
    postal code (the account search matches all of those given)."""

    card_number = forms.CharField(label="Printed card number", required=False, max_length=40)
    account_id = forms.CharField(label="Account id", required=False, max_length=20)
    username = forms.CharField(label="Username", required=False, max_length=150)
    external_code = forms.CharField(label="External account code", required=False, max_length=150)
    email = forms.CharField(label="Email address", required=False, max_length=254)
    phone = forms.CharField(label="Phone number", required=False, max_length=30)
    first_name = forms.CharField(label="First name", required=False, max_length=80)
    last_name = forms.CharField(label="Last name", required=False, max_length=80)
    postal_code = forms.CharField(label="Postal code", required=False, max_length=12)
    eclub_email = forms.CharField(label="eClub email address", required=False, max_length=254)
    eclub_template = forms.IntegerField(
        label="eClub card template code",
        required=False,
        min_value=0,
        help_text="The program code of the eClub (the merchant's setting is filled in).",
    )

    IDENTIFIERS: ClassVar[tuple[str, ...]] = (
        "card_number",
        "account_id",
        "username",
        "external_code",
        "eclub_email",
    )
    CRITERIA: ClassVar[tuple[str, ...]] = (
        "email",
        "phone",
        "first_name",
        "last_name",
        "postal_code",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [name for name in self.IDENTIFIERS if _optional(data.get(name))]
        criteria = [name for name in self.CRITERIA if _optional(data.get(name))]
        if not given and not criteria:
            raise ValidationError("Fill in at least one field.")
        if len(given) > 1 or (given and criteria):
            raise ValidationError(
                "Search by one identifier (card, account id, username, external code or eClub "
                "email) on its own, or by any mix of email, phone, name and postal code."
            )
        try:
            data["query"] = self._query(data, given[0] if given else "")
        except QueryError as error:
            raise ValidationError(str(error)) from None
        return data

    def _query(self, data: dict[str, Any], identifier: str) -> Query:
        value = _optional(data.get(identifier)) if identifier else ""
        if identifier == "card_number":
            return card_query(value)
        if identifier == "account_id":
            return account_id_query(value)
        if identifier == "username":
            return username_query(value)
        if identifier == "external_code":
            return external_query(value)
        if identifier == "eclub_email":
            template = data.get("eclub_template")
            if template is None:
                raise QueryError("Give the eClub card template code with the eClub email.")
            return eclub_query(value, card_template_code=template)
        email = _optional(data.get("email"))
        phone = _optional(data.get("phone"))
        code = _optional(data.get("postal_code"))
        return criteria_query(
            AccountCriteria(
                email=email_address(email) if email else "",
                phone=phone_number(phone) if phone else "",
                first_name=_optional(data.get("first_name")),
                last_name=_optional(data.get("last_name")),
                postal_code=postal_code(code) if code else "",
            )
        )


def refuse_over_limit(text: str, limit: int, what: str) -> None:
    """Refuse a text longer than ``limit``, saying by how much; it is never cut. The box has
    no maxlength (a browser would cut a paste silently): data-limit drives a counter
    (static/js/app.js) as the text is typed."""
    if len(text) > limit:
        over = len(text) - limit
        raise ValidationError(
            f"The {what} is {len(text)} characters; the limit is {limit}. "
            f"Shorten it by {over} character{'s' if over != 1 else ''}: nothing was saved."
        )


class DateRangeForm(forms.Form):
    """Filters from the query string between two optional dates, the end not before the start."""

    bound_field_class = BlankDrawnOnce

    date_start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("date_start")
        end: date | None = data.get("date_end")
        if start and end and start > end:
            self.add_error("date_end", "The end date is before the start date.")
        return data


class HistoryFilterForm(DateRangeForm):
    """The history panel's filters and page, from the query string."""

    balance_only = forms.BooleanField(label="Only balance changes", required=False)
    exclude_identify = forms.BooleanField(label="Hide card swipes without a change", required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def history_query(self) -> HistoryQuery:
        """The filters asked for; the defaults when the form is invalid."""
        if not self.is_valid():
            return HistoryQuery()
        data = self.cleaned_data
        return HistoryQuery(
            filters=HistoryFilter(
                date_start=data.get("date_start"),
                date_end=data.get("date_end"),
                balance_affecting_only=bool(data.get("balance_only")),
                exclude_identify=bool(data.get("exclude_identify")),
            ),
            page=data.get("page") or 1,
        )


class _PreferenceForm(ChangeForm):
    """A preference change. ``shown`` is the value the page showed: choosing it again would
    change nothing, and is refused rather than sent and recorded as a change."""

    #: The field holding the preference, and what it is called in a sentence.
    chosen: ClassVar[str]
    what: ClassVar[str]

    shown = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = str(data.get(self.chosen) or "")
        if value and str(data.get("shown") or "").casefold() == value.casefold():
            self.add_error(
                self.chosen, f"The guest's {self.what} is already this one: nothing to change."
            )
        return data


class MessageFrequencyForm(_PreferenceForm):
    action = "messaging.frequency"
    prefix = "frequency"
    chosen = "preference"
    what = "message frequency"

    preference = forms.ChoiceField(
        label="How often the guest hears from us",
        choices=[(c.code, f"{c.label}: {c.explanation}") for c in labels.MESSAGE_FREQUENCIES],
        widget=forms.RadioSelect,
    )


class LanguageForm(_PreferenceForm):
    action = "language.set"
    prefix = "language"
    chosen = "language_code"
    what = "language"

    language_code = forms.ChoiceField(
        label="Language",
        choices=[(c.code, c.label) for c in labels.LANGUAGES],
    )


class UsernameMigrateForm(ChangeForm):
    """Use the guest's email address as their username: ``email`` is the address shown."""

    action = "username.migrate_email"
    prefix = "username"

    email = forms.CharField(widget=forms.HiddenInput, max_length=254)


_EMAIL_SEPARATORS = re.compile(r"[\s,;]+")


class ReferralsAddForm(ChangeForm):
    action = "referrals.add"
    prefix = "referrals"

    emails = forms.CharField(
        label="Friends' email addresses",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One or more, separated by commas or new lines (at most {MAX_REFERRAL_EMAILS}).",
    )
    message = forms.CharField(
        label="Message in the invitation (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data-limit": MAX_REFERRAL_MESSAGE}),
        help_text=f"At most {MAX_REFERRAL_MESSAGE} characters.",
    )

    def clean_emails(self) -> list[str]:
        found: list[str] = []
        wrong: list[str] = []
        for item in _EMAIL_SEPARATORS.split(self.cleaned_data["emails"]):
            if not item:
                continue
            try:
                validate_email(item)
            except ValidationError:
                wrong.append(item)
                continue
            if item.lower() not in {e.lower() for e in found}:
                found.append(item)
        if wrong:
            raise ValidationError("Not email addresses: " + ", ".join(wrong) + ".")
        if not found:
            raise ValidationError("Give at least one email address.")
        if len(found) > MAX_REFERRAL_EMAILS:
            raise ValidationError(f"At most {MAX_REFERRAL_EMAILS} addresses at a time.")
        return found

    def clean_message(self) -> str:
        message = str(self.cleaned_data.get("message") or "").strip()
        refuse_over_limit(message, MAX_REFERRAL_MESSAGE, "message")
        return message


class ReferralCodeCreateForm(ChangeForm):
    action = "referrals.create_code"
    prefix = "referral_code"


class ReferralCodeCheckForm(forms.Form):
    bound_field_class = BlankDrawnOnce
    prefix = "referral_check"

    code = forms.CharField(label="Referral code", max_length=64)

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


class VisitCodeCheckForm(forms.Form):
    bound_field_class = BlankDrawnOnce
    prefix = "visit_check"

    code = forms.CharField(
        label="Visit code (from the receipt)",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


class VisitCodeApplyForm(ChangeForm):
    """Apply a code already checked: the code travels in a hidden field."""

    action = "visit_code.apply"
    prefix = "visit_apply"

    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    #: What the check found (signed: ``guests.selectors.codes.visit_check_carried``), to show
    #: it again beside the form when the form is refused, with no second upstream call.
    checked = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class NoteForm(ChangeForm):
    action = "account_note.add"
    prefix = "note"

    # No maxlength: see refuse_over_limit.
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "data-limit": MAX_COMMENT_LENGTH,
                "data-shortcut": "a",
                "aria-keyshortcuts": "a",
                "data-shortcut-label": "Write an account note",
            }
        ),
        help_text=f"At most {MAX_COMMENT_LENGTH} characters. Signed with your username.",
    )

    def clean_note(self) -> str:
        note = str(self.cleaned_data["note"]).strip()
        if not note:
            raise ValidationError("Write the note.")
        refuse_over_limit(note, MAX_COMMENT_LENGTH, "note")
        return note


class TimelineFilterForm(DateRangeForm):
    """The timeline's filters, from the query string: what to show and between which dates."""

    kinds = forms.MultipleChoiceField(
        label="Show",
        choices=list(TIMELINE_KINDS.items()),
        initial=list(TIMELINE_KINDS),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked shows everything.",
    )

    def timeline_query(self) -> TimelineQuery:
        """The filters asked for; everything when the form is empty or not valid."""
        if not self.is_bound or not self.is_valid():
            return TimelineQuery()
        data = self.cleaned_data
        return TimelineQuery(
            kinds=frozenset(data.get("kinds") or TIMELINE_KINDS),
            date_start=data.get("date_start"),
            date_end=data.get("date_end"),
        )
