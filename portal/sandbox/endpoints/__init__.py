"""Every endpoint the sandbox answers, registered by importing its topic module."""

from portal.sandbox.endpoints import (  # noqa: F401  (imported to register their endpoints)
    accounts,
    balancetransfer,
    cards,
    csr,
    enrollment,
    guestmanagement,
    history,
    messaging,
    payment,
    referrals,
    rewards,
    transaction,
)
from portal.sandbox.endpoints.registry import ENDPOINTS, Endpoint, Request

__all__ = ["ENDPOINTS", "Endpoint", "Request"]
