"""Enrollment Service: the program's fields, editing a user and its account, addresses, and
privacy deletion. Shapes and codes as docs/wire-notes.md "Enrollment Service" (mostly ASSUMED).

editUser checks every field before changing any: a field the program does not have, a
required field cleared, a malformed email, phone or date, a value outside a field's choices,
and a value another user already has in a field named by ``enforceUniqueFields``. Every
refusal of the request is listed under its field in ``errorsByField`` (code and message).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from portal.sandbox import demo
from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import UNREGISTERED, Model, User

INVALID_USER = "enrollment.invalid_user"
INVALID_CARD = "enrollment.invalid_card"
INVALID_ADDRESS = "enrollment.invalid_address"
FIELD_ERRORS = "enrollment.field_validation_error"

#: What each program lists (enrollmentConfig): the Rewards and Gift programs have the common
#: fields, Rewards two of its own (a choice and a date) and a customer number on the account.
_COMMON: list[Json] = [
    {"name": "firstName", "type": "string", "label": "First name", "required": True},
    {"name": "lastName", "type": "string", "label": "Last name", "required": True},
    {"name": "email", "type": "email", "label": "Email address", "required": True},
    {"name": "phone", "type": "phone", "label": "Phone", "required": False},
    {"name": "mobilePhone", "type": "phone", "label": "Mobile phone", "required": False},
    {"name": "dateOfBirth", "type": "date", "label": "Birthday", "required": False},
    {"name": "postalCode", "type": "string", "label": "Postal code", "required": True},
    {"name": "optIn", "type": "boolean", "label": "Marketing email", "required": False},
    {"name": "textCampaignOptIn", "type": "boolean", "label": "Text messages", "required": False},
]
_REWARDS_OWN: list[Json] = [
    {
        "name": "custom1",
        "type": "string",
        "label": "Favourite visit time",
        "required": False,
        "choices": [
            {"value": "BREAKFAST", "label": "Breakfast"},
            {"value": "LUNCH", "label": "Lunch"},
            {"value": "DINNER", "label": "Dinner"},
        ],
    },
    {"name": "anniversaryDate", "type": "date", "label": "Anniversary", "required": False},
    {"name": "customerNumber", "type": "string", "label": "Customer number", "required": False},
]
PROGRAM_FIELDS: dict[int, list[Json]] = {
    demo.REWARDS_TEMPLATE: _COMMON + _REWARDS_OWN,
    demo.GIFT_TEMPLATE: _COMMON,
    demo.ECLUB_TEMPLATE: [f for f in _COMMON if f["name"] in ("firstName", "lastName", "email")],
}
ACCOUNT_FIELD_NAMES = frozenset({"customerNumber", "perks"})
ADDRESS_FIELDS = ("label", "address1", "address2", "city", "stateProvince", "postalCode", "country")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_MESSAGES = {
    "field.unknown": "This program has no such field",
    "field.required": "This field is required",
    "field.invalid_email": "Not a valid email address",
    "field.invalid_phone": "A phone number has 10 digits",
    "field.invalid_date": "Not a valid date",
    "field.invalid_choice": "Not one of the allowed values",
    "field.not_unique": "Already in use by another guest",
    "field.not_editable": "This field cannot be changed here",
}


def _field_error(code: str) -> Json:
    return {"code": code, "message": _MESSAGES[code]}


def _program_fields(model: Model, user: User) -> dict[str, Json]:
    template = model.accounts[user.account_ids[0]].template_code if user.account_ids else 0
    return {f["name"]: f for f in PROGRAM_FIELDS.get(template, _COMMON)}


def _typed(request: Request, name: str) -> dict[str, str | None]:
    """``{"style": "typed", field: [text]}`` → field → text (``None``: cleared)."""
    raw = request.params.get(name)
    if not isinstance(raw, dict) or raw.get("style") != "typed":
        raise Failure("request.invalid_argument", f"Argument {name} must be typed fields")
    values: dict[str, str | None] = {}
    for key, value in raw.items():
        if key == "style":
            continue
        if not isinstance(value, list) or len(value) > 1:
            raise Failure("request.invalid_argument", f"Field {key} must be a list of one value")
        values[key] = str(value[0]).strip() if value and value[0] is not None else None
    if not values:
        raise Failure("request.missing_argument", f"Give at least one field in {name}")
    return values


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _value_error(spec: Json, value: str) -> str:
    kind = spec.get("type")
    if kind == "email" and not _EMAIL.match(value):
        return "field.invalid_email"
    if kind == "phone" and len(_digits(value)) != 10:
        return "field.invalid_phone"
    if kind == "boolean" and value not in ("true", "false"):
        return "field.invalid_choice"
    if kind == "date":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "field.invalid_date"
        if day.year < 1900 or day > date(2100, 1, 1):
            return "field.invalid_date"
    choices = spec.get("choices")
    if choices and value not in {c["value"] for c in choices}:
        return "field.invalid_choice"
    return ""


def _same(name: str, left: Any, right: str) -> bool:
    if name in ("phone", "mobilePhone"):
        return _digits(str(left or "")) == _digits(right)
    return str(left or "").strip().lower() == right.lower()


def _field_errors(
    model: Model, user: User, values: dict[str, str | None], unique: list[str]
) -> dict[str, list[Json]]:
    program = _program_fields(model, user)
    errors: dict[str, list[Json]] = {}
    for name, value in values.items():
        spec = program.get(name)
        if name == "username":
            code = "field.not_editable"
        elif spec is None or name in ACCOUNT_FIELD_NAMES:
            code = "field.unknown"
        elif value is None:
            code = "field.required" if spec.get("required") else ""
        else:
            code = _value_error(spec, value)
        if not code and value is not None and name in unique:
            taken = any(
                other is not user and _same(name, other.fields.get(name), value)
                for other in model.users.values()
            )
            code = "field.not_unique" if taken else ""
        if code:
            errors.setdefault(name, []).append(_field_error(code))
    return errors


def _stored(value: str | None, spec_type: str) -> Any:
    if value is None:
        return ""
    if spec_type == "boolean":
        return value == "true"
    return value


@endpoint("enrollment/enrollmentConfig", "GET")
def enrollment_config(request: Request) -> Json:
    template = request.integer("cardTemplateCode")

    def read(model: Model) -> Json:
        if template not in model.templates:
            raise Failure("enrollment.invalid_card_template", "Unknown card template")
        return {"result": "success", "config": {"fields": PROGRAM_FIELDS[template]}}

    return request.state.read(read)


@endpoint("enrollment/editUser", "POST")
def edit_user(request: Request) -> Json:
    username = request.text("username")
    values = _typed(request, "setUserFields")
    unique = request.params.get("enforceUniqueFields") or []
    if not isinstance(unique, list):
        raise Failure("request.invalid_argument", "enforceUniqueFields must be a list")

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, INVALID_USER)
        errors = _field_errors(model, user, values, [str(u) for u in unique])
        if errors:
            raise Failure(FIELD_ERRORS, "Some fields are not valid", errorsByField=errors)
        program = _program_fields(model, user)
        if "email" in values and not _same(
            "email", user.fields.get("email"), values["email"] or ""
        ):
            # A new address is not verified yet.
            user.fields["emailVerified"] = False
        for name, value in values.items():
            user.fields[name] = _stored(value, str(program[name].get("type")))
        return {"result": "success"}

    return request.state.write(write)


@endpoint("enrollment/editAccount", "POST")
def edit_account(request: Request) -> Json:
    number = request.text("printedCardNumber")
    values = _typed(request, "setAccountFields")

    def write(model: Model, moment: datetime) -> Json:
        account, _ = lookups.account_by_card(model, number, INVALID_CARD)
        errors = {
            name: [_field_error("field.unknown")] for name in values if name != "customerNumber"
        }
        if errors:
            raise Failure(FIELD_ERRORS, "Some fields are not valid", errorsByField=errors)
        account.customer_number = values["customerNumber"] or ""
        return {"result": "success"}

    return request.state.write(write)


def _address(request: Request) -> dict[str, str]:
    address = {name: request.optional_text(name) for name in ADDRESS_FIELDS}
    errors = {
        name: [_field_error("field.required")]
        for name in ("address1", "city", "postalCode")
        if not address[name]
    }
    if errors:
        raise Failure(FIELD_ERRORS, "Some fields are not valid", errorsByField=errors)
    return address


def _next_address_id(model: Model) -> str:
    ids = [int(a["addressId"]) for u in model.users.values() for a in u.addresses]
    return str(max(ids, default=90000) + 1)


@endpoint("enrollment/addAddressForUser", "POST")
def add_address_for_user(request: Request) -> Json:
    username = request.text("username")
    address = _address(request)

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, INVALID_USER)
        address_id = _next_address_id(model)
        user.addresses = [*user.addresses, {"addressId": address_id, **address}]
        return {"result": "success", "addressId": address_id}

    return request.state.write(write)


def _address_index(user: User, address_id: str) -> int:
    for index, address in enumerate(user.addresses):
        if str(address.get("addressId")) == address_id:
            return index
    raise Failure(INVALID_ADDRESS, "Could not load address")


@endpoint("enrollment/editAddressForUser", "POST")
def edit_address_for_user(request: Request) -> Json:
    username = request.text("username")
    address_id = request.text("addressId")
    address = _address(request)

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, INVALID_USER)
        index = _address_index(user, address_id)
        addresses = list(user.addresses)
        addresses[index] = {"addressId": address_id, **address}
        user.addresses = addresses
        return {"result": "success"}

    return request.state.write(write)


@endpoint("enrollment/deleteAddressForUser", "DELETE")
def delete_address_for_user(request: Request) -> Json:
    username = request.text("username")
    address_id = request.text("addressId")

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, INVALID_USER)
        index = _address_index(user, address_id)
        user.addresses = [a for i, a in enumerate(user.addresses) if i != index]
        return {"result": "success"}

    return request.state.write(write)


def _forget(model: Model, user: User) -> None:
    """Privacy deletion as the sandbox models it (ASSUMED): the user, their demographics,
    addresses and sign-in are gone; their accounts stay, with cards and balances, registered
    to no one."""
    for account_id in user.account_ids:
        account = model.accounts[account_id]
        account.username = ""
        account.registration_status = UNREGISTERED
    del model.users[user.username]


@endpoint("enrollment/user", "DELETE")
def delete_user(request: Request) -> Json:
    username = request.text("username")

    def write(model: Model, moment: datetime) -> Json:
        _forget(model, lookups.user(model, username, INVALID_USER))
        return {"result": "success"}

    return request.state.write(write)


@endpoint("enrollment/userByPrintedCardNumber", "DELETE")
def delete_user_by_printed_card_number(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def write(model: Model, moment: datetime) -> Json:
        account, _ = lookups.account_by_card(model, number, INVALID_CARD)
        _forget(model, lookups.user_of(model, account, INVALID_USER))
        return {"result": "success"}

    return request.state.write(write)
