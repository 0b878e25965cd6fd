"""A least-recently-used cache bounded by the total size of its values."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sized
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V", bound=Sized)


class SizedCache(Generic[K, V]):
    """Keeps values whose lengths add up to at most `budget`; thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The cached value, or `compute()`'s, cached (computed outside the lock)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = compute()
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self._size += len(value)
                while self._size > self.budget and len(self._items) > 1:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)
        return value

    def __len__(self) -> int:
        return len(self._items)
