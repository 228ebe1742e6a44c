"""Card status, attach, combine, attach-and-combine and is-combinable.

The model of a user's accounts: attaching a card links that card's account to the user and to
the user's account of the card given (``attached_to``): it then shows among that account's
``additionalCards`` while keeping its own balances. Combining an attached card moves its
balances and cards into that main account (the surviving account) and leaves the combined
account ABANDONED. The n-th combine into one account suspends it (``accountSuspended``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import (
    ABANDONED,
    ACTIVE,
    DISABLED,
    EXCHANGED,
    EXISTS,
    REGISTERED,
    SUSPENDED,
    Account,
    Card,
    Detail,
    Model,
    User,
)


@endpoint("guest/changeCardStatus", "POST")
def change_card_status(request: Request) -> Json:
    number = request.text("printedCardNumber")
    status = request.text("status")
    if status not in (ACTIVE, DISABLED):
        raise Failure("card_status.invalid_status")

    def write(model: Model, moment: datetime) -> Json:
        account, card = lookups.account_by_card(model, number, "card_status.invalid_card")
        if card.status == EXCHANGED:
            raise Failure("card_status.card_exchanged")
        if card.status == EXISTS:
            raise Failure("card_status.card_inactive")
        if account.status != ACTIVE:
            raise Failure("card_status.account_not_active")
        if card.status != status:
            card.status = status
            model.add_transaction(
                account,
                transaction_type="Card Status Change",
                moment=moment,
                store_code="",
                store_name="Customer Service",
                sender="CSR",
                request_event="CS100",
                guest_visible=False,
                system_comment=f"Card ending {card.masked} set to {status}.",
            )
        return {"result": "success"}

    return request.state.write(write)


# -- attach ----------------------------------------------------------------------------------


@dataclass
class AttachRequest:
    number: str
    other_number: str
    registration_code: str
    other_username: str
    other_password: str

    @classmethod
    def of(cls, request: Request) -> AttachRequest:
        return cls(
            number=request.text("printedCardNumber"),
            other_number=request.text("otherPrintedCardNumber"),
            registration_code=request.optional_text("otherRegistrationCode"),
            other_username=request.optional_text("otherUsername"),
            other_password=request.optional_text("otherPassword"),
        )


@dataclass
class AttachPlan:
    main: Account
    user: User
    other: Account
    other_card: Card


def _plan_attach(model: Model, asked: AttachRequest) -> AttachPlan:
    """Check an attach; raise ``Failure`` (attach_card.* or more_info) without changing a thing."""
    account, card = lookups.account_by_card(model, asked.number, "attach_card.invalid_card")
    other, other_card = lookups.account_by_card(
        model, asked.other_number, "attach_card.invalid_other_card"
    )
    user = lookups.user_of(model, account, "attach_card.invalid_user")
    if account.status != ACTIVE:
        raise Failure("attach_card.account_not_active")
    if card.status != ACTIVE:
        raise Failure("attach_card.card_not_active")
    if other.username == user.username:
        raise Failure("attach_card.already_attached")
    if other.status != ACTIVE:
        raise Failure("attach_card.other_account_not_active")
    if other_card.status != ACTIVE:
        raise Failure("attach_card.other_card_not_active")
    if other.template_code not in model.templates:
        raise Failure("attach_card.invalid_card_template")
    needed: list[str] = []
    if other_card.registration_code:
        if not asked.registration_code:
            needed.append("registrationCode")
        elif asked.registration_code != other_card.registration_code:
            raise Failure("attach_card.invalid_reg_code")
    owner = model.user_of(other)
    if owner is not None:
        if not (asked.other_username or asked.other_password):
            needed += ["username", "password"]
        elif (asked.other_username, asked.other_password) != (owner.username, owner.password):
            raise Failure("attach_card.user_pwd_invalid")
    if needed:
        raise Failure("", result="more_info", fields=needed)
    main = model.accounts[account.attached_to] if account.attached_to else account
    return AttachPlan(main=main, user=user, other=other, other_card=other_card)


def _attach(model: Model, plan: AttachPlan) -> None:
    other = plan.other
    previous_owner = model.user_of(other)
    if previous_owner is not None:
        previous_owner.account_ids.remove(other.account_id)
        # Accounts the previous owner had attached to this one stay with that owner.
        for attached in model.attached_accounts(other):
            attached.attached_to = None
    other.username = plan.user.username
    other.registration_status = REGISTERED
    other.attached_to = plan.main.account_id
    plan.user.account_ids.append(other.account_id)


@endpoint("guest/attachCard", "POST")
def attach_card(request: Request) -> Json:
    asked = AttachRequest.of(request)

    def write(model: Model, moment: datetime) -> Json:
        _attach(model, _plan_attach(model, asked))
        return {"result": "success"}

    return request.state.write(write)


# -- combine ---------------------------------------------------------------------------------


def _plan_combine(model: Model, number: str) -> tuple[Account, Account, Card]:
    """Check a combine of ``number`` into its main account: (main, combined, card)."""
    account, card = lookups.account_by_card(model, number, "combine_card.invalid_card")
    if account.attached_to is None:
        if model.user_of(account) is None:
            raise Failure("combine_card.not_attached")
        if card.number != account.primary_card:
            raise Failure("combine_card.already_combined")
        raise Failure("combine_card.same_card")
    main = model.accounts[account.attached_to]
    if main.template_code != account.template_code:
        raise Failure("combine_card.combine_different_templates")
    if not model.templates[main.template_code].combinable:
        raise Failure("combine_card.not_combinable_template")
    if account.status != ACTIVE:
        raise Failure("combine_card.account_not_active")
    if card.status != ACTIVE:
        raise Failure("combine_card.card_not_active")
    if main.status != ACTIVE:
        raise Failure("combine_card.other_account_not_active")
    if model.cards[main.primary_card].status != ACTIVE:
        raise Failure("combine_card.other_card_not_active")
    return main, account, card


def _record_combine(
    model: Model, account: Account, details: list[Detail], comment: str, moment: datetime
) -> None:
    model.add_transaction(
        account,
        transaction_type="Combine",
        moment=moment,
        details=tuple(details),
        store_code="",
        store_name="Customer Service",
        sender="CSR",
        request_event="LP410",
        system_comment=comment,
    )


def _combine(model: Model, main: Account, combined: Account, moment: datetime, limit: int) -> Json:
    """Move balances and cards of ``combined`` into ``main``; record both sides in history.

    The combine that would reach ``limit`` is Paytronix's fraud guard: the result is
    accountSuspended, the main account is suspended and nothing moves.
    """
    if main.combine_count + 1 >= limit:
        main.status = SUSPENDED
        return Failure("combine_card.account_suspended", result="accountSuspended").reply()
    into_main: list[Detail] = []
    out_of_combined: list[Detail] = []
    for wallet in combined.wallets:
        if not wallet.balance and not wallet.expirations:
            continue
        target = main.wallet(wallet.code)
        if target is None:
            target = wallet.clone()
            target.balance, target.expirations = Decimal("0"), []
            main.wallets.append(target)
        target.balance += wallet.balance
        target.expirations = [*target.expirations, *wallet.expirations]
        into_main.append(Detail(wallet.code, wallet.balance, Decimal("0"), target.balance))
        out_of_combined.append(Detail(wallet.code, Decimal("0"), wallet.balance, Decimal("0")))
        wallet.balance, wallet.expirations = Decimal("0"), []
    main.pending_rewards += combined.pending_rewards
    combined.pending_rewards = []
    for number in combined.cards:
        model.cards[number].account_id = main.account_id
        main.cards.append(number)
    masked = model.cards[combined.primary_card].masked
    _record_combine(model, main, into_main, f"Balances combined from card ending {masked}.", moment)
    _record_combine(
        model,
        combined,
        out_of_combined,
        f"Balances combined into account {main.account_id}.",
        moment,
    )
    owner = model.users[main.username]
    owner.account_ids.remove(combined.account_id)
    combined.status, combined.attached_to = ABANDONED, None
    combined.combined_into = main.account_id
    main.combine_count += 1
    return {"result": "success", "username": owner.username, "survivingAccountId": main.account_id}


@endpoint("guest/combineCard", "POST")
def combine_card(request: Request) -> Json:
    number = request.text("printedCardNumber")
    # Obsolete since v14.10, still accepted: it must name a card if sent.
    other_number = request.optional_text("otherPrintedCardNumber")
    limit = request.state.combine_suspend_threshold

    def write(model: Model, moment: datetime) -> Json:
        if other_number and model.card(other_number) is None:
            raise Failure("combine_card.invalid_other")
        main, combined, _ = _plan_combine(model, number)
        return _combine(model, main, combined, moment, limit)

    return request.state.write(write)


@endpoint("guest/isCardCombinable", "GET")
def is_card_combinable(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        # The spec: "combinable if it is not the main account and combine is enabled for the
        # card template". An unregistered card belongs to nobody's main account.
        account, _ = lookups.account_by_card(model, number, "combine_card.invalid_card")
        is_main = model.user_of(account) is not None and account.attached_to is None
        combinable = model.templates[account.template_code].combinable
        return {"result": "success", "isCombinable": combinable and not is_main}

    return request.state.read(read)


@endpoint("guest/attachAndCombine", "POST")
def attach_and_combine(request: Request) -> Json:
    asked = AttachRequest.of(request)
    limit = request.state.combine_suspend_threshold

    def write(model: Model, moment: datetime) -> Json:
        try:
            plan = _plan_attach(model, asked)
        except Failure as refused:
            if refused.result == "more_info":
                raise
            raise refused.with_result("attach_failure") from None
        _attach(model, plan)
        try:
            main, combined, _ = _plan_combine(model, plan.other_card.number)
        except Failure as refused:
            # The attach stands: Paytronix reports the failed step, it does not undo the first.
            return refused.with_result("combine_failure").reply()
        reply = _combine(model, main, combined, moment, limit)
        return {"result": "success"} if reply["result"] == "success" else reply

    return request.state.write(write)
