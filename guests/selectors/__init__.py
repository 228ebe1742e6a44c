"""Reads of the guests app: finding guests, and what the guest page shows.

Split by topic: ``query`` (what the CSR typed), ``search`` (which endpoint answers it),
``load`` (loading the guest page and its panels), ``page`` (what the page shows),
``history``, ``codes`` (visit and referral codes), ``reads`` (the cached upstream reads),
``scope`` (store managers), ``fanout`` (concurrency).
"""

from guests.selectors.codes import (
    ReferralCodeCheck,
    VisitCodeCheck,
    referral_code_check,
    visit_code_check,
)
from guests.selectors.history import HistoryPage, HistoryQuery
from guests.selectors.load import (
    PANELS,
    GuestUnavailableError,
    guest_account,
    guest_page,
    transaction_comments,
)
from guests.selectors.page import GuestCard, GuestPage, Wallet
from guests.selectors.query import AccountCriteria, Kind, Query, QueryError, classify
from guests.selectors.reads import HistoryFilter
from guests.selectors.scope import GuestNotFoundError, scope_of
from guests.selectors.search import GuestMatch, SearchResult, guests_search

__all__ = [
    "PANELS",
    "AccountCriteria",
    "GuestCard",
    "GuestMatch",
    "GuestNotFoundError",
    "GuestPage",
    "GuestUnavailableError",
    "HistoryFilter",
    "HistoryPage",
    "HistoryQuery",
    "Kind",
    "Query",
    "QueryError",
    "ReferralCodeCheck",
    "SearchResult",
    "VisitCodeCheck",
    "Wallet",
    "classify",
    "guest_account",
    "guest_page",
    "guests_search",
    "referral_code_check",
    "scope_of",
    "transaction_comments",
    "visit_code_check",
]
