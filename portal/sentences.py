"""Every upstream error as one clear sentence a CSR can read to a guest, for every app.

``explain(error)`` takes any exception the Paytronix client raises (and, defensively, anything
else) and returns a sentence; nothing upstream ever reaches a CSR as a code or a stack trace.
``explain_code(code)`` is the same for a bare error code (e.g. one stored in an audit record),
``explain_recorded`` for an outcome known only from its audit record. What a change's outcome
says is built on these in ``portal.audit.outcome``.

The codes are the Guest Service "Error Codes" section, word for word, plus the codes the
sandbox uses for situations the spec names no code for (``csr.*``, ``visit_code.*``...; listed
in docs/wire-notes.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from django.utils import dateformat, timezone

from portal.paytronix.errors import (
    RESULT_ERRORS,
    AccountSuspendedError,
    AttachFailureError,
    CircuitOpenError,
    CombineFailureError,
    InvalidStatusError,
    InvalidVisitCodeError,
    MalformedReplyError,
    MoreInfoError,
    OutcomeUnknownError,
    PaytronixError,
    PaytronixResultError,
    TransportError,
    UpstreamStatusError,
    WriteNotPermittedError,
)


class NotShownError(LookupError):
    """What a read will not show this viewer (no such guest, one outside their store group, a
    card the account does not have); ``sentence`` says so (web views answer it with a 404)."""

    @property
    def sentence(self) -> str:
        return "Not found."


#: The account status a combine leaves the combined account in (ASSUMED: the spec lists the
#: word without saying what it means; see docs/wire-notes.md).
MERGED = "ABANDONED"

ACCOUNT_STATUS_WORDS: dict[str, str] = {
    "ACTIVE": "active",
    "SUSPENDED": "suspended (it can be looked at but not used until customer service reviews it)",
    "EXISTS": "created but never activated",
    "TERMINATED": "closed",
    "EXPIRED": "expired",
    MERGED: "merged into another account",
}

CARD_STATUS_WORDS: dict[str, str] = {
    "ACTIVE": "active",
    "DISABLED": "disabled (it cannot be used until it is enabled again)",
    "EXCHANGED": "replaced by another card",
    "EXISTS": "printed but never activated",
}


#: What a CSR is told when upstream answers a combine with ``accountSuspended`` (the spec: a
#: result of the combine, for the fraud guard; nothing moves). Written for the CSR, not the
#: guest: what happened, then what to do.
SUSPENDED_WHAT_TO_DO = (
    "What to do: tell the guest their balances are safe and the account is under review; do "
    "not try the combine again; ask a supervisor to have the main account reviewed in the "
    "loyalty system, which alone can make it active again."
)
SUSPENDED_BY_COMBINE = (
    "Nothing was combined: the loyalty system suspended the guest's main account instead "
    "(its guard against too many cards combined into one account), and no balance moved. "
    + SUSPENDED_WHAT_TO_DO
)


#: How a moment reads on the console's screens and in its sentences (the audit log keeps its
#: own, to the second): "Nov 30, 2026 10:16 PM UTC", in the console's time zone.
MOMENT_FORMAT = "M j, Y g:i A T"


def moment_text(moment: datetime) -> str:
    """``moment`` as the templates' ``|date:"M j, Y g:i A T"`` says it, for a sentence."""
    return dateformat.format(timezone.localtime(moment), MOMENT_FORMAT)


def words(table: Mapping[str, str], code: str | None) -> str:
    """``code`` in words from ``table``; an undocumented code is shown as it came."""
    if not code:
        return "unknown"
    return table.get(code, code)


_CARD_NOT_FOUND = (
    "We could not find that card. Please check the number printed on the back of the card."
)
_ACCOUNT_NOT_FOUND = "We could not find that account."
_USER_NOT_FOUND = "We could not find a registered guest for that account."
_TRY_AGAIN = "The loyalty system could not do this just now. Please try again in a moment."

_CATALOGUE: dict[str, str] = {
    # Account information (balance inquiry).
    "account_info.error": _TRY_AGAIN,
    "account_info.invalid_card": _CARD_NOT_FOUND,
    "account_info.invalid_account": _ACCOUNT_NOT_FOUND,
    "account_info.invalid_user": _USER_NOT_FOUND,
    "account_info.invalid_card_status": "This card is not in a state that can be used right now.",
    "account_info.invalid_account_status": (
        "This account is not in a state that can be used right now."
    ),
    "account_info.no_template_error": (
        "This account is not set up with a loyalty program; customer service needs to fix it."
    ),
    "account_info.no_tier_error": (
        "This account has no membership tier; customer service needs to fix it."
    ),
    # Attaching a card.
    "attach_card.error": "The card could not be added just now. Please try again in a moment.",
    "attach_card.invalid_card": "We could not find the guest's own card.",
    "attach_card.invalid_other_card": (
        "We could not find the card to add. Please check the number printed on it."
    ),
    "attach_card.invalid_account": "We could not find the guest's account.",
    "attach_card.invalid_user": "We could not find the guest this card should be added to.",
    "attach_card.invalid_address": "We could not load the guest's address.",
    "attach_card.not_enabled": "Adding cards to an account is not offered by this program.",
    "attach_card.invalid_reg_code": (
        "The registration code does not match the card. Please check the code printed with it."
    ),
    "attach_card.already_attached": "That card is already part of an account.",
    "attach_card.account_not_active": (
        "The guest's account is not active, so no card can be added to it."
    ),
    "attach_card.card_not_active": "The guest's card is not active, so no card can be added.",
    "attach_card.other_account_not_active": (
        "The card to add belongs to an account that is not active."
    ),
    "attach_card.other_card_not_active": "The card to add is not active.",
    "attach_card.user_pwd_invalid": (
        "The username or password of the card's current owner is not right."
    ),
    "attach_card.invalid_card_template": "We could not load the program of the card to add.",
    # Combining cards.
    "combine_card.error": "The cards could not be combined just now. Please try again later.",
    "combine_card.not_enabled": "Combining cards is not offered by this program.",
    "combine_card.not_attached": (
        "That card must first be added to this guest's account before it can be combined."
    ),
    "combine_card.not_combinable_template": "Cards of this kind cannot be combined.",
    "combine_card.same_card": "A card cannot be combined with itself.",
    "combine_card.already_combined": "These cards are already combined.",
    "combine_card.account_not_active": (
        "The account is not active, so cards cannot be combined into it."
    ),
    "combine_card.card_not_active": "The card is not active, so it cannot be combined.",
    "combine_card.other_account_not_active": (
        "The other account is not active, so it cannot be combined."
    ),
    "combine_card.other_card_not_active": "The other card is not active, so it cannot be combined.",
    "combine_card.invalid_card": _CARD_NOT_FOUND,
    "combine_card.invalid_other": "We could not find the other card.",
    "combine_card.combine_different_templates": (
        "These cards belong to different programs and cannot be combined."
    ),
    "combine_card.account_suspended": (
        "Nothing was combined: the loyalty system suspended the account for a review (too "
        "many cards combined into one account). Do not combine again; ask a supervisor to have "
        "the account reviewed in the loyalty system."
    ),
    # Referrals.
    "referral_code.invalid_code": "That referral code is not valid. Please check it and try again.",
    # Password resets (not offered in this portal, explained for completeness).
    # Enrollment Service (sandbox codes, ASSUMED: the vendor's table could not be read).
    "enrollment.invalid_user": _USER_NOT_FOUND,
    "enrollment.invalid_card": _CARD_NOT_FOUND,
    "enrollment.invalid_address": "That address is not on file for this guest any more.",
    "enrollment.invalid_card_template": "The loyalty system does not know this guest's program.",
    "enrollment.field_validation_error": (
        "The loyalty system refused some of the details: see the fields marked."
    ),
    # Field validation errors (errorsByField) by code, for a change read back from the audit
    # log; a fresh refusal shows upstream's own words.
    "field.unknown": "This program has no such field.",
    "field.required": "This program requires this field.",
    "field.invalid_email": "This is not a valid email address.",
    "field.invalid_phone": "This is not a valid phone number.",
    "field.invalid_date": "This is not a valid date.",
    "field.invalid_choice": "Choose one of the listed values.",
    "field.not_unique": "Another guest already has this; it must be unique in this program.",
    "field.not_editable": "This field cannot be changed here.",
    "reset_password.invalid_card": _CARD_NOT_FOUND,
    "reset_password.invalid_account": _ACCOUNT_NOT_FOUND,
    "reset_password.invalid_user": _USER_NOT_FOUND,
    "reset_password.invalid_argument": "Give exactly one of a card number, a username or an email.",
    "reset_password.invalid_email_address": "That email address is not written correctly.",
    "reset_password.email_not_unique": (
        "More than one guest uses that email address, so we cannot tell whose password to reset."
    ),
    "reset_password.non_matching_email": "No guest is registered with that email address.",
    "reset_password.not_registered": "This card is not registered to anyone yet.",
    "reset_password.no_email": "The guest has no email address on file.",
    "reset_password.email_excluded": "Emails to the guest's address cannot be delivered.",
    "reset_password.is_juvenile": "This guest is a minor; their password cannot be reset here.",
    "reset_password.invalid_answer": "The answer to the security question is not right.",
    "reset_password.server_error": _TRY_AGAIN,
    "reset_password.email_not_sent": "The password reset email could not be sent.",
    # Transaction history and annotations.
    "transaction_history.error": "The history could not be loaded just now.",
    "transaction_history.card_not_found": _CARD_NOT_FOUND,
    "transaction_history.card_exchanged": (
        "This card was replaced by another card; its history is on the new card."
    ),
    "transaction_history.card_inactive": "This card is not active, so its history is not shown.",
    "transaction_annotation.error": "The comments on this transaction could not be loaded.",
    # Card status.
    "card_status.invalid_merchant": (
        "The portal is set up for the wrong program; tell your administrator."
    ),
    "card_status.account_not_active": (
        "The account is not active, so its cards cannot be changed."
    ),
    "card_status.card_exchanged": "This card was replaced by another card and cannot be changed.",
    # Upstream's "Card is not active": enabling a disabled card works, so for an enable this is
    # a card never activated (EXISTS); for a disable, possibly one already disabled.
    "card_status.card_inactive": (
        "This card is not in use (never activated, or already disabled), so the loyalty system "
        "will not change its status."
    ),
    "card_status.invalid_status": "Cards cannot be set to that status.",
    "card_status.invalid_card": _CARD_NOT_FOUND,
    "card_status.internal_error": _TRY_AGAIN,
    # Balance transfer (sandbox codes: the vendor lists none; docs/wire-notes.md).
    "balance_transfer.invalid_card": "We could not find the card to move the balances to.",
    "balance_transfer.invalid_from_card": (
        "We could not find the card to move the balances from. Please check its number."
    ),
    "balance_transfer.same_account": "Both cards are on the same account: nothing to move.",
    "balance_transfer.account_not_active": "This account is not active, so nothing can move to it.",
    "balance_transfer.card_not_active": "The card to move the balances to is not active.",
    "balance_transfer.from_account_not_active": (
        "The old card's account is not active, so its balances cannot be moved."
    ),
    "balance_transfer.from_card_not_active": (
        "The old card cannot be used (it was replaced or never activated)."
    ),
    "balance_transfer.invalid_reg_code": "The old card's registration code is not right.",
    "balance_transfer.no_balance": "The old card has no balance this card can take.",
    "balance_transfer.not_all_transferable": (
        "Not every balance can move to this card, so nothing moved. Choose to move what this "
        "card can take."
    ),
    # Codes outside the Guest Service spec (CSR notes, account search, visit codes,
    # preferences), as the sandbox answers them.
    "request.invalid_merchant": (
        "The portal is set up for the wrong program; tell your administrator."
    ),
    "request.missing_argument": "Something needed for this request was missing.",
    "request.invalid_argument": "Something in this request was not accepted.",
    "csr.invalid_card": _CARD_NOT_FOUND,
    "csr.invalid_comment": "A note must have some text and be under 500 characters.",
    "transaction.no_criteria": "Give at least one thing to search for.",
    "transaction.invalid_card": _CARD_NOT_FOUND,
    "transaction.invalid_new_card": "We could not find the new card. Check its number.",
    "transaction.card_not_in_required_state": (
        "The card is not active, so its balances cannot be changed this way."
    ),
    "transaction.card_already_active": (
        "The new card has already been used. Choose a new card that was never activated."
    ),
    "transaction.card_template_mismatch": (
        "The new card belongs to another program. Choose a card of the same kind."
    ),
    "transaction.same_card": "The new card must be a different card.",
    "transaction.account_not_active": "This account is not active, so it cannot be changed.",
    "transaction.invalid_wallet": "This account has no such balance.",
    "transaction.invalid_quantity": "The amount is not valid for this balance.",
    "transaction.invalid_activity_type": "The loyalty system did not accept this kind of change.",
    "transaction.invalid_comment": "The comment must be under 500 characters.",
    "transaction.invalid_expiration": "The expiration must be a date in the future.",
    "transaction.insufficient_balance": ("The balance is too low: this would take it below zero."),
    "transaction.no_wallet_contents": "Nothing was given to add or take away.",
    "transaction.original_not_found": "The loyalty system has no such transaction to void.",
    "transaction.already_voided": "That transaction was already voided.",
    "transaction.void_mismatch": "The void does not match the transaction it voids.",
    "payment.invalid_card": _CARD_NOT_FOUND,
    "payment.not_stored_value": "This card's program keeps no stored value.",
    "payment.invalid_argument": "Something in this request was not accepted.",
    "payment.invalid_payment_method": (
        "That payment method is no longer saved for this guest (it may have been removed already)."
    ),
    "payment.auto_recharge_not_enabled": "Auto-recharge is not on for this card.",
    "payment.payment_method_in_use": (
        "This payment method funds auto-recharge, so it cannot be removed: turn auto-recharge "
        "off first."
    ),
    "visit_code.not_found": (
        "We do not recognise that visit code. Please check it against the receipt."
    ),
    "visit_code.already_used": "That visit code has already been used.",
    "visit_code.expired": "That visit code has expired.",
    "referral.invalid_email": "One of the email addresses is not written correctly.",
    "referral.none_available": "The guest has no referrals left to send.",
    "migrate_email.email_mismatch": (
        "That email address is not the one on the guest's account, so it cannot become "
        "their username."
    ),
    "migrate_email.email_in_use": "Another guest already uses that email address as a username.",
}

#: code -> sentence, read-only.
CATALOGUE: Mapping[str, str] = MappingProxyType(_CATALOGUE)

_MORE_INFO_FIELDS = {
    "registrationCode": "the registration code printed with the card",
    "username": "the username of the card's current owner",
    "password": "the password of the card's current owner",
}


def explain_code(code: str, *, fallback: str = "") -> str:
    """The sentence for an error code; ``fallback`` (or a generic sentence) if it has none."""
    return _CATALOGUE.get(code) or fallback or _generic(code)


def _generic(code: str) -> str:
    if code:
        return f"The loyalty system refused this request (code {code})."
    return "The loyalty system refused this request."


def status_sentence(*, account_status: str, card_status: str) -> str:
    """Why an account or card in these statuses cannot be used, with both statuses named (but
    a merged account's: its cards went with it, so the card's status says nothing of them)."""
    if account_status == MERGED:
        return (
            "This account cannot be used any more: it was merged into another account "
            "(combined); the guest's balances are on that account now."
        )
    return (
        f"This account cannot be used right now: the account is "
        f"{words(ACCOUNT_STATUS_WORDS, account_status)} "
        f"and the card is {words(CARD_STATUS_WORDS, card_status)}."
    )


def _result_sentence(error: PaytronixResultError) -> str:
    if isinstance(error, InvalidStatusError):
        return status_sentence(account_status=error.account_status, card_status=error.card_status)
    if isinstance(error, AccountSuspendedError):
        # The spec: a result of the combine, not an error of it. Nothing moved; the guest's
        # main account is suspended until the merchant's customer service reviews it.
        return SUSPENDED_BY_COMBINE
    if isinstance(error, MoreInfoError):
        needed = [_MORE_INFO_FIELDS.get(name, name) for name in error.fields]
        return "To go on we also need " + (" and ".join(needed) or "more details") + "."
    if isinstance(error, InvalidVisitCodeError):
        return explain_code(
            error.error_code, fallback="That visit code cannot be used on this account."
        )
    sentence = explain_code(error.error_code, fallback=_upstream_words(error))
    if isinstance(error, AttachFailureError):
        return f"The card could not be added: {_lower_first(sentence)}"
    if isinstance(error, CombineFailureError):
        # The spec: the write failed at its combine step, after the attach step; whether the
        # attach then stands it does not say, so neither does the CSR's sentence.
        return (
            "The card's balances could not be combined (it may have been added to this "
            f"guest: the cards panel lists it if so): {_lower_first(sentence)}"
        )
    return sentence


def _upstream_words(error: PaytronixResultError) -> str:
    # The client has already masked long digit runs in upstream's message.
    if error.error_message:
        return f"The loyalty system refused this request: {error.error_message.rstrip('.')}."
    return _generic(error.error_code)


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def explain(error: BaseException) -> str:
    """One sentence, safe to show and read aloud, for any error of the Paytronix client."""
    if isinstance(error, PaytronixResultError):
        return _result_sentence(error)
    if isinstance(error, CircuitOpenError):
        seconds = round(error.retry_in)
        when = f"in about {seconds} seconds" if seconds > 1 else "in a moment"
        return (
            f"The loyalty system is not answering, so we paused asking it. Please try again {when}."
        )
    if isinstance(error, OutcomeUnknownError):
        return (
            "We could not confirm whether the change went through. "
            "Please check the account before trying again."
        )
    if isinstance(error, UpstreamStatusError):
        return "The portal cannot sign in to the loyalty system. Please tell your administrator."
    if isinstance(error, MalformedReplyError):
        return "The loyalty system sent an answer we could not read. Please try again in a moment."
    if isinstance(error, TransportError):
        return "The loyalty system did not answer in time. Please try again in a moment."
    if isinstance(error, WriteNotPermittedError):
        return "This change could not be made because of a problem in the portal."
    return "Something went wrong. Please try again in a moment."


def recorded_error(
    *,
    upstream_result: str = "",
    error_code: str = "",
    error_message: str = "",
    detail: Mapping[str, object] | None = None,
) -> PaytronixError | None:
    """The client's error a failure recorded so stands for (upstream's answer, or the
    transport's), or None when the record holds none (a code of the console's own)."""
    if upstream_result in RESULT_ERRORS:
        return RESULT_ERRORS[upstream_result](
            result=upstream_result,
            error_code=error_code,
            error_message=error_message,
            extra=dict(detail or {}),
        )
    if error_code == UpstreamStatusError.__name__:
        return UpstreamStatusError(error_message)
    if error_code in _TRANSPORT_NAMES:
        return TransportError(error_message)
    return None


def explain_recorded(
    *,
    upstream_result: str = "",
    error_code: str = "",
    error_message: str = "",
    detail: Mapping[str, object] | None = None,
    unknown: bool = False,
) -> str:
    """The sentence for an outcome known only from its record (an audited change replayed for
    a second submit of the same form): upstream's ``result``, code, message and extra fields."""
    if unknown:
        return explain(OutcomeUnknownError(error_message))
    error = recorded_error(
        upstream_result=upstream_result,
        error_code=error_code,
        error_message=error_message,
        detail=detail,
    )
    return explain(error) if error is not None else explain_code(error_code)


_TRANSPORT_NAMES = frozenset(
    cls.__name__ for cls in (TransportError, CircuitOpenError, MalformedReplyError)
)
