"""`dedupe explain`: one article's removals and what each matched, on a real run over BBC
excerpts (CliRunner, the report written by the real `dedupe clean`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .report_corpus import BOILERPLATE, Run, shared_run
from .test_cli import assert_ok
from .test_report_html import invoke

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_run(tmp_path_factory)


def test_headline_repeat_quotes_the_title(run: Run) -> None:
    result = invoke("explain", run.report, run.headline_doc, "--input", run.src)
    assert_ok(result)
    out = result.stdout
    title = run.texts[run.headline_doc].split("\n")[0]
    assert out.startswith(f"{run.headline_doc}  {run.headline_doc}\n")
    assert "1 removal (1 headline)" in out
    assert f"title: {title}\n" in out  # the title row: the title chosen from the text
    assert f"repeats the title (segment 0), matched as exact: “{title}”" in out
    # piped: no colour, the removal marked in the text
    assert not ANSI.search(out)
    assert f"[-{title}-]{{headline}}" in out
    assert out.count(title) == 5  # title:, removed:, the title quoted, twice in the text


def test_paragraph_repeat_quotes_the_earlier_paragraph(run: Run) -> None:
    row = next(r for r in run.rows() if r["doc"] == run.paragraph_doc)
    result = invoke("explain", run.report, run.paragraph_doc, "-i", run.src, "--no-text")
    assert_ok(result)
    quoted = " ".join(row["text"].split())
    assert f"repeats segment {row['matched_segment']}: “{quoted[:280]}" in result.stdout
    assert "text:" not in result.stdout
    # without the inputs the earlier paragraph is unknown, but its number is not
    bare = invoke("explain", run.report, run.paragraph_doc)
    assert_ok(bare)
    assert f"repeats segment {row['matched_segment']}\n" in bare.stdout
    assert "pass the run's inputs with --input to see the whole text" in bare.stdout


def test_boilerplate_names_the_first_article_and_counts(run: Run) -> None:
    first, second = run.boiler_docs[:2]
    result = invoke("explain", run.report, second)
    assert_ok(result)
    others = len(run.boiler_docs) - 1
    assert f"removed: [-{BOILERPLATE}-]{{boilerplate}}" in result.stdout
    assert f"removed {others} other times in this report" in result.stdout
    assert f"first other article with it: {first} ({first})" in result.stdout
    assert "this is the first article with it" in invoke("explain", run.report, first).stdout


def test_dropped_duplicate_shows_the_word_diff(run: Run) -> None:
    doc = run.dropped_docs[0]
    row = next(r for r in run.rows() if r["doc"] == doc)
    result = invoke("explain", run.report, doc, "-i", run.src)
    assert_ok(result)
    out = result.stdout
    assert f"dropped whole ({len(run.texts[doc]):,} characters)" in out
    assert (
        f"dropped as a near duplicate of {run.kept_doc} (feed.jsonl:1): "
        f"score {row['similarity']:.2f}"
    ) in out
    assert "word diff with the kept copy:" in out
    assert "[-changed-]" in out and "{+changed+}" in out  # the copies' own edits
    # the kept article: not in the report, but named as what the copies matched
    kept = invoke("explain", run.report, run.kept_doc)
    assert_ok(kept)
    assert "kept whole: nothing was removed from it" in kept.stdout
    assert "kept in place of 2 near duplicates: sub/copy.txt, sub/original.txt" in kept.stdout


def test_colour_on_request(run: Run) -> None:
    result = invoke("explain", run.report, run.headline_doc, "-i", run.src, "--color")
    assert_ok(result)
    assert ANSI.search(result.stdout)
    assert "\x1b[9;" in result.stdout  # strike-through
    assert "[-" not in ANSI.sub("", result.stdout)  # no plain markers when styled


def test_unknown_id_suggests_close_ones(run: Run) -> None:
    result = invoke("explain", run.report, "b1.txt")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {run.report} names no article 'b1.txt'")
    assert "did you mean" in lines[0] and "'b01.txt'" in lines[0]


def test_missing_report_is_one_line(tmp_path: Path) -> None:
    result = invoke("explain", tmp_path / "nope.jsonl", "x")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'nope.jsonl'}: No such file or directory"


def test_rows_of_the_coming_report_format(tmp_path: Path) -> None:
    """Rows with the fields being added (stories, sites, match, variant, containment,
    matched_file/line, title rows) are shown; their absence is tolerated elsewhere."""
    text = "Title here\n\nBody one two three.\n\nTitle here\n\nShare this"
    rows = [
        {"rule": "title", "doc": "a", "segment": 0, "start": 0, "end": 10, "text": "Title here",
         "source": "text", "file": "a.txt", "line": None},
        {"rule": "headline", "doc": "a", "segment": 2, "start": 33, "end": 43,
         "text": "Title here", "matched_doc": "a", "matched_segment": 0, "similarity": 1.0,
         "variant": "exact", "file": "a.txt", "line": None},
        {"rule": "boilerplate", "doc": "a", "segment": 3, "start": 45, "end": 55,
         "text": "Share this", "matched_doc": "b", "matched_segment": 4, "similarity": 1.0,
         "stories": 12, "sites": 3, "first_doc": "b", "match": "shape", "file": "a.txt",
         "line": None},
        {"rule": "document", "doc": "c", "segment": None, "start": 0, "end": 4, "text": "copy",
         "matched_doc": "a", "matched_file": "a.txt", "matched_line": None,
         "similarity": 0.91, "containment": 0.97, "file": "c.txt", "line": None},
    ]  # fmt: skip
    assert text[33:43] == "Title here" and text[45:55] == "Share this"
    report = tmp_path / "r.jsonl"
    report.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = invoke("explain", report, "a").stdout
    assert "title: Title here" in out
    assert "repeats the title (segment 0), matched as exact: “Title here”" in out
    assert "boilerplate: in 12 stories, on 3 sites, shape match" in out
    assert "first other article with it: b, segment 4" in out
    dropped = invoke("explain", report, "c").stdout
    assert "dropped as a near duplicate of a (a.txt): score 0.91, containment 0.97" in dropped
    assert invoke("explain", report, "c.txt").stdout == dropped  # found by its file too
