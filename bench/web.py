"""The guest page as a user meets it, beside its ceilings, under the production server.

    .venv/bin/python -m bench.web [--latency 0.05] [--seconds 10]

Starts the sandbox in its own process (every API call answered after ``--latency`` seconds, no
CSR service) and gunicorn (2 workers x 16 threads, gthread) on PostgreSQL and Redis, with the
ceiling views of ``bench.ceilings`` mounted. Then measures, in the same run:

* P1 the guest page with nothing of any guest cached (the user's session stays), and P2 with
  everything cached (medians, sequential),
  beside the 200-row template view;
* search by card number, then the guest page it opens (cold), end to end;
* P3 full guest pages per second with ``wrk -t2 -c32``, beside the trivial, 200-row and
  one-upstream-call views; and the page's p95 when asked for at P3's target rate, 100 pages a
  second over the 32 connections (``paced.lua``), beside the one-call view's at that rate;
* P6 each web worker's memory after the load.

``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/loyaltydesk_bench, created if
missing) and ``BENCH_CACHE_URL`` (default redis://127.0.0.1:6379/10, flushed) say where.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench._sandbox import MERCHANT_ID, RELEASE, SECRET, USERNAME

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loyaltydesk_bench"
)
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/10")
WORKERS, THREADS, CONNECTIONS, WRK_THREADS = 2, 16, 32, 2
#: P3's rate: its latency is asked at the rate it must reach (with 32 connections waiting on
#: one another, wrk's own rate makes the latency: 32 / rate, whatever the page costs).
PACED_RATE = 100.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_create() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _server_env(sandbox_port: int, metrics_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOYALTY_ENV": "development",
        "DATABASE_URL": DATABASE_URL,
        "CACHE_URL": CACHE_URL,
        "PAYTRONIX_BASE_URL": f"http://127.0.0.1:{sandbox_port}/rest/{RELEASE}/",
        "PAYTRONIX_USERNAME": USERNAME,
        "PAYTRONIX_SECRET": SECRET,
        "PAYTRONIX_MERCHANT_ID": str(MERCHANT_ID),
        "PAYTRONIX_CSR_SERVICE": "true",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": str(THREADS),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def _process(args: list[str], env: dict[str, str], ready: Callable[[], bool]) -> Iterator[int]:
    proc = subprocess.Popen(  # noqa: S603
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit(f"{args[0]} stopped: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if ready():
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"{' '.join(args)} did not start")
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def sandbox_command(port: int) -> list[str]:
    """gunicorn serving ``bench.sandbox_wsgi`` (keep-alive; one process: the sandbox's state)."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "256",
        "--worker-class",
        "gthread",
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
        "bench.sandbox_wsgi",
    ]


def _listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return check


@dataclass
class Figure:
    name: str
    measured: float
    unit: str
    target: float
    #: True when more is better (a rate); the ratio is then target / measured.
    higher_is_better: bool = False
    note: str = ""
    #: Why the figure does not count whatever its value (the load it needs was not reached).
    void: str = ""

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.target / self.measured if self.measured else float("inf")
        return self.measured / self.target

    def line(self) -> str:
        verdict = "ok" if self.ratio <= 1 and not self.void else "OVER"
        if self.void:
            verdict += f" ({self.void})"
        return (
            f"  {self.name:<44} {self.measured:9.1f} {self.unit:<6} target "
            f"{'>=' if self.higher_is_better else '<='} {self.target:7.1f}  "
            f"ratio {self.ratio:5.2f} {verdict}  {self.note}"
        )


def _wrk(url: str, cookie: str, seconds: int, rate: float | None = None) -> dict[str, float]:
    """``wrk -t2 -c32`` on ``url``: as fast as answers come (``p95.lua``), or at ``rate``
    requests a second whatever the latency (``paced.lua``)."""
    script = ["-s", str(ROOT / "bench" / "p95.lua")]
    if rate is not None:
        script = ["-s", str(ROOT / "bench" / "paced.lua"), url, "--", str(rate / WRK_THREADS)]
    out = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk") or "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            *([url] if rate is None else []),
            *script,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"BENCH (.*)", out)
    if found is None:
        raise SystemExit(f"wrk said: {out}")
    values = dict(pair.split("=") for pair in found.group(1).split())
    figures = {name: float(value) for name, value in values.items()}
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


def _rss_mb(master: int) -> list[float]:
    """Resident memory of each child (worker) of process ``master``, in MB."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        if rss:
            found.append(int(rss.group(1)) / 1024)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per upstream call")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--runs", type=int, default=21, help="sequential samples per figure")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench.web needs wrk (Debian: apt-get install -y wrk)")
    latency_ms = args.latency * 1000
    _database_create()
    sandbox_port, web_port = _free_port(), _free_port()
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    env = _server_env(sandbox_port, metrics_dir)
    os.environ.update(env)

    import django

    django.setup()
    import redis
    import requests
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from portal.guestcache import guest_cache_invalidate
    from portal.sandbox import demo
    from portal.staff.models import User
    from portal.staff.roles import Role
    from portal.staff.services import staff_create

    call_command("migrate", verbosity=0)
    user = User.objects.filter(username="bench-agent").first() or staff_create(
        username="bench-agent", role=Role.AGENT, password="bench-password-1!", validate=False
    )
    login = Client()
    login.force_login(user)
    cookie = f"sessionid={login.cookies['sessionid'].value}"
    cache = redis.Redis.from_url(CACHE_URL)
    cache.flushdb()

    def forget_guests() -> None:
        """Nothing of any guest cached (their reads, versions, drawn fragments); what is not
        a guest's stays, as for a CSR opening a guest nobody has looked at: the signed-in
        user's session and access, and that this integration has no CSR service (learnt once
        per ``PAYTRONIX_UNAVAILABLE_SERVICE_SECONDS``, not per guest). The guest also gets new
        cache versions, as after a change: what a worker keeps in memory by the entries a page
        read (decoded replies, drawn parts) is not found again either."""
        keys = list(cache.scan_iter(match="*guest*", count=1000))
        if keys:
            cache.delete(*keys)
        guest_cache_invalidate(
            account_id=demo.DEMO_ACCOUNT_ID,
            printed_card_number=demo.DEMO_ACTIVE_CARD,
            username=demo.DEMO_USERNAME,
        )

    base = f"http://127.0.0.1:{web_port}"
    page_url = base + reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])
    search_url = base + reverse("guests:search")
    session = requests.Session()
    session.headers["Cookie"] = cookie

    def timed(url: str, prepare: Callable[[], object] = lambda: None) -> float:
        samples = []
        for _ in range(args.runs):
            prepare()
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        return statistics.median(samples)

    def search_then_page() -> float:
        samples = []
        for _ in range(args.runs):
            forget_guests()
            form = session.get(search_url, timeout=30)
            token = form.cookies.get("csrftoken") or session.cookies.get("csrftoken", "")
            started = time.perf_counter()
            found = session.post(
                search_url,
                data={"q": demo.DEMO_ACTIVE_CARD, "csrfmiddlewaretoken": token},
                headers={"Cookie": f"{cookie}; csrftoken={token}", "Referer": search_url},
                allow_redirects=False,
                timeout=30,
            )
            if found.status_code != 303:
                raise SystemExit(f"search answered {found.status_code}, not a redirect")
            page = session.get(base + found.headers["Location"], timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            page.raise_for_status()
        return statistics.median(samples)

    gunicorn = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        "portal/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{web_port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--worker-class",
        "gthread",
        "portal.wsgi",
    ]
    sandbox = sandbox_command(sandbox_port)
    env["BENCH_SANDBOX_LATENCY"] = str(args.latency)
    print(
        f"gunicorn {WORKERS} workers x {THREADS} threads (gthread), PostgreSQL, Redis; "
        f"sandbox answering after L = {latency_ms:.0f} ms; {os.cpu_count()} CPUs"
    )
    with (
        _process(sandbox, env, _listening(sandbox_port)),
        _process(gunicorn, env, _listening(web_port)) as master,
    ):
        for url in (page_url, base + "/_bench/rows", base + "/_bench/one-call"):
            # Every worker's and thread's first requests (the URLconf's imports, templates
            # compiled, connections opened) before anything is measured: 32 connections at
            # once reach both workers, where one keep-alive session reaches only one.
            _wrk(url, cookie, 2)
        cold = timed(page_url, forget_guests)
        warm = timed(page_url)
        rows = timed(base + "/_bench/rows")
        trivial = timed(base + "/_bench/trivial")
        end_to_end = search_then_page()
        load = {
            name: _wrk(base + path, cookie, args.seconds)
            for name, path in (
                ("page", page_url.removeprefix(base)),
                ("one-call", "/_bench/one-call"),
                ("rows", "/_bench/rows"),
                ("trivial", "/_bench/trivial"),
            )
        }
        paced = {
            name: _wrk(base + path, cookie, args.seconds, rate=PACED_RATE)
            for name, path in (
                ("page", page_url.removeprefix(base)),
                ("one-call", "/_bench/one-call"),
            )
        }
        memory = _rss_mb(master)
    shutil.rmtree(metrics_dir, ignore_errors=True)

    page = load["page"]
    figures = [
        Figure(
            "P1 guest page, nothing cached",
            cold,
            "ms",
            1.3 * latency_ms,
            note=f"= {cold / latency_ms:.2f} L",
        ),
        Figure(
            "P2 guest page, everything cached",
            warm,
            "ms",
            20,
            note=f"200-row view {rows:.1f} ms, trivial {trivial:.1f} ms",
        ),
        Figure(
            "P3 guest pages per second, 32 concurrent",
            page["rate"],
            "/s",
            100,
            True,
            note=f"p50 {page['p50'] / 1000:.0f} ms, p99 {page['p99'] / 1000:.0f} ms, "
            f"errors {page['errors']:.0f}",
        ),
        Figure(
            f"P3 p95 at {PACED_RATE:.0f} pages/s, 32 connections",
            paced["page"]["p95"] / 1000,
            "ms",
            3 * latency_ms,
            note=f"sent {paced['page']['rate']:.0f}/s; one-call view at that rate: p95 "
            f"{paced['one-call']['p95'] / 1000:.0f} ms. As fast as answers come: p95 "
            f"{page['p95'] / 1000:.0f} ms (one-call {load['one-call']['p95'] / 1000:.0f} ms, "
            f"trivial {load['trivial']['p95'] / 1000:.0f} ms)",
            void=(
                f"the {PACED_RATE:.0f}/s was not reached"
                if paced["page"]["rate"] < 0.95 * PACED_RATE
                else ""
            ),
        ),
        Figure(
            "P3 share of the one-call view",
            page["rate"] / load["one-call"]["rate"],
            "x",
            0.25,
            True,
            note=f"one-call {load['one-call']['rate']:.0f}/s, 200-row "
            f"{load['rows']['rate']:.0f}/s, trivial {load['trivial']['rate']:.0f}/s",
        ),
        Figure(
            "P6 web worker memory after load (largest)",
            max(memory or [0]),
            "MB",
            150,
            note="workers " + ", ".join(f"{mb:.0f} MB" for mb in memory),
        ),
        Figure(
            "search -> guest page, end to end",
            end_to_end,
            "ms",
            1.5 * latency_ms,
            note=f"= {end_to_end / latency_ms:.2f} L",
        ),
    ]
    for figure in figures:
        print(figure.line())


if __name__ == "__main__":
    main()
