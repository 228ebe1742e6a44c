"""The one transport every Paytronix call goes through.

What it guarantees, and why:

* **One pool of connections per process** (urllib3's ``PoolManager``, or ``ProxyManager``
  when the environment names a proxy for the base URL). Connections are reused across calls
  (TLS handshakes dominate small calls). The pool is recreated in a forked child (gunicorn,
  Celery prefork), because sockets inherited from the parent must not be shared. urllib3
  directly rather than through ``requests``: a call is the same request either way, and
  ``requests``' per-call preparation (hooks, cookies, settings merged) was a fifth of a call's
  CPU in the client, which a bulk job pays twice a card.
* **HTTP Basic auth and ``merchantId`` on every call, timeouts on every call.** ``merchantId``
  goes in the query string of a GET (and of a DELETE) and in the JSON body of a POST, as the
  vendor documents;
  so does the endpoint's ``authentication`` style where its service names one.
* **A 404 is never a reply.** Whatever its body, it says the endpoint (or the whole service)
  is not part of this integration: ``UpstreamStatusError`` with the status, for the caller to
  tell "not available here" from a refusal.
* **Reads are retried; a write never is once it may have been sent.** The policy is tenacity's
  (``Retrying``): a read sent as GET is retried on transport faults (connect error, timeout,
  5xx, 429, a reply that is not the documented JSON) with capped exponential backoff and full
  jitter, at most ``max_attempts`` attempts, never sooner than a ``Retry-After`` header asks; a
  ``Retry-After`` longer than ``backoff_cap`` ends the retries instead of holding a console
  request hostage. Any other call (a write, or one of the few read-only POSTs:
  validateVisitCode, validateReferralCode, accountQuery) is retried only after a fault that
  proves nothing was sent (below); after any other fault it is left to the caller.
* **A write that may have reached upstream raises ``OutcomeUnknownError``.** After a timeout,
  a dropped connection, a 5xx or a garbled reply we cannot know whether Paytronix applied the
  change; the audit door settles it by reading state back. The one exception: a connect error
  raised *before the request was sent* (urllib3's ``NewConnectionError``: refused,
  unreachable, DNS failure; or ``ConnectTimeoutError``) proves nothing left the process, so it
  is a plain ``TransportError``. Any other connection fault (reset, "connection aborted", a
  stale pooled socket, a TLS failure) can happen after the body was written and stays "outcome
  unknown".
  ``guest/migrateEmailAsUsername.json`` is a GET that mutates: it is a write for all of this.
  A read-only POST that fails is a plain ``TransportError``: nothing to settle.
* **A circuit breaker.** After ``breaker_threshold`` consecutive transport faults, calls fail
  fast with ``CircuitOpenError`` for ``breaker_cooldown`` seconds; then one trial call is let
  through (half-open): success closes the circuit, failure opens it for another cool-down.
  With ``breaker_redis_url`` the state lives in Redis and every process shares it.
* **Every non-success ``result`` becomes an exception** from ``errors.RESULT_ERRORS``,
  carrying ``errorCode``, ``errorMessage`` and every other field of the reply; a result this
  endpoint is not documented to return becomes ``UnexpectedResultError``
  (``endpoint.success_payload``).
* **Secrets never leave.** Log lines carry method, endpoint, status, duration, attempt and
  result, never parameters. Exception messages never include a urllib3 exception's text
  (which holds the full URL, query string and card number included) and are raised ``from None``
  so no traceback carries it either. Long digit runs in upstream ``errorMessage`` are masked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import certifi
import urllib3
from requests.utils import get_auth_from_url, get_environ_proxies, select_proxy
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import parse_url

from . import observe
from .breaker import CircuitBreaker, SharedCircuitBreaker
from .endpoint import Endpoint, encode_params, success_payload
from .errors import (
    MalformedReplyError,
    OutcomeUnknownError,
    TransportError,
    UpstreamStatusError,
    WriteNotPermittedError,
)
from .guard import UpstreamNotAskedError, upstream_closed, write_slots, writes_permitted

logger = logging.getLogger("portal.paytronix")

_BASE_URL_SHAPE = re.compile(r"^https?://[^/?#]+(/[^?#]*)?/rest/[^/?#]+/$")


#: The longest pause between two attempts of a call (``ClientConfig.backoff_cap``'s default).
BACKOFF_CAP = 4.0


def longest_call(
    *,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    backoff_cap: float = BACKOFF_CAP,
    retryable: bool = True,
) -> float:
    """The longest one call can take with these timeouts and retries (``ClientConfig``'s
    ``longest_call`` says how): for the settings' start-up checks, before any client exists."""
    retried = connect_timeout + read_timeout if retryable else connect_timeout
    return (max_attempts - 1) * (retried + backoff_cap) + connect_timeout + read_timeout


@dataclass(frozen=True)
class ClientConfig:
    """Everything the transport needs; built from settings by ``client_from_settings()``."""

    base_url: str
    merchant_id: int
    username: str
    secret: str = field(repr=False)
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    max_attempts: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = BACKOFF_CAP
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0
    #: Redis holding the breaker's state for every process; "" keeps it in this process.
    breaker_redis_url: str = ""
    pool_maxsize: int = 16

    def __post_init__(self) -> None:
        base_url = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        if not _BASE_URL_SHAPE.match(base_url):
            raise ValueError("base_url must end in /rest/<release>/, e.g. https://host/rest/25.33/")
        object.__setattr__(self, "base_url", base_url)
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.breaker_threshold < 1:
            raise ValueError("breaker_threshold must be at least 1")
        if min(self.connect_timeout, self.read_timeout) <= 0:
            raise ValueError("timeouts must be positive")

    @property
    def longest_attempt(self) -> float:
        """The longest one attempt can take: its connect timeout, then its read timeout."""
        return self.connect_timeout + self.read_timeout

    def longest_call(self, *, retryable: bool = True) -> float:
        """The longest one call can take, every retry and the pause before it included.

        Derived from the retry rules (``_may_retry``, ``Transport._backoff``), so it holds for
        what they retry: every attempt but the last ends in a retried fault, and no pause
        between two attempts is longer than ``backoff_cap`` (the jittered backoff is capped
        there, and a ``Retry-After`` beyond it ends the retries instead of being waited for).
        The last attempt may take ``longest_attempt``. How long a retried attempt may take
        depends on the call:

        * ``retryable`` (a read sent as GET, ``Endpoint.retryable``; the default, the longest
          of any call): a read timeout is retried too, so every attempt may take its connect
          and read timeouts: ``attempts x (connect + read) + (attempts - 1) x backoff_cap``.
        * not ``retryable`` (a write, or a read-only POST): only a fault that proves nothing
          was sent is retried, a connect fault (refused, unreachable, connect timeout), which
          ends within the connect timeout; a read timeout, a 5xx or a dropped connection ends
          the call: ``attempts x connect + read + (attempts - 1) x backoff_cap``.

        gunicorn's worker timeout must outlast any call (a read's); a job's write slot is
        waited for only around a write; an intent is taken for abandoned only after its write
        could have ended (``AUDIT_ABANDONED_AFTER``).
        """
        return longest_call(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
            backoff_cap=self.backoff_cap,
            retryable=retryable,
        )


class _Fault(Exception):
    """A transport fault of one attempt, before the call decides to retry or raise."""

    def __init__(self, error: TransportError, *, sent: bool, retry_after: float | None = None):
        super().__init__(error.message)
        self.error = error
        self.sent = sent
        self.retry_after = retry_after


def _breaker(config: ClientConfig, clock: Callable[[], float]) -> CircuitBreaker:
    if not config.breaker_redis_url:
        return CircuitBreaker(
            threshold=config.breaker_threshold, cooldown=config.breaker_cooldown, clock=clock
        )
    # One state per upstream (merchant and base URL), whoever shares the Redis.
    upstream = hashlib.sha256(f"{config.merchant_id} {config.base_url}".encode()).hexdigest()
    return SharedCircuitBreaker(
        threshold=config.breaker_threshold,
        cooldown=config.breaker_cooldown,
        clock=clock,
        redis_url=config.breaker_redis_url,
        prefix=f"loyaltydesk:paytronix-breaker:{upstream[:16]}",
        # The trial is one attempt, not one call: every attempt asks ``allow()`` and records
        # its end, which closes or reopens the circuit. A trial whose process died is given
        # up after one attempt's longest time, and a second for the Redis round trips around it.
        trial_ttl=config.longest_attempt + 1,
    )


class Transport:
    """Sends one endpoint call with the policy described in this module's docstring."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.breaker = _breaker(config, clock)
        self._session_lock = threading.Lock()
        self._session: urllib3.PoolManager | None = None
        #: Without a proxy, the session's pool of connections to the base URL's host.
        self._origin: urllib3.HTTPConnectionPool | None = None
        self._base_path = parse_url(config.base_url).path or "/"
        self._timeout = urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout)
        self._headers = {
            "Authorization": _basic_auth(config.username, config.secret),
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "keep-alive",
            "User-Agent": "loyalty-desk",
        }
        self._session_pid: int | None = None

    def __repr__(self) -> str:
        return (
            f"Transport(base_url={self.config.base_url!r}, merchant_id={self.config.merchant_id})"
        )

    @property
    def session(self) -> urllib3.PoolManager:
        """The connection pool of this process (a new one after a fork)."""
        return self._connections()[0]

    def _connections(self) -> tuple[urllib3.PoolManager, urllib3.HTTPConnectionPool | None]:
        """The session, and (without a proxy) its pool for the base URL's host, which a call
        asks directly: the session would parse the call's URL and look its pool up each time,
        a sixth of urllib3's CPU a call."""
        with self._session_lock:
            if self._session is None or self._session_pid != os.getpid():
                # The parent's session is dropped, not closed: closing it here would shut
                # sockets the parent process is still using.
                self._session = self._new_session()
                self._origin = (
                    None
                    if isinstance(self._session, urllib3.ProxyManager)
                    else self._session.connection_from_url(self.config.base_url)
                )
                self._session_pid = os.getpid()
            return self._session, self._origin

    def _new_session(self) -> urllib3.PoolManager:
        # The environment's proxy and CA bundle are read here, once per process, as requests
        # reads them: REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (a file, or a directory of
        # certificates), the proxy for the base URL (credentials in it sent to the proxy).
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        options: dict[str, Any] = {
            "maxsize": self.config.pool_maxsize,
            "block": False,
            "retries": False,
            "cert_reqs": "CERT_REQUIRED",
        }
        if bundle and os.path.isdir(bundle):
            options["ca_cert_dir"] = bundle
        else:
            options["ca_certs"] = bundle or certifi.where()
        proxy = select_proxy(self.config.base_url, get_environ_proxies(self.config.base_url))
        if proxy:
            username, password = get_auth_from_url(proxy)
            if username:
                options["proxy_headers"] = {"Proxy-Authorization": _basic_auth(username, password)}
            return urllib3.ProxyManager(proxy, **options)
        return urllib3.PoolManager(**options)

    def close(self) -> None:
        """Close this process's pooled connections."""
        with self._session_lock:
            if self._session is not None and self._session_pid == os.getpid():
                self._session.clear()
            self._session = None
            self._origin = None
            self._session_pid = None

    def call(self, endpoint: Endpoint, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send ``params`` (``None`` values omitted) to ``endpoint``; return the success reply.

        Raises a ``PaytronixResultError`` for a non-success ``result``, ``TransportError``
        (or its ``OutcomeUnknownError`` / ``CircuitOpenError`` kinds) for a transport fault and
        ``WriteNotPermittedError`` for a write outside ``permit_writes()``.
        """
        if upstream_closed():
            raise UpstreamNotAskedError(endpoint.path)
        if endpoint.write and not writes_permitted():
            raise WriteNotPermittedError(
                f"{endpoint.path} changes upstream state; only the audit door may call it",
                endpoint=endpoint.path,
            )
        wire = {
            "merchantId": self.config.merchant_id,
            **encode_params(params, in_query=endpoint.in_query),
        }
        if endpoint.authentication is not None:
            wire = {"authentication": endpoint.authentication, **wire}
        retrying = Retrying(
            stop=stop_after_attempt(self.config.max_attempts)
            | _RetryAfterBeyond(self.config.backoff_cap),
            wait=self._backoff,
            retry=retry_if_exception(lambda error: _may_retry(endpoint, error)),
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(endpoint, state, self.config.max_attempts),
            reraise=True,
        )
        slots = write_slots() if endpoint.write else None
        if slots is not None and not slots.take():
            raise TransportError(
                f"{endpoint.path}: not sent, every write slot of the job stayed busy "
                "(or the job stopped)",
                endpoint=endpoint.path,
            )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(endpoint, wire, attempt.retry_state.attempt_number)
        except _Fault as caught:
            fault = caught
        finally:
            if slots is not None:
                slots.slots.release()
        # Raised outside the ``except`` so that the error carries no chained context: the
        # urllib3 exception behind a fault holds the full URL, card number included.
        raise self._final_error(endpoint, fault)

    def _backoff(self, state: RetryCallState) -> float:
        """Full jitter: a random share of the capped exponential backoff, never sooner than
        the fault's ``Retry-After``."""
        ceiling = wait_exponential(multiplier=self.config.backoff_base, max=self.config.backoff_cap)
        delay = ceiling(state) * self._jitter()
        retry_after = _fault_of(state).retry_after
        return delay if retry_after is None else max(delay, retry_after)

    def _attempt(self, endpoint: Endpoint, wire: dict[str, Any], attempt: int) -> dict[str, Any]:
        self.breaker.allow(endpoint.path)
        started = self._clock()
        try:
            payload, status = self._send(endpoint, wire, attempt, started)
        except _Fault:
            self.breaker.record_failure()
            raise
        except UpstreamStatusError:
            # Upstream is up and answering, just not to this request.
            self.breaker.record_success()
            raise
        except BaseException:
            self.breaker.abandon()
            raise
        self.breaker.record_success()
        observe.call_ended(
            observe.CallEnded(
                method=endpoint.method,
                endpoint=endpoint.path,
                status=status,
                result=str(payload["result"]),
                error_code=str(payload.get("errorCode") or ""),
                seconds=self._clock() - started,
                attempt=attempt,
                account_id=wire.get("accountId"),
            )
        )
        return success_payload(endpoint, payload)

    def _send(
        self, endpoint: Endpoint, wire: dict[str, Any], attempt: int, started: float
    ) -> tuple[dict[str, Any], int]:
        path = endpoint.path
        query = ""
        headers = self._headers
        body = None
        if endpoint.in_query:
            query = "?" + urlencode(wire, doseq=True)
        else:
            body = json.dumps(wire, allow_nan=False).encode()
            headers = {**headers, "Content-Type": "application/json"}
        session, origin = self._connections()
        try:
            if origin is not None:
                response = origin.urlopen(
                    endpoint.method,
                    self._base_path + path + query,
                    body=body,
                    headers=headers,
                    timeout=self._timeout,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                )
            else:
                response = session.request(
                    endpoint.method,
                    self.config.base_url + path + query,
                    body=body,
                    headers=headers,
                    timeout=self._timeout,
                    retries=False,
                    redirect=False,
                )
        except HTTPError as exc:
            kind, sent = _classify(exc)
            self._log_fault(endpoint, kind, None, attempt, started)
            raise _Fault(TransportError(f"{path}: {kind}", endpoint=path), sent=sent) from None
        status = response.status
        if status >= 500 or status == 429:
            self._log_fault(endpoint, "http error", status, attempt, started)
            raise _Fault(
                TransportError(
                    f"{path}: HTTP {status} from Paytronix", endpoint=path, status=status
                ),
                sent=True,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403, 404) or 300 <= status < 400:
            self._log_fault(endpoint, "rejected", status, attempt, started)
            raise UpstreamStatusError(
                f"{path}: HTTP {status} from Paytronix (check PAYTRONIX_BASE_URL and credentials)",
                endpoint=path,
                status=status,
            )
        payload = _json_object(response.data)
        if payload is None or not isinstance(payload.get("result"), str):
            self._log_fault(endpoint, "malformed reply", status, attempt, started)
            if status >= 400:
                raise UpstreamStatusError(
                    f"{path}: HTTP {status} from Paytronix", endpoint=path, status=status
                )
            raise _Fault(
                MalformedReplyError(
                    f"{path}: reply is not a JSON object with a result",
                    endpoint=path,
                    status=status,
                ),
                sent=True,
            )
        return payload, status

    def _log_fault(
        self, endpoint: Endpoint, kind: str, status: int | None, attempt: int, started: float
    ) -> None:
        observe.call_ended(
            observe.CallEnded(
                method=endpoint.method,
                endpoint=endpoint.path,
                status=status,
                result="fault",
                error_code="",
                seconds=self._clock() - started,
                attempt=attempt,
                fault=kind,
            )
        )

    @staticmethod
    def _final_error(endpoint: Endpoint, fault: _Fault) -> TransportError:
        if endpoint.write and fault.sent:
            return OutcomeUnknownError(
                f"{fault.error.message}; the change may or may not have been applied",
                endpoint=endpoint.path,
                status=fault.error.status,
            )
        return fault.error


class _RetryAfterBeyond(stop_base):
    """Stop when the fault's ``Retry-After`` is beyond ``cap``: the retries end instead of
    holding a console request hostage."""

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> bool:
        retry_after = _fault_of(retry_state).retry_after
        return retry_after is not None and retry_after > self.cap


def _may_retry(endpoint: Endpoint, error: BaseException) -> bool:
    """A transport fault is retried when the call is a read sent as GET, or when nothing was
    sent (a write, or a read-only POST, that never left: nothing to be applied twice)."""
    return isinstance(error, _Fault) and (endpoint.retryable or not error.sent)


def _fault_of(state: RetryCallState) -> _Fault:
    error = state.outcome.exception() if state.outcome is not None else None
    if not isinstance(error, _Fault):
        raise TypeError("only a transport fault is retried")
    return error


def _log_retry(endpoint: Endpoint, state: RetryCallState, attempts: int) -> None:
    logger.info(
        "paytronix retry %s %s in %.2fs (attempt %d of %d)",
        endpoint.method,
        endpoint.path,
        state.upcoming_sleep,
        state.attempt_number + 1,
        attempts,
    )


def _basic_auth(username: str, password: str) -> str:
    """An HTTP Basic credential, encoded Latin-1 as requests encodes it. A credential that is
    not Latin-1 is refused without its text (Python's encoding error would hold it)."""
    pair = None
    with suppress(UnicodeEncodeError):
        pair = f"{username}:{password}".encode("latin-1")
    if pair is None:
        # Raised outside the failed encoding, so the error chains nothing that holds the text.
        raise ValueError("a Paytronix or proxy credential is not Latin-1 text")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _classify(exc: HTTPError) -> tuple[str, bool]:
    """A fault name for logs and messages, and whether the request may have been sent."""
    if isinstance(exc, ProxyError):
        # urllib3 raises it only before the connection through the proxy was made (the proxy
        # unreachable, or it refused the tunnel: a 407 for credentials): nothing was sent.
        return "proxy refused or unreachable", False
    if isinstance(exc, LocationValueError):
        # An address (or a proxy's) urllib3 cannot use: nothing was sent.
        return "bad address", False
    # NewConnectionError is a kind of ConnectTimeoutError in urllib3: asked first.
    if isinstance(exc, NewConnectionError):
        return "cannot connect", False
    if isinstance(exc, ConnectTimeoutError):
        return "connect timeout", False
    if isinstance(exc, ReadTimeoutError):
        return "read timeout", True
    if isinstance(exc, ProtocolError | SSLError):
        return "connection dropped", True
    return "protocol error", True


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        # parse_float keeps any bare JSON number exact; the spec sends decimals as strings.
        payload = json.loads(content, parse_float=Decimal)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent."""
    if not header:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
