"""The client object the portal uses, and its per-process instance built from settings."""

from __future__ import annotations

import os
import threading

from .balancetransfer import BalanceTransferService
from .csr import CsrService
from .enrollment import EnrollmentService
from .guest import GuestService
from .guestmanagement import GuestManagementService
from .payment import PaymentService
from .session import ClientConfig, Transport
from .transaction import TransactionService


class PaytronixClient:
    """All Paytronix services over one transport: ``.guest``, ``.csr``, ``.transaction``,
    ``.balance_transfer``, ``.payment``, ``.enrollment``, ``.guestmanagement``."""

    def __init__(self, config: ClientConfig, *, transport: Transport | None = None) -> None:
        self.config = config
        self.transport = transport or Transport(config)
        self.guest = GuestService(self.transport)
        self.csr = CsrService(self.transport)
        self.transaction = TransactionService(self.transport)
        self.enrollment = EnrollmentService(self.transport)
        self.guestmanagement = GuestManagementService(self.transport)
        self.balance_transfer = BalanceTransferService(self.transport)
        self.payment = PaymentService(self.transport)

    def __repr__(self) -> str:
        return f"PaytronixClient({self.config!r})"

    def close(self) -> None:
        """Close pooled connections (the client stays usable; it reconnects on demand)."""
        self.transport.close()


_lock = threading.Lock()
_client: PaytronixClient | None = None
_client_pid: int | None = None


def config_from_settings() -> ClientConfig:
    """Read the ``PAYTRONIX_*`` settings now (never at import time)."""
    from django.conf import settings

    return ClientConfig(
        base_url=settings.PAYTRONIX_BASE_URL,
        merchant_id=settings.PAYTRONIX_MERCHANT_ID,
        username=settings.PAYTRONIX_USERNAME,
        secret=settings.PAYTRONIX_SECRET,
        connect_timeout=settings.PAYTRONIX_CONNECT_TIMEOUT,
        read_timeout=settings.PAYTRONIX_READ_TIMEOUT,
        max_attempts=settings.PAYTRONIX_MAX_ATTEMPTS,
        breaker_threshold=settings.PAYTRONIX_BREAKER_THRESHOLD,
        breaker_cooldown=settings.PAYTRONIX_BREAKER_COOLDOWN,
        breaker_redis_url=settings.PAYTRONIX_BREAKER_REDIS_URL,
        pool_maxsize=settings.PAYTRONIX_POOL_SIZE,
    )


def client_from_settings() -> PaytronixClient:
    """The process's client. Settings are read on every call; the client (its connection
    pool and circuit breaker) is kept while they stay the same, and rebuilt in a forked child
    or when they change (tests pointing at a sandbox)."""
    global _client, _client_pid
    config = config_from_settings()
    with _lock:
        if _client is None or _client_pid != os.getpid() or _client.config != config:
            if _client is not None and _client_pid == os.getpid():
                _client.close()
            _client = PaytronixClient(config)
            _client_pid = os.getpid()
        return _client


def reset_client() -> None:
    """Forget the process's client (tests): the next ``client_from_settings()`` builds anew."""
    global _client, _client_pid
    with _lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client = None
        _client_pid = None
