"""The circuit breaker: when Paytronix keeps failing, fail fast and say so.

After ``threshold`` consecutive transport faults the circuit opens: every call fails at once
with ``CircuitOpenError`` (the console shows "Paytronix is not answering") instead of each
request waiting out its timeouts. After ``cooldown`` seconds it is half-open: exactly one trial
call goes upstream; its success closes the circuit, its failure opens it for another cool-down.
Any answer from upstream (even a non-success ``result``) counts as success: only transport
faults say upstream is unwell.

``CircuitBreaker`` keeps its state in the process; ``SharedCircuitBreaker`` keeps it in Redis
(``PAYTRONIX_BREAKER_REDIS_URL``), so that a hanging upstream costs one process's timeouts, not
every gunicorn and Celery process's. Calls sent together (a page's reads, a bulk job's cards)
read that state once between them (``ChecksTogether``), not once a call.

Written on redis-py rather than pybreaker: pybreaker's Redis state shares the counts but lets
every process send its own half-open trial, and this breaker's contract (exactly one trial,
the metrics hooks) is a few lines of SET NX and TTLs.
"""

from __future__ import annotations

import contextvars
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


#: How long one read of the shared state serves the calls that share it (``ChecksTogether``):
#: about one call's own time in flight, within which what another process learns is already
#: not seen by a call under way.
CHECK_SHARED_FOR = 0.02

#: What a shared breaker reads of its state: milliseconds the circuit stays open (0 or less:
#: not open), whether it tripped, whether any fault is counted.
type _Seen = tuple[int, int, bool]


class ChecksTogether:
    """Calls sent together (a page's reads, each in its own thread; a bulk job's calls) ask
    the shared breaker once, not once each: the first call's ``allow()`` reads Redis and the
    others take what it read for ``CHECK_SHARED_FOR`` seconds.

    What that costs, and what it does not: a call that takes a read made up to 20 ms before
    is treated as if it had begun then, as a call in flight already is. A circuit another
    process opened meanwhile lets it through, and a fault another process counted meanwhile
    is not reset by its success (the next read sees the fault, and its calls' successes reset
    it). Only a closed circuit is shared: open or half-open is asked again by every call, and
    the trial is taken by one. A fault among the calls forgets what was read, once it is
    counted, so the next call asks again and its success resets the count. A read that
    failed (Redis not answering) is shared too, so the calls fall back to the process's own
    breaker together instead of each waiting out Redis's timeout in turn. Nothing changes for
    a call that shares nothing, or for a breaker kept in the process.

    ``share_checks(together)`` puts it in a context: each read thread's copy of the page's
    context, never the request's own (a later write asks on its own).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, _Seen | Exception]] = {}

    def seen(self, key: str, clock: Callable[[], float], read: Callable[[], _Seen]) -> _Seen:
        with self._lock:
            kept = self._seen.get(key)
            if kept is not None and clock() - kept[0] <= CHECK_SHARED_FOR:
                if isinstance(kept[1], Exception):
                    raise kept[1]
                return kept[1]
            try:
                state = read()
            except Exception as error:
                self._seen[key] = (clock(), error)
                raise
            opened_ms, tripped, _ = state
            if opened_ms <= 0 and not tripped:
                self._seen[key] = (clock(), state)
            else:
                self._seen.pop(key, None)
            return state

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


_together: contextvars.ContextVar[ChecksTogether | None] = contextvars.ContextVar(
    "paytronix_breaker_checks_together", default=None
)


def share_checks(together: ChecksTogether) -> None:
    """The calls made in the current context from now on share ``together``'s breaker checks
    (run it in a copied context: ``context.run(share_checks, together)``)."""
    _together.set(together)


class SharedCircuitBreaker(CircuitBreaker):
    """The same breaker with its state in Redis, so every process (each gunicorn worker, each
    Celery worker) sees what one of them learnt: one process's timeouts open it for all.

    Keys under ``prefix``: ``:failures`` (consecutive faults, any process; a success anywhere
    resets it, except a call's that began with none counted: it has nothing to reset, and the
    healthy call costs one round trip to Redis, not two; a call that took what calls sent with
    it read at most ``CHECK_SHARED_FOR`` before began then, ``ChecksTogether``), ``:open``
    (exists while the circuit is open; its TTL is the cool-down),
    ``:tripped`` (the circuit opened and has not closed since: half-open once ``:open`` is
    gone) and ``:trial`` (the one process whose trial call is in flight, held for at most
    ``trial_ttl`` seconds should that process die). When Redis does not answer, the process
    falls back to its own in-memory state (inherited), which is what the breaker was before.
    """

    def __init__(
        self,
        *,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float],
        redis_url: str,
        prefix: str,
        trial_ttl: float,
    ) -> None:
        import redis

        super().__init__(threshold=threshold, cooldown=cooldown, clock=clock)
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.25, socket_timeout=0.25
        )
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._keys = {name: f"{prefix}:{name}" for name in ("failures", "open", "tripped", "trial")}
        self._trial_ms = max(1, round(trial_ttl * 1000))
        self._cooldown_ms = max(1, round(cooldown * 1000))
        self._holds_trial = threading.local()
        #: This thread's call was allowed with the circuit closed and no fault counted.
        self._healthy = threading.local()
        self._redis_down_logged = False

    def _down(self) -> None:
        if not self._redis_down_logged:
            logger.warning("paytronix circuit state: Redis unreachable, this process decides alone")
            self._redis_down_logged = True

    def _open_and_tripped(self) -> tuple[int, int, bool]:
        """Milliseconds the circuit stays open (0 or less: not open), whether it tripped, and
        whether any fault is counted (three reads in one round trip; no MULTI needed)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.pttl(self._keys["open"])
        pipe.exists(self._keys["tripped"])
        pipe.exists(self._keys["failures"])
        opened_ms, tripped, failures = pipe.execute()
        return int(opened_ms), int(tripped), bool(failures)

    def _checked(self) -> _Seen:
        """``_open_and_tripped()``, or what calls sent together with this one read of it."""
        together = _together.get()
        if together is None:
            return self._open_and_tripped()
        return together.seen(self._keys["open"], self._clock, self._open_and_tripped)

    def _forget_checked(self) -> None:
        together = _together.get()
        if together is not None:
            together.forget(self._keys["open"])

    def _holding(self) -> bool:
        return bool(getattr(self._holds_trial, "value", False))

    @property
    def state(self) -> Literal["closed", "open", "half_open"]:
        try:
            opened_ms, tripped, _ = self._open_and_tripped()
        except self._errors:
            self._down()
            return super().state
        if opened_ms > 0:
            return "open"
        return "half_open" if tripped else "closed"

    def allow(self, endpoint: str) -> None:
        keys = self._keys
        self._healthy.value = False
        try:
            opened_ms, tripped, failing = self._checked()
            if opened_ms > 0:
                raise CircuitOpenError(endpoint=endpoint, retry_in=opened_ms / 1000)
            if not tripped:
                # Closed, and with no fault counted the call's success has nothing to reset.
                self._healthy.value = not failing
                return
            # Half-open: one trial call for every process together.
            if not self._redis.set(keys["trial"], 1, nx=True, px=self._trial_ms):
                raise CircuitOpenError(endpoint=endpoint, retry_in=1.0)
        except self._errors:
            self._down()
            super().allow(endpoint)
            return
        self._holds_trial.value = True
        breaker_changed("half_open")

    def record_success(self) -> None:
        if getattr(self._healthy, "value", False):
            # This thread's call found the circuit closed and no fault counted: the usual
            # case costs one Redis round trip a call, not two. A fault counted while the call
            # was in flight is reset by the next call that sees it (a success that started
            # before a fault says nothing of upstream after it).
            self._healthy.value = False
            return
        keys = self._keys
        try:
            pipe = self._redis.pipeline()
            pipe.delete(keys["failures"])
            pipe.delete(keys["open"], keys["tripped"], keys["trial"])
            _, closed = pipe.execute()
        except self._errors:
            self._down()
            super().record_success()
            return
        self._forget_checked()
        self._holds_trial.value = False
        if closed:
            logger.warning("paytronix circuit closed: upstream answered again")
            breaker_changed("closed")

    def record_failure(self) -> None:
        keys = self._keys
        self._healthy.value = False
        try:
            pipe = self._redis.pipeline()
            pipe.incr(keys["failures"])
            # Consecutive means recent: a count nobody adds to for a while is forgotten.
            pipe.pexpire(keys["failures"], self._cooldown_ms * 10)
            failures, _ = pipe.execute()
            # Once the fault is counted, the calls sent with this one ask again: their
            # successes must reset it (forgotten before, a read in between could miss it).
            self._forget_checked()
            if not (self._holding() or failures >= self._threshold):
                return
            pipe = self._redis.pipeline()
            pipe.set(keys["open"], 1, px=self._cooldown_ms)
            pipe.set(keys["tripped"], 1, px=self._cooldown_ms * 10)
            pipe.delete(keys["trial"], keys["failures"])
            pipe.execute()
        except self._errors:
            self._forget_checked()
            self._down()
            super().record_failure()
            return
        self._holds_trial.value = False
        logger.warning(
            "paytronix circuit open for %.0fs after %d consecutive transport faults",
            self._cooldown,
            failures,
        )
        breaker_changed("open")

    def abandon(self) -> None:
        self._healthy.value = False
        if not self._holding():
            super().abandon()
            return
        self._holds_trial.value = False
        try:
            self._redis.delete(self._keys["trial"])
        except self._errors:
            self._down()
