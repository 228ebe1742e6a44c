"""Guest Service: one method per endpoint of ``spec/guest-service.txt``.

Arguments are keyword-only and named after the spec's parameters in snake_case; optional
parameters left at ``None`` are not sent. Methods marked *write* change upstream state: they run
only inside ``permit_writes()`` (the audit door) and are never retried (see ``..session``).

The spec's endpoints are grouped by topic, one class per module (``accounts``, ``activity``,
``cards``, ``referrals``) over the endpoint table of ``endpoints``; ``GuestService`` is all of
them on one transport.
"""

from __future__ import annotations

from .accounts import AccountCalls
from .activity import ActivityCalls
from .cards import CardCalls
from .endpoints import CARD_STATUSES, LANGUAGE_CODES, MESSAGE_FREQUENCIES, REFERRAL_STATUSES
from .referrals import ReferralCalls

__all__ = [
    "CARD_STATUSES",
    "LANGUAGE_CODES",
    "MESSAGE_FREQUENCIES",
    "REFERRAL_STATUSES",
    "GuestService",
]


class GuestService(AccountCalls, ActivityCalls, CardCalls, ReferralCalls):
    """The Guest Service endpoints, bound to one ``Transport``."""
