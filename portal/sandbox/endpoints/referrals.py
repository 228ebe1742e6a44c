"""Referrals: lists, adding referrals (emails), referral codes and their validation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from portal.sandbox import wire
from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import Account, Model, Referral, ReferralCode

INVITATION_SENT = "INVITATION_SENT"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ENROLL_URL = "https://guest.harborgrill.example/enroll/{template}?referralCode={code}"

Locate = Callable[[Model], Account]


def _by_username(request: Request, template_param: str = "") -> Locate:
    username = request.text("username")
    template_code = request.optional_integer(template_param) if template_param else None

    def locate(model: Model) -> Account:
        user = lookups.user(model, username, "account_info.invalid_user")
        accounts = [model.accounts[i] for i in user.account_ids]
        if template_code is not None:
            accounts = [a for a in accounts if a.template_code == template_code]
            if not accounts:
                raise Failure("account_info.no_template_error")
        if not accounts:
            raise Failure("account_info.invalid_account")
        return accounts[0]

    return locate


def _by_card(request: Request) -> Locate:
    number = request.text("printedCardNumber")
    return lambda model: lookups.account_by_card(model, number, "account_info.invalid_card")[0]


def _by_account(request: Request) -> Locate:
    account_id = request.integer("accountId")
    return lambda model: lookups.account_by_id(model, account_id, "account_info.invalid_account")


def _list(request: Request, locate: Locate) -> Json:
    return request.state.read(lambda model: wire.referrals(locate(model)))


def _add(request: Request, locate: Locate) -> Json:
    emails = request.params.get("emails")
    if not isinstance(emails, list) or not emails:
        raise Failure("request.missing_argument", "Missing required argument: emails")
    cleaned = [str(e).strip() for e in emails]
    for email in cleaned:
        local, _, domain = email.partition("@")
        if not local or "." not in domain:
            raise Failure("referral.invalid_email", f"Invalid email address: {email}")

    def write(model: Model, moment: datetime) -> Json:
        account = locate(model)
        if len(cleaned) > account.referrals_available:
            raise Failure("referral.none_available")
        account.referrals += [Referral(email, INVITATION_SENT, "") for email in cleaned]
        account.referrals_available -= len(cleaned)
        return wire.referrals(account)

    return request.state.write(write)


def referral_code_for(account: Account, template_code: int) -> str:
    """A stable code per account and program, like an enrollment link's embedded code."""
    digest = hashlib.sha256(f"{account.account_id}:{template_code}".encode()).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:8])


def _referrer_name(model: Model, account: Account) -> str:
    owner = model.user_of(account)
    if owner is None:
        return ""
    return f"{owner.fields.get('firstName', '')} {str(owner.fields.get('lastName', ''))[:1]}."


def _create_code(request: Request, locate: Locate) -> Json:
    def write(model: Model, moment: datetime) -> Json:
        account = locate(model)
        existing = next(
            (c for c in model.referral_codes.values() if c.account_id == account.account_id),
            None,
        )
        code = existing.code if existing else referral_code_for(account, account.template_code)
        model.referral_codes[code] = ReferralCode(code, account.account_id, account.template_code)
        return {
            "result": "success",
            "code": code,
            "name": _referrer_name(model, account),
            "cardTemplateCode": account.template_code,
            "url": ENROLL_URL.format(template=account.template_code, code=code),
        }

    return request.state.write(write)


@endpoint("guest/referralsByUsername", "GET")
def referrals_by_username(request: Request) -> Json:
    return _list(request, _by_username(request))


@endpoint("guest/referralsByPrintedCardNumber", "GET")
def referrals_by_printed_card_number(request: Request) -> Json:
    return _list(request, _by_card(request))


@endpoint("guest/referralsByAccountId", "GET")
def referrals_by_account_id(request: Request) -> Json:
    return _list(request, _by_account(request))


@endpoint("guest/addReferralsByUsername", "POST")
def add_referrals_by_username(request: Request) -> Json:
    return _add(request, _by_username(request, "cardTemplateCode"))


@endpoint("guest/addReferralsByPrintedCardNumber", "POST")
def add_referrals_by_printed_card_number(request: Request) -> Json:
    return _add(request, _by_card(request))


@endpoint("guest/addReferralsByAccountId", "POST")
def add_referrals_by_account_id(request: Request) -> Json:
    return _add(request, _by_account(request))


@endpoint("guest/createReferralCodeByUsername", "POST")
def create_referral_code_by_username(request: Request) -> Json:
    request.integer("cardTemplateCode")
    return _create_code(request, _by_username(request, "cardTemplateCode"))


@endpoint("guest/createReferralCodeByPrintedCardNumber", "POST")
def create_referral_code_by_printed_card_number(request: Request) -> Json:
    return _create_code(request, _by_card(request))


@endpoint("guest/createReferralCodeByAccountId", "POST")
def create_referral_code_by_account_id(request: Request) -> Json:
    return _create_code(request, _by_account(request))


@endpoint("guest/validateReferralCode", "POST")
def validate_referral_code(request: Request) -> Json:
    code = request.text("code").upper()

    def read(model: Model) -> Json:
        found = model.referral_codes.get(code)
        if found is None:
            raise Failure("referral_code.invalid_code")
        return {
            "result": "success",
            "code": found.code,
            "name": _referrer_name(model, model.accounts[found.account_id]),
            "cardTemplateCode": found.template_code,
        }

    return request.state.read(read)
