"""The Paytronix client: typed, retried where safe, guarded for writes.

Use ``client_from_settings()`` for the process's client; writes run only inside
``permit_writes()``, which the audit door opens. Nothing here imports the portal's apps.
"""

from .client import PaytronixClient, client_from_settings, config_from_settings, reset_client
from .endpoint import Endpoint
from .guard import permit_writes, writes_permitted
from .session import ClientConfig, Transport

__all__ = [
    "ClientConfig",
    "Endpoint",
    "PaytronixClient",
    "Transport",
    "client_from_settings",
    "config_from_settings",
    "permit_writes",
    "reset_client",
    "writes_permitted",
]
