"""The Guest Service's endpoints, its value lists, and the base its topic classes share.

Each endpoint says its path, its method, whether it writes and which non-success ``result``
words the spec documents for it besides ``failure``. The value lists are the spec's "Constant
Values" the client checks before sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..endpoint import Endpoint
from ..errors import MalformedReplyError
from ..session import Transport

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


def checked_choice(value: str, allowed: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``allowed``; else ``ValueError`` naming ``what``."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return value


def required_field[T](reply: dict[str, Any], key: str, kind: type[T]) -> T:
    """``reply[key]`` if it is a ``kind``; else ``MalformedReplyError``."""
    value = reply.get(key)
    if not isinstance(value, kind):
        raise MalformedReplyError(f"malformed reply: {key} is not {kind.__name__}")
    return value


class GuestCalls:
    """The transport binding every group of Guest Service endpoints shares."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _call(self, endpoint: Endpoint, params: dict[str, Any]) -> dict[str, Any]:
        return self._transport.call(endpoint, params)
