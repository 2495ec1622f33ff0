"""Smoke run of the benchmark harness (bench/): generator + scorer on a small corpus.

Keeps the harness from rotting: the easy corpus (~190 articles) and the hard one
(~290 articles, ~200 bases) are generated, checked against their files and scored,
and dedupe is run on both when it is importable.  The large runs (bench/speed.py)
are not run here.  Skips when the shared real data is missing.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

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


# ----------------------------------------------------------------------- the hard corpus

HARD_ARGS = ["--hard", "--articles", "200", "--seed", "3"]


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DATA / "bbc_news_fulltext").is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    out = tmp_path_factory.mktemp("hard")
    assert _bench("make_corpus").main([*HARD_ARGS, "--out", str(out)]) == 0
    return out


def _hard_truth(corpus: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (corpus / "truth.jsonl").read_text("utf-8").splitlines()]


def test_hard_corpus_has_every_phenomenon(hard: Path) -> None:
    truth = _hard_truth(hard)
    go = {(g["rule"], g["kind"]) for t in truth for g in t["go"]}
    stay = {k for t in truth for k in t["stay_kind"]}
    hardcorpus = _bench("hardcorpus")
    # every title-tag shape of the site templates, and the other headline variants
    tags = {f"title-tag:{s.title_tag_kind}" for s in hardcorpus.SITES if s.title_tag}
    assert {k for r, k in go if r == "headline"} >= tags | {
        "teaser",
        "suffix-video",
        "label-prefix",
        "exact-copy",
        "case-copy",
        "oneline-repeat",
        "hash-repeat",
    }
    assert {k for r, k in go if r == "paragraph"} == {
        "exact",
        "edited",
        "hash:exact",
        "hash:edited",
    }
    varying = {"timestamp", "updated", "modified", "page", "archive", "calendar"}
    assert {k for r, k in go if r == "boilerplate"} >= {f"varying:{v}" for v in varying} | {
        "rare",
        "exact:signoff",
        "exact:crumb",
        "exact:lookalike-nav",
    }
    assert stay >= {"title", "body", "byline", "quote", "tweet", "table", "template-report"}
    assert {k for k in stay if k.startswith("lookalike:")} == {
        "lookalike:contact",
        "lookalike:dateline",
        "lookalike:answer",
        "lookalike:media-label",
    }
    assert {t["dup_kind"] for t in truth} >= {"syndicated", "abridged", "recrawl", "exact-short"}
    assert {t["layout"] for t in truth} == {"blank", "single", "space", "hash"}
    # pages that open with something other than the headline
    firsts = {t["stay_kind"][0] for t in truth if t["scoring"] == "lines" and t["stay_kind"]}
    assert "byline" in firsts
    opening = [json.loads((hard / "meta.json").read_text("utf-8"))]
    assert opening[0]["corpus"] == "hard"


def test_hard_corpus_labels_match_the_files(hard: Path) -> None:
    truth = _hard_truth(hard)
    text_lines = _bench("benchlib").text_lines
    records = {}
    for f in sorted((hard / "jsonl").glob("*.jsonl")):
        for line in f.read_text("utf-8").splitlines():
            rec = json.loads(line)
            records[rec["id"]] = rec
    for t in truth:
        text = (hard / "txt" / t["txt"]).read_text("utf-8")
        rec = records[t["id"]]
        assert (
            urlparse(rec["url"]).hostname == f"www.{t['site']}.example" and rec["site"] == t["site"]
        )
        if t["scoring"] == "lines":
            labelled = list(t["stay"]) + [g["text"] for g in t["go"]]
            assert sorted(text_lines(text)) == sorted(labelled), t["id"]
            assert ("title" in rec) == t["title_field"]
            joined = (rec["title"] + "\n" if "title" in rec else "") + rec["text"]
            assert text_lines(joined) == text_lines(text)
        else:
            # one line; each span occurs as often as labelled, beyond the perfect output
            assert "\n" not in text.rstrip("\n") and "title" not in rec
            assert rec["text"] == text.rstrip("\n")
            perfect = t["sep"].join(t["stay"])
            for s in t["stay"]:
                assert text.count(s) >= perfect.count(s) >= t["stay"].count(s), (t["id"], s)
            for g in {g["text"] for g in t["go"]}:
                n = sum(1 for x in t["go"] if x["text"] == g)
                assert text.count(g) - perfect.count(g) == n, (t["id"], g)


def test_hard_generator_is_deterministic(hard: Path, tmp_path: Path) -> None:
    _bench("make_corpus").main([*HARD_ARGS, "--out", str(tmp_path)])
    for rel in ["truth.jsonl", *sorted(p.name for p in (hard / "jsonl").iterdir())]:
        a = hard / rel if rel == "truth.jsonl" else hard / "jsonl" / rel
        b = tmp_path / rel if rel == "truth.jsonl" else tmp_path / "jsonl" / rel
        assert a.read_bytes() == b.read_bytes(), rel


def test_scorer_on_the_hard_corpus(hard: Path, tmp_path: Path) -> None:
    score = _bench("score")
    truth = score.load_truth(hard)
    # the input itself: everything kept, nothing removed, in both layouts
    m, _ = score.score(truth, score.read_output(hard / "txt", truth))
    assert m["content_kept"] == 1.0 and m["dup_recall"] == 0.0
    assert all(m[f"{r}_removed"] == 0.0 for r in score.RULES)
    mj, _ = score.score(truth, score.read_output(hard / "jsonl", truth))
    assert mj == m
    # a perfect output scores 1.0 everywhere, per phenomenon too
    perfect: dict[str, object] = {}
    for t in truth:
        if t["copy_of"]:
            perfect[t["id"]] = None
        elif t["scoring"] == "spans":
            perfect[t["id"]] = t["sep"].join(t["stay"])
        else:
            perfect[t["id"]] = list(t["stay"])
    mp, misses = score.score(truth, perfect)
    assert not misses and mp["content_kept"] == mp["dup_recall"] == mp["dup_precision"] == 1.0
    assert all(n == ok for n, ok in mp["kinds"].values())
    # cutting the headline out of a one-line text loses content, and the miss says which
    one = next(t for t in truth if t["scoring"] == "spans" and "title" in t["stay_kind"])
    title = one["stay"][one["stay_kind"].index("title")]
    damaged = dict(perfect)
    damaged[one["id"]] = str(perfect[one["id"]]).replace(title, "", 1)
    md, misses = score.score(truth, damaged)
    assert md["content_kept"] < 1.0
    assert {"kind": "content lost", "phenomenon": "title", "id": one["id"], "text": title} in misses


def test_score_cli_on_both_corpora(corpus: Path, hard: Path, tmp_path: Path) -> None:
    score = _bench("score")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n", "utf-8")
    args = ["--corpus", f"easy={corpus}", "--corpus", str(hard), "--readme", str(readme)]
    args += ["--work", str(tmp_path / "w"), "--baselines", "lines"]
    try:
        import dedupe.cli  # noqa: F401

        run = ["--run-dedupe", "--dedupe-arg=--jobs=1"]
    except ImportError:
        run = []
    misses = tmp_path / "m.jsonl"
    assert score.main([*args, *run, "--misses", str(misses), "--json", str(tmp_path / "a")]) == 0
    text = readme.read_text("utf-8")
    assert "| easy | line dedup per file (awk) |" in text
    assert "| hard | line dedup per file (awk) |" in text
    if run:
        assert "| easy | dedupe clean (txt) |" in text and "| hard | dedupe clean (jsonl) |" in text
        assert score.KINDS_START in text and "title-tag:underscore" in text
        rows = [json.loads(x) for x in misses.read_text("utf-8").splitlines()]
        assert rows and all(m["phenomenon"] for m in rows if m["corpus"] == "hard")
        # the per-phenomenon rows add up to the totals
        for m in json.loads((tmp_path / "a").read_text("utf-8"))["hard"].values():
            dup = [v for k, v in m["kinds"].items() if k.startswith("dup/")]
            ok, n = sum(x[1] for x in dup), sum(x[0] for x in dup)
            assert abs(ok / n - m["dup_recall"]) < 1e-9
            stay = [v for k, v in m["kinds"].items() if k.startswith("stay/")]
            assert sum(x[1] for x in stay) / sum(x[0] for x in stay) == m["content_kept"]
    # regenerating replaces the blocks instead of appending others
    assert score.main(args) == 0
    text = readme.read_text("utf-8")
    assert text.count(score.MARK_START) == 1 and text.count(score.KINDS_START) == int(bool(run))
