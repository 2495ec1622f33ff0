"""The persistent index with real parts: SQLite files on disk and a real redis-server.

A run killed with SIGKILL leaves the index as it was; concurrent runs serialise and leave
the index some serial order of them would; the scheme is checked; an index moves between
SQLite and Redis through export and import; the window forgets; the CLI says what it did."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from dedupe import Cleaner, CleanerConfig
from dedupe.cli import cli
from dedupe.indexed import Daily, day_number
from dedupe.store import Changes, MemoryStore, SchemeError, Store, open_store

from .daily_corpus import CONFIG, Record, daily, date, removals, story

ROOT = Path(__file__).resolve().parents[1]


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told otherwise
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def invoke(*args: object, stdin: bytes | None = None) -> Result:
    return _runner().invoke(cli, [str(a) for a in args], input=stdin)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def write_jsonl(path: Path, records: list[Record]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def snapshot(store: Store) -> list[Any]:
    """Everything an index holds that a run writes, without the runs' clock times."""
    meta = {k: v for k, v in store.meta().items() if k not in ("updated", "created")}
    rows: list[Any] = [("meta", sorted(meta.items()))]
    for table in ("articles", "counts", "across", "sites"):
        rows += [(table, k, v) for k, v in store.items(table)]
    for k, v in store.items("runs"):
        run = json.loads(v)
        rows.append(("runs", k, {x: y for x, y in run.items() if x not in ("started", "finished")}))
    for table in ("bands", "anchors", "exact", "stories", "days"):
        keys = np.array([int(r[1]) for r in rows if r[0] == "articles"], np.uint64)
        rows.append((table, _all_pairs(store, table, keys)))
    return rows


def _all_pairs(store: Store, table: str, articles: np.ndarray) -> list[tuple[int, int]]:
    """The multimap's pairs reachable from the articles' own keys."""
    from dedupe.index import band_keys
    from dedupe.store.codec import Record as Rec

    keys: list[int] = []
    for _, value in store.items("articles"):
        rec = Rec.unpack(value, 128)
        keys += {
            "bands": band_keys(rec.body.signature[None, :], 42, 3).ravel().tolist()
            if rec.body is not None
            else [],
            "anchors": rec.anchors.tolist(),
            "exact": [rec.exact] if rec.exact is not None else [],
            "stories": [rec.story],
            "days": [rec.day],
        }[table]
    arr = np.unique(np.array(keys, dtype=np.uint64))
    pos, ns = store.lookup(table, arr, 1 << 30)
    return sorted(zip(arr[pos].tolist(), ns.tolist()))


def _days(tmp_path: Path, days: list[list[Record]], copies: int = 1) -> list[Path]:
    out = []
    for d, records in enumerate(days):
        many = [
            {**r, "id": f"{r['id']}~{c}" if c else r["id"]} for c in range(copies) for r in records
        ]
        out.append(write_jsonl(tmp_path / f"day{d}.jsonl", many))
    return out


def _busy(target: str) -> bool:
    """Whether a run holds the index's writer lock."""
    store = open_store(target)
    try:
        if store._try_lock():
            store.unlock()
            return False
        return True
    finally:
        store.close()


def _clean_args(day_file: Path, index: str, d: int, out: Path) -> list[str]:
    return [
        "clean", str(day_file), "-o", str(out), "--index", index, "--site-field", "site",
        "--run-date", date(d).isoformat(), "-j", "1", "--force",
    ]  # fmt: skip


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "dedupe", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "sqlite-tombstones", "redis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-tombstones":  # folded once, at the first commit: later
        from dedupe.store import sqlite  # deletions are tombstones over the large tables

        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(sqlite, "MERGE_MIN_ROWS", 0)
        monkeypatch.setattr(sqlite, "MERGE_SHARE", 2.0)
    if request.param.startswith("sqlite"):
        return str(tmp_path / "index.db")
    url: str = request.getfixturevalue("redis_url")
    return url


# -- the stores ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "merge",
    [(1 << 60, 1.0), (0, 0.0), (0, 0.125)],
    ids=["recent-twins-only", "merged-at-every-commit", "merged-once-then-recent"],
)
def test_the_stores_answer_alike(
    tmp_path: Path, redis_url: str, merge: tuple[int, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQLite store answers alike whether its rows are in the large tables, in their
    recent twins, or in both (a value replaced, a pair removed after the fold)."""
    from dedupe.store import sqlite

    monkeypatch.setattr(sqlite, "MERGE_MIN_ROWS", merge[0])
    monkeypatch.setattr(sqlite, "MERGE_SHARE", merge[1])
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**64, 300, dtype=np.uint64)
    ns = rng.integers(0, 5000, 300, dtype=np.uint64)
    repeated = np.repeat(keys[:5], 80)  # big buckets: the smallest numbers first
    many = rng.permutation(np.arange(400, dtype=np.uint64))
    query = np.r_[keys[::3], keys[:5], np.uint64(12345)]

    def answer(store: Store) -> tuple[Any, ...]:
        pos, found = store.lookup("bands", query, 64)
        counts = store.get("counts", keys[:60].tolist())
        return store.meta(), pos.tolist(), found.tolist(), counts, list(store.items("counts"))

    answers = []
    for store in (MemoryStore(), open_store(tmp_path / "s.db"), open_store(redis_url)):
        store.lock()
        ch = Changes(meta={"x": "1"})
        ch.link("bands", np.r_[keys, repeated], np.r_[ns, many])
        for k, v in zip(keys[:50].tolist(), ns[:50].tolist()):
            ch.set("counts", k, f"v{v}".encode())
        store.commit(ch)
        store.lock()
        ch = Changes()
        ch.unlink("bands", keys[:10], ns[:10])
        ch.drop("counts", int(keys[0]))
        for k in keys[5:8].tolist():
            ch.set("counts", k, b"replaced")
        ch.link("bands", keys[20:40], ns[20:40] + np.uint64(7))
        store.commit(ch)
        if isinstance(store, sqlite.SQLiteStore):
            assert store.count("bands") == 300 + 400 - 10 + 20
            assert store.count("counts") == 49
        answers.append(answer(store))
        if isinstance(store, sqlite.SQLiteStore):  # folding (tombstones too) changes nothing
            store.fold()
            assert answer(store) == answers[-1]
            assert store.count("bands") == 300 + 400 - 10 + 20
        store.close()
    assert answers[0] == answers[1] == answers[2]
    pos, found = answers[0][1], answers[0][2]
    per_key = [n for p, n in zip(pos, found) if p == len(keys[::3])]  # keys[0], a big bucket
    assert len(per_key) == 64 and per_key == sorted(per_key)


def test_an_sqlite_index_of_an_earlier_layout_is_upgraded_when_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files without tombstones (and without recent twins) get them when opened for
    writing, and answer as before."""
    import sqlite3

    from dedupe.store import sqlite

    monkeypatch.setattr(sqlite, "MERGE_MIN_ROWS", 0)
    monkeypatch.setattr(sqlite, "MERGE_SHARE", 2.0)  # folded at the first commit only
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**64, 100, dtype=np.uint64)
    for earlier in ("_gone", "_recent"):
        path = tmp_path / f"{earlier}.db"
        store = open_store(path)
        for part in (keys[:50], keys[50:]):  # the first half folded, the second recent
            store.lock()
            ch = Changes(meta={"x": "1"})
            ch.link("bands", part, np.arange(len(part)))
            store.commit(ch)
        want = store.lookup("bands", keys, 10)
        store.close()
        with sqlite3.connect(path) as db:
            if earlier == "_recent":  # the oldest layout: fold the twins in by hand
                for t in sqlite._TABLES:
                    db.execute(f"INSERT OR IGNORE INTO {t} SELECT * FROM {t}_recent")
            for t in sqlite._TABLES:
                for suffix in ("_gone", earlier):
                    db.execute(f"DROP TABLE IF EXISTS {t}{suffix}")
        store = open_store(path)
        got = store.lookup("bands", keys, 10)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
        store.lock()
        ch = Changes()
        ch.unlink("bands", keys[::2], np.r_[np.arange(50), np.arange(50)][::2])
        store.commit(ch)
        assert store.count("bands") == 50
        store.close()


def test_a_redis_index_of_the_first_layout_is_converted_when_opened(redis_url: str) -> None:
    """An index written in the first layout (a sorted set per multimap bucket, a member
    per key and article number; small tables in buckets) answers like a new one once
    opened, and is converted only once."""
    import redis

    from dedupe.store.redis import RedisStore

    rng = np.random.default_rng(4)
    keys = np.r_[rng.integers(0, 2**64, 200, dtype=np.uint64), np.repeat(np.uint64(77), 30)]
    ns = rng.integers(0, 2**32, len(keys), dtype=np.uint64)
    prefix = redis_url.split("prefix=")[1].split("&")[0] + ":"
    server = redis.Redis.from_url(redis_url.split("?")[0])
    server.hset(prefix + "meta", mapping={"x": "1"})
    for k, n in zip(keys.tolist(), ns.tolist()):
        member = k.to_bytes(8, "big") + n.to_bytes(4, "big")
        server.zadd(f"{prefix}anchors:{k & 0xFFFF}", {member: 0})
    sites = {3: b"a.example", 70000: b"b.example"}  # a small table: one hash now
    for k, v in sites.items():
        server.hset(f"{prefix}sites:{k & 0xFFFF}", k.to_bytes(8, "big"), v)
    expected = MemoryStore()
    expected.lock()
    ch = Changes(meta={"x": "1"})
    ch.link("anchors", keys, ns)
    expected.commit(ch)
    query = np.r_[keys[::2], np.uint64(77), np.uint64(5)]
    store = RedisStore(redis_url)
    assert server.get(prefix + "layout") == b"2"
    assert server.type(f"{prefix}anchors:77") == b"hash"
    assert list(store.items("sites")) == sorted(sites.items())
    assert store.get("sites", [70000, 4]) == [b"b.example", None]
    assert not server.exists(f"{prefix}sites:3")
    for limit in (1, 10, 1000):
        got, want = store.lookup("anchors", query, limit), expected.lookup("anchors", query, limit)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    store.close()
    server.zadd(f"{prefix}anchors:1", {b"x" * 12: 0})  # not converted again
    RedisStore(redis_url).close()
    assert server.type(f"{prefix}anchors:1") == b"zset"


def test_an_index_refuses_other_fingerprint_settings(
    days: list[list[Record]], tmp_path: Path
) -> None:
    index = tmp_path / "i.db"
    ok(invoke(*_clean_args(_days(tmp_path, days[:1])[0], str(index), 0, tmp_path / "o")))
    result = invoke(*_clean_args(tmp_path / "day0.jsonl", str(index), 1, tmp_path / "o2"),
                    "--seed", "7")  # fmt: skip
    assert result.exit_code == 1
    assert "seed=1" in result.stderr and "seed=7" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    with pytest.raises(SchemeError, match="num_perm"):
        list(Cleaner(CleanerConfig(num_perm=64, lsh_bands=21), index=str(index)).clean(days[0]))


def test_a_file_that_is_no_index_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n" * 100)
    (tmp_path / "a.txt").write_text("Some words here.\n")
    result = invoke("clean", tmp_path / "a.txt", "-o", tmp_path / "o", "--index", bad)
    assert result.exit_code == 1 and "notes.txt" in result.stderr
    assert bad.read_text() == "not a database\n" * 100


# -- failures and concurrency --------------------------------------------------------------


def test_a_killed_run_leaves_the_index_as_it_was(
    days: list[list[Record]], tmp_path: Path, target: str
) -> None:
    files = _days(tmp_path, days, copies=40)  # a run of several seconds
    ok(invoke(*_clean_args(write_jsonl(tmp_path / "first.jsonl", days[0]), target, 0,
                           tmp_path / "o0")))  # fmt: skip
    before = snapshot(open_store(target))
    process = _spawn(_clean_args(files[1], target, 1, tmp_path / "o1"))
    deadline = time.monotonic() + 60
    while not _busy(target):  # wait until the run holds the index ...
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    time.sleep(0.5)  # ... and is into it
    assert _busy(target) and process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = open_store(target)
    assert snapshot(store) == before
    if target.endswith(".db"):
        db = __import__("sqlite3").connect(target)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
    store.close()
    # the next run takes the lock (SQLite's is gone with the process; Redis's expires)
    result = ok(invoke(*_clean_args(write_jsonl(tmp_path / "small.jsonl", days[1][:20]),
                                    target, 1, tmp_path / "o2")))  # fmt: skip
    assert "committed" in result.stderr


def test_an_interrupted_or_failing_run_commits_nothing(
    days: list[list[Record]], tmp_path: Path, target: str
) -> None:
    ok(invoke(*_clean_args(_days(tmp_path, days[:1])[0], target, 0, tmp_path / "o0")))
    before = snapshot(open_store(target))
    bad = write_jsonl(tmp_path / "bad.jsonl", days[1][:30])
    with bad.open("a") as fh:
        fh.write("{not json\n")
    result = invoke(*_clean_args(bad, target, 1, tmp_path / "o1"))
    assert result.exit_code == 1 and "bad.jsonl:31" in result.stderr
    cleaner = Cleaner(CONFIG, index=target, daily=daily(1))
    results = cleaner.clean(days[1])
    next(results)
    results.close()  # the consumer stopped early
    dry = invoke(*_clean_args(tmp_path / "day0.jsonl", target, 1, tmp_path / "o2"), "--dry-run")
    assert "unchanged (dry run)" in ok(dry).stderr
    assert snapshot(open_store(target)) == before


def _order(store: Store, files: list[Path]) -> list[int]:
    """Which day file each run of the index cleaned, in the order they committed."""
    owner = {json.loads(line)["id"]: d for d, f in enumerate(files) for line in f.open()}
    starts = sorted((json.loads(v)["first"], json.loads(v)["next"]) for _, v in store.items("runs"))
    records = dict(store.items("articles"))
    order = []
    for first, stop in starts:
        n = next(n for n in range(first, stop) if n in records)
        from dedupe.store.codec import Record as Rec

        order.append(owner[Rec.unpack(records[n], 128).id])
    return order


def _concurrent(
    tmp_path: Path, days: list[list[Record]], target: str, fresh: str, k: int, copies: int
) -> None:
    files = _days(tmp_path, days[: k + 1], copies=copies)
    ok(invoke(*_clean_args(files[0], target, 0, tmp_path / "o0")))
    runs = [_spawn(_clean_args(files[d], target, d, tmp_path / f"o{d}")) for d in range(1, k + 1)]
    outcomes = [(*p.communicate(), p.returncode) for p in runs]
    assert all(code == 0 for _, _, code in outcomes), outcomes
    waited = sum(b"waiting for the index" in err for _, err, _ in outcomes)
    assert waited >= 1  # they did run at the same time
    store = open_store(target)
    order = _order(store, files)
    assert sorted(order) == list(range(k + 1))
    # replayed one after the other in that order, the index is the same
    for d in order:
        ok(invoke(*_clean_args(files[d], fresh, d, tmp_path / f"r{d}")))
    replay = open_store(fresh)
    assert snapshot(store) == snapshot(replay)
    store.close()
    replay.close()


def test_two_concurrent_runs_on_sqlite_serialise(days: list[list[Record]], tmp_path: Path) -> None:
    _concurrent(tmp_path, days, str(tmp_path / "i.db"), str(tmp_path / "serial.db"), 2, 2)


def test_four_concurrent_writers_on_redis_leave_a_serial_order(
    days: list[list[Record]], tmp_path: Path, redis_url: str
) -> None:
    _concurrent(tmp_path, days, redis_url, redis_url.replace("prefix=", "prefix=serial-"), 4, 1)


# -- moving, forgetting, looking ---------------------------------------------------------


def test_export_and_import_move_an_index_between_stores(
    days: list[list[Record]], tmp_path: Path, redis_url: str
) -> None:
    sqlite_at = str(tmp_path / "a.db")
    for d in range(2):
        list(Cleaner(CONFIG, index=sqlite_at, daily=daily(d)).clean(days[d]))
    ok(invoke("index", "export", sqlite_at, tmp_path / "a.jsonl"))
    ok(invoke("index", "import", tmp_path / "a.jsonl", redis_url))
    ok(invoke("index", "export", redis_url, tmp_path / "b.parquet"))
    ok(invoke("index", "import", tmp_path / "b.parquet", tmp_path / "c.db"))
    stores = [open_store(sqlite_at), open_store(redis_url), open_store(tmp_path / "c.db")]
    shots = [snapshot(s) for s in stores]
    assert shots[0] == shots[1] == shots[2]
    # and the next day is cleaned the same against each
    outcomes = [removals(Cleaner(CONFIG, index=s, daily=daily(2)).clean(days[2])) for s in stores]
    assert outcomes[0] == outcomes[1] == outcomes[2]
    again = invoke("index", "import", tmp_path / "a.jsonl", tmp_path / "c.db")
    assert again.exit_code == 1 and "not empty" in again.stderr


def test_the_window_forgets_articles_and_counts(tmp_path: Path, target: str) -> None:
    footer = "Read more stories from the Valley Herald every day."
    first = [{"id": f"a{i}", "site": "vh", "text": story(i) + "\n\n" + footer} for i in range(6)]
    later = [{"id": "copy", "site": "vh", "text": story(0)},
             {"id": "new", "site": "vh", "text": story(50) + "\n\n" + footer}]  # fmt: skip
    config = CleanerConfig(site_field="site")
    list(Cleaner(config, index=target, daily=Daily(run_date=date(0))).clean(first))
    # 10 days later with a 30-day window: the copy is dropped, the footer removed
    cleaner = Cleaner(config, index=target, daily=Daily(window=30, run_date=date(10)))
    near = {r.article.id: r for r in cleaner.clean(later, commit=False)}
    cleaner.abort()  # not committed: the index keeps none of it
    assert near["copy"].dropped and footer not in near["new"].text
    # 40 days later: both forgotten
    far = {r.article.id: r for r in Cleaner(config, index=target, daily=Daily(
        window=30, run_date=date(40))).clean(later)}  # fmt: skip
    assert not far["copy"].dropped and footer in far["new"].text
    result = ok(invoke("index", "stats", target, "--json"))
    found = json.loads(result.stdout)
    assert found["articles"] == 2 and found["first_day"] == date(40).isoformat()
    assert [r["forgotten"] for r in found["runs"]] == [0, 6]


def test_prune_and_stats_from_the_command_line(days: list[list[Record]], tmp_path: Path) -> None:
    index = str(tmp_path / "i.db")
    files = _days(tmp_path, days[:3])
    for d in range(3):
        ok(invoke(*_clean_args(files[d], index, d * 20, tmp_path / f"o{d}")))
    text = ok(invoke("index", "stats", index)).stdout
    assert "runs: 3" in text and "most removed boilerplate:" in text
    assert f"dates: {date(0).isoformat()} to {date(40).isoformat()}" in text
    pruned = ok(invoke("index", "prune", index, "--window", "2w", "--date", date(40).isoformat(),
                       "--vacuum"))  # fmt: skip
    kept = sum(1 for r in days[2])
    assert "forgot" in pruned.stderr
    after = json.loads(ok(invoke("index", "stats", index, "--json")).stdout)
    assert after["first_day"] == date(40).isoformat() and after["articles"] <= kept


def test_stream_on_the_command_line(days: list[list[Record]], tmp_path: Path) -> None:
    index = str(tmp_path / "i.db")
    data = "".join(json.dumps(r) + "\n" for r in days[0]).encode()
    result = ok(invoke("clean", "-", "-o", "-", "--index", index, "--stream", "--site-field",
                       "site", "--checkpoint", "25", "--report", tmp_path / "r.jsonl",
                       stdin=data))  # fmt: skip
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    streamed = removals(Cleaner(CONFIG).stream(days[0], checkpoint_records=None))
    assert [x["id"] for x in lines] == [k for k, v in streamed.items() if not v[1]]
    assert all(x["text"] == streamed[x["id"]][0] for x in lines)
    commits = -(-len(days[0]) // 25)
    assert f"{commits} checkpoints committed" in result.stderr
    assert len(list(open_store(index).items("runs"))) == commits
    refused = invoke("clean", "-", "-o", tmp_path / "out", "--index", index, "--stream")
    assert refused.exit_code == 2 and "-o -" in refused.stderr
    assert invoke("clean", "-", "-o", "-", "--stream").exit_code == 2  # needs --index


def test_dates_come_from_the_date_field() -> None:
    assert day_number("2024-03-01") == day_number("2024-03-01T23:59:59Z")
    assert day_number("2024-03-01T23:30:00-02:00") == day_number("2024-03-02")
    assert day_number(86400 * 3) == 3
    assert day_number("March 1") is None and day_number(None) is None


# -- the format of the packed values ------------------------------------------------------

FORMAT1 = ROOT / "tests" / "fixtures" / "index_format1"


def test_records_and_counts_round_trip_in_the_compact_format() -> None:
    from dedupe.store.codec import Body, Count, Record, RecordFlag

    rng = np.random.default_rng(4)
    for trial in range(200):
        n_keys = int(rng.integers(0, 30))  # odd counts too: flags are packed two to a byte
        body = None
        if trial % 3:
            body = Body(
                rng.integers(0, 2**32, 128, dtype=np.uint32), int(rng.integers(0, 2**31)),
                int(rng.integers(0, 2**31)), rng.integers(0, 2**32, 16, dtype=np.uint32),
                int(rng.integers(0, 2**31)), bool(trial % 2),
            )  # fmt: skip
        record = Record(
            f"id-{trial}-é", int(rng.integers(0, 2**32)), int(rng.integers(-(2**31), 2**31)),
            int(rng.integers(0, 2**32)), int(rng.integers(0, 2**32)), int(rng.integers(0, 2**32)),
            RecordFlag(int(rng.integers(0, 8))),
            int(rng.integers(0, 2**63)) if body is not None or trial % 5 else None, body,
            rng.integers(0, 2**63, int(rng.integers(0, 7)), dtype=np.uint64),
            rng.integers(0, 2**63, n_keys, dtype=np.uint64), rng.integers(0, 8, n_keys, np.uint8),
        )  # fmt: skip
        back = Record.unpack(record.pack(), 128)
        head = ("id", "run", "day", "site", "story", "rep", "flags", "exact")
        assert [getattr(back, f) for f in head] == [getattr(record, f) for f in head]
        for f in ("anchors", "keys", "key_flags"):
            assert getattr(back, f).tolist() == getattr(record, f).tolist()
        assert (back.body is None) == (body is None)
        if body is not None and back.body is not None:
            assert back.body.signature.tolist() == body.signature.tolist()
            assert back.body.figure_sig.tolist() == body.figure_sig.tolist()
            got = (back.body.size, back.body.words, back.body.figure_count, back.body.tabular)
            assert got == (body.size, body.words, body.figure_count, body.tabular)
    for stories, first, segment, sites in [
        (1, 0, 0, []), (255, 256, 65_535, [1]), (256, 65_536, 65_536, [300, 2]),
        (2**32 - 1, 0xFFFFFFFF, 3, [70_000, 1, 5]),
    ]:  # fmt: skip
        count = Count(stories, first, segment, sites)
        assert Count.unpack(count.pack()) == count
    assert len(Count(1, 70_000, 2, [3]).pack()) == 1 + 1 + 4 + 1 + 1  # tag, fields, a site


def _format1_index(path: Path) -> Store:
    """An SQLite index holding the values of the format-1 export as they are."""
    store = open_store(path)
    changes = Changes()
    for line in (FORMAT1 / "export.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["table"] == "meta":
            changes.meta.update(json.loads(row["value"]))
        else:
            import base64

            changes.set(row["table"], int(row["key"]), base64.b64decode(row["value"]))
    store.lock()
    store.commit(changes)
    return store


def test_an_index_of_the_old_format_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    _format1_index(tmp_path / "old.db").close()
    result = invoke("clean", FORMAT1 / "input.jsonl", "-o", tmp_path / "out", "--index",
                    tmp_path / "old.db", "--site-field", "site")  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert "format 1" in message and "dedupe index export" in message, message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    # stats still read it
    stats = json.loads(ok(invoke("index", "stats", tmp_path / "old.db", "--json")).stdout)
    assert stats["articles"] == 33 and stats["scheme"]["format"] == 1


def test_importing_an_old_export_converts_it(tmp_path: Path) -> None:
    """The export of a format-1 index, imported, is exactly the index this version writes for
    the same run."""
    ok(invoke("index", "import", FORMAT1 / "export.jsonl", tmp_path / "converted.db"))
    ok(invoke("clean", FORMAT1 / "input.jsonl", "-o", tmp_path / "out", "--index",
              tmp_path / "fresh.db", "--site-field", "site", "--run-date", "2024-03-01",
              "-j", "1"))  # fmt: skip
    converted, fresh = open_store(tmp_path / "converted.db"), open_store(tmp_path / "fresh.db")
    try:
        assert snapshot(converted) == snapshot(fresh)
        assert json.loads(converted.meta()["scheme"])["format"] == 2
    finally:
        converted.close()
        fresh.close()
