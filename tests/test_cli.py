"""The `dedupe clean` command end to end: real files under ``tmp_path``, the real
example article, refusals, stdin/stdout, the report, dry runs and determinism."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import dedupe
from dedupe.cli import cli

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLE = SHARED / "examples" / "s400-repeated-title.txt"
BBC = SHARED / "data" / "bbc_news_fulltext" / "bbc"

REPORT_FIELDS = [
    "doc", "rule", "segment", "start", "end", "text", "matched_doc", "matched_segment",
    "similarity", "cut_start", "cut_end", "cut_text",
]  # fmt: skip

# What `dedupe restore` needs beyond where each row is: see dedupe/io/writers.py.
RESTORE_FIELDS = {"text_json", "raw_text", "raw_line"}
# What explains a removal, by rule (see Removal.details).
DETAIL_FIELDS = {
    "stories", "sites", "match", "scope", "first_doc",  # boilerplate
    "variant",  # headline
    "matched_file", "matched_line", "containment", "exact", "via",  # document
}  # fmt: skip

_VOCABULARY = (
    "river harbour council budget minister school winter market station railway "
    "engineer festival museum stadium island village farmer factory pilot doctor "
    "garden bridge tunnel highway library theatre orchestra vaccine clinic airport "
    "election senator treaty border customs tariff export import bank loan"
)
_WORDS = _VOCABULARY.split()


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told otherwise
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def clean(*args: object, stdin: bytes | str | None = None) -> Result:
    return _runner().invoke(cli, ["clean", *map(str, args)], input=stdin)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


def sentence(seed: int, n: int = 16) -> str:
    """``n`` words, deterministic in ``seed``, different for different seeds."""
    picked = [
        _WORDS[(seed * 7919 + i * (seed % 13 + 1) * 31 + i * i) % len(_WORDS)] for i in range(n)
    ]
    return " ".join(picked).capitalize() + f" number {seed}."


def article(seed: int, paragraphs: int = 4) -> str:
    title = f"Story {seed}: " + " ".join(_WORDS[(seed + k * 5) % len(_WORDS)] for k in range(5))
    body = [
        sentence(seed * 100 + i) + " " + sentence(seed * 100 + 50 + i) for i in range(paragraphs)
    ]
    return title + "\n\n" + "\n\n".join(body) + "\n"


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (hidden and temporary ones included) -> its bytes."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def digests(root: Path) -> dict[str, str]:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files_under(root).items()}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    # Split on b"\n" only: str.splitlines would also split inside a text holding U+0085,
    # U+2028 and the like, which JSON writes unescaped.
    return [json.loads(line) for line in data.split(b"\n") if line.strip()]


RUN_ROWS = ("file", "run")  # report rows describing the run's files, not removals
NOT_REMOVALS = (*RUN_ROWS, "title", "summary")


def report_rows(data: bytes) -> list[dict[str, Any]]:
    """A report's article rows: removals, errors and titles (not the run's summary,
    file and run rows)."""
    return [r for r in read_jsonl(data) if r["rule"] not in (*RUN_ROWS, "summary")]


def removal_rows(data: bytes) -> list[dict[str, Any]]:
    """The report's removal (and error) rows."""
    return [r for r in read_jsonl(data) if r["rule"] not in NOT_REMOVALS]


def without_run_rows(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(x for x in lines if json.loads(x)["rule"] not in RUN_ROWS)


def untimed(data: bytes | str) -> list[Any]:
    """A report's rows, or stderr's lines, without the time the run took: all that
    must be the same for the same input and options."""
    if isinstance(data, str):
        return [line for line in data.splitlines() if not line.startswith("time: ")]
    rows = read_jsonl(data)
    for row in rows:
        if row.get("rule") == "summary":
            del row["elapsed"], row["articles_per_second"]
    return rows


def run_module(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "dedupe", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


# -- the real example -----------------------------------------------------------


def test_example_repeated_title_is_removed_exactly(tmp_path: Path) -> None:
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} is missing")
    data = EXAMPLE.read_bytes()
    title = data.split(b"\n", 1)[0]
    block = title + b"\n\n"
    # The input: the title, then the same headline twice more, each with its blank line.
    first = data.index(block)
    second = data.index(block, first + len(block))
    assert first == 0 and second == len(block)
    assert data[second : second + 2 * len(block)] == block * 2
    expected = data[:second] + data[second + 2 * len(block) :]
    assert expected.count(title) == 1

    src = tmp_path / "in" / EXAMPLE.name
    src.parent.mkdir()
    shutil.copyfile(EXAMPLE, src)
    out = tmp_path / "out"
    report = tmp_path / "report.jsonl"
    result = clean(src, "-o", out, "--report", report)
    assert_ok(result)
    assert files_under(out) == {EXAMPLE.name: expected}
    assert (out / EXAMPLE.name).read_bytes().count(title) == 1
    assert src.read_bytes() == data

    text = data.decode("utf-8")
    rows = report_rows(report.read_bytes())
    assert [(r["doc"], r["rule"], r["segment"]) for r in rows] == [
        (EXAMPLE.name, "title", 0),
        (EXAMPLE.name, "headline", 1),
        (EXAMPLE.name, "headline", 2),
    ]
    assert rows[0]["source"] == "text" and rows[0]["text"] == title.decode("utf-8")
    rows = rows[1:]
    assert [r["variant"] for r in rows] == ["exact", "exact"]
    for row in rows:
        assert row["text"] == title.decode("utf-8")
        assert row["cut_text"] == block.decode("utf-8")
        assert text[row["start"] : row["end"]] == row["text"]
        assert text[row["cut_start"] : row["cut_end"]] == row["cut_text"]
        assert row["matched_segment"] == 0


# -- refusals ---------------------------------------------------------------------


def _refusal_args(case: str, src: Path, tmp: Path) -> list[object]:
    return {
        "output-is-input-folder": [src, "-o", src],
        "output-inside-input-folder": [src, "-o", src / "cleaned"],
        "output-deep-inside-input-folder": [src, "-o", src / "sub" / "cleaned"],
        "output-is-input-folder-via-dots": [src, "-o", src / "sub" / ".."],
        "output-would-overwrite-input-file": [src / "a.txt", "-o", src],
        "output-would-overwrite-nested-input": [src / "sub" / "b.txt", "-o", src / "sub"],
        "output-is-an-existing-file": [src / "a.txt", "-o", tmp / "exists.txt"],
        "missing-output": [src],
        "missing-output-stdin": ["-"],
    }[case]


REFUSALS = [
    "output-is-input-folder",
    "output-inside-input-folder",
    "output-deep-inside-input-folder",
    "output-is-input-folder-via-dots",
    "output-would-overwrite-input-file",
    "output-would-overwrite-nested-input",
    "output-is-an-existing-file",
    "missing-output",
    "missing-output-stdin",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_exit_2_and_write_nothing(tmp_path: Path, case: str) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(article(1), encoding="utf-8")
    (src / "sub" / "b.txt").write_text(article(2), encoding="utf-8")
    (tmp_path / "exists.txt").write_text("not a folder\n", encoding="utf-8")
    before = files_under(tmp_path)
    report = tmp_path / "report.jsonl"
    result = clean(*_refusal_args(case, src, tmp_path), "--report", report, stdin=jsonl([]))
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "Error" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.txt", "in"]


def test_existing_output_file_needs_force(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    text = article(3)
    (src / "a.txt").write_text(text + "\n" + text.split("\n\n")[1] + "\n", encoding="utf-8")
    (src / "b.txt").write_text(article(4), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_bytes(b"old contents\n")
    before = files_under(tmp_path)

    result = clean(src, "-o", out)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--force" in result.stderr
    assert files_under(tmp_path) == before  # b.txt was not written either

    result = clean(src, "-o", out, "--force")
    assert_ok(result)
    assert files_under(out) == {
        "a.txt": text.encode("utf-8"),
        "b.txt": article(4).encode("utf-8"),
    }


def test_output_folder_may_exist_when_empty_or_holding_other_files(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(5), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "unrelated.txt").write_bytes(b"keep me\n")
    assert_ok(clean(src, "-o", out))
    assert files_under(out) == {"a.txt": article(5).encode(), "unrelated.txt": b"keep me\n"}


# -- stdin and stdout ---------------------------------------------------------------


def _stdin_records() -> list[dict[str, Any]]:
    body = article(10)
    return [
        {"id": 1, "title": "One", "text": body, "lang": "en"},
        {"id": "two", "text": article(11), "nested": {"b": 1, "a": 2}},
        {"id": 3, "title": "Copy", "text": body, "lang": "en"},  # near duplicate of 1
        {"id": 4, "text": article(12)},
    ]


def test_stdin_to_stdout_writes_only_jsonl_on_stdout(tmp_path: Path) -> None:
    records = _stdin_records()
    result = clean("-", "-o", "-", stdin=jsonl(records))
    assert_ok(result)
    lines = result.stdout.splitlines()
    got = [json.loads(line) for line in lines]  # every stdout line is JSON
    assert got == [records[0], records[1], records[3]]
    assert [list(r) for r in got] == [list(records[i]) for i in (0, 1, 3)]
    assert "documents: 4 read, 3 written, 1 dropped" in result.stderr
    assert "documents" not in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_stdin_to_stdout_quiet_prints_nothing_on_stderr() -> None:
    result = clean("-", "-o", "-", "-q", stdin=jsonl(_stdin_records()))
    assert_ok(result)
    assert result.stderr == ""
    assert len(read_jsonl(result.stdout_bytes)) == 3


def test_stdin_to_stdout_in_a_real_process(tmp_path: Path) -> None:
    records = _stdin_records()
    proc = run_module(
        "clean", "-", "-o", "-", "--report", str(tmp_path / "r.jsonl"), stdin=jsonl(records)
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()] == [
        records[0],
        records[1],
        records[3],
    ]
    err = proc.stderr.decode("utf-8")
    assert "documents: 4 read" in err
    assert "segments:" in err
    assert "Traceback" not in err
    rows = report_rows((tmp_path / "r.jsonl").read_bytes())
    rows = [r for r in rows if r["rule"] != "title"]
    assert [(r["doc"], r["rule"], r["matched_doc"]) for r in rows] == [("3", "document", "1")]
    assert rows[0]["matched_file"] == rows[0]["file"] == "stdin.jsonl"
    assert rows[0]["matched_line"] == 1


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"id": 1, "text": "fine"}\n{"id": 2 "text": "x"}\n')
    proc = run_module("clean", str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert f"{bad}:2" in err
    assert proc.stdout == b""
    assert not (tmp_path / "out").exists()


# -- the report and dry runs -----------------------------------------------------------


def _report_corpus(src: Path) -> dict[str, str]:
    """A folder exercising headline, paragraph and document removals; doc id -> original text."""
    (src / "sub").mkdir(parents=True)
    a = article(20)
    title, rest = a.split("\n\n", 1)
    repeated = rest.split("\n\n")[1]
    a = f"{title}\n\n{title}\n\n{rest}\n{repeated}\n\nLast words of the story here.\n"
    b = article(21)
    originals = {"a.txt": a, "b.txt": b, "sub/c.txt": b, "sub/e.txt": article(22)}
    for rel, text in originals.items():
        (src / rel).write_text(text, encoding="utf-8")
    records = [
        {"id": 100, "text": article(23) + "\n" + sentence(2300) + " " + sentence(2350) + "\n"},
        {"id": 101, "text": article(24)},
        {"id": 102, "title": "Again", "text": article(24)},
    ]
    (src / "d.jsonl").write_bytes(jsonl(records))
    originals.update({str(r["id"]): r["text"] for r in records})
    return originals


def _splice(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in sorted(spans):
        assert start >= pos
        out.append(text[pos:start])
        pos = end
    return "".join(out) + text[pos:]


def test_report_rows_locate_what_was_removed(tmp_path: Path) -> None:
    src = tmp_path / "in"
    originals = _report_corpus(src)
    out = tmp_path / "out"
    report = tmp_path / "reports" / "removals.jsonl"
    assert_ok(clean(src, "-o", out, "--report", report))
    rows = report_rows(report.read_bytes())
    titles = [r for r in rows if r["rule"] == "title"]
    assert {r["doc"] for r in titles} == {r["doc"] for r in rows}
    for row in titles:
        if row["source"] == "text":
            assert originals[row["doc"]][row["start"] : row["end"]] == row["text"]
    rows = [r for r in rows if r["rule"] != "title"]
    assert {(r["doc"], r["rule"]) for r in rows} >= {
        ("a.txt", "headline"),
        ("a.txt", "paragraph"),
        ("sub/c.txt", "document"),
        ("100", "paragraph"),
        ("102", "document"),
    }
    cuts: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        assert list(row)[: len(REPORT_FIELDS) + 2] == [*REPORT_FIELDS, "file", "line"]
        assert set(row) - {*REPORT_FIELDS, "file", "line"} <= RESTORE_FIELDS | DETAIL_FIELDS
        original = originals[row["doc"]]
        assert original[row["start"] : row["end"]] == row["text"]
        assert original[row["cut_start"] : row["cut_end"]] == row["cut_text"]
        assert row["cut_start"] <= row["start"] <= row["end"] <= row["cut_end"]
        assert row["rule"] in ("headline", "paragraph", "boilerplate", "document")
        assert 0.0 <= row["similarity"] <= 1.0
        assert row["matched_doc"] in originals
        if row["rule"] == "document":
            assert row["segment"] is None and row["matched_segment"] is None
            assert (row["start"], row["end"]) == (0, len(original))
        else:
            assert isinstance(row["segment"], int)
            cuts.setdefault(row["doc"], []).append((row["cut_start"], row["cut_end"]))
    # The cleaned copies are exactly the originals minus the reported cuts.
    dropped = {r["doc"] for r in rows if r["rule"] == "document"}
    assert dropped == {"sub/c.txt", "102"}
    for rel in ("a.txt", "b.txt", "sub/e.txt"):
        expected = _splice(originals[rel], cuts.get(rel, []))
        assert (out / rel).read_text(encoding="utf-8") == expected
    assert not (out / "sub" / "c.txt").exists()
    texts = {str(r["id"]): r["text"] for r in read_jsonl((out / "d.jsonl").read_bytes())}
    assert texts == {k: _splice(originals[k], cuts.get(k, [])) for k in ("100", "101")}


def test_dry_run_writes_the_report_but_no_output(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _report_corpus(src)
    before = digests(src)
    full = tmp_path / "full.jsonl"
    assert_ok(clean(src, "-o", tmp_path / "full-out", "--report", full))

    out = tmp_path / "out"
    report = tmp_path / "dry.jsonl"
    result = clean(src, "-o", out, "--report", report, "--dry-run")
    assert_ok(result)
    assert not out.exists()
    assert untimed(report.read_bytes()) == untimed(without_run_rows(full.read_bytes()))
    assert "documents: 7 read, 5 written, 2 dropped" in result.stderr
    assert result.stdout == ""

    report2 = tmp_path / "dry-no-output.jsonl"
    assert_ok(clean(src, "--dry-run", "--report", report2))
    assert untimed(report2.read_bytes()) == untimed(without_run_rows(full.read_bytes()))
    assert digests(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dry-no-output.jsonl",
        "dry.jsonl",
        "full-out",
        "full.jsonl",
        "in",
    ]


def test_dry_run_to_stdout_writes_nothing_on_stdout(tmp_path: Path) -> None:
    result = clean("-", "-o", "-", "--dry-run", stdin=jsonl(_stdin_records()))
    assert_ok(result)
    assert result.stdout == ""
    assert "documents: 4 read" in result.stderr


def test_report_path_on_an_input_file_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(30), encoding="utf-8")
    before = files_under(tmp_path)
    result = clean(src / "a.txt", "--dry-run", "--report", src / "a.txt")
    assert files_under(tmp_path) == before  # the input must survive
    assert result.exit_code == 2


def test_report_path_on_an_output_file_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(31), encoding="utf-8")
    out = tmp_path / "out"
    result = clean(src, "-o", out, "--report", out / "a.txt")
    assert result.exit_code == 2
    assert not out.exists()


# -- determinism and inputs ------------------------------------------------------------


def _bbc_corpus(src: Path) -> None:
    if not BBC.is_dir():
        pytest.skip(f"{BBC} is missing")
    picks = ["business/001.txt", "politics/001.txt", "sport/001.txt", "entertainment/001.txt"]
    (src / "sub").mkdir(parents=True)
    for rel in picks:
        shutil.copyfile(BBC / rel, src / rel.replace("/", "-"))
    shutil.copyfile(BBC / "entertainment/001.txt", src / "sub" / "copy.txt")  # exact duplicate
    base = (BBC / "tech/002.txt").read_text(encoding="utf-8")
    longest = max(base.split("\n\n")[1:], key=len).strip("\n")
    (src / "sub" / "repeated.txt").write_text(
        base.rstrip("\n") + "\n\n" + longest + "\n", encoding="utf-8"
    )


def test_two_runs_give_identical_outputs_and_reports(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _bbc_corpus(src)
    runs = []
    for n, hashseed in ((1, "1"), (2, "2")):
        out, report = tmp_path / f"out{n}", tmp_path / f"report{n}.jsonl"
        proc = run_module(
            "clean", str(src), "-o", str(out), "--report", str(report),
            env={"PYTHONHASHSEED": hashseed},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        runs.append((files_under(out), report.read_bytes(), proc.stderr))
    (out1, rep1, err1), (out2, rep2, err2) = runs
    assert (out1, untimed(rep1), untimed(err1.decode())) == (
        out2, untimed(rep2), untimed(err2.decode()),
    )  # fmt: skip
    outputs, report_bytes, _ = runs[0]
    # The exact copy is dropped and the repeated paragraph removed.
    assert "sub/copy.txt" not in outputs
    assert outputs["sub/repeated.txt"] == (BBC / "tech/002.txt").read_bytes().rstrip(b"\n") + b"\n"
    rules = [(r["doc"], r["rule"]) for r in removal_rows(report_bytes)]
    assert ("sub/copy.txt", "document") in rules
    assert ("sub/repeated.txt", "paragraph") in rules
    # In-process runs agree with the subprocess runs.
    out3, report3 = tmp_path / "out3", tmp_path / "report3.jsonl"
    assert_ok(clean(src, "-o", out3, "--report", report3))
    assert files_under(out3) == outputs
    assert untimed(report3.read_bytes()) == untimed(report_bytes)


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    import gzip

    src = tmp_path / "in"
    _report_corpus(src)
    (src / "gz").mkdir()
    (src / "gz" / "g.jsonl.gz").write_bytes(
        gzip.compress(jsonl([{"id": "g", "text": article(40) + "\n" + article(40)}]))
    )
    (src / ".hidden.txt").write_text(article(41), encoding="utf-8")
    (src / "notes.md").write_text("# notes\n", encoding="utf-8")
    (src / "crlf.txt").write_bytes(article(42).replace("\n", "\r\n").encode("utf-8"))
    before = digests(src)
    stats = {p: p.stat().st_mtime_ns for p in src.rglob("*") if p.is_file()}
    assert_ok(clean(src, "-o", tmp_path / "out", "--report", tmp_path / "r.jsonl"))
    assert_ok(clean(src, "-o", tmp_path / "out", "--report", tmp_path / "r.jsonl", "--force"))
    assert_ok(clean(src, "--dry-run", "--report", tmp_path / "r2.jsonl"))
    assert_ok(clean(src / "a.txt", src / "d.jsonl", "-o", "-"))
    assert digests(src) == before
    assert {p: p.stat().st_mtime_ns for p in src.rglob("*") if p.is_file()} == stats


# -- help and version -------------------------------------------------------------------

OPTIONS = [
    "--output", "-o", "--report", "--dry-run", "--keep", "--force", "--id-field",
    "--title-field", "--text-field", "--no-boilerplate", "--no-headlines", "--no-paragraphs",
    "--no-documents", "--min-docs", "--paragraph-threshold", "--document-threshold", "--seed",
    "--quiet", "--jobs", "--on-error", "--site-field",
]  # fmt: skip


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_clean_help_mentions_every_option(flag: str) -> None:
    result = _runner().invoke(cli, ["clean", flag])
    assert_ok(result)
    for option in OPTIONS:
        assert option in result.stdout, option
    assert "first" in result.stdout and "longest" in result.stdout


def test_top_level_help_lists_clean() -> None:
    result = _runner().invoke(cli, ["--help"])
    assert_ok(result)
    assert "clean" in result.stdout


def test_python_m_dedupe_version() -> None:
    proc = run_module("--version")
    assert proc.returncode == 0, proc.stderr
    assert dedupe.__version__ in proc.stdout.decode("utf-8")
    assert "dedupe" in proc.stdout.decode("utf-8")
