"""What the transport tells the outside world about each upstream call, without knowing who
listens.

The transport calls ``call_ended`` once per attempt (answered or not) and the breaker calls
``breaker_changed`` on each change of state. Both write the log line (with the call's fields as
structured extras, so a JSON log carries them as fields) and pass the event to every observer
registered with ``observer_add``: the portal registers its metrics there at start-up, so this
package imports nothing from the apps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger("portal.paytronix")


@dataclass(frozen=True)
class CallEnded:
    """One attempt at one endpoint. ``result`` is the reply's ``result`` word, or ``fault``."""

    method: str
    endpoint: str
    status: int | None
    result: str
    error_code: str
    seconds: float
    attempt: int
    #: What went wrong on the wire (``read timeout``, ``http error``...), if anything did.
    fault: str = ""
    account_id: int | None = None


class Observer(Protocol):
    def call_ended(self, event: CallEnded) -> None: ...

    def breaker_changed(self, state: str) -> None: ...


_observers: list[Observer] = []


def observer_add(observer: Observer) -> None:
    """Register ``observer`` once (a second registration of the same object is ignored)."""
    if observer not in _observers:
        _observers.append(observer)


def observer_remove(observer: Observer) -> None:
    if observer in _observers:
        _observers.remove(observer)


def call_ended(event: CallEnded) -> None:
    fields = {
        "upstream_method": event.method,
        "upstream_endpoint": event.endpoint,
        "upstream_status": event.status,
        "upstream_result": event.result,
        "error_code": event.error_code,
        "duration_ms": round(event.seconds * 1000),
        "attempt": event.attempt,
    }
    if event.account_id is not None:
        fields["account_id"] = event.account_id
    if event.fault:
        logger.warning(
            "paytronix %s %s fault=%s status=%s duration_ms=%.0f attempt=%d",
            event.method,
            event.endpoint,
            event.fault,
            event.status,
            event.seconds * 1000,
            event.attempt,
            extra=fields | {"upstream_fault": event.fault},
        )
    else:
        logger.info(
            "paytronix %s %s status=%s result=%s duration_ms=%.0f attempt=%d",
            event.method,
            event.endpoint,
            event.status,
            event.result,
            event.seconds * 1000,
            event.attempt,
            extra=fields,
        )
    for observer in tuple(_observers):
        try:
            observer.call_ended(event)
        except Exception:
            # Watching must never break the call it watches.
            logger.exception("paytronix observer failed on call_ended")


def breaker_changed(state: str) -> None:
    for observer in tuple(_observers):
        try:
            observer.breaker_changed(state)
        except Exception:
            logger.exception("paytronix observer failed on breaker_changed")
