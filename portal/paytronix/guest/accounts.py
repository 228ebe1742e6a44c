"""Guest Service, accounts and users: account and user information, and the user's
preferences (message frequency, language)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..replies import (
    AccountIdentity,
    AccountInformation,
    ExternalAccountCards,
    UserAndAccountInformation,
    UserInformation,
)
from .endpoints import (
    ACCOUNT_INFORMATION,
    ACCOUNT_INFORMATION_BY_ID,
    ECLUB_ACCOUNT_INFORMATION,
    ECLUB_USER_INFORMATION,
    LANGUAGE_CODES,
    MESSAGE_FREQUENCIES,
    MIGRATE_EMAIL_AS_USERNAME,
    PRINTED_CARD_NUMBER_FOR_EXTERNAL_ACCOUNT,
    UPDATE_LANGUAGE_PREF_BY_ACCOUNT_ID,
    UPDATE_LANGUAGE_PREF_BY_PRINTED_CARD_NUMBER,
    UPDATE_LANGUAGE_PREF_BY_USERNAME,
    UPDATE_MESSAGE_FREQUENCY,
    USER_AND_ACCOUNT_INFORMATION,
    USER_INFORMATION,
    USER_INFORMATION_BY_ACCOUNT_ID,
    USER_INFORMATION_BY_PRINTED_CARD_NUMBER,
    GuestCalls,
    checked_choice,
    required_field,
)

#: Members of userInformation that clients of the live API (release 19.x) read at the top level
#: of the reply, where the spec nests them: either place is read (docs/wire-notes.md).
_HOISTED = ("accountIds", "fields", "primaryCardNumbers")


def _user_information(payload: dict[str, Any]) -> UserInformation:
    """The reply's user, nested under ``userInformation`` (the spec) or at the top level (the
    spec's eClub example, and live releases), or split between both: the nested value wins."""
    nested = payload.get("userInformation")
    if not isinstance(nested, dict):
        return UserInformation.from_wire(payload)
    hoisted = {key: payload[key] for key in _HOISTED if payload.get(key) is not None}
    return UserInformation.from_wire(hoisted | {k: v for k, v in nested.items() if v is not None})


class AccountCalls(GuestCalls):
    """Accounts, users and the user's preferences."""

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

    def account_identity(self, *, printed_card_number: str) -> AccountIdentity:
        """accountInformation by card number, read only for whose account it is (see
        ``AccountIdentity``); ``InvalidStatusError`` for a terminated account."""
        reply = self._call(ACCOUNT_INFORMATION, {"printedCardNumber": printed_card_number})
        return AccountIdentity.from_wire(reply)

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
        both = UserAndAccountInformation.from_wire(reply)
        return dataclasses.replace(both, user_information=_user_information(reply))

    def migrate_email_as_username(self, *, username: str, email: str) -> str:
        """*Write* (a GET that mutates): make the user's email their username; return it."""
        reply = self._call(MIGRATE_EMAIL_AS_USERNAME, {"username": username, "email": email})
        return required_field(reply, "newUsername", str)

    # Preferences

    def update_message_frequency(self, *, username: str, preference: str) -> None:
        """*Write*: set how often the user gets marketing messages (``MESSAGE_FREQUENCIES``)."""
        checked_choice(preference, MESSAGE_FREQUENCIES, "preference")
        self._call(UPDATE_MESSAGE_FREQUENCY, {"username": username, "preference": preference})

    def update_language_preference_by_username(self, *, username: str, language_code: str) -> None:
        """*Write*: set the user's language (``LANGUAGE_CODES``)."""
        checked_choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_USERNAME, {"username": username, "languageCode": language_code}
        )

    def update_language_preference_by_printed_card_number(
        self, *, printed_card_number: str, language_code: str
    ) -> None:
        """*Write*: set the language of the user of a card (``LANGUAGE_CODES``)."""
        checked_choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_PRINTED_CARD_NUMBER,
            {"printedCardNumber": printed_card_number, "languageCode": language_code},
        )

    def update_language_preference_by_account_id(
        self, *, account_id: int, language_code: str
    ) -> None:
        """*Write*: set the language of the user of an account (``LANGUAGE_CODES``)."""
        checked_choice(language_code, LANGUAGE_CODES, "language_code")
        self._call(
            UPDATE_LANGUAGE_PREF_BY_ACCOUNT_ID,
            {"accountId": account_id, "languageCode": language_code},
        )
