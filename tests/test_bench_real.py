"""Smoke runs of the real-data benchmarks (bench/precision.py, zyte.py, l3s.py) on subsets.

Each script runs `python -m dedupe clean` on a few real articles or pages, writes
its table into a scratch README and its figures as JSON; the figures are checked
against counts made here from the files the script wrote.  Skips when the shared
data is missing.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
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


def _need(sub: str) -> None:
    if not (DATA / sub).exists():
        pytest.skip(f"shared data not found: {DATA / sub}")


# ------------------------------------------------------------------ shared helpers


def test_replace_block_replaces_instead_of_appending(tmp_path: Path) -> None:
    realdata = _bench("realdata")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\nbefore\n", "utf-8")
    realdata.replace_block(readme, "<!-- a -->", "<!-- b -->", "one")
    realdata.replace_block(readme, "<!-- a -->", "<!-- b -->", "two")
    text = readme.read_text("utf-8")
    assert text.count("<!-- a -->") == 1 and "two" in text and "one" not in text
    assert text.startswith("# x\n\nbefore\n")


def test_align_and_removed_lines() -> None:
    realdata = _bench("realdata")
    assert realdata.align(["a", "b", "a", "c"], ["a", "c"]) == [True, False, False, True]
    assert realdata.align(["a", "b"], ["b", "a"]) is None
    text = "one\ntwo\nthree"
    spans = realdata.line_spans(text)
    assert [text[s:e] for s, e in spans] == ["one", "two", "three"]
    assert realdata.removed_lines(spans, [(4, 8)]) == [False, True, False]


# ------------------------------------------------------------------ precision.py


def test_precision_scoring_counts_what_changed(tmp_path: Path) -> None:
    _need("bbc_news_fulltext")
    precision = _bench("precision")
    corpus = precision.CORPUS["bbc"]
    articles = precision.load_base("bbc", DATA, 40)
    outputs = {a.key: a.text for a in articles}
    m = precision.evaluate(corpus, articles, outputs, [])
    assert m["dropped"] == 0 and m["lines_lost"] == 0 and m["chars_lost"] == 0
    # drop one article, cut one line of another: exactly that is counted
    first, second = articles[0], articles[1]
    outputs[first.key] = None
    cut = second.text.split("\n")[2]
    outputs[second.key] = second.text.replace(cut + "\n", "", 1)
    m = precision.evaluate(corpus, articles, outputs, [])
    assert m["dropped"] == 1 and m["dropped_not_identical"] == 1
    assert m["lines_lost"] == 1 and m["top_lost"][0]["line"] == cut.strip()
    assert m["lost_per_rule"] == {
        "unreported": {"lines": 1, "articles": 1, "copy_still_in_output": 0}
    }


def test_precision_reuters_bodies() -> None:
    _need("reuters21578")
    precision = _bench("precision")
    articles = precision.load_base("reuters", DATA, 50)
    assert len(articles) == 50 and articles[0].key == "00001"
    assert all("&#3;" not in a.text and "</BODY>" not in a.text for a in articles)
    signed = sum(
        any(precision.SIGN_OFF.fullmatch(x) for x in precision.text_lines(a.text)) for a in articles
    )
    assert signed > 0
    corpus = precision.CORPUS["reuters"]
    m = precision.evaluate(corpus, articles, {a.key: a.text for a in articles}, [])
    assert m["lines"] == sum(len(precision.text_lines(a.text)) for a in articles)


def test_precision_script(tmp_path: Path) -> None:
    _need("bbc_news_fulltext")
    precision = _bench("precision")
    readme, out = tmp_path / "README.md", tmp_path / "p.json"
    readme.write_text("# bench\n", "utf-8")
    args = ["--limit", "120", "--corpora", "bbc,bbc-collapsed", "--jobs", "1"]
    args += ["--work", str(tmp_path / "w"), "--readme", str(readme), "--json", str(out)]
    assert precision.main(args) == 0
    text = readme.read_text("utf-8")
    assert precision.MARK_START in text and "BBC (JSONL, whitespace collapsed)" in text
    results = json.loads(out.read_text("utf-8"))
    for name, r in results.items():
        inp = Path(r["input"])
        if inp.is_dir():
            texts = [p.read_text("utf-8") for p in sorted(inp.rglob("*.txt"))]
            outs = list((tmp_path / "w" / name / "out").rglob("*.txt"))
        else:
            texts = [json.loads(x)["text"] for x in inp.read_text("utf-8").splitlines()]
            outs = (tmp_path / "w" / name / "out" / inp.name).read_text("utf-8").splitlines()
        assert r["articles"] == len(texts) == 120
        assert r["dropped"] == len(texts) - len(outs)
        surplus = sum(n - 1 for n in Counter(texts).values())
        assert r["identical"]["surplus"] == surplus
        assert 0 <= r["lines_lost"] <= r["lines"]
    vs = results["bbc-collapsed"]["vs_txt"]
    only_txt = set(results["bbc"]["dropped_keys"]) - set(results["bbc-collapsed"]["dropped_keys"])
    assert vs["only_txt"] == sorted(only_txt)


# ------------------------------------------------------------------ zyte.py


def test_zyte_script(tmp_path: Path) -> None:
    _need("zyte_article_extraction_benchmark")
    zyte = _bench("zyte")
    readme, out = tmp_path / "README.md", tmp_path / "z.json"
    args = ["--limit", "8", "--jobs", "1", "--work", str(tmp_path / "w")]
    args += ["--readme", str(readme), "--json", str(out)]
    assert zyte.main(args) == 0
    assert zyte.MARK_START in readme.read_text("utf-8")
    m = json.loads(out.read_text("utf-8"))
    written = sorted((tmp_path / "w" / "txt").rglob("*.txt"))
    kept = sorted((tmp_path / "w" / "out").rglob("*.txt"))
    assert m["pages"] == 8 and m["versions"] == len(written)
    assert m["surplus"] == len(written) - 8
    assert m["dropped"] == len(written) - len(kept)
    assert sum(t["kept"] for t in m["per_tool"].values()) == len(kept)
    assert 0 <= m["surplus_dropped"] <= m["surplus"]
    tools = {p.parent.name for p in written}
    assert zyte.TRUTH_TOOL in tools and len(tools) == m["tools"]


def test_zyte_scoring() -> None:
    _need("zyte_article_extraction_benchmark")
    zyte = _bench("zyte")
    pages, versions, skipped = zyte.load_versions(DATA, 5)
    everything = {v.rel: v.text for v in versions}
    m = zyte.evaluate(pages, versions, skipped, everything, [])
    assert m["surplus_dropped"] == 0 and m["pages_lost"] == 0
    truth_only = {v.rel: v.text for v in versions if v.tool == zyte.TRUTH_TOOL}
    m = zyte.evaluate(pages, versions, skipped, truth_only, [])
    assert m["surplus_dropped_share"] == 1.0 and m["pages_lost"] == 0
    assert m["pages_by_versions_left"] == {"1": 5}
    a, b = versions[0], next(v for v in versions if v.page != versions[0].page)
    row = {"rule": "document", "doc": a.rel, "matched_doc": b.rel, "similarity": 0.9}
    m = zyte.evaluate(pages, versions, skipped, truth_only, [row])
    assert m["wrong_merges"] == 1


# ------------------------------------------------------------------ l3s.py


def test_l3s_dump_blocks() -> None:
    l3s_dump = _bench("l3s_dump")
    html = (
        "<html><head><title> A  headline - Site </title><style>p {}</style></head><body>"
        '<p><span class="x-nc-sel1">A headline</span></p>'
        '<p><span class="x-nc-sel2">Text with a <a href="#">link</a> inside.</span></p>'
        '<div class="x-nc-invisible"><div>hidden</div></div><script>var x = "<p>";</script>'
        '<p><span class="x-nc-sel0">Home</span><br><span class="x-nc-sel0">News</span></p>'
        "</body></html>"
    )
    page = l3s_dump.dump(html)
    assert page.lines() == [
        ("A headline - Site", l3s_dump.TITLE),
        ("A headline", 1),
        ("Text with a link inside.", 2),
        ("Home", 0),
        ("News", 0),
    ]


def test_l3s_script(tmp_path: Path) -> None:
    _need("l3s_gn1")
    l3s = _bench("l3s")
    readme, out = tmp_path / "README.md", tmp_path / "l.json"
    args = ["--limit", "25", "--jobs", "1", "--systems", "dedupe-txt,awk-file,count"]
    args += ["--work", str(tmp_path / "w"), "--readme", str(readme), "--json", str(out)]
    assert l3s.main(args) == 0
    assert l3s.MARK_START in readme.read_text("utf-8")
    m = json.loads(out.read_text("utf-8"))
    truth = [
        json.loads(x) for x in (tmp_path / "w" / "truth.jsonl").read_text("utf-8").split("\n") if x
    ]
    assert m["corpus"]["pages"] == len(truth) == 25
    for name, row in m["systems"].items():
        kept_pages = [t for t in truth if t["id"] not in row["dropped_pages"]]
        labels = Counter(lab for t in kept_pages for lab in t["labels"])
        assert row["lines"]["label2"] == labels[2], name
        assert row["mismatches"] == 0, name
    # awk per file keeps the first copy of every line: it never empties a page
    assert m["systems"]["awk-file"]["pages_dropped"] == 0
    assert m["systems"]["awk-file"]["full_text_gone"] == 0
    # the count baseline removes every not-content line found on >= 5 pages, by construction
    count = m["systems"]["count"]
    assert count["boilerplate_corpus5_removed"] in (1.0, None)
    # each written page is its dump: the title line then one line per block
    first = truth[0]
    txt = (tmp_path / "w" / "txt" / f"{first['id']}.txt").read_text("utf-8")
    assert txt.split("\n")[:-1] == first["lines"]
