"""The memory store: an index that lives as long as the process (for the Python API,
tests, and streams that need no persistence). Same behaviour as the other stores."""

from __future__ import annotations

import bisect
import sys
import threading
from collections.abc import Iterator, Sequence

import numpy as np

from .base import KV_TABLES, MULTIMAPS, Changes, Store, expand


class MemoryStore(Store):
    """Key-value tables as dicts, multimaps as sorted lists; a thread lock for writers."""

    def __init__(self) -> None:
        self.location = "memory"
        self._meta: dict[str, str] = {}
        self._kv: dict[str, dict[int, bytes]] = {t: {} for t in KV_TABLES}
        self._mm: dict[str, dict[int, list[int]]] = {t: {} for t in MULTIMAPS}
        self._mutex = threading.Lock()
        self._held = False

    def _try_lock(self) -> bool:
        if self._mutex.acquire(blocking=False):
            self._held = True
            return True
        return False

    def unlock(self) -> None:
        if self._held:
            self._held = False
            self._mutex.release()

    def commit(self, changes: Changes) -> None:
        assert self._held, "commit without the lock"
        try:
            self._meta.update(changes.meta)
            for table, keys in changes.delete.items():
                for key in keys:
                    self._kv[table].pop(key, None)
            for table, values in changes.put.items():
                self._kv[table].update(values)
            for table in changes.remove:
                mm_keys, ns = changes.pairs(changes.remove, table)
                mm = self._mm[table]
                for k, n in zip(mm_keys.tolist(), ns.tolist()):
                    held = mm.get(k)
                    if held is None:
                        continue
                    i = bisect.bisect_left(held, n)
                    if i < len(held) and held[i] == n:
                        del held[i]
                    if not held:
                        del mm[k]
            for table in changes.add:
                mm_keys, ns = changes.pairs(changes.add, table)
                mm = self._mm[table]
                for k, n in zip(mm_keys.tolist(), ns.tolist()):
                    held = mm.setdefault(k, [])
                    i = bisect.bisect_left(held, n)
                    if i == len(held) or held[i] != n:
                        held.insert(i, n)
        finally:
            self.unlock()

    def meta(self) -> dict[str, str]:
        return dict(self._meta)

    def get(self, table: str, keys: Sequence[int]) -> list[bytes | None]:
        values = self._kv[table]
        return [values.get(int(k)) for k in keys]

    def lookup(self, table: str, keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        mm = self._mm[table]
        found_k: list[int] = []
        found_n: list[int] = []
        for k in np.unique(np.asarray(keys, dtype=np.uint64)).tolist():
            held = mm.get(k, [])[:limit]
            found_k += [k] * len(held)
            found_n += held
        return expand(keys, np.array(found_k, np.uint64), np.array(found_n, np.int64), limit)

    def items(self, table: str) -> Iterator[tuple[int, bytes]]:
        yield from sorted(self._kv[table].items())

    def nbytes(self) -> int:
        total = sum(sys.getsizeof(v) + 8 for t in self._kv.values() for v in t.values())
        total += sum(8 * (len(v) + 2) for t in self._mm.values() for v in t.values())
        return total
