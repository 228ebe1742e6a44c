"""Guest preferences: message frequency, language, and email as username."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import Model, User

# The values a preference or a language code may take are the contract's (Constant Values):
# the request check refuses any other before a handler runs.
LocateUser = Callable[[Model], User]


@endpoint("guest/updateMessageFrequency", "POST")
def update_message_frequency(request: Request) -> Json:
    username = request.text("username")
    preference = request.text("preference")

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, "account_info.invalid_user")
        user.message_frequency = preference
        user.fields["optIn"] = preference != "UNSUBSCRIBE"
        return {"result": "success"}

    return request.state.write(write)


def _update_language(request: Request, locate: LocateUser) -> Json:
    language = request.text("languageCode")

    def write(model: Model, moment: datetime) -> Json:
        locate(model).fields["userLanguagePref"] = language
        return {"result": "success"}

    return request.state.write(write)


@endpoint("guest/updateUserLanguagePrefByUsername", "POST")
def update_language_by_username(request: Request) -> Json:
    username = request.text("username")
    return _update_language(
        request, lambda model: lookups.user(model, username, "account_info.invalid_user")
    )


@endpoint("guest/updateUserLanguagePrefByPrintedCardNumber", "POST")
def update_language_by_printed_card_number(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def locate(model: Model) -> User:
        account, _ = lookups.account_by_card(model, number, "account_info.invalid_card")
        return lookups.user_of(model, account, "account_info.invalid_user")

    return _update_language(request, locate)


@endpoint("guest/updateUserLanguagePrefByAccountId", "POST")
def update_language_by_account_id(request: Request) -> Json:
    account_id = request.integer("accountId")

    def locate(model: Model) -> User:
        account = lookups.account_by_id(model, account_id, "account_info.invalid_account")
        return lookups.user_of(model, account, "account_info.invalid_user")

    return _update_language(request, locate)


@endpoint("guest/migrateEmailAsUsername", "GET")
def migrate_email_as_username(request: Request) -> Json:
    """A GET that changes state: the user's username becomes their email address."""
    username = request.text("username")
    email = request.text("email")

    def write(model: Model, moment: datetime) -> Json:
        user = lookups.user(model, username, "account_info.invalid_user")
        if str(user.fields.get("email", "")).lower() != email.lower():
            raise Failure("migrate_email.email_mismatch")
        if email != username and email in model.users:
            raise Failure("migrate_email.email_in_use")
        del model.users[username]
        user.username = email
        user.fields["username"] = email
        model.users[email] = user
        for account_id in user.account_ids:
            model.accounts[account_id].username = email
        return {"result": "success", "newUsername": email}

    return request.state.write(write)
