"""The Redis store: an index on a Redis server, for several machines writing to one index.

``redis://host:port/db`` (``?prefix=NAME`` to keep several indexes in one database,
default ``dedupe``; ``&lock_ttl=SECONDS``, default 60). Needs the ``[redis]`` extra
(redis-py), imported only here.

Layout, under ``PREFIX:``: ``meta`` (a hash), ``lock`` (the writer lock), and for each
table 65,536 buckets chosen by the low 16 bits of the key: a key-value table is a hash
per bucket (field: the 8-byte big-endian key; value: the packed value), a multimap a
sorted set per bucket whose members are the 8-byte key followed by the 4-byte
big-endian article number, all of score 0, so that a lexicographic range is one key's
articles, smallest first. Reads go through two Lua scripts (a batch of keys per call).

Writers: a run takes the lock (``SET NX PX`` with a random token, renewed by a
background thread while the run lives; a killed run's lock expires after
``lock_ttl`` seconds) and commits everything in one ``MULTI``/``EXEC`` that also
deletes the lock, under ``WATCH`` of the lock: if the lock expired and another
writer took it, nothing is written. Runs are thus serialised, and the index is
always what some serial order of the runs left. Redis Cluster is not supported (the
scripts address keys they compute).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from .base import KV_TABLES, MULTIMAPS, Changes, Store, StoreError, expand

LOCK_TTL = 60.0  # seconds a lock outlives its holder's last renewal
BUCKET_BITS = 16
CHUNK = 20_000  # keys per script call
COMMANDS = 2_000  # commands per pipeline flush inside MULTI

_GET = """
local prefix, keys = ARGV[1], ARGV[2]
local out = {}
for i = 1, #keys, 8 do
  local k = string.sub(keys, i, i + 7)
  local bucket = string.byte(k, 7) * 256 + string.byte(k, 8)
  out[#out + 1] = redis.call('HGET', prefix .. bucket, k)
end
return out
"""

_LOOKUP = """
local prefix, keys, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
local pos = 0
for i = 1, #keys, 8 do
  local k = string.sub(keys, i, i + 7)
  local bucket = string.byte(k, 7) * 256 + string.byte(k, 8)
  local found = redis.call('ZRANGE', prefix .. bucket, '[' .. k, '[' .. k .. '\\255\\255\\255\\255',
                           'BYLEX', 'LIMIT', 0, limit)
  for _, m in ipairs(found) do
    out[#out + 1] = struct.pack('>I4', pos) .. string.sub(m, 9, 12)
  end
  pos = pos + 1
end
return table.concat(out)
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _redis() -> Any:
    try:
        import redis
    except ImportError:
        raise StoreError(
            "a redis:// index needs the redis client: pip install 'news-dedupe[redis]'"
        ) from None
    return redis


def _be(keys: np.ndarray) -> bytes:
    return np.asarray(keys, dtype=np.uint64).astype(">u8").tobytes()


def _bucket(key: int) -> int:
    return key & ((1 << BUCKET_BITS) - 1)


class RedisStore(Store):
    """An index on a Redis server (see the module docstring)."""

    def __init__(self, url: str) -> None:
        redis = _redis()
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        prefix = query.pop("prefix", ["dedupe"])[0]
        self.prefix = prefix + ":"
        try:
            self.lock_ttl = float(query.pop("lock_ttl", [LOCK_TTL])[0])
        except ValueError:
            raise StoreError(f"{url}: lock_ttl must be a number of seconds") from None
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.location = url
        try:
            self._r = redis.Redis.from_url(clean, socket_timeout=300)
            self._r.ping()
        except redis.RedisError as exc:
            raise StoreError(f"{url}: cannot reach Redis ({exc})") from None
        self._error = redis.RedisError
        self._watch_error = redis.WatchError
        self._get = self._r.register_script(_GET)
        self._lookup = self._r.register_script(_LOOKUP)
        self._renew = self._r.register_script(_RENEW)
        self._release = self._r.register_script(_RELEASE)
        self._lock_key = self.prefix + "lock"
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _table(self, table: str) -> str:
        return f"{self.prefix}{table}:"

    # -- lock ---------------------------------------------------------------------

    def _try_lock(self) -> bool:
        token = secrets.token_hex(16)
        try:
            got = self._r.set(self._lock_key, token, nx=True, px=int(self.lock_ttl * 1000))
        except self._error as exc:
            raise StoreError(f"{self.location}: {exc}") from None
        if not got:
            return False
        self._token = token
        self._stop.clear()
        self._renewer = threading.Thread(target=self._keep_lock, args=(token,), daemon=True)
        self._renewer.start()
        return True

    def _keep_lock(self, token: str) -> None:
        while not self._stop.wait(self.lock_ttl / 3):
            with contextlib.suppress(self._error):  # if it fails, the commit will find out
                self._renew(keys=[self._lock_key], args=[token, int(self.lock_ttl * 1000)])

    def _stop_renewing(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None

    def unlock(self) -> None:
        if self._token is None:
            return
        self._stop_renewing()
        token, self._token = self._token, None
        with contextlib.suppress(self._error):  # else it expires by itself
            self._release(keys=[self._lock_key], args=[token])

    def commit(self, changes: Changes) -> None:
        assert self._token is not None, "commit without the lock"
        token = self._token
        # the renewer must stop first: its PEXPIRE would trip the WATCH below
        self._stop_renewing()
        pipe = self._r.pipeline(transaction=True)
        try:
            self._renew(keys=[self._lock_key], args=[token, int(self.lock_ttl * 1000)])
            pipe.watch(self._lock_key)
            if pipe.get(self._lock_key) != token.encode():
                raise StoreError(
                    f"{self.location}: the index lock expired and another run took it; "
                    "nothing was written"
                )
            pipe.multi()
            self._queue(pipe, changes)
            pipe.delete(self._lock_key)
            pipe.execute()
        except self._watch_error:
            raise StoreError(
                f"{self.location}: another run took the index lock; nothing was written"
            ) from None
        except self._error as exc:
            raise StoreError(
                f"{self.location}: could not commit ({exc}); nothing was written"
            ) from None
        finally:
            pipe.reset()
            self._stop_renewing()
            self._token = None

    def _queue(self, pipe: Any, changes: Changes) -> None:
        if changes.meta:
            pipe.hset(self.prefix + "meta", mapping=changes.meta)
        for table, keys in changes.delete.items():
            grouped: dict[int, list[bytes]] = defaultdict(list)
            for k in keys:
                grouped[_bucket(k)].append(k.to_bytes(8, "big"))
            for bucket, fields in grouped.items():
                pipe.hdel(f"{self._table(table)}{bucket}", *fields)
        for table, values in changes.put.items():
            puts: dict[int, dict[bytes, bytes]] = defaultdict(dict)
            for k, v in values.items():
                puts[_bucket(k)][k.to_bytes(8, "big")] = v
            for bucket, mapping in puts.items():
                pipe.hset(f"{self._table(table)}{bucket}", mapping=mapping)
        for which, command in ((changes.remove, "zrem"), (changes.add, "zadd")):
            for table in which:
                mm_keys, ns = changes.pairs(which, table)
                members = _members(mm_keys, ns)
                buckets = (mm_keys & np.uint64((1 << BUCKET_BITS) - 1)).tolist()
                by_bucket: dict[int, list[bytes]] = defaultdict(list)
                for b, m in zip(buckets, members):
                    by_bucket[b].append(m)
                for bucket, ms in by_bucket.items():
                    name = f"{self._table(table)}{bucket}"
                    if command == "zadd":
                        pipe.zadd(name, dict.fromkeys(ms, 0))
                    else:
                        pipe.zrem(name, *ms)

    # -- reading ------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        try:
            raw = self._r.hgetall(self.prefix + "meta")
        except self._error as exc:
            raise StoreError(f"{self.location}: {exc}") from None
        return {k.decode(): v.decode() for k, v in raw.items()}

    def get(self, table: str, keys: Sequence[int]) -> list[bytes | None]:
        arr = np.asarray(keys, dtype=np.uint64)
        out: list[bytes | None] = []
        for lo in range(0, len(arr), CHUNK):
            part = arr[lo : lo + CHUNK]
            values = self._get(args=[self._table(table), _be(part)])
            out += [v if v else None for v in values]
        return out

    def lookup(self, table: str, keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        keys = np.asarray(keys, dtype=np.uint64)
        distinct = np.unique(keys)
        ks: list[np.ndarray] = []
        ns: list[np.ndarray] = []
        limit = min(limit, 1 << 31)
        for lo in range(0, len(distinct), CHUNK):
            part = distinct[lo : lo + CHUNK]
            raw = self._lookup(args=[self._table(table), _be(part), limit])
            pairs = np.frombuffer(raw, dtype=">u4").reshape(-1, 2)
            ks.append(part[pairs[:, 0].astype(np.intp)])
            ns.append(pairs[:, 1].astype(np.int64))
        if not ks:
            return np.zeros(0, np.intp), np.zeros(0, np.int64)
        return expand(keys, np.concatenate(ks), np.concatenate(ns), limit)

    def items(self, table: str) -> Iterator[tuple[int, bytes]]:
        found: list[tuple[int, bytes]] = []
        for name in self._r.scan_iter(match=f"{self._table(table)}*", count=1000):
            for k, v in self._r.hgetall(name).items():
                found.append((int.from_bytes(k, "big"), v))
        yield from sorted(found)

    def count(self, table: str) -> int:
        total = 0
        kind = "zcard" if table in MULTIMAPS else "hlen"
        names = list(self._r.scan_iter(match=f"{self._table(table)}*", count=1000))
        pipe = self._r.pipeline(transaction=False)
        for name in names:
            getattr(pipe, kind)(name)
        for n in pipe.execute():
            total += int(n)
        return total

    def nbytes(self) -> int:
        """Memory of this index's keys (``MEMORY USAGE`` summed)."""
        total = 0
        names = list(self._r.scan_iter(match=f"{self.prefix}*", count=1000))
        pipe = self._r.pipeline(transaction=False)
        for name in names:
            pipe.memory_usage(name, samples=0)
        for n in pipe.execute():
            total += int(n or 0)
        return total

    def used_memory(self) -> int:
        """The whole server's ``used_memory`` (what a dedicated server takes)."""
        return int(self._r.info("memory")["used_memory"])

    def clear(self) -> None:
        """Delete this index (every key under its prefix)."""
        names = list(self._r.scan_iter(match=f"{self.prefix}*", count=1000))
        for lo in range(0, len(names), 1000):
            self._r.delete(*names[lo : lo + 1000])

    def close(self) -> None:
        self.unlock()
        self._r.close()


def _members(keys: np.ndarray, ns: np.ndarray) -> list[bytes]:
    packed = np.empty((len(keys), 12), dtype=np.uint8)
    packed[:, :8] = np.asarray(keys, np.uint64).astype(">u8").view(np.uint8).reshape(-1, 8)
    packed[:, 8:] = np.asarray(ns, np.uint64).astype(">u4").view(np.uint8).reshape(-1, 4)
    raw = packed.tobytes()
    return [raw[i : i + 12] for i in range(0, len(raw), 12)]


__all__ = ["KV_TABLES", "RedisStore"]
