"""Smoke run of the benchmark harness (bench/): generator + scorer on a small corpus.

Keeps the harness from rotting; the large runs (bench/speed.py) are not run here.
Skips when the shared real data is missing.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DATA = REPO.parent / "shared" / "data"


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DATA / "bbc_news_fulltext").is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    out = tmp_path_factory.mktemp("corpus")
    make_corpus = _bench("make_corpus")
    assert make_corpus.main(["--articles", "150", "--seed", "3", "--out", str(out)]) == 0
    return out


def _truth(corpus: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (corpus / "truth.jsonl").read_text("utf-8").splitlines()]


def test_corpus_is_labelled_exactly(corpus: Path) -> None:
    truth = _truth(corpus)
    assert len(truth) >= 150
    rules = {g["rule"] for t in truth for g in t["go"]}  # type: ignore[attr-defined]
    assert rules == {"headline", "paragraph", "boilerplate"}
    assert any(t["copy_of"] for t in truth)
    layouts = {t["layout"] for t in truth}
    assert layouts == {"blank", "single"}
    for t in truth:
        lines = [x for x in (corpus / "txt" / str(t["txt"])).read_text("utf-8").split("\n") if x]
        labelled = list(t["stay"]) + [g["text"] for g in t["go"]]  # type: ignore[call-overload]
        assert sorted(lines) == sorted(labelled), t["id"]


def test_generator_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    make_corpus = _bench("make_corpus")
    make_corpus.main(["--articles", "150", "--seed", "3", "--out", str(tmp_path)])
    assert (tmp_path / "truth.jsonl").read_bytes() == (corpus / "truth.jsonl").read_bytes()


def test_scorer_on_baselines(corpus: Path, tmp_path: Path) -> None:
    score = _bench("score")
    baselines = _bench("baselines")
    truth = score.load_truth(corpus)
    # the input itself: everything kept, nothing removed
    m, _ = score.score(truth, score.read_output(corpus / "txt", truth))
    assert m["content_kept"] == 1.0
    assert m["boilerplate_removed"] == 0.0 and m["dup_recall"] == 0.0
    # the JSONL copy of the corpus reads back the same
    mj, _ = score.score(truth, score.read_output(corpus / "jsonl", truth))
    assert mj == m
    # a perfect output scores 1.0 everywhere
    perfect = {}
    for t in truth:
        perfect[t["id"]] = None if t["copy_of"] else list(t["stay"])
    mp, misses = score.score(truth, perfect)
    assert mp["content_kept"] == mp["dup_recall"] == mp["dup_precision"] == 1.0
    assert all(mp[f"{r}_removed"] == 1.0 for r in score.RULES) and not misses
    # line dedup keeps all content and removes exact repeats only
    baselines.run("lines", [corpus / "txt"], tmp_path / "lines")
    ml, _ = score.score(truth, score.read_output(tmp_path / "lines", truth))
    assert ml["content_kept"] == 1.0 and 0 < ml["headline_removed"] < 1
    # the datasketch recipe drops only whole articles, never a unique one
    baselines.run("recipe", [corpus / "jsonl"], tmp_path / "recipe")
    mr, _ = score.score(truth, score.read_output(tmp_path / "recipe", truth))
    assert mr["dup_precision"] == 1.0 and mr["headline_removed"] == 0.0


def test_score_cli_writes_table(corpus: Path, tmp_path: Path) -> None:
    score = _bench("score")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n", "utf-8")
    args = [
        "--corpus",
        str(corpus),
        "--baselines",
        "lines",
        "--readme",
        str(readme),
        "--work",
        str(tmp_path / "w"),
        "--json",
        str(tmp_path / "m.json"),
    ]
    try:
        import dedupe.cli  # noqa: F401

        args.append("--run-dedupe")
    except ImportError:
        pass
    assert score.main(args) == 0
    text = readme.read_text("utf-8")
    assert score.MARK_START in text and "line dedup per file" in text
    # regenerating replaces the block instead of appending another
    assert score.main(args) == 0
    assert readme.read_text("utf-8").count(score.MARK_START) == 1
