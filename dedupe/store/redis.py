"""The Redis store: an index on a Redis server, for several machines writing to one index.

``redis://host:port/db`` (``?prefix=NAME`` to keep several indexes in one database,
default ``dedupe``; ``&lock_ttl=SECONDS``, default 60). Needs the ``[redis]`` extra
(redis-py), imported only here.

Layout, under ``PREFIX:``: ``meta`` (a hash), ``lock`` (the writer lock), ``layout``
(this layout's version), and for each table 65,536 hashes ("buckets") chosen by the low
16 bits of the key, whose fields are the 8-byte big-endian keys (the small tables,
``sites`` and ``runs``, one hash each: a run reads them whole): in a key-value table
the value is the packed value; in a multimap, the key's article numbers, 4 bytes
big-endian each, ascending (one field per key, so that a lookup is one ``HGET`` and a
key shared by many articles costs 4 bytes an article). Reads and writes go through Lua
scripts, a batch of keys per call, the writes grouped by bucket. An index written in the
first layout (a sorted set per multimap bucket, a member per pair; buckets for the small
tables too) is converted, bucket by bucket under the writer lock, when it is first opened.

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
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from .base import KV_TABLES, MULTIMAPS, Changes, Store, StoreError, expand

LOCK_TTL = 60.0  # seconds a lock outlives its holder's last renewal
BUCKET_BITS = 16  # (the scripts compute a key's bucket from its last two bytes)
CHUNK = 20_000  # keys per script call
GROUP = 1_000  # fields per command inside a script (Lua's stack takes ~8,000 arguments)
LAYOUT = b"2"  # 1: a sorted set per multimap bucket; 2: hashes of packed numbers
SMALL = ("sites", "runs")  # tables kept whole in one hash (read whole by every run)

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
local heads, numbers = {}, {}
for i = 1, #keys, 8 do
  local k = string.sub(keys, i, i + 7)
  local v = redis.call('HGET', prefix .. (string.byte(k, 7) * 256 + string.byte(k, 8)), k)
  if v then
    if #v > limit * 4 then v = string.sub(v, 1, limit * 4) end
    heads[#heads + 1] = struct.pack('>I4>I4', (i - 1) / 8, #v / 4)
    numbers[#numbers + 1] = v
  end
end
return {table.concat(heads), table.concat(numbers)}
"""

# key-value tables: HSET (values in ``data``, ``ends`` their 4-byte end offsets) or HDEL of
# keys sorted by bucket, one call per bucket (GROUP fields at most)
_WRITE = """
local prefix, command, keys, data, ends = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local n = #keys / 8
local i = 0
while i < n do
  local bucket = string.byte(keys, i * 8 + 7) * 256 + string.byte(keys, i * 8 + 8)
  local args = {}
  local j = i
  while j < n and j - i < GROUP do
    local k = string.sub(keys, j * 8 + 1, j * 8 + 8)
    if string.byte(k, 7) * 256 + string.byte(k, 8) ~= bucket then break end
    args[#args + 1] = k
    if command == 'HSET' then
      local first = 1
      if j > 0 then first = struct.unpack('>I4', ends, j * 4 - 3) + 1 end
      args[#args + 1] = string.sub(data, first, struct.unpack('>I4', ends, j * 4 + 1))
    end
    j = j + 1
  end
  redis.call(command, prefix .. bucket, unpack(args))
  i = j
end
return n
""".replace("GROUP", str(GROUP))

# multimaps: add (or remove) the 4-byte numbers of ``ns`` to (from) their keys, the distinct
# pairs sorted by bucket, key and number: one HMGET, one HSET and one HDEL per bucket
_LINK = """
local prefix, adding, keys, ns = ARGV[1], ARGV[2] == 'add', ARGV[3], ARGV[4]
local n = #keys / 8
local i = 0
while i < n do
  local bucket = string.byte(keys, i * 8 + 7) * 256 + string.byte(keys, i * 8 + 8)
  local fields, starts, ends = {}, {}, {}
  while i < n and #fields < GROUP do
    local k = string.sub(keys, i * 8 + 1, i * 8 + 8)
    if string.byte(k, 7) * 256 + string.byte(k, 8) ~= bucket then break end
    if fields[#fields] ~= k then
      fields[#fields + 1] = k
      starts[#fields] = i
    end
    i = i + 1
    ends[#fields] = i
  end
  local name = prefix .. bucket
  local olds = redis.call('HMGET', name, unpack(fields))
  local puts, gone = {}, {}
  for f = 1, #fields do
    local old = olds[f]
    local new = string.sub(ns, starts[f] * 4 + 1, ends[f] * 4)
    local value = nil
    if adding and not old then
      value = new
    else
      local mine, out = {}, {}
      for p = 1, #new, 4 do mine[string.sub(new, p, p + 3)] = true end
      if adding then
        for p = 1, #old, 4 do mine[string.sub(old, p, p + 3)] = true end
        for x in pairs(mine) do out[#out + 1] = x end
        table.sort(out)
      elseif old then
        for p = 1, #old, 4 do
          local x = string.sub(old, p, p + 3)
          if not mine[x] then out[#out + 1] = x end
        end
      end
      if #out > 0 then value = table.concat(out) end
    end
    if value then
      puts[#puts + 1] = fields[f]
      puts[#puts + 1] = value
    elseif old then
      gone[#gone + 1] = fields[f]
    end
  end
  if #puts > 0 then redis.call('HSET', name, unpack(puts)) end
  if #gone > 0 then redis.call('HDEL', name, unpack(gone)) end
end
return n
""".replace("GROUP", str(GROUP))

# the first layout's sorted set of (key, number) members -> this layout's hash, one bucket
_CONVERT = """
local name = ARGV[1]
if redis.call('TYPE', name).ok ~= 'zset' then return 0 end
local members = redis.call('ZRANGE', name, 0, -1)
redis.call('DEL', name)
local k, numbers = nil, {}
for _, m in ipairs(members) do
  local mk = string.sub(m, 1, 8)
  if mk ~= k then
    if k then redis.call('HSET', name, k, table.concat(numbers)) end
    k, numbers = mk, {}
  end
  numbers[#numbers + 1] = string.sub(m, 9, 12)
end
if k then redis.call('HSET', name, k, table.concat(numbers)) end
return #members
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
        self._write = self._r.register_script(_WRITE)
        self._link = self._r.register_script(_LINK)
        self._convert = self._r.register_script(_CONVERT)
        self._renew = self._r.register_script(_RENEW)
        self._release = self._r.register_script(_RELEASE)
        self._lock_key = self.prefix + "lock"
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._layout_key = self.prefix + "layout"
        try:
            self._upgrade()
        except redis.RedisError as exc:
            raise StoreError(f"{url}: {exc}") from None

    def _upgrade(self) -> None:
        """Convert an index of the first layout (it has metadata but no layout version)."""
        if self._r.get(self._layout_key) == LAYOUT or not self._r.exists(self.prefix + "meta"):
            return
        self.lock()
        try:
            if self._r.get(self._layout_key) == LAYOUT:  # another process converted it
                return
            for table in MULTIMAPS:  # each bucket converts atomically; a rerun resumes
                names = list(self._r.scan_iter(match=f"{self._table(table)}*", count=1000))
                for lo in range(0, len(names), 1000):
                    pipe = self._r.pipeline(transaction=False)
                    for name in names[lo : lo + 1000]:
                        self._convert(args=[name], client=pipe)
                    pipe.execute()
            for table in SMALL:
                for name in list(self._r.scan_iter(match=f"{self._table(table)}*", count=1000)):
                    fields = self._r.hgetall(name)
                    pipe = self._r.pipeline(transaction=True)
                    if fields:
                        pipe.hset(self._whole(table), mapping=fields)
                    pipe.delete(name)
                    pipe.execute()
            self._r.set(self._layout_key, LAYOUT)
        finally:
            self.unlock()

    def _table(self, table: str) -> str:
        """What the name of each bucket of ``table`` starts with."""
        return f"{self.prefix}{table}:"

    def _whole(self, table: str) -> str:
        """The name of the one hash of a small table."""
        return f"{self.prefix}{table}"

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
            pipe.set(self._layout_key, LAYOUT)
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
        for table, gone in changes.delete.items():
            keys = np.fromiter(gone, np.uint64, len(gone))
            self._write_all(pipe, "HDEL", table, keys)
        for table, values in changes.put.items():
            keys = np.fromiter(values, np.uint64, len(values))
            self._write_all(pipe, "HSET", table, keys, list(values.values()))
        for which, verb in ((changes.remove, "remove"), (changes.add, "add")):
            for table in which:
                keys, ns = changes.pairs(which, table)
                order = np.lexsort((ns, keys, keys & np.uint64((1 << BUCKET_BITS) - 1)))
                keys, ns = keys[order], ns[order]
                once = np.r_[True, (keys[1:] != keys[:-1]) | (ns[1:] != ns[:-1])]
                keys, ns = keys[once], ns[once]
                for lo in range(0, len(keys), CHUNK):
                    number = ns[lo : lo + CHUNK].astype(">u4").tobytes()
                    args = [self._table(table), verb, _be(keys[lo : lo + CHUNK]), number]
                    self._link(args=args, client=pipe)

    def _write_all(
        self, pipe: Any, command: str, table: str, keys: np.ndarray, data: list[bytes] | None = None
    ) -> None:
        """Queue ``HSET`` (of ``data``) or ``HDEL`` for keys of a key-value table, grouped by
        bucket, as calls of the write script of ``CHUNK`` keys each."""
        if table in SMALL:
            fields = [int(k).to_bytes(8, "big") for k in keys.tolist()]
            if data is None:
                pipe.hdel(self._whole(table), *fields)
            else:
                pipe.hset(self._whole(table), mapping=dict(zip(fields, data)))
            return
        order = np.argsort(keys & np.uint64((1 << BUCKET_BITS) - 1), kind="stable")
        keys = keys[order]
        for lo in range(0, len(keys), CHUNK):
            part = order[lo : lo + CHUNK]
            payload, ends = b"", b""
            if data is not None:
                values = [data[i] for i in part.tolist()]
                payload = b"".join(values)
                ends = np.cumsum([len(v) for v in values], dtype=np.int64).astype(">u4").tobytes()
            self._write(
                args=[self._table(table), command, _be(keys[lo : lo + CHUNK]), payload, ends],
                client=pipe,
            )

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
        if table in SMALL and len(arr):
            fields = [k.to_bytes(8, "big") for k in arr.tolist()]
            return [v if v else None for v in self._r.hmget(self._whole(table), fields)]
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
            try:
                heads, numbers = self._lookup(args=[self._table(table), _be(part), limit])
            except self._error as exc:
                raise StoreError(f"{self.location}: {exc}") from None
            head = np.frombuffer(heads, dtype=">u4").reshape(-1, 2).astype(np.intp)
            ks.append(np.repeat(part[head[:, 0]], head[:, 1]))
            ns.append(np.frombuffer(numbers, dtype=">u4").astype(np.int64))
        if not ks:
            return np.zeros(0, np.intp), np.zeros(0, np.int64)
        return expand(keys, np.concatenate(ks), np.concatenate(ns), limit)

    def items(self, table: str) -> Iterator[tuple[int, bytes]]:
        found: list[tuple[int, bytes]] = []
        if table in SMALL:
            whole = self._r.hgetall(self._whole(table)).items()
            yield from sorted((int.from_bytes(k, "big"), v) for k, v in whole)
            return
        for name in self._r.scan_iter(match=f"{self._table(table)}*", count=1000):
            for k, v in self._r.hgetall(name).items():
                found.append((int.from_bytes(k, "big"), v))
        yield from sorted(found)

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


__all__ = ["KV_TABLES", "RedisStore"]
