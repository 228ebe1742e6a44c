"""The sandbox's state: the seeded model, a lock, and eventual consistency.

Every write runs against the *live* model and is checked against it. Reads are served from the
*visible* model, which is the live one itself unless a consistency delay is set: then each
successful write is replayed onto the visible copy only once the delay has passed on the
sandbox clock, so a change "shows up after N seconds" as Paytronix's balances do in production
(spec/integration-lessons.txt, "The Timing Issue").

Write functions receive the model and the moment of the write, validate before changing
anything (raising ``Failure`` with the model untouched), and must be deterministic given those
two arguments: that is what lets the same function be replayed later onto the visible copy.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from portal.sandbox.errors import Failure
from portal.sandbox.model import Account, Card, Model, User
from portal.sandbox.seed import DEFAULT_SEED, build_model

T = TypeVar("T")

Write = Callable[[Model, datetime], T]

DEFAULT_COMBINE_SUSPEND_THRESHOLD = 3


class State:
    """Thread-safe holder of the sandbox model; see the module docstring."""

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        consistency_delay: Callable[[], float] = lambda: 0.0,
        combine_suspend_threshold: int = DEFAULT_COMBINE_SUSPEND_THRESHOLD,
    ) -> None:
        self.seed = seed
        #: the n-th combine into one account suspends it (Paytronix's fraud guard).
        self.combine_suspend_threshold = combine_suspend_threshold
        self._consistency_delay = consistency_delay
        self._lock = threading.RLock()
        self._pristine = build_model(seed)
        self._live = self._pristine.clone()
        self._visible = self._live
        self._pending: deque[tuple[datetime, Write[Any], datetime]] = deque()
        self._dirty = False
        self._clock_offset = 0.0

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox clock: wall time plus whatever ``advance`` added."""
        return datetime.now(tz=UTC) + timedelta(seconds=self._clock_offset)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward, e.g. past a consistency delay, without sleeping."""
        with self._lock:
            self._clock_offset += seconds

    # -- access ------------------------------------------------------------------------------

    @property
    def live(self) -> Model:
        """The model as written, for assertions in tests. Do not mutate it directly."""
        return self._live

    def read(self, fn: Callable[[Model], T]) -> T:
        """Run a read against the model as currently visible to clients."""
        with self._lock:
            self._sync()
            return fn(self._visible)

    def write(self, fn: Write[T]) -> T:
        """Run a write against the live model; replay it on the visible copy after the delay."""
        with self._lock:
            self._sync()
            moment = self.now()
            result = fn(self._live, moment)
            self._dirty = True
            if self._visible is not self._live:
                self._pending.append(
                    (moment + timedelta(seconds=self._consistency_delay()), fn, moment)
                )
            return result

    def reset(self) -> None:
        """Back to the seed: data, pending changes and the clock."""
        with self._lock:
            if self._dirty:
                self._live = self._pristine.clone()
            self._visible = self._live
            self._pending.clear()
            self._dirty = False
            self._clock_offset = 0.0

    # -- conveniences for tests (live model) -----------------------------------------------

    def card(self, number: str) -> Card:
        card = self._live.card(number)
        if card is None:
            raise KeyError(number)
        return card

    def account_for_card(self, number: str) -> Account:
        return self.account(self.card(number).account_id)

    def account(self, account_id: int) -> Account:
        return self._live.accounts[account_id]

    def user(self, username: str) -> User:
        return self._live.users[username]

    def summary(self) -> dict[str, Any]:
        """Counts for ``GET /_sandbox/state``: no personal data, no secrets."""
        with self._lock:
            model = self._live
            return {
                "seed": self.seed,
                "users": len(model.users),
                "accounts": len(model.accounts),
                "cards": len(model.cards),
                "transactions": sum(len(a.transactions) for a in model.accounts.values()),
                "accountsByStatus": dict(Counter(a.status for a in model.accounts.values())),
                "cardsByStatus": dict(Counter(c.status for c in model.cards.values())),
                "changedSinceReset": self._dirty,
                "consistencyDelay": self._consistency_delay(),
                "changesNotYetVisible": len(self._pending),
                "combineSuspendThreshold": self.combine_suspend_threshold,
            }

    # -- eventual consistency --------------------------------------------------------------

    def _sync(self) -> None:
        if self._consistency_delay() <= 0:
            if self._visible is not self._live:
                self._visible = self._live
                self._pending.clear()
            return
        if self._visible is self._live:
            self._visible = self._live.clone()
        now = self.now()
        while self._pending and self._pending[0][0] <= now:
            _, fn, moment = self._pending.popleft()
            try:
                fn(self._visible, moment)
            except Failure:
                # The live model accepted this write; the visible copy converges to it, so a
                # refusal here can only repeat one the live run already answered.
                continue
