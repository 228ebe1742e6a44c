"""Fault injection, switchable at run time: latency, errors, hangs, drops, malformed bodies.

A fault is a ``FaultRule``: a kind, an optional scope (endpoint and/or method), and how often
it fires: ``times`` (the next N matching requests, deterministic) and/or ``rate`` (a
probability drawn from a seeded generator). For each request every matching latency rule adds
its delay, then the first matching rule of another kind that fires decides the fault.

Whether the request is carried out before the fault (``process``) matters for writes: a hang
or malformed reply after the write was applied is the "outcome unknown" case; an error or a
drop before it is a write that never happened. Defaults: error and drop before, hang and
malformed after.

The same rules travel as JSON through ``POST /_sandbox/faults`` (see ``FaultRule.from_json``).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("latency", "error", "hang", "drop", "malformed")
PROCESSED_BY_DEFAULT = {"error": False, "drop": False, "hang": True, "malformed": True}


class DropConnection(Exception):
    """Raised by the app to make the server close the socket without a reply."""


def endpoint_key(path: str) -> str:
    """``guest/accountInformation.json`` → ``guest/accountInformation``."""
    return path.strip("/").removesuffix(".json")


@dataclass
class FaultRule:
    kind: str
    #: "service/endpoint" with or without ".json", or the bare endpoint name; "" = any.
    endpoint: str = ""
    #: "GET" or "POST"; "" = any.
    method: str = ""
    #: probability that a matching request gets the fault.
    rate: float = 1.0
    #: the next N matching requests get it, then the rule is gone; None = no limit.
    times: int | None = None
    #: HTTP status of an error fault.
    status: int = 503
    #: Retry-After header (seconds) of an error fault.
    retry_after: int | None = None
    #: latency: fixed delay; hang: how long the reply is held.
    seconds: float = 0.0
    #: latency: extra uniform delay between 0 and this.
    jitter: float = 0.0
    #: carry the request out before the fault; None = the kind's default.
    process: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
        self.method = self.method.upper()

    @property
    def processes(self) -> bool:
        if self.process is not None:
            return self.process
        return PROCESSED_BY_DEFAULT.get(self.kind, True)

    def matches(self, key: str, method: str) -> bool:
        if self.method and self.method != method.upper():
            return False
        if not self.endpoint:
            return True
        wanted = endpoint_key(self.endpoint)
        return wanted == key or ("/" not in wanted and key.rsplit("/", 1)[-1] == wanted)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """The control endpoint's form: camelCase keys (``retryAfter``), else the same names."""
        names = {"retryAfter": "retry_after"}
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {names.get(k, k): v for k, v in data.items()}
        unknown = set(kwargs) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**kwargs)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["retryAfter"] = data.pop("retry_after")
        return data


@dataclass
class Plan:
    """What happens to one request: a delay first, then at most one fault."""

    latency: float = 0.0
    fault: FaultRule | None = None


@dataclass
class Faults:
    """The switchboard shared by the app and its controllers (tests, control endpoint)."""

    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    #: seconds before a write becomes visible to reads (read by ``State``).
    consistency_delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._release = threading.Event()

    # -- switching -------------------------------------------------------------------------

    def add(self, kind: str, **options: Any) -> FaultRule:
        rule = FaultRule(kind, **options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def latency(self, seconds: float, jitter: float = 0.0, **scope: Any) -> FaultRule:
        return self.add("latency", seconds=seconds, jitter=jitter, **scope)

    def error(self, status: int = 503, **options: Any) -> FaultRule:
        return self.add("error", status=status, **options)

    def hang(self, seconds: float = 30.0, **options: Any) -> FaultRule:
        return self.add("hang", seconds=seconds, **options)

    def drop(self, **options: Any) -> FaultRule:
        return self.add("drop", **options)

    def malformed(self, **options: Any) -> FaultRule:
        return self.add("malformed", **options)

    def set_consistency_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("consistency delay must not be negative")
        self.consistency_delay = float(seconds)

    def set(self, config: dict[str, Any]) -> None:
        """Apply a control-endpoint document: ``{"rules": [...], "consistencyDelay": 2,
        "mode": "replace" | "add"}``. Validates everything before changing anything."""
        rules = [FaultRule.from_json(r) for r in config.get("rules", [])]
        mode = config.get("mode", "replace")
        if mode not in ("replace", "add"):
            raise ValueError("mode must be 'replace' or 'add'")
        delay = config.get("consistencyDelay")
        if delay is not None and float(delay) < 0:
            raise ValueError("consistencyDelay must not be negative")
        with self._lock:
            self.rules = [*self.rules, *rules] if mode == "add" else rules
            if delay is not None:
                self.consistency_delay = float(delay)
            elif mode == "replace":
                self.consistency_delay = 0.0

    def clear(self) -> None:
        """No faults, no delay; requests held by a hang are let go at once."""
        with self._lock:
            self.rules = []
            self.consistency_delay = 0.0
            self._release.set()
            self._release = threading.Event()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [r.to_json() for r in self.rules],
                "consistencyDelay": self.consistency_delay,
            }

    # -- applying --------------------------------------------------------------------------

    def plan(self, key: str, method: str) -> Plan:
        """Decide the fate of one request to ``key`` (``service/endpoint``)."""
        plan = Plan()
        with self._lock:
            for rule in list(self.rules):
                if not rule.matches(key, method) or self._rng.random() >= rule.rate:
                    continue
                if rule.kind == "latency":
                    plan.latency += rule.seconds + self._rng.uniform(0.0, rule.jitter)
                elif plan.fault is None:
                    plan.fault = rule
                else:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self.rules.remove(rule)
        return plan

    def wait(self, seconds: float) -> None:
        """Sleep, but wake as soon as the faults are cleared (a test's teardown)."""
        if seconds > 0:
            self._release.wait(seconds)
