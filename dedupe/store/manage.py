"""Looking after an index: its statistics, forgetting old articles, moving it between stores.

`export_index` writes the index's key-value tables (article records, counts, sites,
runs) and metadata as JSONL or Parquet, one row per value (``table``, ``key``, the
packed ``value``); `import_index` reads such a file into an empty index of any
store, rebuilding the multimaps (band keys, anchors, digests, stories, days) from
the article records. Exporting from SQLite and importing into Redis (or back) gives
an index that answers every query the same.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import CleanerConfig
from .base import Changes, Store, StoreError
from .codec import FORMAT, Count, Record, RecordFlag, unpack_site
from .session import Session, multimap_pairs

EXPORTED = ("articles", "counts", "across", "sites", "runs")
IMPORT_BATCH = 20_000  # article records per commit when importing


def config_of(store: Store) -> CleanerConfig:
    """A config whose fingerprint settings are the index's (for maintenance sessions)."""
    meta = store.meta()
    if "scheme" not in meta:
        raise StoreError(f"{store.location}: an empty index")
    scheme = json.loads(meta["scheme"])
    return CleanerConfig(
        num_perm=scheme["num_perm"],
        seed=scheme["seed"],
        shingle_size=scheme["shingle_size"],
        lsh_bands=scheme["lsh_bands"],
        lsh_rows=scheme["lsh_rows"],
    )


@dataclass
class Stats:
    location: str
    bytes: int
    scheme: dict[str, Any]
    articles: int  # records (tombstones aside)
    kept: int  # with a body or an exact digest
    matchable: int  # with a body
    tombstones: int
    keys: int  # counted segment keys (per site and across sites)
    sites: int
    stories_across: int
    runs: list[dict[str, Any]]
    first_day: str | None
    last_day: str | None
    top: list[tuple[str, int]]  # most removed boilerplate over the runs, with counts

    def lines(self) -> list[str]:
        s = self
        per = s.bytes / s.articles if s.articles else 0.0
        out = [
            f"index: {s.location}",
            f"size: {s.bytes:,} bytes ({per:,.0f} per article)",
            f"articles: {s.articles:,} ({s.kept:,} kept, {s.matchable:,} matchable; "
            f"{s.tombstones:,} tombstones)",
            f"segment keys counted: {s.keys:,}; sites: {s.sites:,}; "
            f"stories across sites: {s.stories_across:,}",
            f"dates: {s.first_day or '-'} to {s.last_day or '-'}",
            f"runs: {len(s.runs):,}"
            + (
                f" (last: run {s.runs[-1]['run']} on {s.runs[-1]['date']}, "
                f"{s.runs[-1]['articles']:,} articles)"
                if s.runs
                else ""
            ),  # fmt: skip
            "scheme: " + ", ".join(f"{k}={v}" for k, v in sorted(s.scheme.items())),
        ]
        if s.top:
            out.append("most removed boilerplate:")
            out += [f"  {n:>8,}  {text}" for text, n in s.top]
        return out


def stats(store: Store, top: int = 10) -> Stats:
    from ..indexed import day_text

    meta = store.meta()
    scheme = json.loads(meta.get("scheme", "{}"))
    num_perm = int(scheme.get("num_perm", 128))
    fmt = int(scheme.get("format", FORMAT))
    articles = kept = matchable = stones = 0
    days: list[int] = []
    for _, value in store.items("articles"):
        rec = Record.unpack(value, num_perm, fmt)
        if rec.flags & RecordFlag.TOMBSTONE:
            stones += 1
            continue
        articles += 1
        kept += rec.exact is not None
        matchable += rec.body is not None
        days.append(rec.day)
    keys = sum(1 for _ in store.items("counts")) + sum(1 for _ in store.items("across"))
    runs = [json.loads(v) for _, v in store.items("runs")]
    counter: Counter[str] = Counter()
    for run in runs:
        for group in run.get("top_boilerplate", []):
            counter[group.get("text", "")] += int(group.get("count", 0))
    sites = sum(1 for _ in store.items("sites"))
    return Stats(
        store.location, store.nbytes(), scheme, articles, kept, matchable, stones, keys,
        sites, int(meta.get("across_total", 0)), runs,
        day_text(min(days)) if days else None, day_text(max(days)) if days else None,
        counter.most_common(top),
    )  # fmt: skip


def prune(store: Store, day: int, window: int, waiting: Callable[[str], None] | None = None) -> int:
    """Forget the articles (and the counts they brought) older than ``window`` days before
    ``day``; returns how many were forgotten."""
    from ..indexed import day_text

    session = Session(store, config_of(store), day, window, waiting)
    try:
        forgotten = session.pruned
        session.next_n = session.n0
        session.commit(
            {"run": session.run, "kind": "prune", "date": day_text(day), "window": window,
             "forgotten": forgotten, "articles": 0, "dropped": 0}
        )  # fmt: skip
    finally:
        session.close()
    return forgotten


# -- export / import -------------------------------------------------------------------


def _rows(store: Store) -> Iterator[dict[str, Any]]:
    meta = store.meta()
    yield {"table": "meta", "key": 0, "value": json.dumps(meta, sort_keys=True)}
    for table in EXPORTED:
        for key, value in store.items(table):
            yield {"table": table, "key": key, "value": value}


def export_index(store: Store, path: str | os.PathLike[str]) -> int:
    """Write the index to ``path`` (``.jsonl`` or ``.parquet``); returns the rows written."""
    from ..io.writers import atomic_write

    target = Path(path)
    if str(target).endswith(".parquet"):
        pa, pq = _arrow()
        rows = list(_rows(store))
        table = pa.table(
            {
                "table": pa.array([r["table"] for r in rows], pa.string()),
                "key": pa.array([r["key"] for r in rows], pa.uint64()),
                "value": pa.array(
                    [r["value"].encode() if isinstance(r["value"], str) else r["value"]
                     for r in rows], pa.binary()),
            }
        )  # fmt: skip
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        atomic_write(target, sink.getvalue().to_pybytes())
        return len(rows)
    lines = []
    for r in _rows(store):
        value = r["value"]
        text = value if isinstance(value, str) else base64.b64encode(value).decode()
        lines.append(json.dumps({"table": r["table"], "key": r["key"], "value": text}))
    atomic_write(target, ("\n".join(lines) + "\n").encode())
    return len(lines)


def _read(path: str | os.PathLike[str]) -> Iterator[tuple[str, int, bytes | str]]:
    if str(path).endswith(".parquet"):
        _, pq = _arrow()
        table = pq.read_table(path)
        for t, k, v in zip(*(table.column(c).to_pylist() for c in ("table", "key", "value"))):
            yield t, k, (v.decode() if t == "meta" else v)
        return
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                t, k, v = row["table"], int(row["key"]), row["value"]
                yield t, k, (v if t == "meta" else base64.b64decode(v, validate=True))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{path}:{number}: not an index export row ({exc})") from None


def import_index(
    store: Store, path: str | os.PathLike[str], waiting: Callable[[str], None] | None = None
) -> int:
    """Read an export into ``store`` (which must be empty); returns the articles read."""
    if not Path(path).exists():
        raise StoreError(f"{path}: no such file")
    if store.meta().get("scheme"):
        raise StoreError(f"{store.location}: not empty; import into a new index")
    meta: dict[str, str] | None = None
    tables: dict[str, list[tuple[int, bytes]]] = {t: [] for t in EXPORTED}
    for table, key, value in _read(path):
        if table == "meta":
            meta = json.loads(value) if isinstance(value, str) else None
        elif table in tables and isinstance(value, bytes):
            tables[table].append((key, value))
        else:
            raise StoreError(f"{path}: unknown table {table!r}")
    if meta is None or "scheme" not in meta:
        raise StoreError(f"{path}: no index metadata (not an export?)")
    scheme = json.loads(meta["scheme"])
    num_perm, bands, rows = scheme["num_perm"], scheme["lsh_bands"], scheme["lsh_rows"]
    if scheme.get("format") == 1:  # an export of a format-1 index: converted
        tables = _convert_v1(tables, num_perm)
        scheme["format"] = FORMAT
        meta["scheme"] = json.dumps(scheme, sort_keys=True)
    elif scheme.get("format") != FORMAT:
        raise StoreError(
            f"{path}: an index of format {scheme.get('format')!r}; this version of dedupe "
            f"reads formats 1 and {FORMAT}"
        )
    articles = tables.pop("articles")
    others = [(t, k, v) for t, items in tables.items() for k, v in items]
    for lo in range(0, max(len(articles), 1), IMPORT_BATCH):
        store.lock(waiting)
        changes = Changes()
        batch = articles[lo : lo + IMPORT_BATCH]
        for n, value in batch:
            changes.set("articles", n, value)
        records = [(n, Record.unpack(value, num_perm)) for n, value in batch]
        for table, (keys, ns) in multimap_pairs(records, bands, rows).items():
            changes.link(table, keys, ns)
        if lo + IMPORT_BATCH >= len(articles):  # last: the rest, then the metadata
            for t, k, v in others:
                changes.set(t, k, v)
            changes.meta.update(meta)
        store.commit(changes)
    return len(articles)


def _convert_v1(
    tables: dict[str, list[tuple[int, bytes]]], num_perm: int
) -> dict[str, list[tuple[int, bytes]]]:
    """The values of a format-1 export in this format (sites and runs are unchanged)."""
    out = dict(tables)
    out["articles"] = [(k, Record.unpack(v, num_perm, 1).pack()) for k, v in tables["articles"]]
    for table in ("counts", "across"):
        out[table] = [(k, Count.unpack(v, 1).pack()) for k, v in tables[table]]
    return out


def _arrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise StoreError("Parquet needs pyarrow: pip install 'news-dedupe[parquet]'") from None
    return pa, pq


__all__ = ["Stats", "config_of", "export_index", "import_index", "prune", "stats"]
_ = (Count, unpack_site)
