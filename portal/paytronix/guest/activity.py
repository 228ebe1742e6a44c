"""Guest Service, an account's activity: transaction history and annotations, pending event
rewards, visit codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..replies import (
    AddRedeemReply,
    PendingEventReward,
    TransactionAnnotation,
    TransactionHistory,
    VisitCode,
)
from .endpoints import (
    APPLY_VISIT_CODE,
    PENDING_EVENT_REWARDS,
    PENDING_EVENT_REWARDS_BY_ACCOUNT_ID,
    TRANSACTION_ANNOTATION,
    TRANSACTION_HISTORY,
    TRANSACTION_HISTORY_BY_ACCOUNT,
    VALIDATE_VISIT_CODE,
    GuestCalls,
)


def _one_account(printed_card_number: str | None, account_id: int | None) -> dict[str, Any]:
    # The spec calls sending both (or neither) an error; refuse before spending a round trip.
    if (printed_card_number is None) == (account_id is None):
        raise ValueError("give exactly one of printed_card_number and account_id")
    return {"printedCardNumber": printed_card_number, "accountId": account_id}


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


class ActivityCalls(GuestCalls):
    """History, annotations, pending rewards and visit codes of an account."""

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
