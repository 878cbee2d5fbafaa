"""A byte-bounded in-process cache of OCSP answers (the responder's memory).

Bounded by what the cached responses cost, not by how many there are, so that whatever a
request carries, a web process holds at most JITSUIN_OCSP_CACHE_BYTES of answers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
ENTRY_OVERHEAD = 400  # bytes of keys, tuples and dict slots around each cached response


class ByteBoundedCache(Generic[K, V]):
    """A dict that forgets its oldest entries once the responses it holds pass ``limit`` bytes.

    Sizes are what the caller says an entry costs (the DER plus ENTRY_OVERHEAD), so the bound
    holds whatever the keys are.
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.size = 0  # bytes accounted for

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
        return item[0] if item is not None else None

    def put(self, key: K, value: V, size: int) -> None:
        limit = self._limit()
        cost = size + ENTRY_OVERHEAD
        if cost > limit:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (value, cost)
            self.size += cost
            while self.size > limit:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def pop(self, key: K) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)
