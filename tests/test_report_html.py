"""The run summary, the report's summary row, reading a report back, and the HTML page
of `dedupe report` (its content; the page in a real browser is in test_browser.py)."""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dedupe.cli import cli
from dedupe.config import CleanerConfig
from dedupe.report import Summary, summary_row
from dedupe.report.rows import ReportError, attach_inputs, read_report
from dedupe.report.summary import group_key, plural
from dedupe.restore import restore_tree

from .report_corpus import BOILERPLATE, Run, shared_run
from .test_cli import _runner, assert_ok, files_under


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_run(tmp_path_factory)


def invoke(*args: object) -> Any:
    return _runner().invoke(cli, [str(a) for a in args])


def page_data(html: str) -> dict[str, Any]:
    """The data embedded in a page (plain JSON, or gzipped JSON in base64)."""
    m = re.search(r'<script id="data" type="application/(json|gzip-base64)">(.*?)</script>', html,
                  re.S)  # fmt: skip
    assert m is not None
    text = m.group(2)
    if m.group(1) == "gzip-base64":
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# -- the summary ----------------------------------------------------------------------


def test_plural() -> None:
    assert [plural(n, "file") for n in (0, 1, 2, 1234)] == [
        "0 files", "1 file", "2 files", "1,234 files",
    ]  # fmt: skip
    assert plural(1, "story", "stories") == "1 story"
    assert plural(3, "story", "stories") == "3 stories"


def test_summary_row_is_last_and_matches_the_rows(run: Run) -> None:
    rows = run.all_rows()
    at = next(k for k, r in enumerate(rows) if r["rule"] == "summary")
    last = rows[at]  # after every article's rows; only the run's file and run rows follow
    assert all(r["rule"] in ("file", "run") for r in rows[at + 1 :])
    removals = [r for r in rows[:at] if r["rule"] != "title"]
    by_rule = Counter(r["rule"] for r in removals)
    for rule in ("headline", "paragraph", "boilerplate"):
        assert last["removed"][rule]["segments"] == by_rule[rule]
        cut = sum(r["cut_end"] - r["cut_start"] for r in removals if r["rule"] == rule)
        assert last["removed"][rule]["characters"] == cut
    assert last["removed"]["document"]["articles"] == by_rule["document"] == 2
    assert last["articles"] == {"read": len(run.texts), "written": len(run.texts) - 2, "dropped": 2}
    assert last["characters"]["read"] == sum(len(t) for t in run.texts.values())
    assert last["config"] == CleanerConfig().to_dict()
    # the boilerplate line is the most frequent removal, grouped with its count
    top = last["top"][0]
    assert (top["rule"], top["text"], top["count"]) == ("boilerplate", BOILERPLATE, 8)
    assert last["elapsed"] >= 0 and last["articles_per_second"] >= 0
    # the same counts on stderr, as shares too
    assert f"{last['characters']['read']:,} read" in run.stderr
    share = last["removed"]["boilerplate"]["character_share"]
    assert f"({share:.1%}) boilerplate" in run.stderr
    assert re.search(r"^time: [0-9.]+ s \([0-9,]+ articles/s\)$", run.stderr, re.M)


def test_restore_ignores_the_summary_row(run: Run, tmp_path: Path) -> None:
    restore_tree(str(run.out), str(run.report), str(tmp_path / "restored"))
    assert files_under(tmp_path / "restored") == files_under(run.src)


def test_summary_groups_spellings_by_words() -> None:
    from dedupe import Cleaner

    texts = [
        f"Story {k} about the harbour council and its budget for the winter market.\n\n{sign}\n"
        for k, sign in enumerate([" Reuter", "REUTER", "  reuter", "Reuter.", " Reuter"] * 2)
    ]
    cleaner = Cleaner(CleanerConfig(boilerplate_min_docs=2))
    list(cleaner.clean([{"id": str(k), "text": t} for k, t in enumerate(texts)]))
    top = cleaner.summary.top()
    assert top[0]["words"] == group_key("REUTER") == "reuter"
    assert top[0]["count"] == 10 and top[0]["spellings"] == 4
    row = summary_row(cleaner.summary, cleaner.config)
    assert row["removed"]["boilerplate"]["segments"] == 10


def test_summary_groups_stay_bounded_when_most_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``MAX_GROUPS`` the rarer half of the groups is forgotten, so a table full of
    groups seen twice is pruned once per ``MAX_GROUPS // 2`` new groups, not at every
    new one (which made a million-article run quadratic); the frequent ones stay."""
    from dedupe.report import summary as summary_module

    monkeypatch.setattr(summary_module, "MAX_GROUPS", 100)
    summary = Summary()
    prunes = 0
    forget = summary._forget_rare

    def counted() -> None:
        nonlocal prunes
        prunes += 1
        forget()

    monkeypatch.setattr(summary, "_forget_rare", counted)
    for k in range(5_000):
        for _ in range(2):  # every group seen twice
            summary._group("paragraph", f"paragraph number {k} of a long report")
        if k % 10 == 0:
            summary._group("boilerplate", "Share this story")  # frequent all along
        assert len(summary._groups) <= 100
    assert prunes <= 5_000 // 50 + 1
    assert summary.top()[0]["text"] == "Share this story"


def test_empty_summary_lines_have_no_division_by_zero() -> None:
    lines = Summary().lines()
    assert lines[0].startswith("documents: 0 read")
    assert "characters: 0 read, 0 (0.0%) removed" in lines[2]


# -- reading a report ------------------------------------------------------------------


def test_read_report_groups_rows_by_article(run: Run) -> None:
    report = read_report(run.report)
    assert report.summary is not None and report.summary["rule"] == "summary"
    docs = {e.doc: e for e in report.entries}
    assert set(docs) == {
        *run.boiler_docs, run.headline_doc, run.paragraph_doc, *run.dropped_docs,
    }  # fmt: skip
    for doc in run.dropped_docs:  # a dropped article's whole text is in its row
        assert docs[doc].dropped is not None and docs[doc].text == run.texts[doc]
    assert docs[run.headline_doc].text is None  # only removed segments are in the report
    clusters = report.clusters()
    assert [(c.kept, sorted(m.doc for m in c.members)) for c in clusters] == [
        (run.kept_doc, sorted(run.dropped_docs))
    ]
    groups = report.groups()
    assert [(g.text, g.count) for g in groups] == [(BOILERPLATE, len(run.boiler_docs))]
    counts = report.rule_counts()
    assert counts["boilerplate"]["articles"] == len(run.boiler_docs)


def test_attach_inputs_adds_texts_and_the_kept_copy(run: Run) -> None:
    report = read_report(run.report)
    found = attach_inputs(report, [str(run.src)])
    assert found.articles == len(run.texts) and found.missing == 0 and not found.mismatched
    kept = report.first(run.kept_doc)
    assert kept is not None and not kept.in_report and kept.text == run.texts[run.kept_doc]
    assert kept.title_text == "Wire copy" and kept.where == "feed.jsonl:1"
    for entry in report.entries:
        assert entry.text == run.texts[entry.doc]


def test_attach_inputs_refuses_a_changed_text(run: Run, tmp_path: Path) -> None:
    changed = tmp_path / "in"
    changed.mkdir()
    for rel in ("headline.txt", "b01.txt"):
        text = (run.src / rel).read_text(encoding="utf-8")
        (changed / rel).write_text("Inserted first line\n\n" + text, encoding="utf-8")
    report = read_report(run.report)
    found = attach_inputs(report, [str(changed)])
    assert sorted(found.mismatched) == ["b01.txt", "headline.txt"]
    assert report.first("headline.txt").text is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"rule": "headline", "doc": "a"}\nnot json\n', ":2: not a JSON line"),
        (b"[1, 2]\n", ":1: not a report row"),
        (b'{"doc": "a"}\n', ":1: not a report row"),
    ],
)
def test_a_bad_report_is_one_line_naming_the_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    with pytest.raises(ReportError, match=re.escape(message)):
        read_report(bad)
    result = invoke("report", bad, "-o", tmp_path / "r.html")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {bad}{message}")
    assert not (tmp_path / "r.html").exists()


def test_unknown_rules_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [
        {"rule": "headline", "doc": "a", "start": 5, "end": 9, "text": "Head"},
        {"rule": "future-rule", "doc": "a"},
        {"rule": "title", "doc": "a", "start": 0, "end": 4, "text": "Head", "source": "text"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = read_report(path)
    assert report.unknown == 1
    entry = report.entries[0]
    assert entry.title is not None and entry.headline() == "Head"
    assert len(entry.removals) == 1


# -- the page ---------------------------------------------------------------------------


def _no_network_references(html: str) -> None:
    lowered = html.lower()
    assert "<link" not in lowered and "@import" not in lowered
    assert not re.search(r"<(script|img|iframe|video|audio|source)[^>]*\ssrc=", lowered)
    assert not re.search(r"url\(", lowered)
    assert "http://" not in lowered and "https://" not in lowered
    assert "default-src 'none'" in html  # the CSP forbids every request


def test_report_page_without_inputs(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = invoke("report", run.report, "-o", page)
    assert_ok(result)
    assert f"wrote {page}" in result.stderr
    articles = len(run.boiler_docs) + 2 + len(run.dropped_docs)
    assert f"{articles} articles, 1 cluster, {len(run.dropped_docs)} whole texts" in result.stderr
    html = page.read_text(encoding="utf-8")
    _no_network_references(html)
    data = page_data(html)
    docs = {d[0]: k for k, d in enumerate(data["docs"])}
    rows = [r for r in run.rows() if r["rule"] != "summary"]
    assert set(docs) == {r["doc"] for r in rows}
    for row in rows:  # every removal is on the page, at its offsets, with its score
        k = docs[row["doc"]]
        items = data["rm"][k]
        rule = data["rules"].index(row["rule"])
        assert [rule, row["start"], row["end"], row["segment"], row["similarity"]] in [
            i[:5] for i in items
        ]
    # cleaned articles carry their removed texts; dropped ones their whole text
    k = docs[run.headline_doc]
    headline = next(r for r in rows if r["doc"] == run.headline_doc)
    assert data["tx"][k] is None and data["strs"][data["rm"][k][0][10]] == headline["text"]
    for doc in run.dropped_docs:
        assert data["tx"][docs[doc]] == run.texts[doc]
    assert data["cl"] == [[-1, run.kept_doc, [[docs[d], *_scores(rows, d)] for d in sorted(
        run.dropped_docs, key=lambda d: docs[d])]]]  # fmt: skip
    # the overview: counts per rule, the boilerplate group, the plots
    assert html.count("<svg") >= 5
    assert BOILERPLATE in html and "Most frequent boilerplate" in html
    assert "pass the run's inputs" in html


def _scores(rows: list[dict[str, Any]], doc: str) -> list[Any]:
    row = next(r for r in rows if r["doc"] == doc)
    return [row["similarity"], row.get("containment")]


def test_report_page_with_inputs(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert_ok(
        invoke(
            "report",
            run.report,
            "--input",
            run.src,
            "-o",
            page,
            "--title",
            "BBC <run>",
            "--site-field",
            "site",
        )  # fmt: skip
    )
    html = page.read_text(encoding="utf-8")
    _no_network_references(html)
    assert "<title>dedupe report: BBC &lt;run&gt;</title>" in html
    data = page_data(html)
    docs = {d[0]: k for k, d in enumerate(data["docs"])}
    assert data["tx"][docs[run.headline_doc]] == run.texts[run.headline_doc]
    kept = docs[run.kept_doc]
    assert data["docs"][kept][5] & 1 == 0  # not in the report: only matched
    assert data["tx"][kept] == run.texts[run.kept_doc]
    assert data["cl"][0][0] == kept
    # the title and the segment a paragraph repeats are located in the text
    k = docs[run.headline_doc]
    start, end = data["title"][str(k)]
    assert run.texts[run.headline_doc][start:end] == run.texts[run.headline_doc].split("\n")[0]
    k = docs[run.paragraph_doc]
    (seg, (s, e)), = data["seg"][str(k)].items()  # fmt: skip
    removed = data["rm"][k][0]
    assert int(seg) == removed[7]
    text = run.texts[run.paragraph_doc]
    assert text[s:e] == text[removed[1] : removed[2]]  # the repeat is the same paragraph
    # the site filter has the JSONL site
    assert data["sites"] == ["wire"]
    assert data["docs"][kept][3] == 0 and data["docs"][docs[run.headline_doc]][3] == -1


def test_report_page_is_deterministic_and_not_overwritten(run: Run, tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert_ok(invoke("report", run.report, "-i", run.src, "-o", a))
    assert_ok(invoke("report", run.report, "-i", run.src, "-o", b))
    assert a.read_bytes() == b.read_bytes()
    result = invoke("report", run.report, "-o", a)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert_ok(invoke("report", run.report, "-o", a, "--force"))
    assert a.read_bytes() != b.read_bytes()  # now without the texts


def test_whole_texts_are_capped_kept_copies_first(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    result = invoke("report", run.report, "-i", run.src, "-o", page, "--max-texts", "1")
    assert_ok(result)
    assert f"{len(run.dropped_docs) + 1} whole texts" in result.stderr
    data = page_data(page.read_text(encoding="utf-8"))
    with_text = {d[0] for d, t in zip(data["docs"], data["tx"]) if t is not None}
    assert with_text == {*run.dropped_docs, run.kept_doc}  # the cluster stays comparable
    k = [d[0] for d in data["docs"]].index(run.headline_doc)
    assert data["docs"][k][5] & 4 == 0 and len(data["rm"][k][0]) == 11  # removed text only


def test_large_data_is_embedded_gzipped(run: Run, tmp_path: Path) -> None:
    from dedupe.report.html import write_report_html

    plain, packed = tmp_path / "plain.html", tmp_path / "packed.html"
    write_report_html(str(run.report), str(plain), [str(run.src)])
    outcome = write_report_html(str(run.report), str(packed), [str(run.src)], compress=True)
    html = packed.read_text(encoding="utf-8")
    assert 'type="application/gzip-base64"' in html and outcome.size < plain.stat().st_size
    assert page_data(html) == page_data(plain.read_text(encoding="utf-8"))


def test_report_text_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"
    path = tmp_path / "r.jsonl"
    row = {"rule": "headline", "doc": evil, "start": 0, "end": len(evil), "text": evil}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    page = tmp_path / "r.html"
    assert_ok(invoke("report", path, "-o", page))
    html = page.read_text(encoding="utf-8")
    assert html.count("</script>") == 2  # the data block's and the script's own
    assert evil not in html
    assert page_data(html)["docs"][0][0] == evil


def test_empty_report_gives_a_page(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    page = tmp_path / "r.html"
    result = invoke("report", path, "-o", page)
    assert_ok(result)
    assert "0 articles, 0 clusters" in result.stderr
    assert page_data(page.read_text(encoding="utf-8"))["docs"] == []
