"""A sandbox for benchmarks: in-process, real HTTP on a free port, counting requests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from portal.paytronix.client import reset_client
from portal.sandbox.app import SandboxApp, make_app
from portal.sandbox.server import SandboxServer

USERNAME = "bench"
SECRET = "bench-secret"  # loopback only
MERCHANT_ID = 4242
RELEASE = "25.33"
#: ``PUT`` the latency (seconds) here to change it while ``bench.sandbox_wsgi`` runs.
LATENCY_PATH = "/_bench/latency"


class CountingApp:
    """Wraps the sandbox's WSGI app and counts the requests it answers."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.count = 0
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self._lock:
            self.count += 1
        return self.app(environ, start_response)


@contextmanager
def bench_sandbox(*, without: Iterable[str] = ()) -> Iterator[CountingApp]:
    """The sandbox serving on a free port, the client's settings pointed at it; ``without``
    names services it lacks (``"csr"``: a merchant without the CSR service)."""
    app = CountingApp(
        make_app(
            username=USERNAME,
            secret=SECRET,
            merchant_id=MERCHANT_ID,
            release=RELEASE,
            without=without,
        )
    )
    server = SandboxServer(app)
    server.start()
    saved = {
        name: getattr(settings, name)
        for name in ("PAYTRONIX_BASE_URL", "PAYTRONIX_USERNAME", "PAYTRONIX_SECRET")
    }
    saved["PAYTRONIX_MERCHANT_ID"] = settings.PAYTRONIX_MERCHANT_ID
    settings.PAYTRONIX_BASE_URL = f"{server.root_url}/rest/{RELEASE}/"
    settings.PAYTRONIX_USERNAME = USERNAME
    settings.PAYTRONIX_SECRET = SECRET
    settings.PAYTRONIX_MERCHANT_ID = MERCHANT_ID
    reset_client()
    try:
        yield app
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        reset_client()
        server.stop()
