"""The bulk benchmark's verdict follows issue #14's P4 targets (bench.bulk)."""

from bench.bulk import cores_busy, p4_verdict


def test_within_the_ratio_is_met_whatever_the_cores():
    assert p4_verdict(concurrency=4, ratio=1.2, cpu_ms=9.0, at_once=None) == (
        True,
        "within 1.25 x",
    )
    assert p4_verdict(concurrency=16, ratio=1.4, cpu_ms=9.0, at_once=0.5) == (
        True,
        "within 1.5 x",
    )


def test_at_c4_only_the_ratio_counts():
    met, by = p4_verdict(concurrency=4, ratio=1.3, cpu_ms=1.0, at_once=2.0)
    assert (met, by) == (False, "over 1.25 x")


def test_above_c4_a_machine_too_slow_even_without_latency_is_judged_by_cpu_a_card():
    # Even with upstream answering at once the job took 2.0 x N·L/C: the machine's own work.
    assert p4_verdict(concurrency=16, ratio=2.1, cpu_ms=2.4, at_once=2.0) == (
        True,
        "the cores are the limit: CPU a card <= 3 ms",
    )
    assert p4_verdict(concurrency=16, ratio=2.5, cpu_ms=2.4, at_once=2.0)[0] is True
    assert p4_verdict(concurrency=16, ratio=2.1, cpu_ms=3.2, at_once=2.0)[0] is False


def test_above_c4_the_cores_do_not_excuse_latency_the_job_did_not_hide():
    over = (False, "over 1.5 x, the cores not the limit")
    # At once the job met the target: it is upstream's latency the run did not hide.
    assert p4_verdict(concurrency=16, ratio=2.3, cpu_ms=2.4, at_once=1.4) == over
    # Slower at once than the target, but the run at L much slower still (over 1.25 x that).
    assert p4_verdict(concurrency=16, ratio=2.6, cpu_ms=2.4, at_once=2.0) == over
    # Not measured: nothing excuses the ratio.
    assert p4_verdict(concurrency=16, ratio=2.3, cpu_ms=2.4, at_once=None) == over


def test_cores_busy_is_the_busy_share_between_readings():
    assert cores_busy((100, 1000), (190, 1100)) == 0.9
    assert cores_busy((100, 1000), (100, 1000)) == 0.0


def test_a_process_tree_and_its_cpu_are_read_from_proc():
    import os
    import subprocess
    import sys

    from bench.bulk import _process_cpu, _tree

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert {os.getpid(), child.pid} <= set(_tree(os.getpid()))
        assert _process_cpu(os.getpid()) > 0
    finally:
        child.kill()
        child.wait()
    assert _process_cpu(child.pid) == 0.0


def test_a_process_trees_memory_is_the_sum_of_its_processes():
    import os
    import subprocess
    import sys

    from bench.bulk import _rss_mb, _tree_rss_mb

    # A child holding 64 MB of its own: the tree's memory counts it, the process's does not.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; b = bytearray(64 << 20); print(1, flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"1"
        own, theirs = _rss_mb(), _rss_mb(child.pid)
        assert theirs > 64
        assert _tree_rss_mb(os.getpid()) >= own + theirs - 8
    finally:
        child.kill()
        child.wait()
    assert _rss_mb(child.pid) == 0.0
