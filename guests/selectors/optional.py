"""Upstream services a merchant's integration may not have (DESIGN.md "Services a merchant may
not have"): the CSR service (account notes), the Transaction Service's accountQuery (search
by email, phone, name, postal code) and its writes (wallet adjustments, voids, card exchange),
the Payment Service (stored-value payments), the Enrollment Service (the guest's details,
addresses, privacy deletion), the Guest Management Service (the password reset email) and the
Balance Transfer Service (moving a balance between cards). They are all declared here and listed
once in ``_SERVICES``, the list every guest page reads.

Each can be switched off in settings. An upstream that answers "not found" or "not authorised"
for one (``portal.paytronix.errors.service_unavailable``) is remembered in the cache for
``PAYTRONIX_UNAVAILABLE_SERVICE_SECONDS``, so no page spends a call finding out again, and it is
logged once per period, not per view. What needs the service says so in one calm sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from portal.paytronix.errors import PaytronixError, service_unavailable
from portal.requestscope import request_forget, request_scoped

logger = logging.getLogger(__name__)

_FOUND_MISSING = "optional-services-found-missing"


@dataclass(frozen=True)
class OptionalService:
    """One service the portal can do without."""

    name: str
    #: The Boolean setting that switches it off.
    setting: str
    #: What the CSR reads where the service would be used.
    sentence: str

    @property
    def _key(self) -> str:
        return f"paytronix-unavailable:{self.name}"

    def available(self) -> bool:
        """Switched on, and not found missing upstream within the remembered period."""
        return bool(getattr(settings, self.setting)) and self.name not in _found_missing()

    def remember_unavailable(self, error: PaytronixError) -> None:
        seconds = int(settings.PAYTRONIX_UNAVAILABLE_SERVICE_SECONDS)
        request_forget(_FOUND_MISSING)
        if cache.add(self._key, True, timeout=seconds):
            logger.warning(
                "paytronix %s service is not available to this integration (%s); "
                "not asked again for %ds",
                self.name,
                type(error).__name__,
                seconds,
            )

    def call[T](self, read: Callable[[], T]) -> T | None:
        """``read()``, or ``None`` when the service is off or turns out to be missing;
        any other upstream error is raised."""
        if not self.available():
            return None
        try:
            return read()
        except PaytronixError as error:
            if not service_unavailable(error):
                raise
            self.remember_unavailable(error)
            return None

    def write[T](self, call: Callable[[], T]) -> T:
        """``call()`` (a write, inside the door), remembering the service as missing when
        upstream answers so; every error is raised as it came, for the door to record."""
        try:
            return call()
        except PaytronixError as error:
            if service_unavailable(error):
                self.remember_unavailable(error)
            raise


NOTES = OptionalService(
    name="csr",
    setting="PAYTRONIX_CSR_SERVICE",
    sentence="Account notes are not available for this Paytronix integration.",
)
ACCOUNT_SEARCH = OptionalService(
    name="account_query",
    setting="PAYTRONIX_ACCOUNT_QUERY",
    sentence=(
        "Search by email, phone or name is not available for this Paytronix integration. "
        "Search by card number, account id, username or eClub email instead."
    ),
)
ENROLLMENT = OptionalService(
    name="enrollment",
    setting="PAYTRONIX_ENROLLMENT_SERVICE",
    sentence=(
        "Editing the guest's details and addresses, and privacy deletion, are not available "
        "for this Paytronix integration."
    ),
)
GUEST_MANAGEMENT = OptionalService(
    name="guestmanagement",
    setting="PAYTRONIX_GUEST_MANAGEMENT_SERVICE",
    sentence="Sending a password reset email is not available for this Paytronix integration.",
)
TRANSACTIONS = OptionalService(
    name="transaction",
    setting="PAYTRONIX_TRANSACTION_SERVICE",
    sentence=(
        "Balance adjustments and card exchanges are not available for this Paytronix integration."
    ),
)
PAYMENTS = OptionalService(
    name="payment",
    setting="PAYTRONIX_PAYMENT_SERVICE",
    sentence=(
        "Saved payment methods and auto-recharge are not available for this Paytronix integration."
    ),
)
BALANCE_TRANSFER = OptionalService(
    name="balance_transfer",
    setting="PAYTRONIX_BALANCE_TRANSFER_SERVICE",
    sentence="Moving a balance between cards is not available for this Paytronix integration.",
)

#: Every service above, read together by ``_found_missing``. Listed by hand rather than
#: collected as each is made, so that a service made elsewhere (a test's) never joins the
#: list every guest page reads.
_SERVICES: tuple[OptionalService, ...] = (
    NOTES,
    ACCOUNT_SEARCH,
    ENROLLMENT,
    GUEST_MANAGEMENT,
    TRANSACTIONS,
    PAYMENTS,
    BALANCE_TRANSFER,
)


def found_missing_entries() -> list[tuple[str, str]]:
    """Where the services found missing are remembered (cache alias, key), for
    ``portal.redis_cache.looked_up_together``."""
    return [("default", service._key) for service in _SERVICES]


def _found_missing() -> frozenset[str]:
    """The services remembered as missing upstream: one cache round trip for all of them,
    once per request (a guest page asks about several, some many times)."""

    def read() -> frozenset[str]:
        found = cache.get_many([service._key for service in _SERVICES])
        return frozenset(service.name for service in _SERVICES if found.get(service._key))

    return request_scoped(_FOUND_MISSING, read)
