"""``Recent`` keeps the last values by key and drops the least recently used first."""

from __future__ import annotations

from portal.recent import Recent


def test_the_least_recently_used_goes_first() -> None:
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # "a" is now the most recently used
    recent.put("c", 3)
    assert recent.get("b") is None
    assert (recent.get("a"), recent.get("c")) == (1, 3)
    recent.put("a", 4)
    assert recent.get("a") == 4
    recent.clear()
    assert recent.get("c") is None
