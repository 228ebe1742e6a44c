"""A scriptable upstream on a loopback port, and transports pointed at it.

``upstream.reply(...)`` queues what the next requests get (a status and JSON body, raw bytes,
a hang past the client's read timeout, a dropped connection); ``upstream.requests`` records what
the client sent. Sleeps of the transport are recorded instead of slept, and jitter is fixed, so
backoff and ``Retry-After`` are asserted as values, never timed.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from portal.paytronix import ClientConfig, PaytronixClient, Transport

SECRET = "s3cr3t-integration-key"
USERNAME = "loyaltydesk-integration"
MERCHANT_ID = 1001


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"result": "success"})
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class FakeUpstream:
    def __init__(self, port: int = 0) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                upstream.handle(self)

            def do_POST(self) -> None:
                upstream.handle(self)

            def do_DELETE(self) -> None:
                upstream.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/rest/25.33/"

    def reply(self, *replies: Reply | dict[str, Any]) -> None:
        for item in replies:
            self.replies.append(item if isinstance(item, Reply) else Reply(body=item))

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        self.requests.append(
            Seen(
                method=handler.command,
                path=url.path,
                query=dict(parse_qsl(url.query)),
                headers=dict(handler.headers),
                body=json.loads(raw) if raw else None,
            )
        )
        reply = self.replies.popleft() if self.replies else Reply()
        if reply.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        if reply.hang:
            self.stopping.wait(reply.hang)
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            # The client gave up (timeout) before we answered.
            handler.close_connection = True


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.thread.start()
    yield fake
    fake.stopping.set()
    fake.server.shutdown()
    fake.server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """A transport with recorded sleeps and a hand-driven clock, and a client on it."""

    transport: Transport
    client: PaytronixClient
    sleeps: list[float]
    clock: FakeClock


def harness_for(config: ClientConfig) -> Harness:
    """A client on ``config`` whose sleeps are recorded and whose clock is the test's; jitter is
    fixed at its midpoint. The caller closes ``harness.transport``."""
    sleeps: list[float] = []
    clock = FakeClock()
    transport = Transport(config, sleep=sleeps.append, clock=clock, jitter=lambda: 0.5)
    return Harness(transport, PaytronixClient(config, transport=transport), sleeps, clock)


@pytest.fixture
def make_harness(upstream: FakeUpstream) -> Iterator[Callable[..., Harness]]:
    made: list[Transport] = []

    def make(**overrides: Any) -> Harness:
        settings: dict[str, Any] = {
            "base_url": upstream.base_url,
            "merchant_id": MERCHANT_ID,
            "username": USERNAME,
            "secret": SECRET,
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "backoff_base": 0.25,
            "backoff_cap": 4.0,
            "breaker_threshold": 100,
            "breaker_cooldown": 30.0,
        }
        harness = harness_for(ClientConfig(**(settings | overrides)))
        made.append(harness.transport)
        return harness

    yield make
    for transport in made:
        transport.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()
