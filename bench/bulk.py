"""P4: a bulk disable job against the sandbox at L = 20 ms, beside its ceiling N·L/C.

    .venv/bin/python -m bench.bulk [--cards 2000] [--latency 0.02] [--concurrency 4 16]
                                   [--warmup 200] [--processes 4]

Starts the sandbox in its own process with ``--cards`` active cards for each concurrency (and
``--warmup`` more each, for a job run first and not measured). For each concurrency C it starts
a Celery worker as production runs it (``docs/deploy.md``: the prefork pool, ``--processes``
processes, ``CARDS_BULK_CONCURRENCY`` = C), with the broker in Redis (``BENCH_BROKER_URL``,
default redis://127.0.0.1:6379/12, flushed; its log in ``var/bench-worker.log``), uploads a CSV
of fresh cards and starts the job as production does (``bulk_card_status_start``: the job's
intent, its items, the task), on PostgreSQL (``BENCH_DATABASE_URL``)
with the cache and the circuit breaker's shared state in Redis (``BENCH_BULK_CACHE_URL``,
default redis://127.0.0.1:6379/11), and waits for it to end. Prints the wall time from the
upload's start to the job's end against N·L/C (every card's write one round trip, C at once),
the worker's CPU per card (all its processes), how busy the machine's cores were and by whom
(the worker, the sandbox, Redis, the rest: PostgreSQL), and the worker's resident memory (all
its processes) before, at the peak during, and after the job.

Above C = 4 it then runs the same job once more with the sandbox answering at once (no
latency: the machine's own ceiling for the job, measured in the same run with the same worker,
as the web figures are beside theirs) and prints how much longer the job took at L.

The verdict is issue #14's: at C <= 4 the wall time within 1.25 x N·L/C; above, within
1.5 x N·L/C or, where the two cores are the limit, at most 3 ms of the worker's CPU a card.
The cores are the limit where
- their busy time over the run, packed onto them (busy share x wall time), is itself over
  1.5 x N·L/C: no schedule of that work on two cores could meet the target (a design held
  back by a lock or by waiting leaves the cores idle, and is not excused); and
- upstream's latency is hidden: the run at L took at most ``latency_hidden`` of the same job
  with upstream answering at once.
Every card of both runs must end as asked. The cores' busy time without the sandbox's (which
in production runs on Paytronix's servers) is printed beside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loyaltydesk_bench"
)
CACHE_URL = os.environ.get("BENCH_BULK_CACHE_URL", "redis://127.0.0.1:6379/11")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
WORKER_LOG = ROOT / "var" / "bench-worker.log"
#: The longest a job may take before the bench gives up on it (s).
JOB_TIMEOUT = 600.0
EXTRA_CARD_BASE = 6000777000000000  # bench.sandbox_wsgi.EXTRA_CARD_BASE
#: The most a job at L may take over the same job with upstream answering at once for its
#: time to be the machine's work, not upstream's latency (``latency_hidden``): the overhead
#: the issue allows over the ideal at C = 4.
LATENCY_HIDDEN = 1.25
#: The worker's CPU a card the issue allows where the cores are the limit (ms).
CPU_TARGET_MS = 3.0


def _rss_mb(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` (MB); 0 once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class _MemoryWatch:
    """Samples ``read()`` (resident memory, MB) every 50 ms while a job runs."""

    def __init__(self, read: Callable[[], float]) -> None:
        self._read = read
        self.peak = read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._read())

    def __enter__(self) -> _MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_times() -> tuple[int, int]:
    """The machine's busy and total CPU time (jiffies, every core) from ``/proc/stat``."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user and system) of process ``pid`` so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the sandbox's gunicorn master and its worker)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def _named(name: str) -> list[int]:
    """The processes whose command is ``name``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _tree_cpu(pid: int) -> float:
    return sum(map(_process_cpu, _tree(pid)))


def _tree_rss_mb(pid: int) -> float:
    return sum(map(_rss_mb, _tree(pid)))


class CpuShares:
    """The CPU seconds of the processes a run shares the machine with, read before and after:
    the sandbox (``sandbox_pid``'s tree) and Redis. PostgreSQL's backends come and go with
    the runner's connections (their time is lost when they exit): it is in the rest."""

    def __init__(self, sandbox_pid: int) -> None:
        self.groups = {
            "sandbox": lambda: _tree(sandbox_pid),
            "Redis": lambda: _named("redis-server"),
        }

    def read(self) -> dict[str, float]:
        return {name: sum(map(_process_cpu, pids())) for name, pids in self.groups.items()}


@contextmanager
def bench_worker(*, concurrency: int, processes: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker as production runs it (``docs/deploy.md``: the prefork pool of
    ``processes`` processes), its bulk jobs ``concurrency`` cards at once."""
    heartbeat = ROOT / "var" / "bench-worker-heartbeat"
    heartbeat.unlink(missing_ok=True)
    env = {
        **os.environ,
        "CARDS_BULK_CONCURRENCY": str(concurrency),
        "WORKER_HEARTBEAT_FILE": str(heartbeat),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool=prefork",
        f"--concurrency={processes}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=WARNING",
    ]
    WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with WORKER_LOG.open("ab") as log:
        worker = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _worker_ready(worker, heartbeat)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def _worker_ready(worker: subprocess.Popen[bytes], heartbeat: Path) -> None:
    """Until the worker's consumer is up: its first heartbeat, written with its pid."""
    deadline = time.monotonic() + 60
    while not heartbeat.is_file() or heartbeat.read_text().split()[:1] != [str(worker.pid)]:
        if worker.poll() is not None or time.monotonic() > deadline:
            tail = WORKER_LOG.read_text(errors="replace")[-3000:]
            raise SystemExit(f"the bench's worker did not start; its log ends:\n{tail}")
        time.sleep(0.05)


def job_wait(job_id: int, worker: subprocess.Popen[bytes]) -> None:
    """Until job ``job_id`` has ended (read every 10 ms)."""
    from portal.jobs.models import FINISHED_STATUSES, Job

    ended = Job.objects.filter(pk=job_id, status__in=FINISHED_STATUSES)
    deadline = time.monotonic() + JOB_TIMEOUT
    while not ended.exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            tail = WORKER_LOG.read_text(errors="replace")[-3000:]
            raise SystemExit(f"job {job_id} did not end; the worker's log ends:\n{tail}")
        time.sleep(0.01)


def cores_busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share (0 to 1) of the machine's cores busy between two ``_cpu_times`` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


def latency_hidden(at_once: float) -> float:
    """The most a job at L may take (over N·L/C) for upstream's latency to count as hidden,
    given the same job's time with upstream answering at once: ``LATENCY_HIDDEN`` times that,
    and never more than half of N·L/C over it (a factor alone would excuse more the slower
    the job)."""
    return min(LATENCY_HIDDEN * at_once, at_once + 0.5)


def p4_verdict(
    *,
    concurrency: int,
    ratio: float,
    cpu_ms: float,
    busy: float,
    at_once: float | None,
    failed: int = 0,
) -> tuple[bool, str]:
    """Whether a run meets P4, and by which target. ``ratio``: the run's wall time over
    N·L/C; ``busy``: the share of the machine's cores busy over it; ``at_once``: the same
    job's wall time with upstream answering at once, over the same N·L/C (None: not
    measured); ``failed``: cards that did not end as asked, in either run."""
    target = 1.25 if concurrency <= 4 else 1.5
    if failed:
        return False, f"{failed} cards did not end as asked"
    if ratio <= target:
        return True, f"within {target} x"
    over = f"over {target} x"
    if concurrency <= 4:
        return False, over
    # The machine's busy time packed onto its cores, over N·L/C: the least the run's work
    # could take on them. Within the target, the cores are not what held the run back.
    packed = busy * ratio
    if packed <= target:
        return False, f"{over}, the cores not the limit (their busy time packed: {packed:.2f} x)"
    if at_once is None:
        return False, f"{over}, not measured with upstream answering at once"
    if ratio > latency_hidden(at_once):
        return False, (
            f"{over}, upstream's latency not hidden (over {latency_hidden(at_once):.2f} x, "
            "from the job at once)"
        )
    return cpu_ms <= CPU_TARGET_MS, (
        f"the cores are the limit (their busy time packed: {packed:.2f} x): CPU a card "
        f"<= {CPU_TARGET_MS:.0f} ms"
    )


@dataclass(frozen=True)
class BenchRun:
    """What ``bench_environment`` sets up: the bench supervisor who owns the jobs, and the CPU
    of the processes the runs share the machine with."""

    owner: Any
    shares: CpuShares
    #: The sandbox's address (``sandbox_latency``).
    sandbox_url: str


@contextmanager
def bench_environment(*, cards: int, latency: float) -> Iterator[BenchRun]:
    """Django set up on ``BENCH_DATABASE_URL`` (migrated) and the sandbox serving ``cards``
    fresh active cards in its own process (``bench.sandbox_wsgi``), answering after
    ``latency``."""
    from bench._sandbox import MERCHANT_ID, RELEASE, SECRET, USERNAME
    from bench.web import _database_create, _free_port, _listening, _process, sandbox_command

    _database_create()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "LOYALTY_ENV": "test",
        "DATABASE_URL": DATABASE_URL,
        # As in production: the guest cache a change invalidates, and the breaker every
        # process shares, in Redis (a test run keeps both in the process).
        "CACHE_URL": CACHE_URL,
        "PAYTRONIX_BREAKER_REDIS_URL": CACHE_URL,
        "PAYTRONIX_BASE_URL": f"http://127.0.0.1:{port}/rest/{RELEASE}/",
        "PAYTRONIX_USERNAME": USERNAME,
        "PAYTRONIX_SECRET": SECRET,
        "PAYTRONIX_MERCHANT_ID": str(MERCHANT_ID),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    # The chain's anchors (one every AUDIT_ANCHOR_EVERY records) go to the logger's own
    # handler only: on the console they would bury the figures.
    logging.getLogger("portal.audit.anchor").propagate = False
    from django.core.management import call_command

    from portal.staff.models import User
    from portal.staff.roles import Role
    from portal.staff.services import staff_create

    call_command("migrate", verbosity=0)
    owner = User.objects.filter(username="bench-supervisor").first() or staff_create(
        username="bench-supervisor",
        role=Role.SUPERVISOR,
        password="bench-password-1!",
        validate=False,
    )
    env["BENCH_SANDBOX_LATENCY"] = str(latency)
    env["BENCH_SANDBOX_EXTRA_CARDS"] = str(cards)
    with _process(sandbox_command(port), env, _listening(port)) as sandbox_pid:
        yield BenchRun(
            owner=owner, shares=CpuShares(sandbox_pid), sandbox_url=f"http://127.0.0.1:{port}"
        )


def sandbox_latency(run: BenchRun, seconds: float) -> None:
    """Have the bench's sandbox answer every call ``seconds`` after it arrived from now on."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    from bench._sandbox import LATENCY_PATH

    connection = HTTPConnection(urlsplit(run.sandbox_url).netloc, timeout=10)
    try:
        connection.request("PUT", LATENCY_PATH, body=str(seconds).encode())
        status = connection.getresponse().status
    finally:
        connection.close()
    assert status == 204, status


def bench_upload(owner: Any, *, first: int, cards: int) -> Any:
    """An upload disabling ``cards`` sandbox cards from the ``first``-th, ready to start."""
    from cards.bulk_file import BulkAction
    from cards.services.bulk import bulk_upload_create

    csv = "".join(f"{EXTRA_CARD_BASE + first + n},disable,Lost\n" for n in range(cards))
    return bulk_upload_create(
        owner=owner,
        data=csv.encode(),
        filename="bench.csv",
        action=BulkAction.DISABLE,
        reason="bench",
    )


def bench_job_start(owner: Any, upload: Any) -> Any:
    """Start the upload's job as production does (its tasks go to the broker, or run in this
    process where Celery runs tasks eagerly: ``bench.profile_bulk``)."""
    from cards.services.bulk import bulk_card_status_start
    from portal.audit.types import AuditContext

    return bulk_card_status_start(
        owner=owner,
        context=AuditContext(ip="127.0.0.1", user_agent="bench", request_id="bench"),
        upload=upload,
        skip_bad_rows=False,
        idempotency_key=uuid.uuid4().hex,
    )


@dataclass(frozen=True)
class Timed:
    """One measured job: its wall time from the upload's start to its end (s), the worker's CPU
    (s, all its processes), the cores' busy share, the sandbox's CPU (s), who used the cores
    (as text), its items done and not ended as asked, and the worker's memory (MB) before, at
    the peak and after."""

    wall: float
    cpu: float
    busy: float
    sandbox_cpu: float
    shares: str
    done: int
    failed: int
    before: float
    peak: float
    after: float

    def cpu_ms(self, cards: int) -> float:
        return self.cpu * 1000 / cards


def job_timed(bench: BenchRun, worker: subprocess.Popen[bytes], *, first: int, cards: int) -> Timed:
    """Upload ``cards`` sandbox cards from the ``first``-th, run the job on ``worker`` and
    measure it."""
    from portal.jobs.models import Job

    upload = bench_upload(bench.owner, first=first, cards=cards)
    before = _tree_rss_mb(worker.pid)
    machine, cpu = _cpu_times(), _tree_cpu(worker.pid)
    shares = bench.shares.read()
    started = time.perf_counter()
    with _MemoryWatch(lambda: _tree_rss_mb(worker.pid)) as memory:
        job = bench_job_start(bench.owner, upload)
        job_wait(job.pk, worker)
    wall = time.perf_counter() - started
    # Read as the job ends, not after the worker's stop.
    busy = cores_busy(machine, _cpu_times())
    spent = _tree_cpu(worker.pid) - cpu
    shares = {name: total - shares[name] for name, total in bench.shares.read().items()}
    used = {"worker": spent / wall} | {name: total / wall for name, total in shares.items()}
    rest = busy * (os.cpu_count() or 1) - sum(used.values())
    used["the rest (PostgreSQL)"] = max(0.0, rest)
    job = Job.objects.get(pk=job.pk)
    return Timed(
        wall=wall,
        cpu=spent,
        busy=busy,
        sandbox_cpu=shares["sandbox"],
        shares=", ".join(f"{name} {cores:.2f}" for name, cores in used.items()),
        done=job.done,
        failed=job.failed,
        before=before,
        peak=memory.peak,
        after=_tree_rss_mb(worker.pid),
    )


def p4_line(timed: Timed, at_once: Timed | None, *, concurrency: int, args: Any) -> str:
    """P4's line for one concurrency: the run, the job at once, the verdict and the figures."""
    cores = os.cpu_count() or 1
    ideal = args.cards * args.latency / concurrency
    ratio = timed.wall / ideal
    # The cores' busy time packed onto them, over N·L/C, and the same without the sandbox's.
    packed = timed.busy * ratio
    unsandboxed = (timed.busy * cores * timed.wall - timed.sandbox_cpu) / cores / ideal
    ceiling, at_once_ratio, failed = "", None, timed.failed
    if at_once is not None:
        at_once_ratio = at_once.wall / ideal
        failed += at_once.failed
        ceiling = (
            f"with upstream answering at once {at_once.wall:.1f} s = {at_once_ratio:.2f} x "
            f"({at_once.done} done, {at_once.failed} failed; worker CPU "
            f"{at_once.cpu_ms(args.cards):.1f} ms a card; cores {at_once.busy:.0%} busy), so "
            f"{timed.wall / at_once.wall:.2f} x that (at most {latency_hidden(at_once_ratio):.2f} "
            "x N·L/C for its latency to count as hidden); "
        )
    cpu_ms = timed.cpu_ms(args.cards)
    met, by = p4_verdict(
        concurrency=concurrency,
        ratio=ratio,
        cpu_ms=cpu_ms,
        busy=timed.busy,
        at_once=at_once_ratio,
        failed=failed,
    )
    return (
        f"  P4 C={concurrency:<3} {timed.wall:7.1f} s = {ratio:4.2f} x N·L/C ({ideal:.1f} s); "
        f"{ceiling}worker CPU {cpu_ms:4.1f} ms a card; cores {timed.busy:.0%} busy, their busy "
        f"time packed {packed:.2f} x N·L/C ({unsandboxed:.2f} x without the sandbox's): "
        f"{'ok' if met else 'OVER'} ({by}); cores used: {timed.shares}; "
        f"{args.cards / timed.wall:5.0f} cards/s; {timed.done} done, {timed.failed} failed; "
        f"worker memory (all its processes) {timed.before:.0f} MB before, peak "
        f"{timed.peak:.0f}, after {timed.after:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2000, help="cards per run")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per upstream call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    parser.add_argument(
        "--warmup",
        type=int,
        default=200,
        help="cards of a job each worker runs first, not measured (as bench.web warms up)",
    )
    parser.add_argument(
        "--processes", type=int, default=4, help="the worker's pool processes (docs/deploy.md)"
    )
    args = parser.parse_args()
    if args.latency <= 0 or args.cards <= 0:
        parser.error("--latency and --cards must be above 0 (N·L/C is what P4 is measured by)")
    print(
        f"bulk disable of {args.cards} cards, sandbox answering after "
        f"L = {args.latency * 1000:.0f} ms; PostgreSQL; {os.cpu_count()} CPUs; a worker of "
        f"{args.processes} processes"
    )
    # The jobs' tasks go to a real worker, through a broker of the bench's own.
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()
    os.environ |= {"CELERY_BROKER_URL": BROKER_URL, "CELERY_TASK_ALWAYS_EAGER": "false"}
    runs = len(args.concurrency)
    # Each concurrency's cards: the measured job's, the warm-up's, and the job at once's.
    cards = (2 * args.cards + args.warmup) * runs
    with bench_environment(cards=cards, latency=args.latency) as bench:
        owner = bench.owner
        for run, concurrency in enumerate(args.concurrency):
            with bench_worker(concurrency=concurrency, processes=args.processes) as worker:
                if args.warmup:
                    # The first job after the worker starts runs slower: connections opened,
                    # modules loaded, the audit table's indexes read into the database's cache.
                    # It also waits out the worker's start.
                    first = runs * args.cards + run * args.warmup
                    started = time.perf_counter()
                    warm = bench_job_start(
                        owner, bench_upload(owner, first=first, cards=args.warmup)
                    )
                    job_wait(warm.pk, worker)
                    print(
                        f"  warm-up job of {args.warmup} cards at C={concurrency}: "
                        f"{time.perf_counter() - started:.1f} s (not measured)"
                    )
                timed = job_timed(bench, worker, first=run * args.cards, cards=args.cards)
                at_once = None
                if concurrency > 4:
                    # The machine's ceiling for the same job: upstream answering at once.
                    sandbox_latency(bench, 0.0)
                    try:
                        first = runs * (args.cards + args.warmup) + run * args.cards
                        at_once = job_timed(bench, worker, first=first, cards=args.cards)
                    finally:
                        sandbox_latency(bench, args.latency)
            print(p4_line(timed, at_once, concurrency=concurrency, args=args))
        from portal.audit.chain import chain_verify

        report = chain_verify()
    print(
        f"  audit chain after the runs: {report.checked} records, "
        f"{'intact' if report.intact else f'BROKEN at {report.broken}'}"
    )


if __name__ == "__main__":
    main()
