"""Enrollment Service: the guest's details, addresses and privacy deletion (vendor page
``pxs_api_reference/enrollment.html``).

The vendor's endpoint table (DOC) gives the paths and methods; most request and reply shapes
could not be read and are ASSUMED from public callers, as docs/wire-notes.md "Enrollment
Service" says field by field. In short:

* ``editUser`` / ``editAccount`` take ``setUserFields`` / ``setAccountFields`` in the "typed"
  style (each value a one-element list of strings; an empty list clears the field) and
  ``enforceUniqueFields``, the fields that must not be anyone else's.
* A refusal of some fields answers ``errorsByField``: field name → list of ``ValidationError``
  (``code`` and ``message``; before release 22.25 bare codes): ``FieldValidationError``.
* DELETE endpoints carry their parameters in the query string, as a GET does.

The user is named by ``username`` (the B2B identity); the account of ``editAccount`` by its
printed card number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .endpoint import Endpoint, mask_emails
from .errors import FailureError, FieldError, FieldValidationError
from .replies import EnrollmentConfig
from .session import Transport

ENROLLMENT_CONFIG = Endpoint("enrollment/enrollmentConfig.json", "GET")
EDIT_USER = Endpoint("enrollment/editUser.json", "POST", write=True)
EDIT_ACCOUNT = Endpoint("enrollment/editAccount.json", "POST", write=True)
ADD_ADDRESS = Endpoint("enrollment/addAddressForUser.json", "POST", write=True)
EDIT_ADDRESS = Endpoint("enrollment/editAddressForUser.json", "POST", write=True)
DELETE_ADDRESS = Endpoint("enrollment/deleteAddressForUser.json", "DELETE", write=True)
DELETE_USER = Endpoint("enrollment/user.json", "DELETE", write=True)
DELETE_USER_BY_CARD = Endpoint("enrollment/userByPrintedCardNumber.json", "DELETE", write=True)

#: The account fields of the vendor's table footnote ("customer number, perks"); every other
#: field a program lists is a user field.
ACCOUNT_FIELDS = frozenset({"customerNumber", "perks"})

FieldValue = str | bool | date | None


@dataclass(frozen=True)
class AddressFields:
    """A postal address as the address endpoints take it (AddressInformation's names)."""

    label: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state_province: str = ""
    postal_code: str = ""
    country: str = ""

    def wire(self) -> dict[str, str]:
        return {
            "label": self.label,
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "stateProvince": self.state_province,
            "postalCode": self.postal_code,
            "country": self.country,
        }


def typed_fields(values: Mapping[str, FieldValue]) -> dict[str, Any]:
    """``values`` in the "typed" style: ``{"style": "typed", name: [text]}``; ``None`` or ``""``
    clears a field (an empty list)."""
    typed: dict[str, Any] = {"style": "typed"}
    for name, value in values.items():
        if value is None or value == "":
            typed[name] = []
        elif isinstance(value, bool):
            typed[name] = ["true" if value else "false"]
        elif isinstance(value, date):
            typed[name] = [value.isoformat()]
        else:
            typed[name] = [str(value)]
    return typed


def field_errors_of(raw: Any) -> dict[str, list[FieldError]]:
    """``errorsByField`` read in either shape: ``ValidationError`` objects (release 22.25 and
    later) or bare codes (before)."""
    if not isinstance(raw, Mapping):
        return {}
    found: dict[str, list[FieldError]] = {}
    for name, items in raw.items():
        listed = items if isinstance(items, list) else [items]
        errors = []
        for item in listed:
            if isinstance(item, Mapping):
                code = str(item.get("code") or item.get("errorCode") or "")
                message = str(item.get("message") or item.get("errorMessage") or "")
                errors.append(FieldError(code=code, message=mask_emails(message)))
            elif item is not None:
                errors.append(FieldError(code=str(item)))
        if errors:
            found[str(name)] = errors
    return found


class EnrollmentService:
    """The Enrollment Service endpoints the console uses, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _call(self, endpoint: Endpoint, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._transport.call(endpoint, params)
        except FailureError as error:
            errors = field_errors_of(error.extra.get("errorsByField"))
            if not errors:
                raise
            raise FieldValidationError(
                field_errors=errors,
                result=error.result,
                error_code=error.error_code,
                error_message=mask_emails(error.error_message),
                endpoint=error.endpoint,
                extra=error.extra,
            ) from None

    def enrollment_config(self, *, card_template_code: int) -> EnrollmentConfig:
        """The user and account fields of one program: labels, required, choices."""
        reply = self._transport.call(ENROLLMENT_CONFIG, {"cardTemplateCode": card_template_code})
        return EnrollmentConfig.from_wire(reply)

    def edit_user(
        self,
        *,
        username: str,
        set_user_fields: Mapping[str, FieldValue],
        enforce_unique_fields: Sequence[str] = (),
    ) -> None:
        """*Write*: change the given user fields (wire names), leaving the others as they are.
        Raises ``FieldValidationError`` naming each refused field."""
        if not set_user_fields:
            raise ValueError("give at least one field to change")
        self._call(
            EDIT_USER,
            {
                "username": username,
                "setUserFields": typed_fields(set_user_fields),
                "enforceUniqueFields": list(enforce_unique_fields) or None,
            },
        )

    def edit_account(
        self, *, printed_card_number: str, set_account_fields: Mapping[str, FieldValue]
    ) -> None:
        """*Write*: change account fields (customer number) of the account of a card."""
        if not set_account_fields:
            raise ValueError("give at least one field to change")
        self._call(
            EDIT_ACCOUNT,
            {
                "printedCardNumber": printed_card_number,
                "setAccountFields": typed_fields(set_account_fields),
            },
        )

    def add_address_for_user(self, *, username: str, address: AddressFields) -> str:
        """*Write*: add an address; returns its ``addressId`` ("" if upstream gives none)."""
        reply = self._call(ADD_ADDRESS, {"username": username, **address.wire()})
        return str(reply.get("addressId") or "")

    def edit_address_for_user(
        self, *, username: str, address_id: str, address: AddressFields
    ) -> None:
        """*Write*: replace the address ``address_id`` of the user."""
        self._call(EDIT_ADDRESS, {"username": username, "addressId": address_id, **address.wire()})

    def delete_address_for_user(self, *, username: str, address_id: str) -> None:
        """*Write*: remove the address ``address_id`` of the user."""
        self._call(DELETE_ADDRESS, {"username": username, "addressId": address_id})

    def delete_user(self, *, username: str) -> None:
        """*Write*: privacy deletion of a user (DELETE ``enrollment/user.json``)."""
        self._call(DELETE_USER, {"username": username})

    def delete_user_by_printed_card_number(self, *, printed_card_number: str) -> None:
        """*Write*: privacy deletion of the user a card is registered to."""
        self._call(DELETE_USER_BY_CARD, {"printedCardNumber": printed_card_number})
