"""Guest Management Service: the password reset email (vendor page, DOC), with the Guest
Service's ``reset_password.*`` codes (INFERRED for this endpoint).

The sandbox sends no mail: it records, on the user, when a reset was sent and to which address.
"""

from __future__ import annotations

from datetime import datetime

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import Model, User

IDENTIFIERS = ("printedCardNumber", "username", "email", "accountId")


def _user(model: Model, request: Request, given: str) -> User:
    if given == "username":
        return lookups.user(model, request.text("username"), "reset_password.invalid_user")
    if given == "email":
        wanted = request.text("email").lower()
        found = [
            u for u in model.users.values() if str(u.fields.get("email", "")).lower() == wanted
        ]
        if not found:
            raise Failure("reset_password.non_matching_email")
        if len(found) > 1:
            raise Failure("reset_password.email_not_unique")
        return found[0]
    if given == "accountId":
        account = lookups.account_by_id(
            model, request.integer("accountId"), "reset_password.invalid_account"
        )
    else:
        account, _ = lookups.account_by_card(
            model, request.text("printedCardNumber"), "reset_password.invalid_card"
        )
    owner = model.user_of(account)
    if owner is None:
        raise Failure("reset_password.not_registered")
    return owner


@endpoint("guestmanagement/generateAndSendGuestResetPasswordCode", "POST")
def generate_and_send_guest_reset_password_code(request: Request) -> Json:
    given = [name for name in IDENTIFIERS if request.has(name)]
    if len(given) > 1:
        raise Failure(
            "reset_password.invalid_argument",
            "Must supply only one of printedCardNumber, username, email or accountId",
        )
    if not given:
        raise Failure(
            "reset_password.invalid_argument", "Must supply printedCardNumber, username or email"
        )

    def write(model: Model, moment: datetime) -> Json:
        user = _user(model, request, given[0])
        email = str(user.fields.get("email") or "")
        if not email:
            raise Failure("reset_password.no_email")
        user.password_resets = [*user.password_resets, (moment, email)]
        return {"result": "success", "email": email}

    return request.state.write(write)
