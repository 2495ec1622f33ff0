"""Every format × every compression, in and out and back (`dedupe restore`), with real
files, real pyarrow and real zstandard; CSV/TSV and Parquet details; ``--format``;
``--encoding`` (the real latin-1 BBC article); unknown suffixes."""

from __future__ import annotations

import bz2
import csv
import datetime
import gzip
import hashlib
import io
import json
import lzma
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe.errors import InputError
from dedupe.io.formats import parquet as parquet_format
from dedupe.restore import restore_tree
from dedupe.run import clean_paths

from .data import BBC, need
from .test_cli import article, clean, read_jsonl, removal_rows
from .test_restore import run, tree

CODECS = ["", ".gz", ".zst", ".bz2", ".xz"]
FORMATS = ["txt", "jsonl", "csv", "tsv", "parquet"]


def compress(data: bytes, codec: str) -> bytes:
    if codec == ".gz":
        return gzip.compress(data, mtime=0)
    if codec == ".zst":
        return zstandard.ZstdCompressor(level=5).compress(data)
    if codec == ".bz2":
        return bz2.compress(data)
    if codec == ".xz":
        return lzma.compress(data)
    return data


def decompress(data: bytes, codec: str) -> bytes:
    if codec == ".gz":
        return gzip.decompress(data)
    if codec == ".zst":
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if codec == ".bz2":
        return bz2.decompress(data)
    if codec == ".xz":
        return lzma.decompress(data)
    return data


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr


# -- one corpus in every format -----------------------------------------------------


def texts() -> list[str]:
    """Four articles: a repeated headline (cut), an untouched one, a duplicate of the
    first (dropped), and one whose text needs CSV quoting (an untouched, quoted field)."""
    first = article(1)
    title = first.split("\n", 1)[0]
    return [
        f"{title}\n\n{first}",
        article(2),
        first,
        'She said "yes", twice;\tthen\n\nleft.\n\n' + article(3),
    ]


def records() -> list[dict[str, Any]]:
    return [
        {"id": n + 1, "url": f"https://example.com/{n + 1}", "text": text, "score": n + 0.5}
        for n, text in enumerate(texts())
    ]


def encode(fmt: str, rows: list[dict[str, Any]]) -> bytes:
    """``rows`` in a format (not txt), as a user's tools would write them."""
    if fmt == "jsonl":
        return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
    if fmt in ("csv", "tsv"):
        out = io.StringIO(newline="")
        writer = csv.writer(
            out, delimiter="," if fmt == "csv" else "\t", lineterminator="\r\n"
        )  # a spreadsheet's CRLF
        writer.writerow(list(rows[0]))
        writer.writerows([list(r.values()) for r in rows])
        return out.getvalue().encode("utf-8")
    table = pa.table(
        {
            "id": pa.array([r["id"] for r in rows], pa.int64()),
            "url": [r["url"] for r in rows],
            "text": pa.array([r["text"] for r in rows], pa.large_string()),
            "score": [r["score"] for r in rows],
            "seen": pa.array(
                [datetime.datetime(2024, 5, r["id"]) for r in rows], pa.timestamp("ms")
            ),
            "tags": [["news", str(r["id"])] for r in rows],
        }
    ).replace_schema_metadata({"origin": "test"})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=3, compression="zstd")
    return sink.getvalue()


def decode(fmt: str, data: bytes) -> list[tuple[str, str]]:
    """(id, text) of each record of a cleaned file."""
    if fmt == "jsonl":
        return [(str(r["id"]), r["text"]) for r in read_jsonl(data)]
    if fmt in ("csv", "tsv"):
        reader = csv.DictReader(
            io.StringIO(data.decode("utf-8"), newline=""), delimiter="," if fmt == "csv" else "\t"
        )
        return [(r["id"], r["text"]) for r in reader]
    return [(str(r["id"]), r["text"]) for r in pq.read_table(pa.BufferReader(data)).to_pylist()]


def write_corpus(src: Path, fmt: str, codec: str) -> dict[str, bytes]:
    """The corpus under ``src`` in one format and compression; returns name -> bytes."""
    src.mkdir(parents=True)
    if fmt == "txt":
        files = {f"{n + 1}.txt{codec}": t.encode() for n, t in enumerate(texts())}
    else:
        files = {f"articles.{fmt}{codec}": encode(fmt, records())}
    out = {}
    for name, data in files.items():
        out[name] = compress(data, codec)
        (src / name).write_bytes(out[name])
    return out


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """The cleaned (id, text) pairs, from the JSONL run: every format must agree."""
    root = tmp_path_factory.mktemp("oracle")
    (root / "a.jsonl").write_bytes(encode("jsonl", records()))
    summary, _ = clean_paths([str(root / "a.jsonl")], str(root / "out"))
    assert summary.documents_dropped == 1 and summary.segments_removed["headline"] == 1
    return decode("jsonl", (root / "out" / "a.jsonl").read_bytes())


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c or "plain")
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_and_compression_cleans_and_restores(
    tmp_path: Path, fmt: str, codec: str, expected: list[tuple[str, str]]
) -> None:
    src, out, report, back = (tmp_path / n for n in ("in", "out", "r.jsonl", "back"))
    inputs = write_corpus(src, fmt, codec)
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    # Same names, hence same format and compression; and really compressed so.
    if fmt == "txt":
        assert set(written) == set(inputs) - {f"3.txt{codec}"}  # the duplicate is dropped
        got = [
            (name.split(".")[0], decompress(data, codec).decode())
            for name, data in sorted(written.items())
        ]
        assert got == expected
    else:
        assert set(written) == set(inputs)
        (data,) = written.values()
        assert decode(fmt, decompress(data, codec)) == expected
    rows = read_jsonl(report.read_bytes())
    assert {r["rule"] for r in rows} == {"headline", "document", "title", "summary", "file", "run"}
    files = {r["file"]: r for r in rows if r["rule"] == "file"}
    assert set(files) == set(written)  # each written file, with its digest
    for name, data in written.items():
        assert files[name]["sha256"] == hashlib.sha256(data).hexdigest()

    result = run("restore", out, "--report", report, "-o", back)
    assert result.exit_code == 0, result.stderr
    restored = {p.name: p.read_bytes() for p in back.iterdir()}
    assert set(restored) == set(inputs)
    for name, data in inputs.items():
        if fmt == "parquet":
            before = pq.read_table(pa.BufferReader(decompress(data, codec)))
            after = pq.read_table(pa.BufferReader(decompress(restored[name], codec)))
            assert after.equals(before)
            assert after.schema.equals(before.schema, check_metadata=True)
        elif codec:
            assert decompress(restored[name], codec) == decompress(data, codec)
        else:
            assert restored[name] == data  # byte for byte
        if (
            codec
            and name in written
            and decompress(written[name], codec) == decompress(data, codec)
        ):
            assert written[name] == data  # nothing changed: copied as it was
            assert restored[name] == data


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c or "plain")
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_unchanged_files_are_copied_byte_for_byte(tmp_path: Path, fmt: str, codec: str) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rows = [r for r in records() if r["id"] in (2, 4)]
    name = f"x.{fmt}{codec}"
    (src / name).write_bytes(compress(encode(fmt, rows), codec))
    assert_ok(clean(src, "-o", out, "-j", "1"))
    assert (out / name).read_bytes() == (src / name).read_bytes()


def test_suffixes_are_case_insensitive_and_ndjson_is_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    other = [{"id": 9, "url": "u", "text": article(9), "score": 1.0}]
    (src / "A.JSONL").write_bytes(encode("jsonl", records()[:2]))
    (src / "b.NDJSON.GZ").write_bytes(gzip.compress(encode("jsonl", other)))
    (src / "c.Csv").write_bytes(encode("csv", [dict(other[0], id=10, text=article(10))]))
    out = tmp_path / "out"
    result = clean(src, "-o", out, "-j", "1")
    assert_ok(result)
    assert sorted(p.name for p in out.iterdir()) == ["A.JSONL", "b.NDJSON.GZ", "c.Csv"]
    assert "documents: 4 read" in result.stderr
    assert gzip.decompress((out / "b.NDJSON.GZ").read_bytes()) == encode("jsonl", other)


# -- unknown suffixes and --format ------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.md", "data.dat", "archive.gz", "README"])
def test_unknown_suffix_named_directly_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(encode("csv", records()))
    out = tmp_path / "out"
    result = clean(path, "-o", out)
    assert result.exit_code == 1, result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert message.startswith(f"Error: {path}: unknown file type") and "--format" in message
    assert not out.exists()


def test_format_option_reads_a_file_by_another_name_and_restore_follows(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    data = encode("csv", records())
    path.write_bytes(data)
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(path, "-o", out, "--report", report, "--format", "csv", "-j", "1"))
    assert (out / "export.dat").read_bytes().startswith(b"id,url,text,score\r\n")
    rows = read_jsonl(report.read_bytes())
    (row,) = [r for r in rows if r["rule"] == "file"]
    assert (row["file"], row["format"], row["encoding"]) == ("export.dat", "csv", "utf-8")
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert (back / "export.dat").read_bytes() == data


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "txt"])
def test_format_option_for_stdin(tmp_path: Path, fmt: str, expected: list[tuple[str, str]]) -> None:
    data = texts()[1].encode() if fmt == "txt" else encode(fmt, records())
    result = clean("-", "-o", "-", "--format", fmt, "-j", "1", stdin=data)
    assert_ok(result)
    got = [(str(r["id"]), r["text"]) for r in read_jsonl(result.stdout_bytes)]
    assert got == ([("stdin.txt", texts()[1])] if fmt == "txt" else expected)
    out = tmp_path / "out"
    assert_ok(clean("-", "-o", out, "--format", fmt, "-j", "1", stdin=data))
    assert [p.name for p in out.iterdir()] == [f"stdin.{fmt}"]


@pytest.mark.parametrize("codec", [".gz", ".zst", ".bz2", ".xz"])
def test_compressed_stdin_is_recognised(tmp_path: Path, codec: str) -> None:
    data = encode("jsonl", records())
    out = tmp_path / "out"
    assert_ok(clean("-", "-o", out, "-j", "1", stdin=compress(data, codec)))
    assert [p.name for p in out.iterdir()] == [f"stdin.jsonl{codec}"]
    assert len(read_jsonl(decompress((out / f"stdin.jsonl{codec}").read_bytes(), codec))) == 3


def test_csv_in_a_folder_is_now_read_as_rows(tmp_path: Path) -> None:
    """The issue's silent wrong result: a CSV was one text article."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.csv").write_bytes(encode("csv", records()))
    result = clean(src, "-o", "-", "-j", "1")
    assert_ok(result)
    assert [r["id"] for r in read_jsonl(result.stdout_bytes)] == ["1", "2", "4"]


# -- CSV and TSV ---------------------------------------------------------------------


def test_csv_keeps_dialect_and_untouched_rows_byte_for_byte(tmp_path: Path) -> None:
    """Semicolons, CRLF, a BOM, fields quoted without need and a multi-line quoted text:
    only the cleaned row's text field changes, quoted as it was."""
    title = article(5).split("\n", 1)[0]
    cleaned_text = article(5).replace("\n", "\r\n")
    lines = [
        '\ufeff"id";"text";note\r\n',
        '1;"' + (title + "\r\n\r\n" + cleaned_text).replace('"', '""') + '";"a;b"\r\n',
        "\r\n",
        '2;"' + article(6).replace("\n", "\r\n") + '";plain\r\n',
        '3;"' + article(7) + '";\r\n',
    ]
    data = "".join(lines).encode()
    src, out, report = tmp_path / "semi.csv", tmp_path / "out", tmp_path / "r.jsonl"
    src.write_bytes(data)
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    got = (out / "semi.csv").read_bytes().decode()
    assert got == lines[0] + '1;"' + cleaned_text + '";"a;b"\r\n' + "".join(lines[2:])
    (row,) = removal_rows(report.read_bytes())
    assert (row["rule"], row["file"], row["line"], row["row"], row["text_csv"]) == (
        "headline",
        "semi.csv",
        2,
        1,
        "quoted",
    )
    back = tmp_path / "back"
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert (back / "semi.csv").read_bytes() == data


def _csv_error(tmp_path: Path, body: str, *args: str) -> str:
    src = tmp_path / "bad.csv"
    src.write_text("id,text\n" + body, encoding="utf-8")
    result = clean(src, "-o", tmp_path / "out", *args)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    return result.stderr.strip()


def test_csv_errors_name_the_rows_first_line(tmp_path: Path) -> None:
    good = '1,"' + article(1) + '"\n'  # spans several physical lines
    bad = f"{tmp_path / 'bad.csv'}"
    lines = 3 + article(1).count("\n")  # header, then the good row's lines
    message = _csv_error(tmp_path, good + '2,"unterminated\nmore text\n')
    assert message == f"Error: {bad}:{lines}: malformed CSV (unexpected end of data)"
    message = _csv_error(tmp_path, good + "2,one,two\n")
    assert message == f"Error: {bad}:{lines}: expected 2 fields as in the header, found 3"
    message = _csv_error(tmp_path, '2,"x"y\n')
    assert message.startswith(f"Error: {bad}:2: malformed CSV (")


def test_csv_without_the_text_column_names_it(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    src.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{src}:1: no column 'text' in the header (columns: 'id', 'body')" in result.stderr
    assert "--text-field" in result.stderr
    result = clean(src, "-o", tmp_path / "out", "--text-field", "body", "-j", "1")
    assert_ok(result)


def test_csv_bad_rows_under_skip_and_keep_restore(tmp_path: Path) -> None:
    rows = "".join(
        [
            'id,text\n1,"' + article(1) + '"\n',
            "2,too,many\n",
            '3,"' + texts()[0] + '"\n',
            '4,"' + article(4) + '"\n',
        ]
    )
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.csv").write_text(rows, encoding="utf-8")
    for mode in ("skip", "keep"):
        out, report, back = (tmp_path / f"{n}-{mode}" for n in ("out", "r", "back"))
        result = clean(src, "-o", out, "--report", report, "--on-error", mode, "-j", "1")
        assert_ok(result)
        assert "expected 2 fields as in the header, found 3" in result.stderr
        written = (out / "a.csv").read_text(encoding="utf-8")
        assert ("2,too,many\n" in written) == (mode == "keep")
        result = run("restore", out, "--report", report, "-o", back)
        if mode == "keep":
            assert result.exit_code == 0 and (back / "a.csv").read_text(encoding="utf-8") == rows
        else:
            assert result.exit_code == 1
            line = 3 + article(1).count("\n")
            assert f"a.csv:{line}: skipped by clean" in result.stderr
            assert (back / "a.csv").read_text(encoding="utf-8") == rows.replace("2,too,many\n", "")


# -- Parquet ---------------------------------------------------------------------------


def test_parquet_keeps_schema_types_codec_and_order_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expected: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(parquet_format, "BATCH_ROWS", 2)  # rows span several batches
    many = [dict(r, id=r["id"] + 10 * k) for k in range(3) for r in records()]
    src = tmp_path / "a.parquet"
    src.write_bytes(encode("parquet", many))
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1", "--min-docs", "100"))
    before = pq.read_table(src)
    after = pq.read_table(out / "a.parquet")
    assert after.schema.equals(before.schema, check_metadata=True)
    kept = after.column("id").to_pylist()
    assert kept == sorted(kept) and len(kept) < len(many)  # order kept, duplicates dropped
    by_id = {r["id"]: r for r in before.to_pylist()}
    for row in after.to_pylist():  # every other column as it was
        assert {k: v for k, v in row.items() if k != "text"} == {
            k: v for k, v in by_id[row["id"]].items() if k != "text"
        }
    meta = pq.ParquetFile(out / "a.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert pq.read_table(back / "a.parquet").equals(before)


def test_parquet_null_text_is_a_bad_row_named_by_number(tmp_path: Path) -> None:
    table = pa.table({"id": ["a", "b", "c"], "text": [article(1), None, article(2)]})
    src = tmp_path / "n.parquet"
    pq.write_table(table, src)
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {src}:row 2: field 'text' is null"
    out, report, back = tmp_path / "keep", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "--on-error", "keep", "-j", "1"))
    assert pq.read_table(out / "n.parquet").equals(table)
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert pq.read_table(back / "n.parquet").equals(table)


def test_parquet_wrong_column_types_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": [1.5], "text": ["x"]}), src)
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "must hold strings or integers, not double" in result.stderr
    src.write_bytes(b"PAR1 not really")
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1 and f"{src}: not a readable Parquet file" in result.stderr


def test_parquet_without_pyarrow_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "a.parquet"
    src.write_bytes(encode("parquet", records()))
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)  # as if not installed
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "needs pyarrow: pip install '" in result.stderr and "[parquet]'" in result.stderr


# -- encodings ------------------------------------------------------------------------

LATIN1 = "sport/199.txt"  # the one BBC article that is not UTF-8 (a £ in latin-1)


def test_latin1_bbc_article_fails_by_default_and_is_detected_with_auto(tmp_path: Path) -> None:
    original = need(BBC / LATIN1).read_bytes()
    src = tmp_path / "in"
    src.mkdir()
    (src / "199.txt").write_bytes(original)
    (src / "other.txt").write_bytes(need(BBC / "sport/001.txt").read_bytes())
    result = clean(src, "-o", tmp_path / "o1")
    assert result.exit_code == 1
    assert f"{src / '199.txt'}:5: not valid UTF-8 (byte 0xa3 at offset 257)" in result.stderr

    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    result = clean(src, "-o", out, "--report", report, "--encoding", "auto", "-j", "1")
    assert_ok(result)
    assert f"transcoded to UTF-8: 1 file, e.g. {src / '199.txt'} (cp1252)" in result.stderr
    assert (out / "199.txt").read_bytes() == original.decode("cp1252").encode("utf-8")
    assert "£15.8m" in (out / "199.txt").read_text(encoding="utf-8")
    rows = read_jsonl(report.read_bytes())
    (row,) = [r for r in rows if r["rule"] == "file" and r["file"] == "199.txt"]
    assert (row["format"], row["encoding"]) == ("txt", "cp1252")
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert (back / "199.txt").read_bytes() == original  # byte for byte
    assert (back / "other.txt").read_bytes() == (src / "other.txt").read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("enc", ["latin-1", "utf-16", "cp1251"])
def test_named_encodings_transcode_and_restore(tmp_path: Path, fmt: str, enc: str) -> None:
    rows = records()
    rows[1]["text"] += {"latin-1": "\n\nCafé naïve", "cp1251": "\n\nПривет мир"}.get(
        enc, "\n\nCafé — naïve Привет"
    )
    text = encode(fmt, rows).decode("utf-8")
    data = text.encode(enc)  # utf-16: with a byte order mark
    src = tmp_path / f"a.{fmt}.gz"
    src.write_bytes(gzip.compress(data))
    out, report, back = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "back"
    assert_ok(clean(src, "-o", out, "--report", report, "--encoding", enc, "-j", "1"))
    cleaned = gzip.decompress((out / src.name).read_bytes()).decode("utf-8")
    assert rows[1]["text"][-6:] in cleaned
    assert run("restore", out, "--report", report, "-o", back).exit_code == 0
    assert gzip.decompress((back / src.name).read_bytes()) == data


def test_auto_detects_utf16_by_its_mark_and_utf8_as_such(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_bytes(encode("jsonl", records()[:2]).decode().encode("utf-16"))
    (src / "b.txt").write_text(article(9) + "Crème brûlée\n", encoding="utf-8")
    transcoded: dict[str, str] = {}
    clean_paths([str(src)], str(tmp_path / "out"), encoding="auto", transcoded=transcoded)
    assert transcoded == {str(src / "a.jsonl"): "utf-16-le"}


def test_undetectable_or_unrestorable_encodings_are_bad_input(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "short.txt").write_bytes("Grüße\n".encode("latin-1"))  # too short to tell
    result = clean(src, "-o", tmp_path / "out", "--encoding", "auto")
    assert result.exit_code == 1
    assert f"{src / 'short.txt'}: not UTF-8, and its encoding is unclear" in result.stderr
    (src / "short.txt").unlink()
    # UTF-16 without a byte order mark: name the byte order.
    (src / "a.jsonl").write_bytes(encode("jsonl", records()[:1]).decode().encode("utf-16-le"))
    result = clean(src, "-o", tmp_path / "out", "--encoding", "utf-16")
    assert result.exit_code == 1
    assert "not valid utf-16 (UTF-16 stream does not start with BOM)" in result.stderr
    result = clean(src, "-o", tmp_path / "out", "--encoding", "utf-16-le", "-j", "1")
    assert_ok(result)
    # Two Shift-JIS codes of one kanji (NEC and IBM rows): its text cannot give both back.
    (src / "a.jsonl").unlink()
    (src / "kanji.txt").write_bytes(b"Title\n\n\xed\x40 and \xfa\x5c\n")
    result = clean(src, "-o", tmp_path / "out2", "--encoding", "cp932")
    assert result.exit_code == 1
    assert f"{src / 'kanji.txt'}: decoded as cp932, its text does not encode back" in result.stderr


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    result = clean(tmp_path, "-o", tmp_path / "out", "--encoding", "klingon")
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr


# -- random bytes as CSV, TSV and compressed CSV ----------------------------------------

_CSV_BITS = [b",", b"\t", b";", b'"', b'""', b"\n", b"\r\n", b"\r", b"id,text\n", b"\x00"]
_CSV_BITS += [b"\xef\xbb\xbf", b"\xc3\xa9", b"\xff", b"word ", b"1,", b'"a\nb"', b"text"]


@settings(
    max_examples=int(os.environ.get("DEDUPE_FUZZ_EXAMPLES", "0")) or 120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=st.lists(st.one_of(st.sampled_from(_CSV_BITS), st.binary(max_size=6)), max_size=40),
    name=st.sampled_from(["x.csv", "x.tsv", "x.csv.zst", "x.tsv.gz"]),
    header=st.booleans(),
)
def test_csv_reader_on_random_bytes(
    tmp_path_factory: pytest.TempPathFactory, body: list[bytes], name: str, header: bool
) -> None:
    """Never a crash: bad input fails naming the file (``fail``); ``keep`` then restore
    gives the input back; ``skip`` still writes the good file."""
    root = tmp_path_factory.mktemp("csvfz")
    src = root / "in"
    src.mkdir()
    data = (b"id,text\n" if header else b"") + b"".join(body)
    codec = "" if name.endswith(("csv", "tsv")) else "." + name.rsplit(".", 1)[1]
    (src / name).write_bytes(compress(data, codec))
    (src / "good.txt").write_bytes(b"A good title\n\nA good body.\n")
    try:
        clean_paths([str(src)], str(root / "fail"), on_error="fail")
    except InputError as exc:
        assert str(exc).startswith(str(src)), exc
        assert "\n" not in str(exc)
        assert not (root / "fail").exists()
    out, report = root / "out", root / "report.jsonl"
    clean_paths([str(src)], str(out), report=str(report), on_error="keep")
    assert not restore_tree(str(out), str(report), str(root / "rest")).missing
    assert tree(root / "rest") == tree(src)
    clean_paths([str(src)], str(root / "skip"), on_error="skip")
    assert (root / "skip" / "good.txt").exists()
