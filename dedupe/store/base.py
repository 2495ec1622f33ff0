"""What every store offers: key-value tables, multimaps, a little metadata, one writer.

A store keeps the corpus-wide facts of an index (see `dedupe.store.session` for what
they mean) in two kinds of table, each keyed by unsigned 64-bit integers:

* **key-value tables** (``KV_TABLES``): one packed value per key (an article's
  record, a segment key's counts, a site, a run);
* **multimaps** (``MULTIMAPS``): a key holds a set of article numbers (the articles
  with an LSH band key, a paragraph anchor, an exact digest, in a story, of a day);
  a lookup returns the smallest numbers first, so "the earliest articles" is the
  same in every store.

Writing is all or nothing: a `Changes` is applied by `Store.commit` in one
transaction (SQLite) or one ``MULTI``/``EXEC`` (Redis), and only by the holder of
the store's writer lock (`Store.lock`), which a run takes before it reads and keeps
until it commits, so concurrent runs serialise. A process that dies holding the lock
commits nothing: SQLite rolls the open transaction back, Redis lets the lock expire.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import DedupeError

KV_TABLES = ("articles", "counts", "across", "sites", "runs", "texts")
MULTIMAPS = ("bands", "anchors", "exact", "stories", "days")
WAIT_POLL = 0.1  # seconds between attempts to take a busy writer lock


class StoreError(DedupeError):
    """An index that cannot be opened, read or written, or whose lock cannot be had."""


class SchemeError(StoreError):
    """A run whose fingerprint settings cannot be compared with the index's."""


@dataclass
class Changes:
    """Everything one commit writes: puts and deletes per key-value table, additions and
    removals per multimap, and metadata."""

    meta: dict[str, str] = field(default_factory=dict)
    put: dict[str, dict[int, bytes]] = field(default_factory=dict)
    delete: dict[str, set[int]] = field(default_factory=dict)
    add: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    remove: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)

    def set(self, table: str, key: int, value: bytes) -> None:
        self.put.setdefault(table, {})[key] = value
        self.delete.get(table, set()).discard(key)

    def drop(self, table: str, key: int) -> None:
        self.delete.setdefault(table, set()).add(key)
        self.put.get(table, {}).pop(key, None)

    def link(self, table: str, keys: np.ndarray, ns: np.ndarray) -> None:
        if len(keys):
            self.add.setdefault(table, []).append((_u64(keys), _u64(ns)))

    def unlink(self, table: str, keys: np.ndarray, ns: np.ndarray) -> None:
        if len(keys):
            self.remove.setdefault(table, []).append((_u64(keys), _u64(ns)))

    def pairs(self, which: dict[str, list[tuple[np.ndarray, np.ndarray]]], table: str) -> tuple[
        np.ndarray, np.ndarray
    ]:  # fmt: skip
        """All (key, n) pairs of ``which[table]``, as two arrays."""
        parts = which.get(table, [])
        if not parts:
            return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
        return np.concatenate([k for k, _ in parts]), np.concatenate([n for _, n in parts])

    def __bool__(self) -> bool:
        return bool(self.meta or self.put or self.delete or self.add or self.remove)


def _u64(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(np.uint64, copy=False).ravel()


class Store(ABC):
    """The primitives of an index's storage (see the module docstring)."""

    location: str  # what to call it in messages: a path or a redis:// address

    # -- the writer lock ------------------------------------------------------

    def lock(
        self, waiting: Callable[[str], None] | None = None, timeout: float | None = None
    ) -> None:
        """Take the writer lock, waiting for another writer to finish: ``waiting`` is called
        once (with a message) if it has to wait; `StoreError` after ``timeout`` seconds."""
        start = time.monotonic()
        told = False
        while not self._try_lock():
            if not told and waiting is not None:
                waiting(f"waiting for the index {self.location} (another run is writing to it)")
            told = True
            if timeout is not None and time.monotonic() - start > timeout:
                raise StoreError(f"{self.location}: another run held the index for {timeout:g} s")
            time.sleep(WAIT_POLL)

    @abstractmethod
    def _try_lock(self) -> bool:
        """Take the writer lock if it is free (and start a transaction)."""

    @abstractmethod
    def unlock(self) -> None:
        """Give the lock back without writing anything (no-op if not held)."""

    @abstractmethod
    def commit(self, changes: Changes) -> None:
        """Apply ``changes`` all at once and give the lock back. Requires the lock."""

    # -- reading ----------------------------------------------------------------

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """The index's metadata (empty for a new index)."""

    @abstractmethod
    def get(self, table: str, keys: Sequence[int]) -> list[bytes | None]:
        """The value of each key of a key-value table (None where absent)."""

    @abstractmethod
    def lookup(self, table: str, keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``keys``, article number) for the ``limit`` smallest numbers that each
        key holds in a multimap, sorted by position, then number."""

    @abstractmethod
    def items(self, table: str) -> Iterator[tuple[int, bytes]]:
        """Every (key, value) of a key-value table, in key order."""

    @abstractmethod
    def nbytes(self) -> int:
        """What the index takes: bytes on disk (SQLite) or in memory (Redis, memory)."""

    def close(self) -> None:
        """Release resources (the lock too, if still held)."""
        self.unlock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def expand(
    keys: np.ndarray, found_keys: np.ndarray, found_ns: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Turn the (key, n) pairs a store found for the distinct ``keys`` (a pair may come
    twice) into `Store.lookup`'s answer: (position, n) for each position of ``keys``, at
    most ``limit`` smallest n per key."""
    keys = np.asarray(keys, dtype=np.uint64)
    if not len(keys) or not len(found_keys):
        return np.zeros(0, np.intp), np.zeros(0, np.int64)
    found_keys = found_keys.astype(np.uint64, copy=False)
    found_ns = found_ns.astype(np.int64, copy=False)
    order = np.lexsort((found_ns, found_keys))
    fk, fn = found_keys[order], found_ns[order]
    once = np.r_[True, (fk[1:] != fk[:-1]) | (fn[1:] != fn[:-1])]
    fk, fn = fk[once], fn[once]
    start = np.searchsorted(fk, fk, "left")
    keep = np.arange(len(fk)) - start < limit
    fk, fn = fk[keep], fn[keep]
    lo = np.searchsorted(fk, keys, "left")
    hi = np.searchsorted(fk, keys, "right")
    count = hi - lo
    total = int(count.sum())
    if not total:
        return np.zeros(0, np.intp), np.zeros(0, np.int64)
    pos = np.repeat(np.arange(len(keys)), count)
    offsets = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
    return pos.astype(np.intp), fn[offsets]


def signed(values: np.ndarray) -> list[int]:
    """uint64 keys as the signed 64-bit integers SQLite stores."""
    out: list[int] = np.asarray(values, dtype=np.uint64).view(np.int64).tolist()
    return out


def unsigned(values: Sequence[int]) -> np.ndarray:
    """Signed 64-bit integers back to uint64 keys."""
    return np.array(values, dtype=np.int64).view(np.uint64)
