"""A count of what is under way now (requests a worker answers, reads its threads run), kept
across threads."""

from __future__ import annotations

import threading


class InFlight:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._now = 0

    def start(self) -> int:
        """Count one more; how many are under way with it."""
        with self._changed:
            self._now += 1
            return self._now

    def end(self) -> None:
        with self._changed:
            self._now -= 1
            self._changed.notify_all()

    def wait_none(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until none is under way; whether none is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._now == 0, timeout=timeout)
