"""Finding the card, account or user a call names, with the error code each endpoint uses."""

from __future__ import annotations

from portal.sandbox.errors import Failure
from portal.sandbox.model import Account, Card, Model, User


def card(model: Model, number: str, error_code: str) -> Card:
    found = model.card(number)
    if found is None:
        raise Failure(error_code)
    return found


def account_by_card(model: Model, number: str, error_code: str) -> tuple[Account, Card]:
    found = card(model, number, error_code)
    return model.accounts[found.account_id], found


def account_by_id(model: Model, account_id: int, error_code: str) -> Account:
    account = model.account(account_id)
    if account is None:
        raise Failure(error_code)
    return account


def user(model: Model, username: str, error_code: str) -> User:
    found = model.users.get(username)
    if found is None:
        raise Failure(error_code)
    return found


def user_of(model: Model, account: Account, error_code: str) -> User:
    found = model.user_of(account)
    if found is None:
        raise Failure(error_code)
    return found


def main_account_of(model: Model, username: str, error_code: str) -> Account:
    """The account a username-addressed call acts on: the user's first account."""
    found = user(model, username, error_code)
    if not found.account_ids:
        raise Failure(error_code)
    return model.accounts[found.account_ids[0]]


def eclub_account(model: Model, email: str, template_code: int) -> Account | None:
    wanted = email.strip().lower()
    for account in model.accounts.values():
        owner = model.user_of(account)
        if (
            owner is not None
            and account.template_code == template_code
            and str(owner.fields.get("email", "")).lower() == wanted
        ):
            return account
    return None
