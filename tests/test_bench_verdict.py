"""The bulk benchmark's verdict follows issue #14's P4 targets (bench.bulk)."""

from bench.bulk import cores_busy, latency_hidden, p4_verdict


def test_within_the_ratio_is_met_whatever_the_cores():
    assert p4_verdict(concurrency=4, ratio=1.2, cpu_ms=9.0, busy=0.1, at_once=None) == (
        True,
        "within 1.25 x",
    )
    assert p4_verdict(concurrency=16, ratio=1.4, cpu_ms=9.0, busy=0.1, at_once=0.5) == (
        True,
        "within 1.5 x",
    )


def test_at_c4_only_the_ratio_counts():
    met, by = p4_verdict(concurrency=4, ratio=1.3, cpu_ms=1.0, busy=1.0, at_once=2.0)
    assert (met, by) == (False, "over 1.25 x")


def test_a_card_that_did_not_end_as_asked_fails_the_run_however_fast():
    assert p4_verdict(concurrency=16, ratio=1.0, cpu_ms=1.0, busy=0.5, at_once=1.0, failed=3) == (
        False,
        "3 cards did not end as asked",
    )


def test_above_c4_cores_too_busy_to_meet_the_target_judge_by_cpu_a_card():
    # 82 % busy over 2.16 x N·L/C: their busy time alone is 1.77 x, over the 1.5 x target.
    assert p4_verdict(concurrency=16, ratio=2.16, cpu_ms=2.0, busy=0.82, at_once=2.0) == (
        True,
        "the cores are the limit (their busy time packed: 1.77 x): CPU a card <= 3 ms",
    )
    assert p4_verdict(concurrency=16, ratio=2.16, cpu_ms=3.2, busy=0.82, at_once=2.0)[0] is False


def test_above_c4_a_run_held_back_by_a_lock_or_a_wait_is_not_excused():
    # Each card held a lock: as slow with upstream answering at once, and the cores mostly
    # idle (their busy time fits in the target many times over).
    assert p4_verdict(concurrency=16, ratio=2.5, cpu_ms=1.5, busy=0.3, at_once=2.5) == (
        False,
        "over 1.5 x, the cores not the limit (their busy time packed: 0.75 x)",
    )


def test_above_c4_latency_the_job_did_not_hide_is_not_excused():
    # The cores busy enough, but the run at L much slower than the job at once: over 1.25 x
    # that, or over half of N·L/C more (a slow job does not get a wider margin).
    assert p4_verdict(concurrency=16, ratio=2.6, cpu_ms=2.4, busy=0.9, at_once=2.0) == (
        False,
        "over 1.5 x, upstream's latency not hidden (over 2.50 x, from the job at once)",
    )
    assert p4_verdict(concurrency=16, ratio=4.9, cpu_ms=2.4, busy=0.9, at_once=4.0)[0] is False
    assert p4_verdict(concurrency=16, ratio=4.4, cpu_ms=2.4, busy=0.9, at_once=4.0)[0] is True
    assert p4_verdict(concurrency=16, ratio=2.3, cpu_ms=2.4, busy=0.9, at_once=None) == (
        False,
        "over 1.5 x, not measured with upstream answering at once",
    )


def test_latency_counts_as_hidden_within_a_quarter_or_half_of_n_l_over_c():
    assert latency_hidden(1.6) == 2.0
    assert latency_hidden(2.0) == 2.5
    assert latency_hidden(4.0) == 4.5


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
