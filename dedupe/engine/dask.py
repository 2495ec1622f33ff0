"""The cleaner on a Dask cluster: the local engine's stages, spread out, with the same output.

Every per-batch function of the local engine (`stages.survey_batch`,
`stages.decide_batch`, `cleaner._result`) runs unchanged in tasks, one input
partition each. The corpus-wide steps become distributed ones:

* **boilerplate counts**: segment rows ``(key, story, doc, segment, site)`` are
  shuffled by key and each partition runs `rules.boilerplate.recurring`, given
  the stories per site counted beforehand (a distinct count);
* **near-duplicate articles** (raw bodies for stories in pass 1, cleaned ones
  in pass 2): key rows (LSH bands, paragraph anchors) are shuffled by key;
  buckets with at most ``MAX_BUCKET`` entries give every candidate pair, crowded
  ones pair each body with a prefix of entries (a bounded number, so a bucket of
  a million identical articles stays linear); pairs go to the partition of one
  body and then of the other and are verified there (`engine.duplicates`); the
  client takes the keep-first (or keep-longest) decisions in order over the
  verified pairs, exactly as `DuplicateIndex` takes them (see `duplicates`).

Each stage writes Parquet under the work folder and marks itself done; a run
with the same inputs and settings skips the finished stages, so a failed run
resumes where it stopped. Ids are ordinals and hashes are xxhash/MurmurHash
finalisers: nothing depends on the number of workers or partitions.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..cleaner import BATCH_SIZE, NO_TABLES, _result
from ..config import CleanerConfig
from ..errors import DedupeError
from ..index import FIGURE_PERM, MAX_BUCKET, Bodies, Match
from ..io.formats.jsonl import article_of
from ..io.paths import Fields
from ..io.writers import dumps
from ..minhash import Hasher
from ..normalize import fmix64
from ..parallel import _light
from ..records import Article, Result, Source
from ..report import Summary
from ..rules.boilerplate import Recurring, recurring, site_hash
from ..segment import cut_spans
from ..stages import Survey, Tables, Verdict, decide_batch, survey_batch
from . import duplicates as dup

VERSION = 2  # of the work folder's layout
ROWS_PER_SHUFFLE_PARTITION = 500_000


class Workdir:
    """Stages under one folder: ``<stage>/`` with a ``_DONE`` mark once finished. A
    ``manifest.json`` names the run (inputs and settings); another run starts afresh."""

    def __init__(self, root: str | Path, manifest: Mapping[str, Any]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": VERSION, **manifest}, sort_keys=True, default=str)
        path = self.root / "manifest.json"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            for child in self.root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            path.write_text(text, encoding="utf-8")
        self.resumed: list[str] = []

    def done(self, stage: str) -> bool:
        return (self.root / stage / "_DONE").exists()

    def fresh(self, stage: str) -> Path:
        """The stage's folder, emptied."""
        folder = self.root / stage
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def finish(self, stage: str, info: Any = None) -> None:
        (self.root / stage / "_DONE").write_text(json.dumps(info), encoding="utf-8")

    def info(self, stage: str) -> Any:
        return json.loads((self.root / stage / "_DONE").read_text(encoding="utf-8"))

    def run(self, stage: str, work: Callable[[Path], Any]) -> Any:
        """Run ``work`` into the stage's folder unless it is done; its (JSON) result."""
        if self.done(stage):
            self.resumed.append(stage)
            return self.info(stage)
        info = work(self.fresh(stage))
        self.finish(stage, info)
        return info

    def part(self, stage: str, name: str, i: int) -> str:
        return str(self.root / stage / f"{name}-{i:05d}.parquet")


# -- columns ---------------------------------------------------------------------------

INPUT_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("line", pa.int64()),
        ("id", pa.string()),
        ("text", pa.string()),
        ("title", pa.string()),
        ("extra", pa.string()),  # JSON: the fields that name a site (what stages read)
        ("record", pa.string()),  # JSON: the whole record (Python entry only: written back)
    ]
)
SEG_SCHEMA = pa.schema(
    [
        ("counter", pa.int8()),
        ("key", pa.uint64()),
        ("doc", pa.int64()),
        ("segment", pa.int64()),
        ("site", pa.uint64()),
    ]
)
KEY_SCHEMA = pa.schema(
    [
        ("kind", pa.int8()),
        ("key", pa.uint64()),
        ("ordinal", pa.int64()),
        ("neg", pa.int64()),
        ("entries", pa.int32()),
        ("qwords", pa.int64()),
    ]
)
NAME_SCHEMA = pa.schema([("ordinal", pa.int64()), ("id", pa.string()), ("path", pa.string()),
                         ("line", pa.int64())])  # fmt: skip
MATCH_SCHEMA = pa.schema(
    [
        ("ordinal", pa.int64()),
        ("key", pa.int64()),
        ("similarity", pa.float64()),
        ("containment", pa.float64()),
        ("exact", pa.bool_()),
        ("via", pa.int64()),
    ]
)

QUERY_SCHEMA = pa.schema([(k, pa.int64()) for k in ("r", "w", "kidx", "neg")])
PREFIX_SCHEMA = pa.schema([(k, pa.int64()) for k in ("kidx", "s", "neg")])
PREFIX_BODY_SCHEMA = pa.schema([("ordinal", pa.int64()), ("body", pa.binary())])


def _fixed(rows: np.ndarray) -> pa.Array:
    """A (n, k) array as a fixed-size binary column."""
    rows = np.ascontiguousarray(rows)
    width = int(rows.shape[1] * rows.itemsize) if rows.ndim == 2 else 0
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(max(width, 1)), len(rows), [None, pa.py_buffer(rows.tobytes())]
    )


def _unfixed(column: pa.ChunkedArray | pa.Array, dtype: type, k: int) -> np.ndarray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = array.type.byte_width
    n = len(array)
    if not n:
        return np.empty((0, k), dtype=dtype)
    data = np.frombuffer(array.buffers()[1], dtype=np.uint8)
    data = data[array.offset * width : (array.offset + n) * width]
    out: np.ndarray = data.view(dtype).reshape(n, k).copy()
    return out


def _write(
    path: str, columns: Mapping[str, Any], schema: pa.Schema, row_group_size: int | None = None
) -> None:
    table = pa.Table.from_pydict(dict(columns), schema=schema)
    pq.write_table(table, path, row_group_size=row_group_size)


def _body_columns(bodies: Bodies, ordinals: np.ndarray, neg: np.ndarray) -> dict[str, Any]:
    return {
        "ordinal": ordinals.astype(np.int64),
        "neg": neg.astype(np.int64),
        "eligible": bodies.eligible.astype(bool),
        "digest": bodies.exact.astype(np.uint64),
        "sizes": bodies.sizes.astype(np.int64),
        "words": bodies.words.astype(np.int64),
        "figure_count": bodies.figure_count.astype(np.int64),
        "tabular": bodies.tabular.astype(bool),
        "sig": _fixed(bodies.signatures.astype(np.uint32)),
        "fsig": _fixed(bodies.figure_sigs.astype(np.uint32)),
    }


def _write_bodies(path: str, parts: list[dict[str, Any]]) -> None:
    if parts:
        tables = [pa.table(p) for p in parts]
        pq.write_table(pa.concat_tables(tables), path)
    else:
        empty = _body_columns(_no_bodies(), np.empty(0, np.int64), np.empty(0, np.int64))
        pq.write_table(pa.table(empty), path)


def _no_bodies() -> Bodies:
    z = np.empty(0, np.int64)
    no = np.empty(0, bool)
    keys = np.empty(0, np.uint64)
    sigs = np.empty((0, 1), np.uint32)
    figures = np.empty((0, FIGURE_PERM), np.uint32)
    return Bodies(z, sigs, z, z, no, keys, figures, z, no, keys, z, z)


def _read_bodies(path: str, num_perm: int) -> dup.BodyColumns:
    t = pq.read_table(path)
    return dup.BodyColumns(
        t.column("ordinal").to_numpy(),
        _unfixed(t.column("sig"), np.uint32, num_perm),
        t.column("sizes").to_numpy(),
        t.column("words").to_numpy(),
        _unfixed(t.column("fsig"), np.uint32, FIGURE_PERM),
        t.column("figure_count").to_numpy(),
        t.column("tabular").to_numpy(zero_copy_only=False),
    )


# -- tasks (run in the workers) ---------------------------------------------------------


def _articles(path: str, fields: Fields) -> list[Article]:
    """The articles of one input partition, as the stages see them (id, text, title and
    the fields that name a site: what `parallel` sends to a worker)."""
    out: list[Article] = []
    for row in pq.read_table(path).to_pylist():
        source = Source(row["path"], row["line"]) if row["path"] is not None else None
        record = json.loads(row["record"]) if row["record"] is not None else None
        out.append(
            Article(row["id"], row["text"], row["title"], json.loads(row["extra"]), source,
                    record=record)
        )  # fmt: skip
    return out


def _batches(articles: list[Article]) -> Iterator[tuple[int, list[Article]]]:
    for lo in range(0, len(articles), BATCH_SIZE):
        yield lo, articles[lo : lo + BATCH_SIZE]


def _segment_rows(survey: Survey, ordinal: int) -> list[dict[str, np.ndarray]]:
    """The rows the local engine adds to its two boilerplate counters (``_count``),
    before stories are known: counter 0 by site, 1 across sites."""
    salts = np.array([site_hash(s) for s in survey.sites], dtype=np.uint64)
    docs = ordinal + survey.article
    salt = salts[survey.article]
    known = salt != 0
    part_salt = salts[survey.part_article]
    part_keys = np.where(part_salt != 0, fmix64(survey.part_keys ^ part_salt), survey.part_keys)
    rows = [(0, part_keys, ordinal + survey.part_article, survey.part_index, part_salt)]
    for keys in (survey.keys, survey.shapes):
        has = keys != 0
        salted = np.where(known, fmix64(keys ^ salt), keys)
        rows.append((0, salted[has], docs[has], survey.index[has], salt[has]))
        both = has & known
        rows.append((1, keys[both], docs[both], survey.index[both], salt[both]))
    return [
        {
            "counter": np.full(len(k), c, dtype=np.int8),
            "key": k.astype(np.uint64),
            "doc": d.astype(np.int64),
            "segment": s.astype(np.int64),
            "site": site.astype(np.uint64),
        }
        for c, k, d, s, site in rows
    ]


def _concat(parts: list[dict[str, np.ndarray]], schema: pa.Schema) -> dict[str, np.ndarray]:
    if not parts:
        return {f.name: np.empty(0, dtype=f.type.to_pandas_dtype()) for f in schema}
    return {f.name: np.concatenate([p[f.name] for p in parts]) for f in schema}


def survey_task(
    work: str, part: int, offset: int, config: CleanerConfig, fields: Fields
) -> list[int]:
    """Pass 1 of one partition: names, boilerplate rows, raw bodies and their keys. Returns
    the site hashes seen."""
    root = Path(work)
    articles = _articles(str(root / "input" / f"part-{part:05d}.parquet"), fields)
    names = {
        "ordinal": np.arange(offset, offset + len(articles), dtype=np.int64),
        "id": [a.id for a in articles],
        "path": [a.source.path if a.source is not None else None for a in articles],
        "line": [a.source.line if a.source is not None else None for a in articles],
    }
    _write(str(root / "survey" / f"names-{part:05d}.parquet"), names, NAME_SCHEMA)
    if not config.boilerplate:
        return []
    hasher = Hasher(config.num_perm, config.seed)
    segs: list[dict[str, np.ndarray]] = []
    bodies: list[dict[str, Any]] = []
    keys: list[dict[str, np.ndarray]] = []
    sites: set[int] = set()
    for lo, batch in _batches(articles):
        survey = survey_batch(batch, config, hasher)
        segs += _segment_rows(survey, offset + lo)
        sites.update(site_hash(s) for s in survey.sites)
        ordinals = np.arange(offset + lo, offset + lo + len(batch), dtype=np.int64)
        neg = np.zeros(len(batch), dtype=np.int64)
        bodies.append(_body_columns(survey.bodies, ordinals, neg))
        keys.append(dup.key_rows(survey.bodies, ordinals, neg, config.lsh_bands, config.lsh_rows))
    _write(str(root / "survey" / f"seg-{part:05d}.parquet"), _concat(segs, SEG_SCHEMA), SEG_SCHEMA)
    _write_bodies(str(root / "survey" / f"bodies-{part:05d}.parquet"), bodies)
    _write_keys(str(root / "survey" / f"keys-{part:05d}.parquet"), keys)
    return sorted(sites)


def _write_keys(path: str, parts: list[dict[str, np.ndarray]]) -> None:
    cols = _concat([{**p, "neg": p.pop("rank")} for p in parts], KEY_SCHEMA)
    _write(path, cols, KEY_SCHEMA)


_tables_cache: dict[str, Tables] = {}


def _tables(work: str, sites_known: bool) -> Tables:
    """The boilerplate tables of a run (read once per worker process)."""
    folder = Path(work) / "counts"
    if not (folder / "_DONE").exists():
        return NO_TABLES
    cache_key = f"{folder}:{(folder / '_DONE').stat().st_mtime_ns}"
    if cache_key not in _tables_cache:
        by_site: dict[int, Recurring] = {}
        across: dict[int, Recurring] = {}
        files = sorted(folder.glob("*.parquet"))
        for f in files:
            t = pq.read_table(f).to_pydict()
            for c, k, d, s, t2, n, m, total in zip(
                t["counter"], t["key"], t["first_doc"], t["first_segment"], t["second_doc"],
                t["stories"], t["sites"], t["total"],
            ):  # fmt: skip
                (by_site if c == 0 else across)[k] = Recurring(d, s, t2, n, m, total)
        _tables_cache.clear()
        _tables_cache[cache_key] = Tables(by_site, across, sites_known)
    return _tables_cache[cache_key]


def decide_task(
    work: str, part: int, offset: int, config: CleanerConfig, fields: Fields, sites_known: bool
) -> None:
    """Pass 2 of one partition: the cleaned bodies and their keys (and lengths), and each
    article's verdict (pickled: the emit stage takes them as they are)."""
    root = Path(work)
    articles = _articles(str(root / "input" / f"part-{part:05d}.parquet"), fields)
    tables = _tables(work, sites_known)
    hasher = Hasher(config.num_perm, config.seed)
    bodies: list[dict[str, Any]] = []
    keys: list[dict[str, np.ndarray]] = []
    longest = config.keep == "longest"
    kept: list[Verdict] = []
    for lo, batch in _batches(articles):
        verdicts, found = decide_batch(batch, config, hasher, tables)
        kept += verdicts
        lengths = np.array(
            [
                len(a.text) - sum(e - s for s, e in cut_spans(v.starts, v.ends, v.removed).values())
                for a, v in zip(batch, verdicts)
            ],
            dtype=np.int64,
        )
        ordinals = np.arange(offset + lo, offset + lo + len(batch), dtype=np.int64)
        neg = -lengths if longest else np.zeros(len(batch), dtype=np.int64)
        bodies.append(_body_columns(found, ordinals, neg))
        keys.append(dup.key_rows(found, ordinals, neg, config.lsh_bands, config.lsh_rows))
    _write_bodies(str(root / "decide" / f"bodies-{part:05d}.parquet"), bodies)
    _write_keys(str(root / "decide" / f"keys-{part:05d}.parquet"), keys)
    _atomic_pickle(root / "decide" / f"verdicts-{part:05d}.pickle", kept)


def _atomic_pickle(path: Path, value: Any) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)


def _verdicts(root: Path, part: int) -> list[Verdict] | None:
    """The verdicts the decide stage kept for partition ``part`` (None without one). The
    work folder is trusted as a Dask spill folder is: only this run writes in it."""
    path = root / "decide" / f"verdicts-{part:05d}.pickle"
    if not path.exists():
        return None
    with path.open("rb") as fh:
        got: list[Verdict] = pickle.load(fh)
    return got


class _Names:
    """Ids and sources of the articles that report rows name (by ordinal)."""

    def __init__(self, rows: Mapping[int, tuple[str, str | None, int | None]]) -> None:
        self.rows = rows

    def __getitem__(self, ordinal: int) -> tuple[str, Source | None]:
        ident, path, line = self.rows[ordinal]
        return ident, (Source(path, line) if path is not None else None)


def emit_task(
    work: str, part: int, offset: int, config: CleanerConfig, fields: Fields, sites_known: bool,
    names: Mapping[int, tuple[str, str | None, int | None]],
) -> list[tuple[Result, int]]:  # fmt: skip
    """The results of one partition (with each article's number of segments)."""
    root = Path(work)
    articles = _articles(str(root / "input" / f"part-{part:05d}.parquet"), fields)
    decided = _verdicts(root, part)
    tables = _tables(work, sites_known) if decided is None else NO_TABLES
    hasher = Hasher(config.num_perm, config.seed)
    matches: dict[int, Match] = {}
    path = root / "documents" / f"match-{part:05d}.parquet"
    if path.exists():
        m = pq.read_table(path).to_pydict()
        for o, k, sim, cont, ex, via in zip(
            m["ordinal"], m["key"], m["similarity"], m["containment"], m["exact"], m["via"]
        ):
            matches[o] = Match(k, sim, cont, ex, via)
    lookup: Any = _Names(names)
    out: list[tuple[Result, int]] = []
    for lo, batch in _batches(articles):
        if decided is not None:
            verdicts = decided[lo : lo + len(batch)]
        else:
            verdicts, _ = decide_batch(batch, config, hasher, tables)
        for k, (article, verdict) in enumerate(zip(batch, verdicts)):
            ordinal = offset + lo + k
            result = _result(article, ordinal, verdict, matches.get(ordinal), lookup)
            out.append((result, len(verdict.starts)))
    return out


def results_task(
    work: str, part: int, offset: int, config: CleanerConfig, fields: Fields, sites_known: bool,
    names: Mapping[int, tuple[str, str | None, int | None]],
) -> list[tuple[Result, int]]:  # fmt: skip
    """`emit_task`'s results for the client, each without its article but for the id
    (the client has the article: only the cleaned text and the removals travel)."""
    out = emit_task(work, part, offset, config, fields, sites_known, names)
    for result, _ in out:
        result.article = Article(result.article.id, "")
    return out


def write_records(
    folder: str, part: int, records: Iterable[Mapping[str, Any]], config: CleanerConfig,
    fields: Fields,
) -> int:  # fmt: skip
    """One input partition from records (dicts); a bad record raises `InputError` naming
    its partition and place."""
    rows = []
    for i, record in enumerate(records):
        data = json.loads(json.dumps(dict(record), ensure_ascii=False, default=str))
        article = article_of(data, fields, Source(f"partition {part}", i + 1))
        row = _input_row(article, config)
        row["record"] = json.dumps(data, ensure_ascii=False)
        rows.append(row)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=INPUT_SCHEMA), f"{folder}/part-{part:05d}.parquet"
    )
    return len(rows)


def records_of_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a pandas partition as records (missing values left out)."""
    return [{k: v for k, v in row.items() if not _missing(v)} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def output_task(
    work: str, part: int, offset: int, config: CleanerConfig, fields: Fields, sites_known: bool,
    names: Mapping[int, tuple[str, str | None, int | None]],
) -> None:  # fmt: skip
    """Cleaned records and report rows of one partition, as JSON lines under ``output/``."""
    results = emit_task(work, part, offset, config, fields, sites_known, names)
    root = Path(work) / "output"
    with open(root / f"records-{part:05d}.jsonl", "w", encoding="utf-8") as out:
        for result, _ in results:
            if not result.dropped:
                record = dict(result.article.record or result.to_record())
                record[fields.text] = result.text
                out.write(dumps(record) + "\n")
    with open(root / f"report-{part:05d}.jsonl", "w", encoding="utf-8") as out:
        for result, _ in results:
            source = result.article.source
            where = {
                "file": source.path if source else None,
                "line": source.line if source else None,
            }
            if result.title is not None and result.removals:
                out.write(dumps({**result.title.to_dict(result.article.id), **where}) + "\n")
            for removal in result.removals:
                out.write(dumps(removal.to_dict(where)) + "\n")


Name = tuple[str, str | None, int | None]  # id, path, line


def names_task(work: str, part: int, wanted: list[int]) -> dict[int, Name]:
    t = pq.read_table(Path(work) / "survey" / f"names-{part:05d}.parquet").to_pydict()
    if not wanted:
        return {}
    first = t["ordinal"][0] if t["ordinal"] else 0
    return {o: (t["id"][o - first], t["path"][o - first], t["line"][o - first]) for o in wanted}


# -- shuffled steps (pandas partitions) ---------------------------------------------------


def _ranked(ordinal: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Dense ranks in processing order ((neg, ordinal): longest first, then input order)."""
    if not len(ordinal):
        return np.empty(0, np.int64)
    order = np.lexsort((ordinal, neg))
    o, g = ordinal[order], neg[order]
    new = np.r_[True, (o[1:] != o[:-1]) | (g[1:] != g[:-1])]
    out = np.empty(len(ordinal), dtype=np.int64)
    out[order] = np.cumsum(new) - 1
    return out


BUCKET_META = pd.DataFrame(
    {
        "crowded": pd.Series(dtype=bool),
        "r": pd.Series(dtype=np.int64),
        "s": pd.Series(dtype=np.int64),
        "w": pd.Series(dtype=np.int64),
        "kind": pd.Series(dtype=np.int8),
        "key": pd.Series(dtype=np.uint64),
        "neg": pd.Series(dtype=np.int64),
        "entries": pd.Series(dtype=np.int32),
    }
)


def bucket_partition(df: pd.DataFrame) -> pd.DataFrame:
    """Candidate pairs of the buckets with at most MAX_BUCKET entries; the rows of crowded
    buckets (``crowded``: ``r`` the body, ``w`` its words under the key) for later."""
    if not len(df):
        return BUCKET_META.copy()
    kind = df["kind"].to_numpy(np.int8)
    key = df["key"].to_numpy(np.uint64)
    entries = df["entries"].to_numpy(np.int64)
    order = np.lexsort((key, kind))
    kind, key, entries = kind[order], key[order], entries[order]
    new = np.r_[True, (key[1:] != key[:-1]) | (kind[1:] != kind[:-1])]
    starts = np.flatnonzero(new)
    total = np.add.reduceat(entries, starts)
    crowded_row = np.empty(len(df), dtype=bool)
    crowded_row[order] = np.repeat(total > MAX_BUCKET, np.diff(np.r_[starts, len(key)]))
    small = df[~crowded_row]
    ordinal = small["ordinal"].to_numpy(np.int64)
    rank = _ranked(ordinal, small["neg"].to_numpy(np.int64))
    pairs = dup.bucket_pairs(
        small["kind"].to_numpy(np.int8), small["key"].to_numpy(np.uint64), ordinal, rank,
        small["entries"].to_numpy(np.int64), small["qwords"].to_numpy(np.int64),
    )  # fmt: skip
    big = df[crowded_row]
    n = len(pairs["r"])
    return pd.DataFrame(
        {
            "crowded": np.r_[np.zeros(n, bool), np.ones(len(big), bool)],
            "r": np.r_[pairs["r"], big["ordinal"].to_numpy(np.int64)],
            "s": np.r_[pairs["s"], np.full(len(big), -1, np.int64)],
            "w": np.r_[pairs["w"], big["qwords"].to_numpy(np.int64)],
            "kind": np.r_[pairs["kind"], big["kind"].to_numpy(np.int8)].astype(np.int8),
            "key": np.r_[pairs["key"], big["key"].to_numpy(np.uint64)].astype(np.uint64),
            "neg": np.r_[np.zeros(n, np.int64), big["neg"].to_numpy(np.int64)],
            "entries": np.r_[np.zeros(n, np.int32), big["entries"].to_numpy(np.int32)].astype(
                np.int32
            ),
        }
    )


PAIR_META = pd.DataFrame({k: pd.Series(dtype=np.int64) for k in ("r", "s", "w", "r_part")})
VERIFY_CHUNK = 16_384  # pairs scored at once (bounds the gathered signatures)
PREFIX_GROUP = 4_096  # prefix bodies per row group (a task reads the groups it needs)


def small_partition(df: pd.DataFrame, offsets: np.ndarray) -> pd.DataFrame:
    """Small-bucket pairs with the partition of their later body (where they are gathered)."""
    r = df["r"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "r": r,
            "s": df["s"].to_numpy(np.int64),
            "w": df["w"].to_numpy(np.int64),
            "r_part": np.searchsorted(offsets, r, "right") - 1,
        }
    )


class CrowdedRound:
    """What one round's gather tasks need of the crowded keys, as files in ``folder``:
    ``queries-N.parquet`` (the crowded rows of partition N's bodies: ``r``, ``w``,
    ``kidx``, ``neg``), ``prefix.parquet`` (each key's guessed prefix: ``kidx``, ``s``,
    ``neg``) and ``prefix-bodies.parquet`` (the prefix bodies, packed). A crowded pair's
    ``s`` is always a prefix body, so its pairs are formed and verified in the partition
    of ``r``: no pair of a crowded key travels, with or without a body."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def queries(self, part: int) -> pd.DataFrame:
        path = Path(self.folder) / f"queries-{part:05d}.parquet"
        if not path.exists():
            return pd.DataFrame({k: np.empty(0, np.int64) for k in ("r", "w", "kidx", "neg")})
        return pq.read_table(path).to_pandas()

    def prefixes(self, kidx: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Each wanted key's prefix: ordinals and ``neg`` of its entries (the file is
        sorted by key in small row groups: only the groups holding them are read)."""
        if not len(kidx):
            return {}
        keys = np.unique(kidx).astype(np.int64)
        span = [("kidx", ">=", int(keys[0])), ("kidx", "<=", int(keys[-1]))]
        t = pq.read_table(Path(self.folder) / "prefix.parquet", filters=span)
        t = t.filter(pc.is_in(t.column("kidx"), value_set=pa.array(keys)))
        k = t.column("kidx").to_numpy()
        s = t.column("s").to_numpy()
        neg = t.column("neg").to_numpy()
        order = np.argsort(k, kind="stable")
        k, s, neg = k[order], s[order], neg[order]
        cut = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, np.int64)
        ends = np.r_[cut[1:], len(k)]
        return {int(k[a]): (s[a:b], neg[a:b]) for a, b in zip(cut.tolist(), ends.tolist())}

    def bodies(self, ordinals: np.ndarray, num_perm: int) -> dup.BodyColumns:
        """The prefix bodies among ``ordinals``, sorted by ordinal (the file is sorted by
        it in small row groups: only the groups holding them are read)."""
        path = Path(self.folder) / "prefix-bodies.parquet"
        if not len(ordinals) or not path.exists():
            return _unpack([], np.empty(0, np.int64), num_perm)
        wanted = np.unique(ordinals).astype(np.int64)
        t = pq.read_table(path, filters=[("ordinal", ">=", int(wanted[0])),
                                         ("ordinal", "<=", int(wanted[-1]))])  # fmt: skip
        t = t.filter(pc.is_in(t.column("ordinal"), value_set=pa.array(wanted)))
        ordinal = t.column("ordinal").to_numpy()
        return _unpack(t.column("body").to_pylist(), ordinal, num_perm)


def crowded_pairs(
    queries: pd.DataFrame, prefixes: Mapping[int, tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Pairs of each crowded row with its key's prefix bodies ranked before it."""
    if not len(queries):
        z = np.empty(0, np.int64)
        return {"r": z, "s": z, "w": z, "kidx": z}
    kidx_all = queries["kidx"].to_numpy(np.int64)
    order = np.argsort(kidx_all, kind="stable")
    k_sorted = kidx_all[order]
    cut: list[int] = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]]).tolist()
    ends = [*cut[1:], len(order)]
    r_all = queries["r"].to_numpy(np.int64)
    neg_all = queries["neg"].to_numpy(np.int64)
    w_all = queries["w"].to_numpy(np.int64)
    rs: list[np.ndarray] = []
    ss: list[np.ndarray] = []
    ws: list[np.ndarray] = []
    ks: list[np.ndarray] = []
    for lo, hi in zip(cut, ends):
        rows = order[lo:hi]
        kidx = int(k_sorted[lo])
        s_ord, s_neg = prefixes[kidx]
        r_ord, r_neg = r_all[rows], neg_all[rows]
        before = (s_neg[None, :] < r_neg[:, None]) | (
            (s_neg[None, :] == r_neg[:, None]) & (s_ord[None, :] < r_ord[:, None])
        )
        i, j = np.nonzero(before)
        rs.append(r_ord[i])
        ss.append(s_ord[j])
        ws.append(w_all[rows][i])
        ks.append(np.full(len(i), kidx, np.int64))
    return {"r": np.concatenate(rs), "s": np.concatenate(ss), "w": np.concatenate(ws),
            "kidx": np.concatenate(ks)}  # fmt: skip


SIDE_META = {
    "r": np.int64, "s": np.int64, "found": np.int64, "small": bool, "big_w": np.int64,
    "big": object, "s_part": np.int64, "r_body": object, "done": bool, "jac": np.float64,
    "inside": np.float64, "words_r": np.int64, "words_s": np.int64, "agree": bool,
}  # fmt: skip


def _side_meta() -> pd.DataFrame:
    """An empty frame of `gather_partition`'s columns."""
    return pd.DataFrame({k: pd.Series(dtype=v) for k, v in SIDE_META.items()})


def _load_side(work: str, stage: str, parts: Iterable[int], num_perm: int
               ) -> dict[int, dup.BodyColumns]:  # fmt: skip
    return {p: _read_bodies(f"{work}/{stage}/bodies-{p:05d}.parquet", num_perm) for p in parts}


def _take(loaded: dict[int, dup.BodyColumns], part: np.ndarray, ordinal: np.ndarray,
          offsets: np.ndarray) -> dup.BodyColumns:  # fmt: skip
    """Body columns of ``ordinal`` (each in partition ``part``)."""
    first = next(iter(loaded.values()))
    out = dup.BodyColumns(
        np.empty(len(ordinal), np.int64),
        np.empty((len(ordinal), first.signatures.shape[1]), np.uint32),
        np.empty(len(ordinal), np.int64),
        np.empty(len(ordinal), np.int64),
        np.empty((len(ordinal), FIGURE_PERM), np.uint32),
        np.empty(len(ordinal), np.int64),
        np.empty(len(ordinal), bool),
    )
    for p in np.unique(part).tolist():
        rows = np.flatnonzero(part == p)
        got = loaded[p].take(ordinal[rows] - offsets[p])
        out.ordinal[rows] = got.ordinal
        out.signatures[rows] = got.signatures
        out.sizes[rows] = got.sizes
        out.words[rows] = got.words
        out.figure_sigs[rows] = got.figure_sigs
        out.figure_count[rows] = got.figure_count
        out.tabular[rows] = got.tabular
    return out


def bodies_task(work: str, stage: str, part: int, offset: int, ordinals: list[int],
                num_perm: int) -> list[bytes]:  # fmt: skip
    """Some bodies of one partition, packed (the prefix bodies of crowded keys)."""
    body = _read_bodies(f"{work}/{stage}/bodies-{part:05d}.parquet", num_perm)
    return _pack(body.take(np.asarray(ordinals, np.int64) - offset))


def _scored(a: dup.BodyColumns, a_rows: np.ndarray, b: dup.BodyColumns, b_rows: np.ndarray,
            found: np.ndarray, threshold: float, contained: float
            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    """Static scores of pairs (``a_rows[i]``, ``b_rows[i]``), a chunk at a time: which may
    verify with ``found`` words, and the scores of those."""
    oks: list[np.ndarray] = []
    kept: dict[str, list[np.ndarray]] = {k: [] for k in ("jac", "inside", "words_r", "words_s",
                                                           "agree")}  # fmt: skip
    for lo in range(0, len(a_rows), VERIFY_CHUNK):
        hi = lo + VERIFY_CHUNK
        scores = dup.static_scores(a.take(a_rows[lo:hi]), b.take(b_rows[lo:hi]))
        ok = dup.possible(scores, found[lo:hi], threshold, contained)
        oks.append(ok)
        for k in kept:
            kept[k].append(scores[k][ok])
    if not oks:
        return np.zeros(0, bool), {k: np.empty(0) for k in kept}
    return np.concatenate(oks), {k: np.concatenate(v) for k, v in kept.items()}


def gather_partition(
    df: pd.DataFrame, work: str, stage: str, round_dir: str, offsets: np.ndarray,
    num_perm: int, threshold: float, contained: float,
    partition_info: Mapping[str, Any] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The pairs of partition ``part``'s bodies as ``r``: its small-bucket pairs (``df``)
    and its crowded rows' pairs with their keys' prefixes, one row per (r, s) with the
    words found through small buckets and the crowded keys it came through. Pairs whose
    ``s`` is a prefix body are verified here (``done``); the others carry r's body to
    the partition of ``s``. Partition ``part`` of the pairs indexed by ``r_part`` (Dask
    passes ``partition_info``)."""
    if partition_info is None:
        raise ValueError("gather_partition needs its partition number")
    part = int(partition_info["number"])
    round_ = CrowdedRound(round_dir)
    queries = round_.queries(part)
    prefixes = round_.prefixes(queries["kidx"].to_numpy(np.int64))
    big_pairs = crowded_pairs(queries, prefixes)
    r = np.r_[df["r"].to_numpy(np.int64), big_pairs["r"]]
    s = np.r_[df["s"].to_numpy(np.int64), big_pairs["s"]]
    w = np.r_[df["w"].to_numpy(np.int64), big_pairs["w"]]
    kidx = np.r_[np.full(len(df), -1, np.int64), big_pairs["kidx"]]
    if not len(r):
        return _side_meta()
    order = np.lexsort((kidx, s, r))
    r, s, w, kidx = r[order], s[order], w[order], kidx[order]
    new = np.r_[True, (r[1:] != r[:-1]) | (s[1:] != s[:-1])]
    starts = np.flatnonzero(new)
    is_small = kidx < 0
    found = np.add.reduceat(np.where(is_small, w, 0), starts)
    small = np.maximum.reduceat(is_small.astype(np.int8), starts).astype(bool)
    big_w = np.add.reduceat(np.where(is_small, 0, w), starts)
    group = np.cumsum(new) - 1
    big: list[bytes] = [b""] * len(starts)
    rows = np.flatnonzero(~is_small)
    if len(rows):
        data = np.stack([kidx[rows], w[rows]], axis=1).astype(np.int64)
        g = group[rows]
        cut = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        for lo, hi in zip(cut.tolist(), np.r_[cut[1:], len(rows)].tolist()):
            big[int(g[lo])] = data[lo:hi].tobytes()
    r, s = r[starts], s[starts]
    s_part = np.searchsorted(offsets, s, "right") - 1
    own = _read_bodies(f"{work}/{stage}/bodies-{part:05d}.parquet", num_perm)
    n = len(r)
    done = np.zeros(n, bool)
    scores = {k: np.zeros(n, t) for k, t in (("jac", np.float64), ("inside", np.float64),
              ("words_r", np.int64), ("words_s", np.int64), ("agree", bool))}  # fmt: skip
    mine = [v[0] for v in prefixes.values()]
    prefix = round_.bodies(np.concatenate(mine) if mine else np.empty(0, np.int64), num_perm)
    local = np.isin(s, prefix.ordinal)
    if local.any():
        rows_l = np.flatnonzero(local)
        ok, got = _scored(own, r[rows_l] - offsets[part], prefix,
                          np.searchsorted(prefix.ordinal, s[rows_l]),
                          found[rows_l] + big_w[rows_l], threshold, contained)  # fmt: skip
        verified = rows_l[ok]
        done[verified] = True
        for k in scores:
            scores[k][verified] = got[k]
    keep = done | ~local  # local pairs that cannot verify go no further
    ship = ~local
    body: list[bytes] = [b""] * n
    if ship.any():
        packed = _pack(own.take(r[ship] - offsets[part]))
        for i, row in zip(np.flatnonzero(ship).tolist(), packed):
            body[i] = row
    pick = np.flatnonzero(keep)
    return pd.DataFrame(
        {
            "r": r[pick],
            "s": s[pick],
            "found": found[pick],
            "small": small[pick],
            "big_w": big_w[pick],
            "big": [big[i] for i in pick.tolist()],
            "s_part": s_part[pick],
            "r_body": [body[i] for i in pick.tolist()],
            "done": done[pick],
            **{k: v[pick] for k, v in scores.items()},
        }
    )


def _pack(b: dup.BodyColumns) -> list[bytes]:
    """Each body as bytes (signature, figure signature, then sizes, words, figures, table)."""
    n = len(b.ordinal)
    if not n:
        return []
    head = np.concatenate(
        [b.signatures.view(np.uint8).reshape(n, -1), b.figure_sigs.view(np.uint8).reshape(n, -1),
         np.stack([b.sizes, b.words, b.figure_count, b.tabular.astype(np.int64)], axis=1)
         .view(np.uint8).reshape(n, -1)], axis=1,
    )  # fmt: skip
    return [row.tobytes() for row in head]


def _unpack(rows: Sequence[bytes], ordinal: np.ndarray, num_perm: int) -> dup.BodyColumns:
    n = len(rows)
    width = num_perm * 4 + FIGURE_PERM * 4 + 32
    data = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(n, width)
    sig_end = num_perm * 4
    fig_end = sig_end + FIGURE_PERM * 4
    tail = data[:, fig_end:].copy().view(np.int64).reshape(n, 4)
    return dup.BodyColumns(
        ordinal,
        data[:, :sig_end].copy().view(np.uint32).reshape(n, num_perm),
        tail[:, 0],
        tail[:, 1],
        data[:, sig_end:fig_end].copy().view(np.uint32).reshape(n, FIGURE_PERM),
        tail[:, 2],
        tail[:, 3].astype(bool),
    )


VERIFIED_COLUMNS = ("r", "s", "jac", "inside", "words_r", "words_s", "agree", "found", "small",
                    "big")  # fmt: skip
VERIFIED_META = pd.DataFrame(
    {
        "r": pd.Series(dtype=np.int64),
        "s": pd.Series(dtype=np.int64),
        "jac": pd.Series(dtype=np.float64),
        "inside": pd.Series(dtype=np.float64),
        "words_r": pd.Series(dtype=np.int64),
        "words_s": pd.Series(dtype=np.int64),
        "agree": pd.Series(dtype=bool),
        "found": pd.Series(dtype=np.int64),
        "small": pd.Series(dtype=bool),
        "big": pd.Series(dtype=object),
    }
)


def verify_partition(
    df: pd.DataFrame, work: str, stage: str, offsets: np.ndarray, num_perm: int,
    threshold: float, contained: float,
) -> pd.DataFrame:  # fmt: skip
    """Verify the pairs not yet verified where the bodies of their ``s`` are; keep those
    that may hold (and the ones verified already)."""
    if not len(df):
        return VERIFIED_META.copy()
    done = df[df["done"].to_numpy(bool)][list(VERIFIED_COLUMNS)]
    df = df[~df["done"].to_numpy(bool)]
    if not len(df):
        return done.reset_index(drop=True)
    r = df["r"].to_numpy(np.int64)
    s = df["s"].to_numpy(np.int64)
    s_part = df["s_part"].to_numpy(np.int64)
    a = _unpack(list(df["r_body"]), r, num_perm)
    loaded = _load_side(work, stage, np.unique(s_part).tolist(), num_perm)
    b = _take(loaded, s_part, s, offsets)
    scores = dup.static_scores(a, b)
    found = df["found"].to_numpy(np.int64)
    ok = dup.possible(scores, found + df["big_w"].to_numpy(np.int64), threshold, contained)
    fresh = pd.DataFrame(
        {
            "r": r[ok],
            "s": s[ok],
            "jac": scores["jac"][ok],
            "inside": scores["inside"][ok],
            "words_r": scores["words_r"][ok],
            "words_s": scores["words_s"][ok],
            "agree": scores["agree"][ok],
            "found": found[ok],
            "small": df["small"].to_numpy(bool)[ok],
            "big": [x for x, keep in zip(df["big"], ok) if keep],
        }
    )
    return pd.concat([done, fresh], ignore_index=True) if len(done) else fresh


def groups_partition(df: pd.DataFrame) -> pd.DataFrame:
    """Exact-digest groups of two or more: each member with the group's first ordinal."""
    if not len(df):
        return pd.DataFrame({"ordinal": pd.Series(dtype=np.int64),
                             "group": pd.Series(dtype=np.int64)})  # fmt: skip
    ordinal = df["ordinal"].to_numpy(np.int64)
    rank = _ranked(ordinal, df["neg"].to_numpy(np.int64))
    group = dup.digest_groups(rank, df["digest"].to_numpy(np.uint64), ordinal)
    keep = group >= 0
    return pd.DataFrame({"ordinal": ordinal[keep], "group": group[keep]})


def counts_partition(
    df: pd.DataFrame, site_totals: Mapping[int, np.ndarray], config: CleanerConfig
) -> pd.DataFrame:
    """The boilerplate keys among counted rows shuffled by (counter, key)."""
    cols: dict[str, list[int]] = {k: [] for k in
            ("counter", "key", "first_doc", "first_segment", "second_doc", "stories", "sites",
             "total")}  # fmt: skip
    for counter in (0, 1):
        rows = df[df["counter"] == counter]
        if not len(rows):
            continue
        table = recurring(
            rows["key"].to_numpy(np.uint64),
            rows["story"].to_numpy(np.int64).astype(np.uint32),
            rows["doc"].to_numpy(np.int64).astype(np.uint32),
            rows["segment"].to_numpy(np.int64).astype(np.uint32),
            rows["site"].to_numpy(np.int64).astype(np.uint32),
            site_totals[counter],
            config.boilerplate_min_docs,
            config.boilerplate_min_share,
        )
        for k, rec in sorted(table.items()):
            cols["counter"].append(counter)
            cols["key"].append(k)
            cols["first_doc"].append(rec.first_doc)
            cols["first_segment"].append(rec.first_segment)
            cols["second_doc"].append(rec.second_doc)
            cols["stories"].append(rec.stories)
            cols["sites"].append(rec.sites)
            cols["total"].append(rec.total)
    return pd.DataFrame(
        {
            "counter": np.array(cols["counter"], np.int8),
            "key": np.array(cols["key"], np.uint64),
            **{k: np.array(v, np.int64) for k, v in cols.items() if k not in ("counter", "key")},
        }
    )


def story_rows(part: int, work: str, sites: np.ndarray) -> pd.DataFrame:
    """The counted rows of one partition with their story and site number."""
    root = Path(work)
    t = pq.read_table(root / "survey" / f"seg-{part:05d}.parquet").to_pandas()
    story = t["doc"].to_numpy(np.int64).copy()
    path = root / "stories" / f"match-{part:05d}.parquet"
    if path.exists() and len(story):
        m = pq.read_table(path).to_pydict()
        if m["ordinal"]:
            mapping = dict(zip(m["ordinal"], m["key"]))
            story = np.array([mapping.get(d, d) for d in story.tolist()], dtype=np.int64)
    return pd.DataFrame(
        {
            "counter": t["counter"].to_numpy(np.int8),
            "key": t["key"].to_numpy(np.uint64),
            "story": story,
            "doc": t["doc"].to_numpy(np.int64),
            "segment": t["segment"].to_numpy(np.int64),
            "site": np.searchsorted(sites, t["site"].to_numpy(np.uint64)).astype(np.int64),
        }
    )


# -- the run (client side) ----------------------------------------------------------------


class DaskCleaner:
    """`Cleaner.clean` on a Dask cluster: same results, in input order, and a summary.

    ``client``: a ``distributed.Client``; ``workdir``: where stages are kept (a folder
    every worker can read and write); ``partitions``: how many pieces the input is cut
    into (any number gives the same output).
    """

    def __init__(
        self,
        config: CleanerConfig | None,
        client: Any,
        workdir: str | Path,
        partitions: int,
        fields: Fields | None = None,
        manifest: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config or CleanerConfig()
        self.client = client
        self.workdir = Path(workdir)
        self.partitions = max(1, partitions)
        self.fields = fields or Fields()
        self.manifest = dict(manifest or {})
        self.summary = Summary()
        self.rounds: dict[str, int] = {}
        self.index = None  # no persistent index on this engine (yet)

    # -- public ------------------------------------------------------------------

    def clean(
        self, records: Iterable[Article | Mapping[str, Any]], *, commit: bool = True
    ) -> Iterator[Result]:
        """One `Result` per article, in input order (its `Article` the one the last
        pass over ``records`` gave). ``records`` is read three times, as a `Corpus` can
        be: to check and fingerprint it (a run of other input never resumes this one's
        stages), to write the input partitions (unless a resumed run has them), and as
        the results are handed out. ``commit``: as `Cleaner.clean`'s (there is no index
        to commit to)."""
        self.summary = Summary()
        if iter(records) is records:
            records = list(records)
        articles = _as_articles(records)
        digest = hashlib.sha256()
        self._count = 0
        for article in articles:
            self._count += 1
            digest.update(json.dumps(_input_row(article, self.config)).encode("utf-8"))
        work = Workdir(self.workdir, {
            "config": self.config.to_dict(), "fields": vars(self.fields),
            "partitions": self.partitions, "input": digest.hexdigest(), **self.manifest,
        })  # fmt: skip
        self.work = work
        info = work.run("input", lambda folder: self._write_input(folder, articles))
        counts = info["counts"]
        self.offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        self.n = int(self.offsets[-1])
        results = self._run(counts)
        for article in articles:
            result, segments = next(results)
            if result.article.id != article.id:
                raise DedupeError("the input changed during the run; run again")
            result.article = article
            self.summary.add(result, segments)
            yield result

    def abort(self) -> None:
        """As `Cleaner.abort`: nothing is left open."""

    # -- stages --------------------------------------------------------------------

    def _write_input(self, folder: Path, records: Iterable[Article]) -> dict[str, Any]:
        n = self._count
        size = max(1, math.ceil(n / self.partitions))
        counts: list[int] = []
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            table = pa.Table.from_pylist(rows, schema=INPUT_SCHEMA)
            pq.write_table(table, folder / f"part-{len(counts):05d}.parquet")
            counts.append(len(rows))
            rows.clear()

        for article in records:
            rows.append(_input_row(article, self.config))
            if len(rows) >= size:
                flush()
        if rows or not counts:
            flush()
        return {"counts": counts}

    def _map(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
        futures = [
            self.client.submit(fn, str(self.workdir), p, int(self.offsets[p]), *args, pure=False,
                               **kwargs)
            for p in range(len(self.offsets) - 1)
        ]  # fmt: skip
        return list(self.client.gather(futures))

    def _run(self, counts: list[int]) -> Iterator[tuple[Result, int]]:
        names, sites_known = self._prepare(counts)
        c = self.config
        nparts = len(counts)
        futures: list[Any] = []
        window = 2 * max(1, len(self.client.nthreads()))
        next_part = 0
        while next_part < nparts or futures:
            while next_part < nparts and len(futures) < window:
                futures.append(
                    self.client.submit(
                        results_task,
                        str(self.workdir),
                        next_part,
                        int(self.offsets[next_part]),
                        c,
                        self.fields,
                        sites_known,
                        names(next_part),
                        pure=False,
                    )  # fmt: skip
                )
                next_part += 1
            yield from futures.pop(0).result()

    def clean_partitions(self, parts: Sequence[Any]) -> list[int]:
        """Clean the records of delayed partitions (lists of dicts) into ``output/``:
        ``records-N.jsonl`` (cleaned records) and ``report-N.jsonl`` for each; the counts."""
        from dask.delayed import delayed

        work = Workdir(self.workdir, {"config": self.config.to_dict(), "fields": vars(self.fields),
                                      **self.manifest})  # fmt: skip
        self.work = work

        def write(folder: Path) -> dict[str, Any]:
            tasks = [
                delayed(write_records)(str(folder), i, part, self.config, self.fields)
                for i, part in enumerate(parts)
            ]
            return {"counts": [int(x) for x in self.client.compute(tasks, sync=True)]}

        counts = work.run("input", write)["counts"]
        self.offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        self.n = int(self.offsets[-1])
        names, sites_known = self._prepare(counts)
        c = self.config
        work.run(
            "output", lambda _: self._map_names(output_task, names, c, self.fields, sites_known)
        )
        return [int(x) for x in counts]

    def _map_names(self, fn: Callable[..., Any], names: Callable[[int], dict[int, Name]],
                   *args: Any) -> list[Any]:  # fmt: skip
        futures = [
            self.client.submit(fn, str(self.workdir), p, int(self.offsets[p]), *args, names(p),
                               pure=False)
            for p in range(len(self.offsets) - 1)
        ]  # fmt: skip
        return list(self.client.gather(futures))

    def _prepare(self, counts: list[int]) -> tuple[Callable[[int], dict[int, Name]], bool]:
        c = self.config
        work = self.work
        nparts = len(counts)
        sites: list[int] = work.run(
            "survey", lambda _: sorted(set().union(*self._map(survey_task, c, self.fields)))
        )
        sites_known = any(s != 0 for s in sites)
        if c.boilerplate and self.n:
            work.run("stories", lambda folder: self._duplicates(
                "survey", folder, c.story_threshold, None))  # fmt: skip
            known = np.array(sorted(set(sites) | {0}), dtype=np.uint64)
            work.run("counts", lambda folder: self._counts(folder, known))
        if c.documents and self.n:
            work.run("decide", lambda _: self._map(decide_task, c, self.fields, sites_known))
            work.run("documents", lambda folder: self._duplicates(
                "decide", folder, c.document_threshold, c.keep == "longest"))  # fmt: skip
        return self._names(nparts), sites_known

    def _spread(self, rows: int) -> int:
        """Partitions for a shuffle of about ``rows`` rows: ROWS_PER_SHUFFLE_PARTITION each
        (fewer tasks on small runs; memory per task bounded on large ones)."""
        return max(1, min(4 * self.partitions, math.ceil(rows / ROWS_PER_SHUFFLE_PARTITION)))

    def _names(self, nparts: int) -> Callable[[int], dict[int, Name]]:
        """For each partition, the ids and sources of the articles its report rows name:
        the first and second articles of every boilerplate key, and the kept copies of its
        dropped articles (each task gets only its own)."""
        common: set[int] = set()
        table = _tables(str(self.workdir), False)
        for rec in list(table.by_site.values()) + list(table.across_sites.values()):
            common.update(x for x in (rec.first_doc, rec.second_doc) if x >= 0)
        matched: dict[int, set[int]] = {}
        folder = self.workdir / "documents"
        for p in range(nparts):
            path = folder / f"match-{p:05d}.parquet"
            if path.exists():
                t = pq.read_table(path, columns=["key", "via"]).to_pydict()
                matched[p] = {o for o in t["key"] + t["via"] if o is not None}
        wanted = common.union(*matched.values())
        by_part: dict[int, list[int]] = {}
        for o in sorted(wanted):
            by_part.setdefault(int(np.searchsorted(self.offsets, o, "right") - 1), []).append(o)
        futures = [
            self.client.submit(names_task, str(self.workdir), p, ordinals, pure=False)
            for p, ordinals in by_part.items()
        ]
        found: dict[int, Name] = {}
        for part in self.client.gather(futures):
            found.update(part)

        def of(part: int) -> dict[int, Name]:
            return {o: found[o] for o in common | matched.get(part, set())}

        return of

    def _counts(self, folder: Path, sites: np.ndarray) -> None:
        """Boilerplate tables: rows by key, stories per site."""
        import dask.dataframe as dd

        nparts = len(self.offsets) - 1
        meta = pd.DataFrame({"counter": pd.Series(dtype=np.int8),
                             "key": pd.Series(dtype=np.uint64),
                             "story": pd.Series(dtype=np.int64), "doc": pd.Series(dtype=np.int64),
                             "segment": pd.Series(dtype=np.int64),
                             "site": pd.Series(dtype=np.int64)})  # fmt: skip
        rows = dd.from_map(story_rows, list(range(nparts)), work=str(self.workdir), sites=sites,
                           meta=meta, enforce_metadata=False)  # fmt: skip
        pairs = rows[["counter", "site", "story"]].drop_duplicates().compute()
        by_site = pairs[pairs["counter"] == 0]
        site_total = np.zeros(len(sites), dtype=np.int64)
        got = by_site.groupby("site").size()
        site_total[got.index.to_numpy(np.int64)] = got.to_numpy(np.int64)
        everything = int(pairs[pairs["counter"] == 1]["story"].nunique())
        totals = {0: site_total, 1: np.full(len(sites), everything, dtype=np.int64)}
        table_meta = counts_partition(meta, totals, self.config)
        out = rows.shuffle(
            on=["counter", "key"], npartitions=self._spread(25 * self.n)
        ).map_partitions(counts_partition, totals, self.config, meta=table_meta)
        out.to_parquet(str(folder), write_index=False)

    def _duplicates(
        self, source: str, folder: Path, threshold: float, longest: bool | None
    ) -> dict[str, Any]:
        """Which bodies of ``source`` (stage) duplicate a kept one: ``match-*.parquet``."""
        import dask.dataframe as dd

        c = self.config
        work = str(self.workdir)
        nparts = len(self.offsets) - 1
        bodies = [f"{work}/{source}/bodies-{p:05d}.parquet" for p in range(nparts)]
        keys = [f"{work}/{source}/keys-{p:05d}.parquet" for p in range(nparts)]
        meta_cols = ["ordinal", "neg", "eligible", "digest"]
        head = pa.concat_tables(pq.read_table(f, columns=meta_cols) for f in bodies).to_pandas()
        heads = dd.from_pandas(head, npartitions=self._spread(self.n), sort=False)
        ordinal = head["ordinal"].to_numpy(np.int64)
        neg = np.zeros(self.n, np.int64)
        neg[ordinal] = head["neg"].to_numpy(np.int64)
        eligible = np.zeros(self.n, bool)
        eligible[ordinal] = head["eligible"].to_numpy(bool)
        order = np.lexsort((np.arange(self.n), neg)) if longest else np.arange(self.n)
        rank_of = np.empty(self.n, np.int64)
        rank_of[order] = np.arange(self.n)
        # exact repeats
        multi = heads[heads["digest"] != 0]
        grouped = (
            multi.shuffle(on="digest", npartitions=self._spread(self.n))
            .map_partitions(groups_partition, meta=groups_partition(head.iloc[:0]))
            .compute()
        )
        group = np.full(self.n, -1, np.int64)
        group[grouped["ordinal"].to_numpy(np.int64)] = grouped["group"].to_numpy(np.int64)
        # buckets
        bucket_dir = folder / "buckets"
        dd.read_parquet(keys).shuffle(
            on=["kind", "key"], npartitions=self._spread(48 * self.n)
        ).map_partitions(bucket_partition, meta=BUCKET_META).to_parquet(
            str(bucket_dir), write_index=False
        )
        crowded_rows = pd.read_parquet(bucket_dir, filters=[("crowded", "==", True)])
        small_pairs = dd.read_parquet(str(bucket_dir), filters=[("crowded", "==", False)])
        small_pairs = small_pairs[~small_pairs["crowded"]]
        offsets = self.offsets
        extras: dict[int, set[int]] = {}
        follower = (group >= 0) & (group != np.arange(self.n))
        full: set[int] = set()  # exact-repeat groups paired in full
        rounds = 0
        while True:
            rounds += 1
            crowded, prefixes = self._crowded(crowded_rows, rank_of, group, extras)
            partial = follower & ~np.isin(group, np.fromiter(full, np.int64, len(full)))
            queries = crowded_rows[~partial[crowded_rows["r"].to_numpy(np.int64)]]
            round_dir = folder / f"round-{rounds}"
            round_dir.mkdir()
            self._write_round(round_dir, source, queries, prefixes)
            pairs = small_pairs.map_partitions(small_partition, offsets, meta=PAIR_META)
            by_part = pairs.set_index("r_part", divisions=list(range(nparts + 1)), sort=True)
            gather_meta = _side_meta()
            gathered = by_part.map_partitions(
                gather_partition, work, source, str(round_dir), offsets, c.num_perm, threshold,
                c.document_containment, meta=gather_meta,
            )  # fmt: skip
            verified = (
                gathered.shuffle(on="s_part", npartitions=self._spread(8 * self.n))
                .map_partitions(verify_partition, work, source, offsets, c.num_perm, threshold,
                                c.document_containment, meta=VERIFIED_META)
                .compute()
            )  # fmt: skip
            found = _pairs(verified, rank_of)
            try:
                decisions = list(dup.decide(order, eligible, group, found, crowded, threshold,
                                            c.document_containment, partial))  # fmt: skip
                break
            except dup.Violation as violation:
                for k, firsts in violation.firsts.items():
                    key = crowded.keys[k]
                    extras.setdefault(hash_key(key), set()).update(firsts)
                full |= violation.groups
        self.rounds[source] = rounds
        self._write_matches(folder, decisions)
        return {"rounds": rounds}

    def _write_round(
        self, folder: Path, source: str, queries: pd.DataFrame,
        prefixes: Mapping[tuple[int, int], tuple[int, np.ndarray, np.ndarray]],
    ) -> None:  # fmt: skip
        """A round's `CrowdedRound` files: the crowded rows by partition, the prefixes and
        the prefix bodies (fetched from their partitions)."""
        if not prefixes:
            return
        kidx_of = pd.DataFrame(
            {
                "kind": np.array([k[0] for k in prefixes], np.int8),
                "key": np.array([k[1] for k in prefixes], np.uint64),
                "kidx": np.array([v[0] for v in prefixes.values()], np.int64),
            }
        )
        q = queries[["kind", "key", "r", "w", "neg"]].merge(kidx_of, on=["kind", "key"])
        r = q["r"].to_numpy(np.int64)
        part = np.searchsorted(self.offsets, r, "right") - 1
        for p in np.unique(part).tolist():
            rows = q[part == p]
            _write(
                str(folder / f"queries-{p:05d}.parquet"),
                {k: rows[k].to_numpy(np.int64) for k in ("r", "w", "kidx", "neg")},
                QUERY_SCHEMA,
            )
        kidx = np.concatenate([np.full(len(v[1]), v[0], np.int64) for v in prefixes.values()])
        by_key = np.argsort(kidx, kind="stable")  # sorted in small row groups: see `prefixes`
        _write(
            str(folder / "prefix.parquet"),
            {
                "kidx": kidx[by_key],
                "s": np.concatenate([v[1] for v in prefixes.values()]).astype(np.int64)[by_key],
                "neg": np.concatenate([v[2] for v in prefixes.values()]).astype(np.int64)[by_key],
            },
            PREFIX_SCHEMA,
            PREFIX_GROUP,
        )
        wanted = np.unique(np.concatenate([v[1] for v in prefixes.values()]).astype(np.int64))
        owner = np.searchsorted(self.offsets, wanted, "right") - 1
        futures = [
            self.client.submit(bodies_task, str(self.workdir), source, p,
                               int(self.offsets[p]), wanted[owner == p].tolist(),
                               self.config.num_perm, pure=False)
            for p in np.unique(owner).tolist()
        ]  # fmt: skip
        packed = [row for rows in self.client.gather(futures) for row in rows]
        table = pa.Table.from_pydict({"ordinal": wanted, "body": packed},
                                     schema=PREFIX_BODY_SCHEMA)  # fmt: skip
        pq.write_table(table, folder / "prefix-bodies.parquet", row_group_size=PREFIX_GROUP)

    def _crowded(
        self, rows: pd.DataFrame, rank_of: np.ndarray, group: np.ndarray,
        extras: Mapping[int, set[int]],
    ) -> tuple[dup.Crowded, dict[tuple[int, int], tuple[int, np.ndarray, np.ndarray]]]:  # fmt: skip
        """The crowded keys' entries in processing order, and each key's guessed prefix."""
        entries = rows[rows["entries"] > 0]
        if not len(entries):
            z = np.empty(0, np.int64)
            return dup.Crowded([], z, z, z, np.empty(0, bool)), {}
        kind = entries["kind"].to_numpy(np.int64)
        key = entries["key"].to_numpy(np.uint64)
        ordinal = entries["r"].to_numpy(np.int64)
        count = entries["entries"].to_numpy(np.int64)
        neg = entries["neg"].to_numpy(np.int64)
        rank = rank_of[ordinal]
        order = np.lexsort((rank, key, kind))
        kind, key, ordinal, count, neg, rank = (
            a[order] for a in (kind, key, ordinal, count, neg, rank)
        )
        new = np.r_[True, (key[1:] != key[:-1]) | (kind[1:] != kind[:-1])]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], len(key)]
        kidx = np.cumsum(new) - 1
        keys = [(int(kind[s]), int(key[s])) for s in starts]
        follower = (group[ordinal] >= 0) & (group[ordinal] != ordinal)
        guessed = np.zeros(len(key), bool)
        prefixes: dict[tuple[int, int], tuple[int, np.ndarray, np.ndarray]] = {}
        for i, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist())):
            g = dup.prefix(rank[lo:hi], count[lo:hi], follower[lo:hi])
            extra = extras.get(hash_key(keys[i]))
            if extra:
                g |= np.isin(ordinal[lo:hi], np.fromiter(extra, np.int64))
            guessed[lo:hi] = g
            prefixes[keys[i]] = (i, ordinal[lo:hi][g], neg[lo:hi][g])
        back = np.argsort(rank, kind="stable")
        crowded = dup.Crowded(keys, rank[back], kidx[back], count[back], guessed[back])
        return crowded, prefixes

    def _write_matches(self, folder: Path, decisions: list[tuple[int, Match | None]]) -> None:
        dropped = sorted((o, m) for o, m in decisions if m is not None)
        ordinals = np.array([o for o, _ in dropped], dtype=np.int64)
        for p in range(len(self.offsets) - 1):
            lo, hi = np.searchsorted(ordinals, [self.offsets[p], self.offsets[p + 1]])
            mine = dropped[lo:hi]
            _write(
                str(folder / f"match-{p:05d}.parquet"),
                {
                    "ordinal": [o for o, _ in mine],
                    "key": [m.key for _, m in mine],
                    "similarity": [m.similarity for _, m in mine],
                    "containment": [m.containment for _, m in mine],
                    "exact": [m.exact for _, m in mine],
                    "via": [m.via for _, m in mine],
                },
                MATCH_SCHEMA,
            )


def hash_key(key: tuple[int, int]) -> int:
    return key[0] << 64 | key[1]


def _pairs(verified: pd.DataFrame, rank_of: np.ndarray) -> dup.Pairs:
    """The verified pairs as `duplicates.Pairs`, sorted by the rank of r (then s)."""
    r = verified["r"].to_numpy(np.int64)
    s = verified["s"].to_numpy(np.int64)
    order = np.lexsort((s, rank_of[r])) if len(r) else np.empty(0, np.int64)
    big = [verified["big"].iloc[i] for i in order.tolist()]
    pair_idx: list[int] = []
    keys: list[int] = []
    ws: list[int] = []
    for i, data in enumerate(big):
        if data:
            values = np.frombuffer(data, dtype=np.int64).reshape(-1, 2)
            pair_idx += [i] * len(values)
            keys += values[:, 0].tolist()
            ws += values[:, 1].tolist()
    return dup.Pairs(
        r_rank=rank_of[r][order],
        s=s[order],
        jac=verified["jac"].to_numpy(np.float64)[order],
        inside=verified["inside"].to_numpy(np.float64)[order],
        words_r=verified["words_r"].to_numpy(np.int64)[order],
        words_s=verified["words_s"].to_numpy(np.int64)[order],
        agree=verified["agree"].to_numpy(bool)[order],
        found=verified["found"].to_numpy(np.int64)[order],
        small=verified["small"].to_numpy(bool)[order],
        big_pair=np.array(pair_idx, np.int64),
        big_key=np.array(keys, np.int64),
        big_w=np.array(ws, np.int64),
    )


class _as_articles:
    """Records (articles or mappings) as articles, iterable again."""

    def __init__(self, records: Iterable[Article | Mapping[str, Any]]) -> None:
        self.records = records

    def __iter__(self) -> Iterator[Article]:
        for r in self.records:
            yield r if isinstance(r, Article) else Article.from_dict(r)


def _input_row(article: Article, config: CleanerConfig) -> dict[str, Any]:
    light = _light(article, config)
    source = article.source
    return {
        "path": source.path if source is not None else None,
        "line": source.line if source is not None else None,
        "id": light.id,
        "text": light.text,
        "title": light.title,
        "extra": json.dumps(light.extra, ensure_ascii=False, sort_keys=True),
        "record": None,
    }


def input_signature(paths: Sequence[str]) -> list[Any]:
    """What identifies the inputs of a run for resuming: each file's path, size and time."""
    out: list[Any] = []
    for p in paths:
        if p == "-":
            out.append(["-", None])
            continue
        try:
            st = os.stat(p)
            out.append([p, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([p, None])
    return out


def digest_of(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def temporary_workdir() -> str:
    return tempfile.mkdtemp(prefix="dedupe-dask-")
