"""Card status, attach, combine, attach-and-combine and is-combinable, on the spec's model.

A user has one or more accounts (``User.account_ids``). Attaching another card links that
card's account to the user: the card keeps its own account, balances and cards, and is not
listed among any other account's ``additionalCards``. Combining a card moves its account's
balances and cards into the user's main account of the same template (chosen by the spec's
rule, ``Model.main_account``), which answers as ``survivingAccountId``; the source account is
left ABANDONED and no longer the user's. The n-th combine into one main account is refused by
Paytronix's fraud guard: the main account is suspended (``accountSuspended``) and nothing moves.
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
    return AttachPlan(user=user, other=other, other_card=other_card)


def _attach(model: Model, plan: AttachPlan) -> None:
    """Link the other card's account to the user; it keeps its own cards and balances."""
    other = plan.other
    previous_owner = model.user_of(other)
    if previous_owner is not None:
        previous_owner.account_ids.remove(other.account_id)
    other.username = plan.user.username
    other.registration_status = REGISTERED
    plan.user.account_ids.append(other.account_id)


@endpoint("guest/attachCard", "POST")
def attach_card(request: Request) -> Json:
    asked = AttachRequest.of(request)

    def write(model: Model, moment: datetime) -> Json:
        _attach(model, _plan_attach(model, asked))
        return {"result": "success"}

    return request.state.write(write)


# -- combine ---------------------------------------------------------------------------------


def _plan_combine(
    model: Model, number: str, other_number: str = ""
) -> tuple[Account, Account, Card]:
    """Check a combine of ``number``'s account into its user's main account of the template:
    (main, combined, card). ``other_number`` is the obsolete second card, checked if sent."""
    account, card = lookups.account_by_card(model, number, "combine_card.invalid_card")
    user = model.user_of(account)
    if user is None:
        raise Failure("combine_card.not_attached")
    if other_number:
        other = lookups.card(model, other_number, "combine_card.invalid_other")
        if other.template_code != account.template_code:
            raise Failure("combine_card.combine_different_templates")
    if not model.templates[account.template_code].combinable:
        raise Failure("combine_card.not_combinable_template")
    main = model.main_account(user, account.template_code)
    if main is None or main is account:
        # The main account's primary card is the card itself; its other cards were combined
        # into it (or came with it) already.
        if card.number == account.primary_card:
            raise Failure("combine_card.same_card")
        raise Failure("combine_card.already_combined")
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

    The combine that would reach ``limit`` combines into ``main`` is not made: Paytronix's
    fraud guard suspends ``main`` and answers ``accountSuspended``; nothing moves.
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
    combined.cards = [combined.primary_card]
    owner = model.users[main.username]
    owner.account_ids.remove(combined.account_id)
    combined.status = ABANDONED
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
        main, combined, _ = _plan_combine(model, number, other_number)
        return _combine(model, main, combined, moment, limit)

    return request.state.write(write)


@endpoint("guest/isCardCombinable", "GET")
def is_card_combinable(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        # The spec's definition, no more: "combinable if it is not the main account and combine
        # is enabled for the card template". An unregistered card is nobody's main account;
        # statuses are combineCard's to refuse.
        account, _ = lookups.account_by_card(model, number, "combine_card.invalid_card")
        user = model.user_of(account)
        combinable = model.templates[account.template_code].combinable and (
            user is None or model.main_account(user, account.template_code) is not account
        )
        return {"result": "success", "isCombinable": combinable}

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
            # The card given must be of the other card's template (as the obsolete second
            # card of combineCard is checked): there is nothing of that program to combine into.
            main, combined, _ = _plan_combine(model, plan.other_card.number, asked.number)
        except Failure as refused:
            # The attach stands: Paytronix reports the failed step, it does not undo the first.
            return refused.with_result("combine_failure").reply()
        reply = _combine(model, main, combined, moment, limit)
        return {"result": "success"} if reply["result"] == "success" else reply

    return request.state.write(write)
