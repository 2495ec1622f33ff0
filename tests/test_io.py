"""Reading and writing through `dedupe clean`: folders, JSONL (plain, gzipped, renamed
fields) and bad input. Every test works on real files under ``tmp_path``."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from .test_cli import clean, report_rows

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
