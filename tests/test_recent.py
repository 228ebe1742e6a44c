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


def test_with_a_budget_the_least_recently_used_go_until_the_rest_fit() -> None:
    recent: Recent[str, str] = Recent(100, budget=80, weigh=len)
    recent.put("a", "x" * 10)
    recent.put("b", "x" * 10)
    recent.put("c", "x" * 10)
    assert recent.weight == 30
    assert recent.get("a") is not None  # "b" is now the least recently used
    for key in "defghi":
        recent.put(key, "x" * 10)
    assert recent.weight == 80
    assert recent.get("b") is None
    assert recent.get("a") is not None
    # Heavier than an eighth of the budget: not kept, and nothing else is dropped for it.
    recent.put("big", "x" * 11)
    assert recent.get("big") is None
    assert recent.weight == 80
    # Replacing a value counts its new weight only.
    recent.put("a", "x")
    assert recent.weight == 71
    recent.clear()
    assert (recent.weight, recent.get("a")) == (0, None)
