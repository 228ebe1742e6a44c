"""The last values a process worked out, by key, shared by its threads: the least recently used
is dropped first once ``size`` are kept, or (with ``budget``) once what they ``weigh`` together
is over it. A value weighing more than an eighth of the budget is not kept at all."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class Recent[K: Hashable, V]:
    def __init__(
        self, size: int, *, budget: int | None = None, weigh: Callable[[V], int] | None = None
    ) -> None:
        if (budget is None) != (weigh is None):
            raise ValueError("a budget needs a way to weigh, and the other way round")
        self._size = size
        self._budget = budget
        self._weigh = weigh
        self._lock = threading.Lock()
        self._kept: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0

    def get(self, key: K) -> V | None:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        weight = self._weigh(value) if self._weigh is not None else 0
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            if self._budget is not None and weight > self._budget // 8:
                return
            self._kept[key] = (value, weight)
            self._weight += weight
            while len(self._kept) > self._size or (
                self._budget is not None and self._weight > self._budget
            ):
                _, (_, dropped) = self._kept.popitem(last=False)
                self._weight -= dropped

    @property
    def weight(self) -> int:
        """What the kept values weigh together (0 without ``weigh``)."""
        return self._weight

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._weight = 0
