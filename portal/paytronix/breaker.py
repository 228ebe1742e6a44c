"""The circuit breaker: when Paytronix keeps failing, fail fast and say so.

After ``threshold`` consecutive transport faults the circuit opens: every call fails at once
with ``CircuitOpenError`` (the console shows "Paytronix is not answering") instead of each
request waiting out its timeouts. After ``cooldown`` seconds it is half-open: exactly one trial
call goes upstream; its success closes the circuit, its failure opens it for another cool-down.
Any answer from upstream (even a non-success ``result``) counts as success: only transport
faults say upstream is unwell.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from .errors import CircuitOpenError
from .observe import breaker_changed

logger = logging.getLogger("portal.paytronix")


class CircuitBreaker:
    """Counts consecutive transport faults; opens, cools down, then lets one trial call in."""

    def __init__(self, *, threshold: int, cooldown: float, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> Literal["closed", "open", "half_open"]:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._trial_in_flight or self._clock() >= self._opened_at + self._cooldown:
                return "half_open"
            return "open"

    def allow(self, endpoint: str) -> None:
        """Raise ``CircuitOpenError`` unless this call may go upstream."""
        with self._lock:
            if self._opened_at is None:
                return
            remaining = self._opened_at + self._cooldown - self._clock()
            if remaining > 0:
                raise CircuitOpenError(endpoint=endpoint, retry_in=remaining)
            if self._trial_in_flight:
                # Half-open admits exactly one trial; the others still fail fast.
                raise CircuitOpenError(endpoint=endpoint, retry_in=1.0)
            self._trial_in_flight = True
            breaker_changed("half_open")

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.warning("paytronix circuit closed: upstream answered again")
                breaker_changed("closed")
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_in_flight or self._failures >= self._threshold:
                logger.warning(
                    "paytronix circuit open for %.0fs after %d consecutive transport faults",
                    self._cooldown,
                    self._failures,
                )
                self._opened_at = self._clock()
                self._trial_in_flight = False
                breaker_changed("open")

    def abandon(self) -> None:
        """A trial call ended without an answer either way (a bug, an interrupt): free the slot."""
        with self._lock:
            self._trial_in_flight = False
