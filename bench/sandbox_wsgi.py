"""The sandbox as a WSGI application for the benchmarks, served by gunicorn (keep-alive, one
process, many threads), as Paytronix keeps connections open where the stdlib server closes
each one.

    BENCH_SANDBOX_LATENCY=0.05 gunicorn -k gthread -w 1 --threads 256 bench.sandbox_wsgi

Every API call is answered ``BENCH_SANDBOX_LATENCY`` seconds after it arrived
(``AnsweredAfter``); there is no CSR service (as a merchant without it has);
``BENCH_SANDBOX_EXTRA_CARDS`` anonymous active cards are added for bulk jobs (the n-th is
``EXTRA_CARD_BASE + n``). ``PUT /_bench/latency`` with seconds as its body changes the latency
while it runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from bench._sandbox import LATENCY_PATH, MERCHANT_ID, RELEASE, SECRET, USERNAME  # noqa: E402
from portal.sandbox import demo  # noqa: E402
from portal.sandbox.app import make_app  # noqa: E402
from portal.sandbox.model import ACTIVE, Model  # noqa: E402
from portal.sandbox.seed_builders import new_account  # noqa: E402

EXTRA_CARD_BASE = 6000777000000000
_EXTRA_ACCOUNT_BASE = 880_000_000


def add_cards(model: Model, count: int) -> None:
    """``count`` anonymous accounts of the demo's program, one active card each."""
    demo_account = model.accounts[demo.DEMO_ACCOUNT_ID]
    for n in range(count):
        new_account(
            model,
            account_id=_EXTRA_ACCOUNT_BASE + n,
            template_code=demo_account.template_code,
            cards=[(str(EXTRA_CARD_BASE + n), ACTIVE)],
            store=demo_account.enrollment_store,
            enroll_date=date(2025, 1, 1),
        )


class AnsweredAfter:
    """Every API call answered ``latency`` seconds after it arrived, the sandbox's own work
    included (Paytronix works on its own servers, not on the two cores the portal is measured
    on): the reply is made at once and held back for what is left of ``latency``. The
    sandbox's latency fault would instead wait first and work after, so that calls arriving
    together are answered one after another, each later than ``latency``."""

    def __init__(self, app: Any, latency: float) -> None:
        self.app = app
        self.latency = latency

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == LATENCY_PATH and environ["REQUEST_METHOD"] == "PUT":
            # The bench's own switch (this server listens on 127.0.0.1 for the bench alone):
            # the latency from now on, in seconds, as the request's body.
            size = int(environ.get("CONTENT_LENGTH") or 0)
            self.latency = float(environ["wsgi.input"].read(size))
            start_response("204 No Content", [])
            return []
        arrived = time.monotonic()
        body = list(self.app(environ, start_response))
        if environ.get("PATH_INFO", "").startswith("/rest/"):
            time.sleep(max(0.0, self.latency - (time.monotonic() - arrived)))
        return body


sandbox = make_app(
    username=USERNAME, secret=SECRET, merchant_id=MERCHANT_ID, release=RELEASE, without=("csr",)
)
_extra = int(os.environ.get("BENCH_SANDBOX_EXTRA_CARDS", "0"))
if _extra:
    sandbox.state.write(lambda model, moment: add_cards(model, _extra))
application = AnsweredAfter(sandbox, float(os.environ.get("BENCH_SANDBOX_LATENCY", "0.05")))
