"""Guest Service: one method per endpoint of ``spec/guest-service.txt``.

Arguments are keyword-only and named after the spec's parameters in snake_case; optional
parameters left at ``None`` are not sent. Methods marked *write* change upstream state: they run
only inside ``permit_writes()`` (the audit door) and are never retried (see ``session``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from .errors import MalformedReplyError
from .models import (
    AccountInformation,
    AddRedeemReply,
    CombineResult,
    ExternalAccountCards,
    PendingEventReward,
    ReferralCode,
    ReferralList,
    TransactionAnnotation,
    TransactionHistory,
    UserAndAccountInformation,
    UserInformation,
    VisitCode,
)
from .session import Endpoint, Transport

CARD_STATUSES = ("ACTIVE", "DISABLED")
MESSAGE_FREQUENCIES = (
    "ALL",
    "ONCE_PER_WEEK",
    "ONCE_PER_FORTNIGHT",
    "ONCE_PER_MONTH",
    "SNOOZE",
    "UNSUBSCRIBE",
)
LANGUAGE_CODES = (
    "en-US",
    "en-GB",
    "es-ES",
    "fr-FR",
    "fr-CA",
    "da-DK",
    "nl-NL",
    "fi-FI",
    "de-DE",
    "it-IT",
    "nb-NO",
    "pt-BR",
    "sv-SE",
)
REFERRAL_STATUSES = ("INVITATION_SENT", "ENROLLED", "REWARD_EARNED", "CARD_LINKED", "CARD_USED")


def _read(name: str, *errors: str, post: bool = False) -> Endpoint:
    return Endpoint(f"guest/{name}.json", "POST" if post else "GET", errors=frozenset(errors))


def _write(name: str, *errors: str, get: bool = False) -> Endpoint:
    method: Literal["GET", "POST"] = "GET" if get else "POST"
    return Endpoint(f"guest/{name}.json", method, write=True, errors=frozenset(errors))


PRINTED_CARD_NUMBER_FOR_EXTERNAL_ACCOUNT = _read("printedCardNumberForExternalAccount")
ACCOUNT_INFORMATION = _read("accountInformation", "invalid_status")
ACCOUNT_INFORMATION_BY_ID = _read("accountInformationById", "invalid_status")
MIGRATE_EMAIL_AS_USERNAME = _write("migrateEmailAsUsername", get=True)
ECLUB_ACCOUNT_INFORMATION = _read("eClubAccountInformation", "invalid_status")
USER_INFORMATION = _read("userInformation")
USER_INFORMATION_BY_PRINTED_CARD_NUMBER = _read("userInformationByPrintedCardNumber")
USER_INFORMATION_BY_ACCOUNT_ID = _read("userInformationByAccountId")
ECLUB_USER_INFORMATION = _read("eClubUserInformation")
USER_AND_ACCOUNT_INFORMATION = _read("userAndAccountInformationByPrintedCardNumber")
TRANSACTION_HISTORY = _read("transactionHistory")
TRANSACTION_HISTORY_BY_ACCOUNT = _read("transactionHistoryByAccount")
TRANSACTION_ANNOTATION = _read("transactionAnnotation")
ATTACH_CARD = _write("attachCard", "more_info")
COMBINE_CARD = _write("combineCard", "accountSuspended")
ATTACH_AND_COMBINE = _write(
    "attachAndCombine", "attach_failure", "combine_failure", "accountSuspended", "more_info"
)
IS_CARD_COMBINABLE = _read("isCardCombinable")
CHANGE_CARD_STATUS = _write("changeCardStatus")
REFERRALS_BY_USERNAME = _read("referralsByUsername")
REFERRALS_BY_PRINTED_CARD_NUMBER = _read("referralsByPrintedCardNumber")
REFERRALS_BY_ACCOUNT_ID = _read("referralsByAccountId")
ADD_REFERRALS_BY_USERNAME = _write("addReferralsByUsername")
ADD_REFERRALS_BY_PRINTED_CARD_NUMBER = _write("addReferralsByPrintedCardNumber")
ADD_REFERRALS_BY_ACCOUNT_ID = _write("addReferralsByAccountId")
CREATE_REFERRAL_CODE_BY_USERNAME = _write("createReferralCodeByUsername")
CREATE_REFERRAL_CODE_BY_PRINTED_CARD_NUMBER = _write("createReferralCodeByPrintedCardNumber")
CREATE_REFERRAL_CODE_BY_ACCOUNT_ID = _write("createReferralCodeByAccountId")
VALIDATE_REFERRAL_CODE = _read("validateReferralCode", post=True)
PENDING_EVENT_REWARDS = _read("pendingEventRewards")
PENDING_EVENT_REWARDS_BY_ACCOUNT_ID = _read("pendingEventRewardsByAccountId")
APPLY_VISIT_CODE = _write("applyVisitCode")
VALIDATE_VISIT_CODE = _read("validateVisitCode", "invalidVisitCode", post=True)
UPDATE_MESSAGE_FREQUENCY = _write("updateMessageFrequency")
UPDATE_LANGUAGE_PREF_BY_USERNAME = _write("updateUserLanguagePrefByUsername")
UPDATE_LANGUAGE_PREF_BY_PRINTED_CARD_NUMBER = _write("updateUserLanguagePrefByPrintedCardNumber")
UPDATE_LANGUAGE_PREF_BY_ACCOUNT_ID = _write("updateUserLanguagePrefByAccountId")


def _one_account(printed_card_number: str | None, account_id: int | None) -> dict[str, Any]:
    # The spec calls sending both (or neither) an error; refuse before spending a round trip.
    if (printed_card_number is None) == (account_id is None):
        raise ValueError("give exactly one of printed_card_number and account_id")
    return {"printedCardNumber": printed_card_number, "accountId": account_id}


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return value


def _history_filters(
    date_start: date | None,
    date_end: date | None,
    max_number_of_results: int | None,
    limit_to_balance_affecting_transactions: bool | None,
    exclude_non_balance_affecting_identify_customer_transactions: bool | None,
) -> dict[str, Any]:
    return {
        "dateStart": date_start,
        "dateEnd": date_end,
        "maxNumberOfResults": max_number_of_results,
        "limitToBalanceAffectingTransactions": limit_to_balance_affecting_transactions,
        "excludeNonBalanceAffectingIdentifyCustomerTransactions": (
            exclude_non_balance_affecting_identify_customer_transactions
        ),
    }


def _required[T](reply: dict[str, Any], key: str, kind: type[T]) -> T:
    value = reply.get(key)
    if not isinstance(value, kind):
        raise MalformedReplyError(f"malformed reply: {key} is not {kind.__name__}")
    return value


def _user_information(payload: dict[str, Any]) -> UserInformation:
    # The spec's eClub example puts the user fields at the top level of the reply.
    return UserInformation.from_wire(payload.get("userInformation") or payload)


class GuestService:
    """The Guest Service endpoints, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _call(self, endpoint: Endpoint, params: dict[str, Any]) -> dict[str, Any]:
        return self._transport.call(endpoint, params)

    # Accounts and users

    def printed_card_number_for_external_account(
        self, *, account_code: str
    ) -> ExternalAccountCards:
        """Cards of the account associated with an external account code."""
        reply = self._call(PRINTED_CARD_NUMBER_FOR_EXTERNAL_ACCOUNT, {"accountCode": account_code})
        return ExternalAccountCards.from_wire(reply)

    def account_information(
        self, *, printed_card_number: str, access_filter_store_group_code: int | None = None
    ) -> AccountInformation:
        """Balance inquiry by card number; ``InvalidStatusError`` for a terminated account."""
        reply = self._call(
            ACCOUNT_INFORMATION,
            {
                "printedCardNumber": printed_card_number,
                "accessFilterStoreGroupCode": access_filter_store_group_code,
            },
        )
        return AccountInformation.from_wire(reply)

    def account_information_by_id(
        self, *, account_id: int, access_filter_store_group_code: int | None = None
    ) -> AccountInformation:
        """Balance inquiry by account id; ``InvalidStatusError`` for a terminated account."""
        reply = self._call(
            ACCOUNT_INFORMATION_BY_ID,
            {"accountId": account_id, "accessFilterStoreGroupCode": access_filter_store_group_code},
        )
        return AccountInformation.from_wire(reply)

    def eclub_account_information(
        self, *, email: str, card_template_code: int
    ) -> AccountInformation:
        """Account information of an eClub account, found by email and eClub template."""
        reply = self._call(
            ECLUB_ACCOUNT_INFORMATION, {"email": email, "cardTemplateCode": card_template_code}
        )
        return AccountInformation.from_wire(reply)

    def user_information(self, *, username: str) -> UserInformation:
        """Demographics of the user registered under ``username``."""
        return _user_information(self._call(USER_INFORMATION, {"username": username}))

    def user_information_by_printed_card_number(
        self, *, printed_card_number: str
    ) -> UserInformation:
        """Demographics of the user a card is registered to."""
        reply = self._call(
            USER_INFORMATION_BY_PRINTED_CARD_NUMBER, {"printedCardNumber": printed_card_number}
        )
        return _user_information(reply)

    def user_information_by_account_id(self, *, account_id: int) -> UserInformation:
        """Demographics of the user an account is registered to."""
        return _user_information(
            self._call(USER_INFORMATION_BY_ACCOUNT_ID, {"accountId": account_id})
        )

    def eclub_user_information(self, *, email: str, card_template_code: int) -> UserInformation:
        """Demographics of an eClub account, found by email and eClub template."""
        reply = self._call(
            ECLUB_USER_INFORMATION, {"email": email, "cardTemplateCode": card_template_code}
        )
        return _user_information(reply)

    def user_and_account_information(
        self, *, printed_card_number: str
    ) -> UserAndAccountInformation:
        """User and account information of a card in one round trip."""
        reply = self._call(USER_AND_ACCOUNT_INFORMATION, {"printedCardNumber": printed_card_number})
        return UserAndAccountInformation.from_wire(reply)

    def migrate_email_as_username(self, *, username: str, email: str) -> str:
        """*Write* (a GET that mutates): make the user's email their username; return it."""
        reply = self._call(MIGRATE_EMAIL_AS_USERNAME, {"username": username, "email": email})
        return _required(reply, "newUsername", str)

    # History

    def transaction_history(
        self,
        *,
        printed_card_number: str,
        date_start: date | None = None,
        date_end: date | None = None,
        max_number_of_results: int | None = None,
        limit_to_balance_affecting_transactions: bool | None = None,
        exclude_non_balance_affecting_identify_customer_transactions: bool | None = None,
    ) -> TransactionHistory:
        """Transactions of the account of a card, with the spec's filters."""
        params = {"printedCardNumber": printed_card_number} | _history_filters(
            date_start,
            date_end,
            max_number_of_results,
            limit_to_balance_affecting_transactions,
            exclude_non_balance_affecting_identify_customer_transactions,
        )
        return TransactionHistory.from_wire(self._call(TRANSACTION_HISTORY, params))

    def transaction_history_by_account_id(
        self,
        *,
        account_id: int,
        date_start: date | None = None,
        date_end: date | None = None,
        max_number_of_results: int | None = None,
        limit_to_balance_affecting_transactions: bool | None = None,
        exclude_non_balance_affecting_identify_customer_transactions: bool | None = None,
    ) -> TransactionHistory:
        """Transactions of an account (transactionHistoryByAccount), with the spec's filters."""
        params = {"accountId": account_id} | _history_filters(
            date_start,
            date_end,
            max_number_of_results,
            limit_to_balance_affecting_transactions,
            exclude_non_balance_affecting_identify_customer_transactions,
        )
        return TransactionHistory.from_wire(self._call(TRANSACTION_HISTORY_BY_ACCOUNT, params))

    def transaction_annotation(
        self, *, account_id: int, transaction_id: int
    ) -> TransactionAnnotation:
        """Guest-visible CSR and system comments of one transaction."""
        reply = self._call(
            TRANSACTION_ANNOTATION, {"accountId": account_id, "transactionId": transaction_id}
        )
        return TransactionAnnotation.from_wire(reply.get("annotation") or {})

    # Cards

    def attach_card(
        self,
        *,
        printed_card_number: str,
        other_printed_card_number: str,
        other_registration_code: str | None = None,
        other_username: str | None = None,
        other_password: str | None = None,
    ) -> None:
        """*Write*: attach another card to the account of ``printed_card_number``.

        ``MoreInfoError.fields`` lists what to ask for and resubmit: ``registrationCode``, or
        ``username`` and ``password`` of the other card's current owner.
        """
        self._call(
            ATTACH_CARD,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
                "otherRegistrationCode": other_registration_code,
                "otherUsername": other_username,
                "otherPassword": other_password,
            },
        )

    def combine_card(
        self, *, printed_card_number: str, other_printed_card_number: str | None = None
    ) -> CombineResult:
        """*Write*: combine an attached card into the main account of its template.

        ``other_printed_card_number`` is obsolete upstream (v14.10) and sent only if given.
        ``AccountSuspendedError`` when too many cards were combined into one account.
        """
        reply = self._call(
            COMBINE_CARD,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
            },
        )
        return CombineResult.from_wire(reply)

    def attach_and_combine(
        self,
        *,
        printed_card_number: str,
        other_printed_card_number: str,
        other_registration_code: str | None = None,
        other_username: str | None = None,
        other_password: str | None = None,
    ) -> None:
        """*Write*: attach a card and combine it; ``AttachFailureError`` or
        ``CombineFailureError`` say which step failed, ``MoreInfoError`` as for attach."""
        self._call(
            ATTACH_AND_COMBINE,
            {
                "printedCardNumber": printed_card_number,
                "otherPrintedCardNumber": other_printed_card_number,
                "otherRegistrationCode": other_registration_code,
                "otherUsername": other_username,
                "otherPassword": other_password,
            },
        )

    def is_card_combinable(self, *, printed_card_number: str) -> bool:
        """Whether the card can be combined into the main account of its template."""
        reply = self._call(IS_CARD_COMBINABLE, {"printedCardNumber": printed_card_number})
        return _required(reply, "isCombinable", bool)

    def change_card_status(self, *, printed_card_number: str, status: str) -> None:
        """*Write*: enable (``ACTIVE``) or disable (``DISABLED``) a card."""
        _choice(status, CARD_STATUSES, "status")
        self._call(CHANGE_CARD_STATUS, {"printedCardNumber": printed_card_number, "status": status})

    # Referrals

    def referrals_by_username(self, *, username: str) -> ReferralList:
        """Referrals of the user registered under ``username``."""
        return ReferralList.from_wire(self._call(REFERRALS_BY_USERNAME, {"username": username}))

    def referrals_by_printed_card_number(self, *, printed_card_number: str) -> ReferralList:
        """Referrals of the account of a card."""
        reply = self._call(
            REFERRALS_BY_PRINTED_CARD_NUMBER, {"printedCardNumber": printed_card_number}
        )
        return ReferralList.from_wire(reply)

    def referrals_by_account_id(self, *, account_id: int) -> ReferralList:
        """Referrals of an account."""
        return ReferralList.from_wire(
            self._call(REFERRALS_BY_ACCOUNT_ID, {"accountId": account_id})
        )

    def add_referrals_by_username(
        self,
        *,
        username: str,
        emails: Sequence[str],
        message: str | None = None,
        card_template_code: int | None = None,
    ) -> ReferralList:
        """*Write*: refer ``emails`` on behalf of a user (upstream emails each referent)."""
        reply = self._call(
            ADD_REFERRALS_BY_USERNAME,
            {
                "username": username,
                "emails": list(emails),
                "message": message,
                "cardTemplateCode": card_template_code,
            },
        )
        return ReferralList.from_wire(reply)

    def add_referrals_by_printed_card_number(
        self, *, printed_card_number: str, emails: Sequence[str], message: str | None = None
    ) -> ReferralList:
        """*Write*: refer ``emails`` on behalf of the account of a card."""
        reply = self._call(
            ADD_REFERRALS_BY_PRINTED_CARD_NUMBER,
            {"printedCardNumber": printed_card_number, "emails": list(emails), "message": message},
        )
        return ReferralList.from_wire(reply)

    def add_referrals_by_account_id(
        self, *, account_id: int, emails: Sequence[str], message: str | None = None
    ) -> ReferralList:
        """*Write*: refer ``emails`` on behalf of an account."""
        reply = self._call(
            ADD_REFERRALS_BY_ACCOUNT_ID,
            {"accountId": account_id, "emails": list(emails), "message": message},
        )
        return ReferralList.from_wire(reply)

    def create_referral_code_by_username(
        self, *, username: str, card_template_code: int
    ) -> ReferralCode:
        """*Write*: create a referral code (and reverse-enroll URL) for a user."""
        reply = self._call(
            CREATE_REFERRAL_CODE_BY_USERNAME,
            {"username": username, "cardTemplateCode": card_template_code},
        )
        return ReferralCode.from_wire(reply)

    def create_referral_code_by_printed_card_number(
        self, *, printed_card_number: str
    ) -> ReferralCode:
        """*Write*: create a referral code for the account of a card."""
        reply = self._call(
            CREATE_REFERRAL_CODE_BY_PRINTED_CARD_NUMBER, {"printedCardNumber": printed_card_number}
        )
        return ReferralCode.from_wire(reply)

    def create_referral_code_by_account_id(self, *, account_id: int) -> ReferralCode:
        """*Write*: create a referral code for an account."""
        reply = self._call(CREATE_REFERRAL_CODE_BY_ACCOUNT_ID, {"accountId": account_id})
        return ReferralCode.from_wire(reply)

    def validate_referral_code(self, *, code: str) -> ReferralCode:
        """Who a referral code belongs to; ``FailureError`` ``referral_code.invalid_code``."""
        return ReferralCode.from_wire(self._call(VALIDATE_REFERRAL_CODE, {"code": code}))

    # Rewards and visit codes

    def pending_event_rewards(self, *, printed_card_number: str) -> list[PendingEventReward]:
        """Rewards of active events not yet converted, for the account of a card."""
        reply = self._call(PENDING_EVENT_REWARDS, {"printedCardNumber": printed_card_number})
        return [PendingEventReward.from_wire(item) for item in reply.get("rewards") or []]

    def pending_event_rewards_by_account_id(self, *, account_id: int) -> list[PendingEventReward]:
        """Rewards of active events not yet converted, for an account."""
        reply = self._call(PENDING_EVENT_REWARDS_BY_ACCOUNT_ID, {"accountId": account_id})
        return [PendingEventReward.from_wire(item) for item in reply.get("rewards") or []]

    def apply_visit_code(
        self, *, code: str, printed_card_number: str | None = None, account_id: int | None = None
    ) -> AddRedeemReply:
        """*Write*: apply a visit code to an account given by card number *or* account id."""
        params = {"code": code} | _one_account(printed_card_number, account_id)
        return AddRedeemReply.from_wire(self._call(APPLY_VISIT_CODE, params).get("reply") or {})

    def validate_visit_code(
        self, *, code: str, printed_card_number: str | None = None, account_id: int | None = None
    ) -> VisitCode:
        """What a visit code stands for, if it can be applied; ``InvalidVisitCodeError``
        (with ``extra["codeInfo"]``) when it is unknown, used or expired."""
        params = {"code": code} | _one_account(printed_card_number, account_id)
        return VisitCode.from_wire(self._call(VALIDATE_VISIT_CODE, params).get("codeInfo") or {})

    # Preferences

    def update_message_frequency(self, *, username: str, preference: str) -> None:
        """*Write*: set how often the user gets marketing messages (``MESSAGE_FREQUENCIES``)."""
        _choice(preference, MESSAGE_FREQUENCIES, "preference")
        self._call(UPDATE_MESSAGE_FREQUENCY, {"username": username, "preference": preference})

    def update_language_preference_by_username(self, *, username: str, language_code: str) -> None:
        """*Write*: set the user's language (``LANGUAGE_CODES``)."""
        _choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_USERNAME, {"username": username, "languageCode": language_code}
        )

    def update_language_preference_by_printed_card_number(
        self, *, printed_card_number: str, language_code: str
    ) -> None:
        """*Write*: set the language of the user of a card (``LANGUAGE_CODES``)."""
        _choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_PRINTED_CARD_NUMBER,
            {"printedCardNumber": printed_card_number, "languageCode": language_code},
        )

    def update_language_preference_by_account_id(
        self, *, account_id: int, language_code: str
    ) -> None:
        """*Write*: set the language of the user of an account (``LANGUAGE_CODES``)."""
        _choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_ACCOUNT_ID,
            {"accountId": account_id, "languageCode": language_code},
        )
