"""Error replies: the documented error codes with their documented messages, and ``Failure``,
which an endpoint raises to answer one. (Faults injected at run time, such as a 5xx, a hang or a
dropped connection, are ``faults``.)

Codes and messages are those of the Guest Service "Error Codes" section. A request the Guest
Service contract refuses (a missing, ill-typed or unknown parameter, a wrong merchant) answers
the endpoint family's own code (``portal/sandbox/contract``). A few situations the spec does not
name a code for use sandbox codes (``request.*`` outside the Guest Service, ``csr.*``,
``transaction.no_criteria``, ``payment.*``, ``visit_code.*``, ``referral.*``,
``migrate_email.*``); they are listed, marked ASSUMED, in docs/wire-notes.md, and the client
does not branch on them.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, str] = {
    "account_info.error": "failed to perform operation",
    "account_info.invalid_card": "could not load given card",
    "account_info.invalid_account": "could not load account",
    "account_info.invalid_user": "could not load user",
    "account_info.invalid_card_status": "card in invalid state",
    "account_info.invalid_account_status": "account in invalid state",
    "account_info.no_template_error": "no card template associated with account",
    "account_info.no_tier_error": "no tier associated with account",
    "attach_card.error": "Failed to perform operation",
    "attach_card.invalid_card": "Could not load card",
    "attach_card.invalid_other_card": "Could not load other card",
    "attach_card.invalid_account": "Could not load account",
    "attach_card.invalid_user": "Could not load user",
    "attach_card.not_enabled": "Attach Card feature not enabled",
    "attach_card.invalid_reg_code": "Other registration code is invalid",
    "attach_card.already_attached": "Other card already attached",
    "attach_card.account_not_active": "Account not active",
    "attach_card.card_not_active": "Card not active",
    "attach_card.other_account_not_active": "Other account not active",
    "attach_card.other_card_not_active": "Other card not active",
    "attach_card.user_pwd_invalid": "Other username or password invalid",
    "attach_card.invalid_card_template": "Could not load other card template",
    "combine_card.error": "Failed to perform operation",
    "combine_card.not_enabled": "Combine Card feature not enabled",
    "combine_card.not_attached": (
        "The other card does not exist or is not attached to this account"
    ),
    "combine_card.not_combinable_template": "Cards of this type cannot be combined",
    "combine_card.same_card": "Cannot combine a card with itself",
    "combine_card.already_combined": "The specified cards are already combined",
    "combine_card.account_not_active": (
        "Account not active - cannot combine an account that is not active"
    ),
    "combine_card.card_not_active": "Card not active - cannot combine a card that is not active",
    "combine_card.other_account_not_active": (
        "Other account not active - cannot combine with an account that is not active"
    ),
    "combine_card.other_card_not_active": (
        "Other card not active - cannot combine with a card that is not active"
    ),
    "combine_card.invalid_card": "Could not load card",
    "combine_card.invalid_other": "Could not load other card",
    "combine_card.combine_different_templates": "Cannot combine cards of different types",
    "combine_card.account_suspended": "Account suspended. Contact support.",
    "referral_code.invalid_code": "Invalid referral code",
    "transaction_history.error": "Failed to perform operation",
    "transaction_history.card_not_found": "could not load given card",
    "transaction_history.card_exchanged": "card exchanged",
    "transaction_history.card_inactive": "card inactive",
    "transaction_annotation.error": "Failed to perform operation",
    "card_status.invalid_merchant": "Invalid merchant ID",
    "card_status.account_not_active": "Account not active",
    "card_status.card_exchanged": "Card has been exchanged",
    "card_status.card_inactive": "Card is not active",
    "card_status.invalid_status": "Cards cannot be set to the requested status",
    "card_status.invalid_card": "Failed to find the card",
    "card_status.internal_error": "An internal error occurred",
    # Sandbox codes for situations the spec leaves without a code.
    "request.invalid_merchant": "Invalid merchant ID",
    "request.missing_argument": "A required argument is missing",
    "request.invalid_argument": "An argument has an invalid value",
    "csr.invalid_card": "Could not load card",
    "csr.invalid_comment": "Comment must be fewer than 500 characters",
    "transaction.no_criteria": "At least one search criterion is required",
    "transaction.invalid_card": "Could not load card",
    "transaction.invalid_new_card": "Could not load the new card",
    "transaction.card_not_in_required_state": "Card is not in the required state",
    "transaction.card_already_active": "The new card has already been activated",
    "transaction.card_template_mismatch": "The new card is of another card template",
    "transaction.same_card": "The new card is the card being replaced",
    "transaction.account_not_active": "Account not active",
    "transaction.invalid_wallet": "The account has no wallet with that code",
    "transaction.invalid_quantity": "Quantity must be positive, in the wallet's scale",
    "transaction.invalid_activity_type": "Unknown activity type",
    "transaction.invalid_comment": "Comment must be fewer than 500 characters",
    "transaction.invalid_expiration": "Expiration must be a future date yyyy-MM-dd",
    "transaction.insufficient_balance": "Not enough value in the wallet",
    "transaction.no_wallet_contents": "Nothing to add or redeem",
    "transaction.original_not_found": "No transaction with that reference to void",
    "transaction.already_voided": "That transaction has already been voided",
    "transaction.void_mismatch": "The void does not match the original transaction",
    "payment.invalid_card": "Could not load card",
    "payment.not_stored_value": "The card has no stored value",
    "payment.invalid_argument": "An argument has an invalid value",
    "payment.invalid_payment_method": "Could not load payment method",
    "payment.auto_recharge_not_enabled": "Auto recharge is not enabled for the card",
    "payment.payment_method_in_use": "The payment method funds auto recharge",
    "visit_code.not_found": "Unknown visit code",
    "visit_code.already_used": "Visit code has already been used",
    "visit_code.expired": "Visit code has expired",
    "referral.invalid_email": "Invalid email address",
    "referral.none_available": "No referrals available for this account",
    "migrate_email.email_mismatch": "Email does not match the user's email address",
    "migrate_email.email_in_use": "Email address is already used as a username",
    "reset_password.invalid_card": "Could not load card",
    "reset_password.invalid_account": "Could not load account",
    "reset_password.invalid_user": "Could not load user",
    "reset_password.invalid_email_address": "Invalid email address format",
    "reset_password.email_not_unique": (
        "More than one user matches the specified email address; cannot uniquely identify "
        "whose password to reset"
    ),
    "reset_password.non_matching_email": "No user found with the specified email address",
    "reset_password.not_registered": "Cardholder is not registered",
    "reset_password.no_email": "No email address defined for cardholder",
    "enrollment.invalid_user": "Could not load user",
    "enrollment.invalid_card": "Could not load card",
    "enrollment.invalid_address": "Could not load address",
    "enrollment.invalid_card_template": "Unknown card template",
    "enrollment.field_validation_error": "Some fields are not valid",
}


class Failure(Exception):
    """A non-success reply: ``result`` (default ``failure``), code, message and extra fields."""

    def __init__(
        self, error_code: str, message: str = "", *, result: str = "failure", **extra: Any
    ) -> None:
        self.result = result
        self.error_code = error_code
        self.error_message = message or MESSAGES.get(error_code, "Failed to perform operation")
        self.extra = extra
        super().__init__(f"{result} {error_code}")

    def reply(self) -> dict[str, Any]:
        body: dict[str, Any] = {"result": self.result}
        if self.error_code:
            body["errorCode"] = self.error_code
            body["errorMessage"] = self.error_message
        body.update(self.extra)
        return body

    def with_result(self, result: str) -> Failure:
        """The same error under another ``result`` word (attachAndCombine's two steps)."""
        return Failure(self.error_code, self.error_message, result=result, **self.extra)
