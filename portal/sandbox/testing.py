"""pytest plugin: a real-HTTP sandbox for the whole session, reset before each test.

Register with ``pytest_plugins = ["portal.sandbox.testing"]``. Fixtures:

* ``sandbox_server`` (session): the sandbox on a free loopback port, in a thread.
* ``sandbox`` (function): the same server with state and faults reset, Django settings
  pointed at it (``PAYTRONIX_BASE_URL``, ``_USERNAME``, ``_SECRET``, ``_MERCHANT_ID``) and the
  client's pooled session dropped (``portal.paytronix.client.reset_client`` when it exists).

Both yield a ``SandboxController``: ``.url`` (the base URL, ending ``/rest/<release>/``),
``.state`` (``State``: ``.live`` model, ``card()``, ``account()``, ``user()``...),
``.faults`` (``Faults``: ``error()``, ``hang()``, ``drop()``, ``malformed()``,
``latency()``, ``set_consistency_delay()``, ``set()``, ``clear()``), ``.reset()`` and
``.advance(seconds)`` for the sandbox clock.
* ``sandbox_reply_style`` (function, parametrized): the ``sandbox`` answering userInformation
  in each style of ``styles.REPLY_STYLES`` in turn; a test that takes it runs once per style.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from portal.sandbox import styles
from portal.sandbox.app import SandboxApp, make_app
from portal.sandbox.faults import Faults
from portal.sandbox.server import SandboxServer
from portal.sandbox.state import State

USERNAME = "sandbox-tests"
SECRET = "sandbox-tests-secret"  # noqa: S105  (the test sandbox's own, loopback only)
MERCHANT_ID = 4242
RELEASE = "25.33"


@dataclass
class SandboxController:
    """What a test holds: where the sandbox is, and handles on its state and faults."""

    server: SandboxServer
    app: SandboxApp

    @property
    def url(self) -> str:
        return f"{self.server.root_url}/rest/{self.app.release}/"

    @property
    def root_url(self) -> str:
        return self.server.root_url

    @property
    def state(self) -> State:
        return self.app.state

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @property
    def auth(self) -> tuple[str, str]:
        return USERNAME, SECRET

    @property
    def merchant_id(self) -> int:
        return self.app.merchant_id

    def reset(self) -> None:
        """Seeded data, no faults, no consistency delay, the clock back to wall time, replies
        nested as the spec spells them, every service present."""
        self.faults.clear()
        self.state.reset()
        self.app.reply_style = styles.NESTED
        self.app.without = frozenset()

    def advance(self, seconds: float) -> None:
        self.state.advance(seconds)


def _reset_client() -> None:
    try:
        client = importlib.import_module("portal.paytronix.client")
    except ImportError:
        return
    reset = getattr(client, "reset_client", None)
    if callable(reset):
        reset()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxController]:
    # Strict: a request outside the contract's table fails the test that sent it.
    app = make_app(
        username=USERNAME, secret=SECRET, merchant_id=MERCHANT_ID, release=RELEASE, strict=True
    )
    server = SandboxServer(app).start()
    try:
        yield SandboxController(server=server, app=app)
    finally:
        app.faults.clear()
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxController, settings: Any) -> Iterator[SandboxController]:
    sandbox_server.reset()
    settings.PAYTRONIX_BASE_URL = sandbox_server.url
    settings.PAYTRONIX_USERNAME = USERNAME
    settings.PAYTRONIX_SECRET = SECRET
    settings.PAYTRONIX_MERCHANT_ID = MERCHANT_ID
    _reset_client()
    yield sandbox_server
    # Let go of any request still held by a hang before the next test starts.
    sandbox_server.faults.clear()
    _reset_client()


@pytest.fixture(params=styles.REPLY_STYLES)
def sandbox_reply_style(sandbox: SandboxController, request: pytest.FixtureRequest) -> str:
    sandbox.app.reply_style = request.param
    return str(request.param)
