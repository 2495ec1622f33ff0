"""Reading and writing through `dedupe clean`: folders, JSONL (plain, gzipped, renamed
fields) and bad input. Every test works on real files under ``tmp_path``."""

from __future__ import annotations

import gzip
import json
import os
import random
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from click.testing import Result

from dedupe.io import atomic

from .test_cli import clean, report_rows, run_module
from .test_restore import run

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "da", "gu", "fe", "zo", "bi"]


def words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def paragraph(seed: int, n: int = 20) -> str:
    return " ".join(words(seed, n)).capitalize() + "."


def article(seed: int, paragraphs: int = 4) -> str:
    """A synthetic article: a title line, then paragraphs separated by blank lines."""
    title = " ".join(words(seed * 1000, 6)).title()
    body = [paragraph(seed * 1000 + i + 1) for i in range(paragraphs)]
    return title + "\n\n" + "\n\n".join(body) + "\n"


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (hidden and temporary ones included) -> its bytes."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


# -- folders ------------------------------------------------------------------


def test_folder_is_mirrored_with_relative_paths(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "world" / "europe").mkdir(parents=True)
    texts = {
        "a.txt": article(1),
        "world/b.txt": article(2),
        "world/europe/c.txt": article(3),
    }
    for rel, text in texts.items():
        (src / rel).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = clean(src, "-o", out)
    assert_ok(result)
    assert files_under(out) == {rel: text.encode("utf-8") for rel, text in texts.items()}


def test_folder_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / ".cache").mkdir(parents=True)
    (src / "a.txt").write_text(article(1), encoding="utf-8")
    (src / ".draft.txt").write_text(article(2), encoding="utf-8")
    (src / ".cache" / "b.txt").write_text(article(3), encoding="utf-8")
    (src / ".cache" / "c.jsonl").write_bytes(jsonl([{"id": 1, "text": article(4)}]))
    out = tmp_path / "out"
    result = clean(src, "-o", out)
    assert_ok(result)
    assert list(files_under(out)) == ["a.txt"]
    assert "documents: 1 read" in result.stderr


def test_folder_skips_other_types_and_says_so_on_stderr(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(1), encoding="utf-8")
    (src / "notes.md").write_text(article(2), encoding="utf-8")
    out = tmp_path / "out"
    result = clean(src, "-o", out)
    assert_ok(result)
    assert list(files_under(out)) == ["a.txt"]
    assert "notes.md" in result.stderr
    assert "skipped 1 " in result.stderr
    assert result.stdout == ""

    (src / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00binary")
    result = clean(src, "-o", tmp_path / "out2")
    assert_ok(result)
    assert list(files_under(tmp_path / "out2")) == ["a.txt"]
    assert "skipped 2 " in result.stderr


def test_folder_is_read_in_sorted_order(tmp_path: Path) -> None:
    """Of two identical articles the one first in sorted order is kept, whatever the
    order the files were created in."""
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    text = article(7, paragraphs=5)
    for name in ("d.txt", "c.txt", "b.txt", "a.txt"):
        (src / name).write_text(text if name in ("b.txt", "d.txt") else article(200 + ord(name[0])))
    (src / "sub" / "z.txt").write_text(article(99), encoding="utf-8")
    (src / "sub" / "y.txt").write_text(article(98), encoding="utf-8")
    result = clean(src, "-o", "-")
    assert_ok(result)
    ids = [r["id"] for r in read_jsonl(result.stdout_bytes)]
    # d.txt is dropped as a duplicate of b.txt, the first of the two in sorted order.
    assert ids == ["a.txt", "b.txt", "c.txt", "sub/y.txt", "sub/z.txt"]

    out = tmp_path / "out"
    assert_ok(clean(src, "-o", out))
    assert sorted(files_under(out)) == ["a.txt", "b.txt", "c.txt", "sub/y.txt", "sub/z.txt"]


def test_crlf_text_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    title = "Storm closes the coast road overnight"
    body = paragraph(90) + "\r\n\r\n" + paragraph(91) + "\r\n"
    src = tmp_path / "crlf.txt"
    src.write_bytes(f"{title}\r\n\r\n{title}\r\n\r\n{body}".encode())
    out = tmp_path / "out"
    assert_ok(clean(src, "-o", out))
    assert (out / "crlf.txt").read_bytes() == f"{title}\r\n\r\n{body}".encode()


# -- JSONL --------------------------------------------------------------------


def _records() -> list[dict[str, Any]]:
    return [
        {"id": 30, "url": "https://example.com/30", "title": "Thirty", "text": article(30),
         "tags": ["a", "b"], "meta": {"z": 1, "a": [1, 2.5, None]}, "flag": None},
        {"source": "wire", "id": "b-7", "text": article(31), "score": 0.25, "ok": True},
        {"text": article(32), "id": 1, "extra": "ünïcödé ✓ 中文"},
    ]  # fmt: skip


def test_jsonl_keeps_order_extra_fields_key_order_and_id_type(tmp_path: Path) -> None:
    records = _records()
    src = tmp_path / "articles.jsonl"
    src.write_bytes(jsonl(records))
    out = tmp_path / "out"
    assert_ok(clean(src, "-o", out))
    data = (out / "articles.jsonl").read_bytes()
    got = read_jsonl(data)
    assert got == records
    for before, after in zip(records, got):
        assert list(after) == list(before)
        assert type(after["id"]) is type(before["id"])
    assert type(got[0]["id"]) is int
    # Nothing was removed, so the file round-trips byte for byte.
    assert data == src.read_bytes()


def test_jsonl_only_text_field_changes_when_cleaned(tmp_path: Path) -> None:
    body = article(40)
    para = paragraph(40_001)  # the first paragraph of the body
    record = {"id": 5, "before": 1, "text": body + "\n" + para + "\n", "after": {"k": "v"}}
    src = tmp_path / "a.jsonl"
    src.write_bytes(jsonl([record]))
    out = tmp_path / "out"
    assert_ok(clean(src, "-o", out))
    (got,) = read_jsonl((out / "a.jsonl").read_bytes())
    assert list(got) == ["id", "before", "text", "after"]
    assert got == {**record, "text": body}
    assert type(got["id"]) is int


def test_jsonl_field_names_can_be_renamed(tmp_path: Path) -> None:
    headline = "Harbour bridge reopens after repairs finish early"
    body = f"{headline}\n\n{paragraph(50)}\n\n{paragraph(51)}\n"
    records = [
        {"key": 11, "headline": headline, "body": body, "id": "not-the-id", "text": "untouched"},
        {"key": 12, "headline": "Another day", "body": article(52), "text": 3},
    ]
    src = tmp_path / "renamed.jsonl"
    src.write_bytes(jsonl(records))
    out = tmp_path / "out"
    report = tmp_path / "report.jsonl"
    result = clean(
        src, "-o", out, "--report", report,
        "--id-field", "key", "--title-field", "headline", "--text-field", "body",
    )  # fmt: skip
    assert_ok(result)
    got = read_jsonl((out / "renamed.jsonl").read_bytes())
    assert [list(r) for r in got] == [list(r) for r in records]
    # The headline repeated at the top of the body is removed; all else is kept as it was.
    assert got[0] == {**records[0], "body": f"{paragraph(50)}\n\n{paragraph(51)}\n"}
    assert got[1] == records[1]
    rows = report_rows(report.read_bytes())
    assert [(r["doc"], r["rule"], r["text"]) for r in rows] == [
        ("11", "title", headline),  # from the title field
        ("11", "headline", headline),
    ]
    assert rows[0]["source"] == "field"


def test_jsonl_gz_in_gives_jsonl_gz_out(tmp_path: Path) -> None:
    records = _records()
    src = tmp_path / "in"
    src.mkdir()
    (src / "part-1.jsonl.gz").write_bytes(gzip.compress(jsonl(records)))
    (src / "part-2.jsonl").write_bytes(jsonl([{"id": 2, "text": article(60)}]))
    out = tmp_path / "out"
    assert_ok(clean(src, "-o", out))
    assert sorted(files_under(out)) == ["part-1.jsonl.gz", "part-2.jsonl"]
    with gzip.open(out / "part-1.jsonl.gz", "rb") as fh:
        assert read_jsonl(fh.read()) == records
    assert read_jsonl((out / "part-2.jsonl").read_bytes()) == [{"id": 2, "text": article(60)}]


def test_jsonl_near_duplicate_record_is_dropped(tmp_path: Path) -> None:
    body = "\n\n".join(paragraph(70 + i) for i in range(4)) + "\n"  # 80 words
    assert len(body.split()) == 80
    records = [
        {"id": 1, "title": "First copy", "text": body, "site": "a"},
        {"id": 2, "title": "Unrelated", "text": article(71), "site": "b"},
        {"id": 3, "title": "Second copy", "text": body.replace("\n\n", "\n\n\n"), "site": "c"},
        {"id": 4, "title": "Third copy", "text": body, "site": "d"},
    ]
    src = tmp_path / "dups.jsonl"
    src.write_bytes(jsonl(records))
    out = tmp_path / "out"
    report = tmp_path / "report.jsonl"
    result = clean(src, "-o", out, "--report", report)
    assert_ok(result)
    assert read_jsonl((out / "dups.jsonl").read_bytes()) == records[:2]
    rows = [r for r in read_jsonl(report.read_bytes()) if r["rule"] == "document"]
    assert [(r["doc"], r["matched_doc"]) for r in rows] == [("3", "1"), ("4", "1")]
    assert "2 dropped" in result.stderr


def test_stdin_jsonl_to_folder(tmp_path: Path) -> None:
    records = _records()
    out = tmp_path / "out"
    assert_ok(clean("-", "-o", out, stdin=jsonl(records)))
    assert list(files_under(out)) == ["stdin.jsonl"]
    assert read_jsonl((out / "stdin.jsonl").read_bytes()) == records


# -- bad input ----------------------------------------------------------------

GOOD = article(80)


def _bad_cases() -> dict[str, tuple[str, bytes, str | None]]:
    """name -> (file name, contents, the line the message must name or None)."""
    good_line = json.dumps({"id": 1, "text": GOOD})
    return {
        "invalid-utf8": ("bad.txt", b"Title\n\nSome text\nna\xefve caf\xe9\n", ":4"),
        "nul-byte": ("bad.txt", b"Title\n\nbinary \x00 data\n", ":3"),
        "empty": ("bad.txt", b"", None),
        "malformed-json": (
            "bad.jsonl", (good_line + "\n\n" + '{"id": 2, "text": "oops}\n').encode(), ":3"
        ),
        "missing-text": ("bad.jsonl", (good_line + '\n{"id": 2, "body": "x"}\n').encode(), ":2"),
        "text-not-string": (
            "bad.jsonl", (good_line + "\n" + good_line + '\n{"id": 3, "text": 42}\n').encode(), ":3"
        ),
        "not-an-object": ("bad.jsonl", b"[1, 2, 3]\n", ":1"),
        "truncated-gz": (
            "bad.jsonl.gz", gzip.compress((good_line + "\n").encode() * 50)[:-20], None
        ),
        "not-gzip": ("bad.jsonl.gz", (good_line + "\n").encode(), None),
    }  # fmt: skip


def _assert_clean_failure(result: Result, name: str, line: str | None) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # handled, no traceback
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in result.output
    assert name in message
    if line is not None:
        assert f"{name}{line}" in message
    return message


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_input_fails_cleanly_and_writes_nothing(tmp_path: Path, case: str) -> None:
    name, data, line = _bad_cases()[case]
    src = tmp_path / "in"
    src.mkdir()
    (src / "a-good.txt").write_text(GOOD, encoding="utf-8")  # sorted before the bad file
    (src / "b-good.jsonl").write_bytes(jsonl([{"id": 9, "text": article(81)}]))
    (src / "sub").mkdir()
    (src / "sub" / name).write_bytes(data)
    before = files_under(tmp_path)
    out = tmp_path / "out"
    report = tmp_path / "report.jsonl"
    result = clean(src, "-o", out, "--report", report)
    _assert_clean_failure(result, name, line)
    assert result.stdout == ""
    assert files_under(out) == {}
    assert files_under(tmp_path) == before  # no report, no temporary files left behind


@pytest.mark.parametrize("case", ["malformed-json", "missing-text", "text-not-string"])
def test_bad_stdin_fails_cleanly_and_writes_nothing(tmp_path: Path, case: str) -> None:
    _, data, line = _bad_cases()[case]
    result = clean("-", "-o", "-", stdin=data)
    _assert_clean_failure(result, "-", line)
    assert result.stdout == ""


def test_bad_file_named_directly_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_bytes(b'{"id": 1, "text": "fine"}\n{"id": 2, "text": \n')
    out = tmp_path / "out"
    result = clean(bad, "-o", out)
    message = _assert_clean_failure(result, "broken.jsonl", ":2")
    assert str(bad) in message
    assert not out.exists()


def test_nonexistent_input_fails_cleanly(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    missing = tmp_path / "no-such-article.txt"
    out = tmp_path / "out"
    result = clean(good, missing, "-o", out)
    message = _assert_clean_failure(result, "no-such-article.txt", None)
    assert str(missing) in message
    assert files_under(out) == {}


# -- file modes follow the umask ------------------------------------------------------


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], indirect=True)
def test_outputs_report_and_restored_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(1) + paragraph(1001) + "\n", encoding="utf-8")
    (src / "b.jsonl.gz").write_bytes(gzip.compress(jsonl([{"id": 1, "text": article(2)}])))
    (src / "c.csv").write_text("id,text\n1,plain\n", encoding="utf-8")
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    result = run("restore", out, "--report", report, "-o", back)
    assert result.exit_code == 0, result.stderr
    want = 0o666 & ~umask
    made = [report, *out.rglob("*"), *back.rglob("*")]
    assert len(made) == 7
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == want, (path, oct(path.stat().st_mode))


# -- where outputs and the report may go ----------------------------------------------


def test_report_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(article(1), encoding="utf-8")
    result = clean(src, "-o", tmp_path / "out", "--report", src / "r.jsonl")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: the report {src / 'r.jsonl'} lies inside the input folder {src}; put it elsewhere"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert [p.name for p in src.iterdir()] == ["a.txt"]


def test_report_inside_output_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text(article(1), encoding="utf-8")
    out = tmp_path / "out"
    result = clean(src, "-o", out, "--report", out / "logs" / "r.jsonl")
    assert result.exit_code == 2
    assert "lies inside OUTPUT" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_output_containing_an_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(article(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = files_under(tmp_path)
    for output in (".", str(tmp_path)):
        result = clean("in", "-o", output)
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"Error: OUTPUT {output} contains the input in; choose another folder"
        )
    assert files_under(tmp_path) == before


# -- stdin is spooled, not held ---------------------------------------------------------


def test_stdin_is_read_twice_from_a_spool_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cleaner reads its input twice: stdin goes to an anonymous temporary file (an
    exact duplicate later in the stream proves both passes saw every record)."""
    records = [{"id": n, "text": article(n)} for n in range(200)]
    records.append({"id": "copy", "text": article(7)})
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    result = clean("-", "-o", "-", "-j", "1", stdin=jsonl(records))
    assert_ok(result)
    assert [r["id"] for r in read_jsonl(result.stdout_bytes)] == list(range(200))
    assert "1 dropped" in result.stderr
    assert list(spool.iterdir()) == []


def test_stdin_in_a_real_process_to_a_folder(tmp_path: Path) -> None:
    records = [{"id": n, "text": article(n)} for n in range(30)]
    proc = run_module("clean", "-", "-o", str(tmp_path / "out"), "-j", "1", stdin=jsonl(records))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "stdin.jsonl").read_bytes() == jsonl(records)


# -- corrupt compressed streams -----------------------------------------------------------


def _streams() -> dict[str, bytes]:
    data = jsonl([{"id": n, "text": article(300 + n)} for n in range(40)])
    zst = zstandard.ZstdCompressor().compress(data)
    gz = gzip.compress(data, mtime=0)
    flipped = bytearray(gz)
    flipped[len(gz) // 2] ^= 0xFF
    return {
        "truncated.jsonl.gz": gz[: len(gz) // 2],
        "flipped.jsonl.gz": bytes(flipped),
        "truncated.jsonl.zst": zst[: len(zst) // 2],
        "garbage.jsonl.zst": b"\x28\xb5\x2f\xfd" + bytes(range(200)),
        "truncated.txt.gz": gzip.compress(article(9).encode())[:-12],
    }


@pytest.mark.parametrize("name", list(_streams()))
@pytest.mark.parametrize("mode", ["fail", "skip", "keep"])
def test_corrupt_compressed_stream_under_each_on_error(
    tmp_path: Path, name: str, mode: str
) -> None:
    """The first half of a truncated stream decompresses fine: still, no record of it is
    used, and under ``fail`` nothing is committed."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a-good.jsonl").write_bytes(jsonl([{"id": "g", "text": article(1)}]))
    (src / name).write_bytes(_streams()[name])
    (src / "z-good.txt").write_text(article(2), encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = clean(src, "-o", out, "--report", report, "--on-error", mode, "-j", "1")
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.startswith(("Error", str(src)))]
    assert len(lines) == 1 and str(src / name) in lines[0], result.stderr
    assert any(w in lines[0] for w in ("truncated", "corrupt", "not gzip", "not zstd")), lines
    if mode == "fail":
        assert result.exit_code == 1
        assert not out.exists() and not report.exists()
        return
    assert_ok(result)
    assert "documents: 2 read" in result.stderr  # none from the bad file
    got = files_under(out)
    if mode == "skip":
        assert sorted(got) == ["a-good.jsonl", "z-good.txt"]
    else:
        assert got[name] == (src / name).read_bytes()
    (row,) = [r for r in read_jsonl(report.read_bytes()) if r["rule"] == "error"]
    assert (row["file"], row["action"]) == (name, mode)


# -- names at the file-name limit ------------------------------------------------------------


def test_a_name_of_246_bytes_is_cleaned_and_restored(tmp_path: Path) -> None:
    name = "é" * 60 + "x" * (246 - 120 - 4) + ".txt"
    assert len(name.encode()) == 246
    src = tmp_path / "in"
    src.mkdir()
    title = article(5).split("\n", 1)[0]
    (src / name).write_text(f"{title}\n\n{article(5)}", encoding="utf-8")
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    assert (out / name).read_text(encoding="utf-8") == article(5)
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert (back / name).read_bytes() == (src / name).read_bytes()
    assert atomic.temp_prefix("a" * 255).encode().__len__() + 8 + 4 <= 255


# -- .txt.gz ----------------------------------------------------------------------------


def test_txt_gz_is_written_gzipped_and_restored(tmp_path: Path) -> None:
    title = article(6).split("\n", 1)[0]
    original = f"{title}\n\n{article(6)}".encode()
    src = tmp_path / "t.txt.gz"
    src.write_bytes(gzip.compress(original))
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    assert gzip.decompress((out / "t.txt.gz").read_bytes()) == article(6).encode()
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert gzip.decompress((back / "t.txt.gz").read_bytes()) == original
