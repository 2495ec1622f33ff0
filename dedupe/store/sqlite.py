"""The SQLite store: an index in one file (standard-library `sqlite3`, WAL journal).

Tables: ``meta(name, value)``; one ``kv_<table>(k INTEGER PRIMARY KEY, v BLOB)`` per
key-value table; one ``mm_<multimap>(k, n)`` per multimap (a ``WITHOUT ROWID`` table
keyed by both, so a lookup reads the smallest article numbers of a key first). Keys
are the unsigned 64-bit keys stored as signed integers.

Each table has a small twin, ``<table>_recent``, that a run's writes go to: keys of new
articles (band keys, anchors, digests, segment keys) are random, so writing a day's
rows into the large tables would touch nearly every page of their B-trees (at 1M
articles, ~1 GB written to the journal and checkpointed back, every day), while the
twin is small enough to stay in the page cache. Reads look in both (a recent value
wins). Once the twins (with the tombstones below) hold ``MERGE_SHARE`` of the rows of
the large tables (and at least ``MERGE_MIN_ROWS``), a commit folds them into the large
tables, in key order, as part of the same transaction: each large table is rewritten
once per fold (each time the twins reach a sixteenth of it), not once per day; the
twins' pages are then reused. Deletions (a window's pruning) delete from the twins and
leave *tombstones* (``<table>_gone``: the keys, or the pairs, deleted) that hide the
large tables' rows from reads until the fold deletes them, in key order, before folding
the twins in: so a window's daily pruning does not touch the large tables' pages either.

A new file has 16 KiB pages (an article record is ~800 bytes: 4 KiB pages would leave a
fifth of them empty); reads go through a memory map of the file, and a run's changes
stay in a 128 MiB page cache until it commits. Lookups are one statement per batch of
keys (a join with ``json_each``).

The writer lock is SQLite's own: a run opens a ``BEGIN IMMEDIATE`` transaction before
it reads and commits it at the end, so a second run waits (and says so) until the
first has committed, and readers (``dedupe index stats``, ``export``) are never
blocked (WAL). A run that fails, is interrupted or killed leaves its transaction
uncommitted, which SQLite rolls back: the file stays as it was.
"""

from __future__ import annotations

import heapq
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .base import KV_TABLES, MULTIMAPS, Changes, Store, StoreError, expand, signed, unsigned

CHUNK = 50_000  # keys per query
PAGE_SIZE = 16_384  # bytes per page of a new file: 19 article records to a page, not 4
MMAP_SIZE = 1 << 32  # bytes of the file mapped for reading (SQLite caps it at its own limit)
CACHE_KIB = 128 * 1024  # page cache
MERGE_SHARE = 1 / 16  # the recent twins are folded in past this share of the large tables' rows
MERGE_MIN_ROWS = 500_000  # ... and this many rows (a small index stays in its twins)
_LAYERS: tuple[str, ...] = ("", "_recent")
_GONE = "_gone"  # tombstones: rows of the large tables deleted since the last fold
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # rows of each large table after the last merge (how large "large" is)
    "CREATE TABLE IF NOT EXISTS merged(name TEXT PRIMARY KEY, rows INTEGER NOT NULL)",
    *(
        f"CREATE TABLE IF NOT EXISTS kv_{t}{layer}(k INTEGER PRIMARY KEY, v BLOB NOT NULL)"
        for t in KV_TABLES
        for layer in _LAYERS
    ),
    *(
        f"CREATE TABLE IF NOT EXISTS mm_{t}{layer}(k INTEGER, n INTEGER, PRIMARY KEY(k, n)) "
        "WITHOUT ROWID"
        for t in MULTIMAPS
        for layer in (*_LAYERS, _GONE)
    ),
    *(f"CREATE TABLE IF NOT EXISTS kv_{t}{_GONE}(k INTEGER PRIMARY KEY)" for t in KV_TABLES),
]
_TABLES = [f"kv_{t}" for t in KV_TABLES] + [f"mm_{t}" for t in MULTIMAPS]


class SQLiteStore(Store):
    """An index in one SQLite file (created when missing)."""

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.location}: no such index")
        if self.path.is_dir():
            raise StoreError(f"{self.location}: is a folder, not an index file")
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=0, check_same_thread=False
            )
            self._db.execute("PRAGMA busy_timeout = 0")
            if fresh:  # before the WAL journal fixes it: large pages pack records closely
                self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._db.execute("PRAGMA synchronous = NORMAL")
            # reads straight from the mapped file rather than through read() into the page
            # cache (lookups probe the B-trees at random), and a cache that holds a day's
            # changes until the commit rather than spilling them mid-transaction
            self._db.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
            self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            if mode.lower() != "wal":
                raise StoreError(f"{self.location}: cannot use the WAL journal ({mode})")
            have = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.location}: not an index ({exc})") from None
        self._held = False
        self._layers = _LAYERS
        self._folds = True  # recent twins and tombstones (an earlier version's file: not)
        if not {"meta", *(f"kv_{t}" for t in KV_TABLES)} <= have:
            if have - {"meta"} and not have & {f"kv_{t}" for t in KV_TABLES}:
                raise StoreError(f"{self.location}: an SQLite file, but not a dedupe index")
            self._create()
        elif not {f"{t}{x}" for t in _TABLES for x in ("_recent", _GONE)} <= have:
            # an index of an earlier version
            if os.access(self.path, os.W_OK):
                self._create()
            else:  # read-only: nothing to fold, nothing will be written
                self._folds = False
                if not {f"{t}_recent" for t in _TABLES} <= have:
                    self._layers = ("",)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Take the writer lock; commit what the block did, or roll it back."""
        self.lock()
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        finally:
            self._held = False

    def _create(self) -> None:
        with self._transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)

    # -- lock ---------------------------------------------------------------------

    def _try_lock(self) -> bool:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise StoreError(f"{self.location}: {exc}") from None
        self._held = True
        return True

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def unlock(self) -> None:
        if self._held:
            self._held = False
            self._rollback()

    def commit(self, changes: Changes) -> None:
        assert self._held, "commit without the lock"
        db = self._db
        try:
            for name, value in changes.meta.items():
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
            for table, gone in changes.delete.items():
                doomed = signed(np.array(sorted(gone), np.uint64))
                db.executemany(
                    f"DELETE FROM kv_{table}{self._layers[-1]} WHERE k = ?", ((k,) for k in doomed)
                )
                if self._folds:  # the large table's row stays until the next fold
                    db.executemany(
                        f"INSERT OR IGNORE INTO kv_{table}{_GONE} VALUES (?)",
                        ((k,) for k in doomed),
                    )
            for table, values in changes.put.items():
                items = sorted(values.items())
                keys = signed(np.array([k for k, _ in items], dtype=np.uint64))
                db.executemany(
                    f"INSERT OR REPLACE INTO kv_{table}{self._layers[-1]} VALUES (?, ?)",
                    zip(keys, (v for _, v in items)),
                )
            for table in changes.remove:
                k, n = changes.pairs(changes.remove, table)
                order = np.lexsort((n, k))
                pairs = list(zip(signed(k[order]), n[order].tolist()))
                db.executemany(
                    f"DELETE FROM mm_{table}{self._layers[-1]} WHERE k = ? AND n = ?", pairs
                )
                if self._folds:
                    db.executemany(f"INSERT OR IGNORE INTO mm_{table}{_GONE} VALUES (?, ?)", pairs)
            for table in changes.add:
                k, n = changes.pairs(changes.add, table)
                order = np.lexsort((n, k))  # in key order: B-tree inserts touch pages in order
                db.executemany(
                    f"INSERT OR IGNORE INTO mm_{table}{self._layers[-1]} VALUES (?, ?)",
                    zip(signed(k[order]), n[order].tolist()),
                )
            if self._due():
                self._merge()
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(
                f"{self.location}: could not commit ({exc}); nothing was written"
            ) from None
        finally:
            self._held = False

    def _due(self) -> bool:
        """Whether the recent twins have grown enough to be folded into the large tables."""
        if not self._folds:
            return False
        recent = sum(self._rows(f"{t}{x}") for t in _TABLES for x in ("_recent", _GONE))
        return recent >= max(MERGE_MIN_ROWS, MERGE_SHARE * self._merged_rows())

    def _merged_rows(self) -> int:
        known = dict(self._db.execute("SELECT name, rows FROM merged").fetchall())
        for t in set(_TABLES) - set(known):  # an index of an earlier version: counted once
            known[t] = self._rows(t)
            self._db.execute("INSERT INTO merged VALUES (?, ?)", (t, known[t]))
        return sum(known.values())

    def _rows(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def _merge(self) -> None:
        """Delete the tombstoned rows from the large tables, fold the recent twins into them
        (both in key order) and empty the twins and the tombstones."""
        db = self._db
        for t in _TABLES:
            verb = "REPLACE" if t.startswith("kv_") else "IGNORE"
            order = "k" if t.startswith("kv_") else "k, n"
            db.execute(f"DELETE FROM {t} WHERE ({order}) IN (SELECT {order} FROM {t}{_GONE})")
            db.execute(f"DELETE FROM {t}{_GONE}")
            db.execute(f"INSERT OR {verb} INTO {t} SELECT * FROM {t}_recent ORDER BY {order}")
            db.execute(f"DELETE FROM {t}_recent")
            db.execute("INSERT OR REPLACE INTO merged VALUES (?, ?)", (t, self._rows(t)))

    # -- reading --------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        try:
            return dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.location}: {exc}") from None

    def get(self, table: str, keys: Sequence[int]) -> list[bytes | None]:
        if not len(keys):
            return []
        wanted = np.asarray(keys, dtype=np.uint64)
        found: dict[int, bytes] = {}
        for lo in range(0, len(wanted), CHUNK):
            part = json.dumps(signed(np.unique(wanted[lo : lo + CHUNK])))
            for layer in self._layers:  # a recent value replaces an older one
                rows = self._db.execute(
                    f"SELECT k, v FROM json_each(?) CROSS JOIN kv_{table}{layer} AS t ON k = value"
                    + self._alive(f"kv_{table}", layer),
                    (part,),
                ).fetchall()
                found.update(rows)
        values = [found.get(k) for k in signed(wanted)]
        return values

    def lookup(self, table: str, keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        keys = np.asarray(keys, dtype=np.uint64)
        distinct = np.unique(keys)
        ks: list[np.ndarray] = []
        ns: list[np.ndarray] = []
        for lo in range(0, len(distinct), CHUNK):
            part = json.dumps(signed(distinct[lo : lo + CHUNK]))
            rows = self._db.execute(
                " UNION ALL ".join(  # a pair in both layers: once in `expand`
                    f"SELECT k, n FROM json_each(?1) CROSS JOIN mm_{table}{layer} AS t ON k = value"
                    + self._alive(f"mm_{table}", layer)
                    for layer in self._layers
                ),
                (part,),
            ).fetchall()
            if rows:
                arr = np.array(rows, dtype=np.int64)
                ks.append(arr[:, 0].view(np.uint64))
                ns.append(arr[:, 1])
        if not ks:
            return np.zeros(0, np.intp), np.zeros(0, np.int64)
        return expand(keys, np.concatenate(ks), np.concatenate(ns), limit)

    def _alive(self, table: str, layer: str) -> str:
        """The condition that hides a large table's tombstoned rows (none for a twin), for a
        query that names the table ``t``."""
        if layer or not self._folds:
            return ""
        # (not `(k, n) NOT IN (...)`: SQLite then scans the tombstones for NULLs, per row)
        same = "g.k = t.k" if table.startswith("kv_") else "g.k = t.k AND g.n = t.n"
        return f" WHERE NOT EXISTS (SELECT 1 FROM {table}{_GONE} AS g WHERE {same})"

    def items(self, table: str) -> Iterator[tuple[int, bytes]]:
        # unsigned order: the keys stored as non-negative integers, then the negative ones
        for where in ("k >= 0", "k < 0"):
            layers = [
                self._rows_of(f"kv_{table}", layer, where, self._alive(f"kv_{table}", layer))
                for layer in self._layers
            ]
            last: int | None = None
            # both in key order; of a key in both, the recent value (merged after) wins
            for k, _, v in heapq.merge(*layers):
                if k == last:
                    continue
                last = k
                yield int(unsigned([k])[0]), v

    def _rows_of(
        self, table: str, layer: str, where: str, alive: str
    ) -> Iterator[tuple[int, int, bytes]]:
        """(key, rank, value) of a layer of a table in key order; rank -1 in the recent
        twin, so that its row comes first of equal keys."""
        rank = -1 if layer else 0
        cursor = self._db.execute(
            f"SELECT k, v FROM (SELECT * FROM {table}{layer} AS t{alive}) WHERE {where} ORDER BY k"
        )
        while True:
            rows = cursor.fetchmany(10_000)
            if not rows:
                break
            for k, v in rows:
                yield k, rank, v

    def count(self, table: str) -> int:
        """Rows of a table (keys of a key-value table, pairs of a multimap)."""
        name = f"mm_{table}" if table in MULTIMAPS else f"kv_{table}"
        columns = "k, n" if table in MULTIMAPS else "k"
        union = " UNION ".join(
            f"SELECT {columns} FROM {name}{layer} AS t{self._alive(name, layer)}"
            for layer in self._layers
        )
        return int(self._db.execute(f"SELECT count(*) FROM ({union})").fetchone()[0])

    def nbytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def fold(self) -> int:
        """Fold the recent twins (and the tombstones) into the large tables now, in a
        transaction of its own (waiting for a writer); the number of rows they held."""
        if not self._folds:
            return 0
        with self._transaction():
            rows = sum(self._rows(f"{t}{x}") for t in _TABLES for x in ("_recent", _GONE))
            self._merge()
        return rows

    def vacuum(self) -> None:
        """Fold the recent twins in, checkpoint the WAL into the file and repack it (needs
        no other writer)."""
        self.fold()
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def checkpoint(self) -> None:
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.unlock()
        self._db.close()
