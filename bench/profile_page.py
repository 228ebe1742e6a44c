"""Where a warm guest page's server time goes: cProfile of the view, everything cached.

    .venv/bin/python -m bench.profile_page [--requests 50] [--top 30] [--save FILE]

Runs the whole request (middleware, view, template) through Django's test client against the
in-process sandbox, after one request has filled the cache, and prints the functions with the
most cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOYALTY_ENV", "test")
django.setup()

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench._sandbox import bench_sandbox  # noqa: E402
from portal.sandbox import demo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", help="also write the raw profile here (pstats format)")
    args = parser.parse_args()
    from django.test.utils import setup_databases, teardown_databases

    databases = setup_databases(verbosity=0, interactive=False)
    try:
        from portal.staff.roles import Role
        from portal.staff.services import staff_create

        user = staff_create(username="profile-agent", role=Role.AGENT, password="x", validate=False)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])
        with bench_sandbox(without=("csr",)):
            for _ in range(3):
                assert client.get(url).status_code == 200
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                client.get(url)
            plain = (time.perf_counter() - started) * 1000 / args.requests
            plain_cpu = (time.process_time() - cpu) * 1000 / args.requests
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(args.requests):
                client.get(url)
            profile.disable()
            each = (time.perf_counter() - started) * 1000 / args.requests
        print(
            f"warm guest page: {plain_cpu:.1f} ms of CPU a request ({plain:.1f} ms wall; "
            f"{each:.1f} ms under cProfile), "
            f"{args.requests} requests"
        )
        stats = pstats.Stats(profile)
        if args.save:
            stats.dump_stats(args.save)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
