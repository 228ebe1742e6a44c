"""User (guest) replies: demographics, addresses, related guests (spec "Reply Objects")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ._wire import WireModel, wire
from .account import AccountInformation


@dataclass(frozen=True)
class RelatedGuest(WireModel):
    """A guest related to an account holder, without an account of their own."""

    related_guest_code: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    date_of_birth: date | None = None
    salutation: str | None = None


@dataclass(frozen=True)
class AddressInformation(WireModel):
    """A postal address of a user. The spec names the label ``label``, its example
    ``addressLabel``: both are read."""

    address_id: str | None = None
    label: str | None = field(default=None, metadata=wire("label", "addressLabel"))
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class UserFields(WireModel):
    """The ``fields`` member of a user reply; blank fields are absent upstream, ``None`` here."""

    opt_in: bool | None = None
    text_campaign_opt_in: bool | None = None
    sms_opt_in_verified: bool | None = None
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    address_label: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    fax: str | None = None
    mobile_phone: str | None = None
    date_of_birth: date | None = None
    anniversary_date: date | None = None
    country: str | None = None
    username: str | None = None
    email_verified: bool | None = None
    user_language_pref: str | None = None
    related_guests: list[RelatedGuest] = field(default_factory=list)
    #: Demographic fields a program may configure (vendor glossary, "Demographic Fields"; not
    #: in the Guest spec's UserFields table): read so the details form can show them.
    company_name: str | None = None
    custom1: str | None = None
    custom2: str | None = None
    custom3: str | None = None
    custom4: str | None = None
    custom5: str | None = None
    custom6: str | None = None
    #: Not in the spec's UserFields (which has only the write, updateMessageFrequency); the
    #: sandbox sends it (see docs/wire-notes.md) and the guest page shows it.
    message_frequency: str | None = None


@dataclass(frozen=True)
class UserInformation(WireModel):
    """Who the guest is: fields, primary cards, addresses, related guests, account ids."""

    fields: UserFields | None = None
    primary_card_numbers: list[str] = field(default_factory=list, repr=False)
    related_guests: list[RelatedGuest] = field(default_factory=list)
    addresses: list[AddressInformation] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class UserAndAccountInformation(WireModel):
    """Both halves of userAndAccountInformationByPrintedCardNumber."""

    user_information: UserInformation | None = None
    account_information: AccountInformation | None = None
