"""Guest Service, referrals: a guest's referrals, referring by email, referral codes."""

from __future__ import annotations

from collections.abc import Sequence

from ..replies import ReferralCode, ReferralList
from .endpoints import (
    ADD_REFERRALS_BY_ACCOUNT_ID,
    ADD_REFERRALS_BY_PRINTED_CARD_NUMBER,
    ADD_REFERRALS_BY_USERNAME,
    CREATE_REFERRAL_CODE_BY_ACCOUNT_ID,
    CREATE_REFERRAL_CODE_BY_PRINTED_CARD_NUMBER,
    CREATE_REFERRAL_CODE_BY_USERNAME,
    REFERRALS_BY_ACCOUNT_ID,
    REFERRALS_BY_PRINTED_CARD_NUMBER,
    REFERRALS_BY_USERNAME,
    VALIDATE_REFERRAL_CODE,
    GuestCalls,
)


class ReferralCalls(GuestCalls):
    """The referral endpoints."""

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
