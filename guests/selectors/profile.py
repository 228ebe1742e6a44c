"""The guest's details as the edit screens need them: which fields the program has (the
Enrollment Service's ``enrollmentConfig``), each field's current value, the addresses, and
where a password reset email would go.

The standard fields (name, email, phones, birthday, postal code, marketing opt-ins) are always
offered; enrollmentConfig overrides their labels and says which are required. The program's
own fields are offered where enrollmentConfig lists them and the guest's read gives them back
(``UserFields``): a field the console could not read back could never be shown as applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import dateformat

from guests.selectors import optional, reads
from guests.selectors.fanout import read_within
from guests.selectors.load import guest_account
from guests.selectors.page import is_registered
from guests.selectors.scope import Viewer
from portal.audit.personal import field_value
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import FailureError, PaytronixError
from portal.paytronix.replies import (
    AccountInformation,
    AddressInformation,
    EnrollmentConfig,
    EnrollmentField,
)
from portal.sentences import NotShownError

TEXT, EMAIL, PHONE, DATE, BOOLEAN, CHOICE = "text", "email", "phone", "date", "boolean", "choice"

#: The standard fields, in the order the form shows them: wire name, label, kind.
STANDARD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("firstName", "First name", TEXT),
    ("lastName", "Last name", TEXT),
    ("email", "Email address", EMAIL),
    ("phone", "Phone", PHONE),
    ("mobilePhone", "Mobile phone", PHONE),
    ("dateOfBirth", "Birthday", DATE),
    ("postalCode", "Postal code", TEXT),
    ("optIn", "Marketing email", BOOLEAN),
    ("textCampaignOptIn", "Text messages", BOOLEAN),
)
STANDARD_NAMES = frozenset(name for name, _, _ in STANDARD_FIELDS)
#: What the guest page calls the program's own fields where enrollmentConfig gives no label
#: (or cannot be read). The salutation is not among them: the guest's name carries it.
OWN_FIELD_LABELS = {
    "companyName": "Company",
    "anniversaryDate": "Anniversary",
    "fax": "Fax",
    **{f"custom{n}": f"Custom field {n}" for n in range(1, 7)},
}
#: Fields a program may add (vendor glossary, "Demographic Fields") that the guest's read
#: gives back, so a change to one can be seen applied.
OWN_FIELDS = frozenset({"salutation", *OWN_FIELD_LABELS})
#: How long a program's own fields' labels are kept (every guest of the program shares them);
#: after a failed read, the fallback words are kept for ``_LABELS_AFTER_FAILURE`` seconds.
PROGRAM_LABELS_SECONDS = 600
_LABELS_AFTER_FAILURE = 60
#: The most a page waits for a program's labels before it shows the console's words.
LABELS_DEADLINE = 1.5

logger = logging.getLogger("guests")

#: Account fields (``setAccountFields``) the console edits: the customer number. Perks, the
#: footnote's other account field, are a list of the program's codes, not offered.
ACCOUNT_EDITABLE = frozenset({"customerNumber"})
_KINDS = {"email": EMAIL, "phone": PHONE, "date": DATE, "boolean": BOOLEAN}
_FIELD_MAX = 80


@dataclass(frozen=True)
class DetailField:
    """One field of the details form."""

    name: str
    label: str
    kind: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    #: One of the program's own fields (listed by enrollmentConfig beyond the standard ones).
    own: bool = False
    max_length: int = _FIELD_MAX


@dataclass(frozen=True)
class GuestProfile:
    """A registered guest's details and addresses, and the fields their program has."""

    account_id: int
    account: AccountInformation
    username: str
    fields: tuple[DetailField, ...]
    values: dict[str, Any]
    addresses: tuple[AddressInformation, ...] = ()
    #: The fields the program requires to be unique among its guests.
    unique: tuple[str, ...] = ()
    #: The account fields the program lists that the console edits, and their values.
    account_fields: tuple[DetailField, ...] = ()
    account_values: dict[str, Any] = field(default_factory=dict)
    display_name: str = field(default="")

    def address(self, address_id: str) -> AddressInformation:
        for address in self.addresses:
            if address.address_id == address_id:
                return address
        raise AddressGoneError(address_id)

    @property
    def email(self) -> str:
        return str(self.values.get("email") or "")


class AddressGoneError(NotShownError):
    """An address id the guest does not have (any more)."""

    @property
    def sentence(self) -> str:
        return "That address is not on file for this guest any more."


class NotRegisteredError(NotShownError):
    """The account has no registered guest: no details, addresses or password to change."""

    @property
    def sentence(self) -> str:
        return (
            "This card is not registered to a guest, so it has no details, addresses or "
            "password to change."
        )


def _detail_field(listed: EnrollmentField | None, name: str, label: str, kind: str) -> DetailField:
    choices = tuple(
        (c.value, c.label or c.value) for c in (listed.choices if listed else []) if c.value
    )
    listed_kind = _KINDS.get((listed.type or "").lower(), kind) if listed else kind
    return DetailField(
        name=name,
        label=(listed.label if listed and listed.label else label),
        kind=CHOICE if choices else listed_kind,
        required=bool(listed and listed.required),
        choices=choices,
        own=name not in STANDARD_NAMES,
        max_length=min(listed.max_length or _FIELD_MAX, _FIELD_MAX) if listed else _FIELD_MAX,
    )


def _listed(config: EnrollmentConfig | None) -> dict[str, EnrollmentField]:
    return {f.name: f for f in (config.fields if config else []) if f.name}


def account_detail_fields(config: EnrollmentConfig | None) -> tuple[DetailField, ...]:
    """The account fields the program lists that the console edits."""
    listed = _listed(config)
    return tuple(
        _detail_field(item, name, name, TEXT)
        for name, item in listed.items()
        if name in ACCOUNT_EDITABLE
    )


def detail_fields(config: EnrollmentConfig | None) -> tuple[DetailField, ...]:
    """The standard fields (as the program labels them), then the program's own."""
    listed = _listed(config)
    standard = tuple(
        _detail_field(listed.get(name), name, label, kind) for name, label, kind in STANDARD_FIELDS
    )
    own = tuple(
        _detail_field(item, name, name, TEXT) for name, item in listed.items() if name in OWN_FIELDS
    )
    return standard + own


def program_config(account: AccountInformation) -> EnrollmentConfig | None:
    """enrollmentConfig of the account's program (cached with the guest's reads); ``None``
    when the Enrollment Service is not there."""
    template = account.card_template_code
    if account.account_id is None or template is None:
        return None
    return optional.ENROLLMENT.call(
        lambda: reads.cached(
            account.account_id or 0,
            "enrollment_config",
            lambda: _enrollment_config(template),
            template=template,
        )
    )


def _enrollment_config(template: int) -> EnrollmentConfig:
    return client_from_settings().enrollment.enrollment_config(card_template_code=template)


def _program_labels(account: AccountInformation) -> dict[str, tuple[str, dict[str, str]]]:
    """The program's label of each of its own fields, and of each choice of one that has
    choices (enrollmentConfig), kept per program for every guest of it; empty where the
    Enrollment Service is not there or the read failed."""
    template = account.card_template_code
    if template is None:
        return {}
    key = f"program-field-labels:{template}"
    labels = cache.get(key)
    if labels is not None:
        return {name: (label, dict(choices)) for name, (label, choices) in labels.items()}
    seconds = PROGRAM_LABELS_SECONDS
    try:
        # Read as the page is drawn, after its other reads: held to ``LABELS_DEADLINE`` (a
        # read still running then goes on in its thread, bounded by the client's timeouts).
        config = read_within(
            lambda: optional.ENROLLMENT.call(lambda: _enrollment_config(template)),
            name="enrollment_config",
            deadline=LABELS_DEADLINE,
        )
    except PaytronixError as error:
        logger.warning("enrollmentConfig of template %s: %s", template, type(error).__name__)
        config, seconds = None, _LABELS_AFTER_FAILURE
    labels = {
        name: (
            listed.label or OWN_FIELD_LABELS[name],
            {c.value: c.label for c in listed.choices if c.value and c.label},
        )
        for name, listed in _listed(config).items()
        if name in OWN_FIELD_LABELS
    }
    cache.set(key, labels, seconds)
    return labels


def _shown(value: Any, choices: dict[str, str]) -> str:
    if isinstance(value, date):
        return dateformat.format(value, "M j, Y")
    return choices.get(str(value), str(value))


def own_field_values(account: AccountInformation | None, fields: Any) -> list[tuple[str, str]]:
    """The program's own fields the guest has a value in, as (label, value), in
    ``OWN_FIELD_LABELS``'s order, as the program words them (a choice by its label): its
    enrollmentConfig is read only when the guest has one, once per program every
    ``PROGRAM_LABELS_SECONDS``."""
    values = {
        name: value
        for name in OWN_FIELD_LABELS
        if (value := field_value(fields, name)) not in (None, "")
    }
    if not values or account is None:
        return []
    labels = _program_labels(account)
    shown = []
    for name, value in values.items():
        label, choices = labels.get(name, (OWN_FIELD_LABELS[name], {}))
        shown.append((label, _shown(value, choices)))
    return shown


def guest_profile(*, viewer: Viewer, account_id: int, fresh: bool = False) -> GuestProfile:
    """The registered guest of ``account_id`` as ``viewer`` may see them; ``fresh`` reads past
    the cache (before a change is made).

    Raises ``NotRegisteredError`` for an anonymous card, and what ``guest_account`` raises.
    """
    account = guest_account(viewer=viewer, account_id=account_id, fresh=fresh)
    if not is_registered(account) or not account.username:
        raise NotRegisteredError("not registered")
    try:
        user = reads.user_of_account(account_id=account_id, fresh=fresh)
    except FailureError as error:
        if error.error_code == "account_info.invalid_user":
            raise NotRegisteredError("not registered") from None
        raise
    config = program_config(account)
    fields = detail_fields(config)
    values = {f.name: field_value(user.fields, f.name) for f in fields}
    account_fields = account_detail_fields(config)
    first, last = values.get("firstName") or "", values.get("lastName") or ""
    return GuestProfile(
        account_id=account_id,
        account=account,
        username=account.username,
        fields=fields,
        values=values,
        addresses=tuple(user.addresses),
        unique=tuple(settings.GUESTS_UNIQUE_FIELDS),
        account_fields=account_fields,
        account_values={f.name: field_value(account.fields, f.name) for f in account_fields},
        display_name=f"{first} {last}".strip() or account.username,
    )
