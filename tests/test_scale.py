"""Determinism across jobs and batch sizes; no quadratic blow-up on giant buckets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from click.testing import CliRunner

from dedupe import Cleaner, CleanerConfig
from dedupe.cli import cli
from dedupe.index import FIGURE_PERM, Bodies, DuplicateIndex

from .data import bbc_articles
from .test_cli import untimed


def _corpus() -> list[dict[str, Any]]:
    texts = bbc_articles("business", 40) + bbc_articles("tech", 40)
    records: list[dict[str, Any]] = []
    for i, text in enumerate(texts):
        title, body = text.split("\n\n", 1)
        page = f"Menu\n\n{title}\n\n{title} | Site\n\n{body.rstrip()}\n\nShare this article\n"
        records.append({"id": i, "text": page})
    for i in range(0, 80, 7):  # syndicated copies
        records.append({"id": f"copy-{i}", "text": "LONDON -\n\n" + texts[i]})
    return records


def _run(records: list[dict[str, Any]], **options: Any) -> list[tuple[Any, ...]]:
    cleaner = Cleaner(CleanerConfig(), **options)
    return [(r.text, r.dropped, [x.to_dict() for x in r.removals]) for r in cleaner.clean(records)]


def test_same_output_for_any_jobs_and_batch_size() -> None:
    records = _corpus()
    reference = _run(records, jobs=1, batch_size=256)
    assert sum(dropped for _, dropped, _ in reference) >= 10  # the copies
    assert _run(records, jobs=2, batch_size=256) == reference
    assert _run(records, jobs=1, batch_size=1) == reference
    assert _run(records, jobs=2, batch_size=7) == reference
    assert _run(records, jobs=1, batch_size=100_000) == reference


def test_keep_longest_same_for_any_batch_size() -> None:
    records = _corpus()
    config = CleanerConfig(keep="longest")
    a = [(r.text, r.dropped) for r in Cleaner(config, batch_size=1).clean(records)]
    b = [(r.text, r.dropped) for r in Cleaner(config, batch_size=500, jobs=2).clean(records)]
    assert a == b


def test_thousands_of_identical_segments_and_articles_stay_linear() -> None:
    banner = "We use cookies to improve your experience. By continuing you accept our policy."
    body = bbc_articles("sport", 1)[0]

    def corpus(n: int) -> list[dict[str, Any]]:
        return [{"id": i, "text": f"{body}\n\n{banner}\n\n{banner}\n"} for i in range(n)]

    timings = []
    for n in (500, 2000):
        start = time.perf_counter()
        results = list(Cleaner().clean(corpus(n)))
        timings.append(time.perf_counter() - start)
        assert not results[0].dropped and all(r.dropped for r in results[1:])
        assert results[0].text.count(banner) == 1  # one story: not boilerplate, but repeated
    # 4x the articles must not take 16x the time (generous bound for a noisy machine)
    assert timings[1] < 10 * timings[0] + 1.0


def test_index_memory_per_article_under_1kb() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    index = DuplicateIndex(128, 42, 3, 0.5, 0.8)
    for lo in range(0, n, 1000):
        sigs = rng.integers(0, 2**32, size=(1000, 128), dtype=np.uint64).astype(np.uint32)
        anchors = rng.integers(0, 2**63, size=8000, dtype=np.uint64)
        index.process(
            Bodies(
                ids=np.arange(lo, lo + 1000),
                signatures=sigs,
                sizes=np.full(1000, 300),
                words=np.full(1000, 300),
                eligible=np.ones(1000, dtype=bool),
                exact=rng.integers(1, 2**63, size=1000, dtype=np.uint64),
                figure_sigs=np.full((1000, FIGURE_PERM), 0xFFFFFFFF, dtype=np.uint32),
                figure_count=np.zeros(1000, dtype=np.int32),
                tabular=np.zeros(1000, dtype=bool),
                anchor_keys=anchors,
                anchor_words=np.full(8000, 30),
                anchor_owner=np.repeat(np.arange(1000), 8),
            )
        )
    assert len(index) == n
    assert index.nbytes() / n < 1024 * 1.3  # capacity grows by a quarter at a time


def test_cli_output_identical_for_jobs_1_and_2(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for record in _corpus():
        (src / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    trees = []
    for jobs in ("1", "2"):
        out, report = tmp_path / f"out{jobs}", tmp_path / f"report{jobs}.jsonl"
        result = CliRunner().invoke(
            cli, ["clean", str(src), "-o", str(out), "--report", str(report), "--jobs", jobs]
        )
        assert result.exit_code == 0, result.output
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")}
        trees.append((files, untimed(report.read_bytes())))
    assert trees[0] == trees[1]
    assert len(trees[0][0]) < len(_corpus())  # copies were dropped
