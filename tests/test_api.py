"""The Python API in a pipeline: one-shot iterators spooled to disk between the passes,
ids that keep their type, ``on_error`` with record positions, jobs, progress."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from dedupe import Article, Cleaner, CleanerConfig, ConfigError, DedupeError, InputError
from dedupe.cli import cli
from dedupe.index import Bodies
from dedupe.io import Corpus, discover
from dedupe.parallel import default_jobs
from dedupe.spool import BodySpool, RecordSpool

from .data import bbc_articles

BOILERPLATE = "Share this story on Facebook, Twitter and email with your friends today"


def corpus(count: int = 24) -> list[dict[str, Any]]:
    """Real BBC articles with an integer id, a shared boilerplate line and one copy."""
    texts = bbc_articles("business", count)
    records: list[dict[str, Any]] = [
        {"id": k, "text": f"{t.rstrip()}\n\n{BOILERPLATE}\n", "n": k} for k, t in enumerate(texts)
    ]
    records.append({"id": "copy", "text": records[3]["text"], "n": -1})
    return records


def outcome(results: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.to_record(), r.dropped, [(x.rule, x.start, x.end) for x in r.removals]) for r in results
    ]


def spool_files(folder: Path) -> list[str]:
    """Files of this process open under ``folder`` (an anonymous spool shows as
    ``folder/#123 (deleted)``)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/fd")
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# -- streaming ------------------------------------------------------------------


def test_one_shot_generator_is_spooled_and_gives_the_list_results(spool_dir: Path) -> None:
    records = corpus()
    expected = outcome(list(Cleaner(jobs=1).clean(records)))
    assert any(r[1] for r in expected) and any(r[2] for r in expected)  # drops and cuts

    read = []

    def generate() -> Iterator[dict[str, Any]]:
        for record in records:
            read.append(record["id"])
            yield dict(record)

    results = Cleaner(jobs=1).clean(generate())
    first = next(results)
    assert len(read) == len(records)  # the first pass read everything once ...
    assert len(spool_files(spool_dir)) == 1  # ... into the spool, which is open
    rest = list(results)
    assert outcome([first, *rest]) == expected
    assert len(read) == len(records)  # never read again
    assert spool_files(spool_dir) == []  # removed at the end


def test_spool_removed_when_abandoned_or_failed(spool_dir: Path) -> None:
    records = corpus(12)
    results = Cleaner(jobs=1).clean(iter(records))
    next(results)
    assert spool_files(spool_dir)
    results.close()  # the caller stops early
    assert spool_files(spool_dir) == []

    def failing() -> Iterator[dict[str, Any]]:
        yield from records[:5]
        raise OSError("the source went away")

    with pytest.raises(OSError, match="went away"):
        list(Cleaner(jobs=1).clean(failing()))
    assert spool_files(spool_dir) == []


def test_spooled_records_keep_every_value_and_articles_pass_through() -> None:
    extra = {
        "when": dt.datetime(2024, 5, 1, 12, 30),
        "tags": ("a", "b"),
        "nested": {"score": 0.5, "raw": b"\x00\xff"},
        "missing": math.inf,
    }
    records = [{**r, **extra} for r in corpus(8)]
    results = list(Cleaner(jobs=1).clean(iter(records)))
    for record, result in zip(records, results):
        out = result.to_record()
        assert out["id"] == record["id"] and type(out["id"]) is type(record["id"])
        assert {k: out[k] for k in extra} == extra
    articles = [Article.from_dict(r) for r in records]
    from_articles = list(Cleaner(jobs=1).clean(iter(articles)))
    assert outcome(from_articles) == outcome(results)


def test_unpicklable_value_in_a_one_shot_input_is_named() -> None:
    records: list[dict[str, Any]] = corpus(4)
    records[2]["callback"] = lambda: None
    with pytest.raises(DedupeError, match=r"^<input>:record 3: cannot be kept for the next pass"):
        list(Cleaner(jobs=1).clean(iter(records)))
    assert len(list(Cleaner(jobs=1).clean(records))) == len(records)  # a list: read again


def test_record_spool_replays_in_order() -> None:
    with RecordSpool() as spool:
        items = [{"id": 1, "x": [1, 2]}, ("t", None), "s" * 100_000]
        for item in items:
            spool.write(item)
        assert list(spool.replay()) == items
        assert list(spool.replay()) == items  # any number of times
        assert spool.size > 100_000
    assert spool.closed


def test_body_spool_reads_bodies_back_longest_first() -> None:
    """Bodies written in batches come back longest first (ties in input order), a chunk
    at a time, each with its own columns and anchors, numbered by input order."""
    rng = np.random.default_rng(3)

    def batch(n: int) -> Bodies:
        anchors = rng.integers(0, 4, n)  # anchors per body, some none
        return Bodies(
            ids=np.zeros(n, dtype=np.int64),  # ignored: the spool numbers them
            signatures=rng.integers(0, 2**32, (n, 8), dtype=np.uint32),
            sizes=rng.integers(0, 99, n),
            words=rng.integers(0, 99, n),
            eligible=rng.random(n) < 0.8,
            exact=rng.integers(0, 2**63, n, dtype=np.uint64),
            figure_sigs=rng.integers(0, 2**32, (n, 4), dtype=np.uint32),
            figure_count=rng.integers(0, 9, n, dtype=np.int32),
            tabular=rng.random(n) < 0.1,
            anchor_keys=rng.integers(0, 2**63, int(anchors.sum()), dtype=np.uint64),
            anchor_words=rng.integers(12, 99, int(anchors.sum())),
            anchor_owner=np.repeat(np.arange(n), anchors),
        )

    batches = [batch(n) for n in (5, 0, 17, 1, 9)]
    lengths = [rng.integers(0, 6, len(b.ids)).tolist() for b in batches]  # many ties
    every = batches
    flat_lengths = [x for part in lengths for x in part]
    rows = {name: np.concatenate([getattr(b, name) for b in every]) for name in BodySpool.ROWS}
    offsets = np.cumsum([0] + [len(b.ids) for b in every])
    anchors = [
        (key, words)
        for b, o in zip(every, offsets)
        for key, words in zip(b.anchor_keys.tolist(), b.anchor_words.tolist())
    ]
    owners = np.concatenate([b.anchor_owner + o for b, o in zip(every, offsets)])
    expected_order = sorted(range(len(flat_lengths)), key=lambda k: (-flat_lengths[k], k))
    with BodySpool() as spool:
        for b, ls in zip(batches, lengths):
            spool.add(b, ls)
        for _ in range(2):  # read back any number of times
            seen: list[int] = []
            for chunk in spool.by_length(4):
                assert len(chunk.ids) <= 4
                for r, k in enumerate(chunk.ids.tolist()):
                    for name in BodySpool.ROWS:
                        assert np.array_equal(getattr(chunk, name)[r], rows[name][k]), name
                    mine = chunk.anchor_owner == r
                    got = zip(chunk.anchor_keys[mine].tolist(), chunk.anchor_words[mine].tolist())
                    assert list(got) == [anchors[a] for a in np.flatnonzero(owners == k)]
                assert np.all(np.diff(chunk.anchor_owner) >= 0)
                seen += chunk.ids.tolist()
            assert seen == expected_order
    assert list(BodySpool().by_length(4)) == []


def test_keep_longest_reads_a_one_shot_input_three_times() -> None:
    records = corpus(10)
    config = CleanerConfig(keep="longest")
    expected = outcome(list(Cleaner(config, jobs=1).clean(records)))
    assert outcome(list(Cleaner(config, jobs=1).clean(iter(records)))) == expected


# -- ids --------------------------------------------------------------------------


def test_ids_keep_their_type_through_the_api() -> None:
    records = corpus(6)
    results = list(Cleaner(jobs=1).clean(records))
    assert [r.to_record()["id"] for r in results] == [r["id"] for r in records]
    assert [type(r.article.given_id) for r in results] == [int] * 6 + [str]
    assert results[0].article.id == "0"  # the text form, as the report writes it
    dropped = next(r for r in results if r.dropped)
    assert dropped.removals[0].matched_doc == "3"


def test_integer_ids_through_the_cli_and_corpus(tmp_path: Path) -> None:
    records = corpus(6)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["clean", str(path), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in (tmp_path / "out" / "in.jsonl").open()]
    assert [r["id"] for r in written] == [r["id"] for r in records if r["id"] != "copy"]
    rows = [json.loads(line) for line in (tmp_path / "r").open()]
    assert {row["doc"] for row in rows if row.get("rule") == "boilerplate"} >= {"0", "1"}
    api = list(Cleaner(jobs=1).clean(Corpus(discover([str(path)])[0])))
    assert [r.to_record()["id"] for r in api] == [r["id"] for r in records]


# -- on_error ---------------------------------------------------------------------


def bad_corpus() -> list[Any]:
    records: list[Any] = corpus(8)
    records[2] = {"id": 2, "text": math.nan, "n": 2}  # as pandas gives a missing text
    records[5] = "not a record"
    return records


def test_on_error_fail_names_the_record_before_any_result() -> None:
    with pytest.raises(InputError) as info:
        next(Cleaner(jobs=1).clean(iter(bad_corpus())))
    assert str(info.value) == "<input>:record 3: field 'text' must be a string, got float"
    assert info.value.record == 3
    without_nan = [r for k, r in enumerate(bad_corpus()) if k != 2]
    with pytest.raises(InputError, match=r"^frame:record 5: expected a mapping or an Article"):
        list(Cleaner(jobs=1).clean(without_nan, name="frame"))
    with pytest.raises(ConfigError, match="on_error"):
        Cleaner(on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("one_shot", [False, True])
def test_on_error_skip_and_keep(one_shot: bool) -> None:
    records = bad_corpus()
    good = [r for k, r in enumerate(records) if k not in (2, 5)]
    expected = outcome(list(Cleaner(jobs=1).clean(good)))

    skip = Cleaner(jobs=1, on_error="skip")
    skipped = list(skip.clean(iter(records) if one_shot else records))
    assert outcome(skipped) == expected
    assert [str(p) for p in skip.problems] == [
        "<input>:record 3: field 'text' must be a string, got float",
        "<input>:record 6: expected a mapping or an Article, got str",
    ]
    assert skip.summary.documents_read == len(good)

    keep = Cleaner(jobs=1, on_error="keep")
    kept = list(keep.clean(iter(records) if one_shot else records))
    assert len(kept) == len(records)
    assert [r.error is not None for r in kept] == [k in (2, 5) for k in range(len(records))]
    assert outcome([r for r in kept if r.error is None]) == expected
    nan = kept[2].to_record()
    assert nan["id"] == 2 and math.isnan(nan["text"]) and nan["n"] == 2  # as given
    assert kept[2].removals == [] and not kept[2].dropped
    assert kept[5].error is not None and kept[5].error.record == 6
    assert [str(p) for p in keep.problems] == [str(p) for p in skip.problems]


def test_bad_records_at_the_end_and_all_bad() -> None:
    records = [*corpus(4)[:3], {"id": 9}, {"id": [1], "text": "x"}]
    keep = Cleaner(jobs=1, on_error="keep")
    kept = list(keep.clean(iter(records)))
    assert [r.error is not None for r in kept] == [False] * 3 + [True, True]
    assert [p.record for p in keep.problems] == [4, 5]
    assert kept[3].to_record() == {"id": 9}
    only_bad = Cleaner(jobs=1, on_error="skip")
    assert list(only_bad.clean([{"id": 1}, {"text": "no id"}])) == []
    assert [p.reason for p in only_bad.problems] == ["missing field 'text'", "missing field 'id'"]


# -- jobs ---------------------------------------------------------------------------


def test_jobs_default_to_all_cores_and_do_not_change_the_output() -> None:
    assert Cleaner().jobs == default_jobs()
    records = corpus(40)
    one = outcome(list(Cleaner(batch_size=8, jobs=1).clean(iter(records))))
    assert outcome(list(Cleaner(batch_size=8).clean(iter(records)))) == one
    assert outcome(list(Cleaner(batch_size=8, jobs=2).clean(records))) == one


# -- progress -----------------------------------------------------------------------


class Recorder:
    """A `dedupe.progress.Progress` that remembers what it was told."""

    def __init__(self) -> None:
        self.passes: list[list[Any]] = []
        self.closed = False

    def start(self, label: str, total: int | None) -> None:
        self.passes.append([label, total, 0])

    def advance(self, count: int = 1) -> None:
        self.passes[-1][2] += count

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_progress_is_told_each_pass(keep: str) -> None:
    records = corpus(10)
    recorder = Recorder()
    cleaner = Cleaner(CleanerConfig(keep=keep), jobs=1, progress=recorder)  # type: ignore[arg-type]
    assert len(list(cleaner.clean(iter(records)))) == len(records)
    n = len(records)
    if keep == "first":
        assert recorder.passes == [["reading (1/2)", None, n], ["cleaning (2/2)", n, n]]
    else:
        assert recorder.passes == [
            ["reading (1/3)", None, n], ["ranking (2/3)", n, n], ["cleaning (3/3)", n, n]
        ]  # fmt: skip
    assert recorder.closed
