"""Persistent indexes: the corpus-wide facts of earlier runs, behind one small interface.

A `Store` holds key-value tables and multimaps (`dedupe.store.base`); three stores
implement it with the same behaviour:

* `MemoryStore`: in the process (the Python API, streams without persistence, tests);
* `SQLiteStore`: one file, standard-library ``sqlite3`` in WAL mode: daily crawls on one
  machine (the default for ``--index PATH``);
* `RedisStore`: a Redis server (``--index redis://host:port/db``; the ``[redis]``
  extra), when several machines write to one index.

What the facts mean, how a run reads them and how it commits what it adds is in
`dedupe.store.session`; how the cleaner uses them is in `dedupe.indexed`.
"""

from __future__ import annotations

import os

from .base import Changes, SchemeError, Store, StoreError
from .memory import MemoryStore
from .session import Session, scheme_of
from .sqlite import SQLiteStore


def open_store(target: str | os.PathLike[str], create: bool = True) -> Store:
    """The store at ``target``: ``redis://host:port/db`` (``?prefix=NAME`` to keep several
    indexes in one database), ``:memory:``, or the path of an SQLite file (created
    unless ``create`` is false)."""
    text = os.fspath(target)
    if text.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(text)
    if text == ":memory:":
        return MemoryStore()
    return SQLiteStore(text, create=create)


__all__ = [
    "Changes",
    "MemoryStore",
    "SQLiteStore",
    "SchemeError",
    "Session",
    "Store",
    "StoreError",
    "open_store",
    "scheme_of",
]
