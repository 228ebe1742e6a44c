"""Account and user information: the Guest Service's read endpoints about a guest."""

from __future__ import annotations

from portal.sandbox import wire
from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import ACTIVE, EXISTS, SUSPENDED, Account, Card, Model

#: the account statuses accountInformation answers with success (the spec's list).
READABLE_ACCOUNT_STATUSES = (ACTIVE, SUSPENDED)


def _checked_information(model: Model, account: Account, card: Card) -> Json:
    """Account information, or invalid_status for a card or account in an unreadable state."""
    if card.status == EXISTS:
        raise Failure(
            "account_info.invalid_card_status",
            result="invalid_status",
            accountStatus=account.status,
            cardStatus=card.status,
        )
    if account.status not in READABLE_ACCOUNT_STATUSES:
        raise Failure(
            "account_info.invalid_account_status",
            result="invalid_status",
            accountStatus=account.status,
            cardStatus=card.status,
        )
    return wire.account_information(model, account, card)


def _in_store_group(request: Request, account: Account, error_code: str) -> None:
    """accessFilterStoreGroupCode: an account outside the group is as good as unknown."""
    group = request.optional_integer("accessFilterStoreGroupCode")
    if group is not None and account.store_group != group:
        raise Failure(error_code)


@endpoint("guest/printedCardNumberForExternalAccount", "GET")
def printed_card_number_for_external_account(request: Request) -> Json:
    code = request.text("accountCode")

    def read(model: Model) -> Json:
        for account in model.accounts.values():
            if any(c == code for _, c in account.external_accounts):
                return {
                    "result": "success",
                    "primaryCard": wire.card_information(model.cards[account.primary_card]),
                    "additionalCards": wire.additional_cards(model, account),
                }
        raise Failure("account_info.invalid_account")

    return request.state.read(read)


@endpoint("guest/accountInformation", "GET")
def account_information(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        account, card = lookups.account_by_card(model, number, "account_info.invalid_card")
        _in_store_group(request, account, "account_info.invalid_card")
        return _checked_information(model, account, card)

    return request.state.read(read)


@endpoint("guest/accountInformationById", "GET")
def account_information_by_id(request: Request) -> Json:
    account_id = request.integer("accountId")

    def read(model: Model) -> Json:
        account = lookups.account_by_id(model, account_id, "account_info.invalid_account")
        _in_store_group(request, account, "account_info.invalid_account")
        return _checked_information(model, account, model.cards[account.primary_card])

    return request.state.read(read)


@endpoint("guest/eClubAccountInformation", "GET")
def eclub_account_information(request: Request) -> Json:
    email = request.text("email")
    template_code = request.integer("cardTemplateCode")

    def read(model: Model) -> Json:
        if template_code not in model.templates:
            raise Failure("account_info.no_template_error")
        account = lookups.eclub_account(model, email, template_code)
        if account is None:
            raise Failure("account_info.invalid_account")
        information = _checked_information(model, account, model.cards[account.primary_card])
        # The spec's eClub reply lists no username (its example has none): eClubUserInformation
        # names the user.
        information.pop("username", None)
        return information

    return request.state.read(read)


def _user_reply(model: Model, account: Account) -> Json:
    owner = lookups.user_of(model, account, "account_info.invalid_user")
    return {"result": "success", "userInformation": wire.user_information(model, owner)}


@endpoint("guest/userInformation", "GET")
def user_information(request: Request) -> Json:
    username = request.text("username")

    def read(model: Model) -> Json:
        owner = lookups.user(model, username, "account_info.invalid_user")
        return {"result": "success", "userInformation": wire.user_information(model, owner)}

    return request.state.read(read)


@endpoint("guest/userInformationByPrintedCardNumber", "GET")
def user_information_by_printed_card_number(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        account, _ = lookups.account_by_card(model, number, "account_info.invalid_card")
        return _user_reply(model, account)

    return request.state.read(read)


@endpoint("guest/userInformationByAccountId", "GET")
def user_information_by_account_id(request: Request) -> Json:
    account_id = request.integer("accountId")

    def read(model: Model) -> Json:
        account = lookups.account_by_id(model, account_id, "account_info.invalid_account")
        return _user_reply(model, account)

    return request.state.read(read)


@endpoint("guest/eClubUserInformation", "GET")
def eclub_user_information(request: Request) -> Json:
    email = request.text("email")
    template_code = request.integer("cardTemplateCode")

    def read(model: Model) -> Json:
        if template_code not in model.templates:
            raise Failure("account_info.no_template_error")
        account = lookups.eclub_account(model, email, template_code)
        if account is None:
            raise Failure("account_info.invalid_user")
        return _user_reply(model, account)

    return request.state.read(read)


@endpoint("guest/userAndAccountInformationByPrintedCardNumber", "GET")
def user_and_account_information(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        account, card = lookups.account_by_card(model, number, "account_info.invalid_card")
        try:
            information = _checked_information(model, account, card)
        except Failure as refused:
            # This endpoint documents no invalid_status reply: the same code as a failure,
            # which carries only result, errorCode and errorMessage.
            raise Failure(refused.error_code, refused.error_message) from None
        information.pop("result")
        user_reply = _user_reply(model, account)
        return {
            "result": "success",
            "userInformation": user_reply["userInformation"],
            "accountInformation": information,
        }

    return request.state.read(read)
