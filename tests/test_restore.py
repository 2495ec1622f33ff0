"""`dedupe restore`: the cleaned output and the report rebuild every input byte for
byte, for a mixed folder of good and bad files and for random corpora (hypothesis)."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import lzma
import os
import random
from pathlib import Path
from typing import Any

import pytest
import zstandard
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe import CleanerConfig
from dedupe.cli import cli
from dedupe.errors import OutputError, RestoreError
from dedupe.restore import restore_tree
from dedupe.run import clean_paths

from .make_bad_files import make

EXAMPLES = int(os.environ.get("DEDUPE_FUZZ_EXAMPLES", "0")) or None


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told otherwise
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def run(*args: object) -> Result:
    return _runner().invoke(cli, [*map(str, args)])


def tree(root: Path, unzip: bool = True) -> dict[str, bytes]:
    """Every file below ``root`` -> its bytes (decompressed for readable ``.gz``, ``.zst``,
    ``.xz``)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if unzip and p.name.endswith(".gz"):
            with contextlib.suppress(OSError, EOFError):
                data = b"gunzipped:" + gzip.decompress(data)
        if unzip and p.name.endswith(".zst"):
            with contextlib.suppress(zstandard.ZstdError):
                data = b"unzstd:" + zstandard.ZstdDecompressor().decompressobj().decompress(data)
        if unzip and p.name.endswith(".xz"):
            with contextlib.suppress(lzma.LZMAError, EOFError):
                data = b"unxz:" + lzma.decompress(data)
        out[p.relative_to(root).as_posix()] = data
    return out


# -- the mixed folder of the issue ------------------------------------------------


def test_mixed_folder_skip_cleans_good_files_lists_bad_ones_and_restores(tmp_path: Path) -> None:
    src = tmp_path / "crawl"
    manifest = make(src)
    out, report, restored = tmp_path / "out", tmp_path / "report.jsonl", tmp_path / "restored"
    result = run("clean", src, "-o", out, "--report", report, "--on-error", "skip")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    err = result.stderr.splitlines()
    # Every bad file and line is named on a line of its own, and counted.
    expected = []
    for rel, lines in manifest.items():
        if lines is None:
            expected.append(str(src / rel))
        else:
            expected += [f"{src / rel}:{n}:" for n in lines]
    for where in expected:
        assert sum(line.startswith(where) for line in err) == 1, (where, result.stderr)
    n_files = sum(1 for v in manifest.values() if v is None)
    n_lines = sum(len(v) for v in manifest.values() if v is not None)
    assert f"bad input: {n_files} files and {n_lines} lines skipped (listed above)" in err
    # The good files are cleaned: a headline, a paragraph and duplicates removed.
    cleaned = tree(out)
    assert not any(rel.startswith("bad/") and rel != "bad/mixed.jsonl" for rel in cleaned)
    assert "good/sub/b-copy.txt" not in cleaned
    original = tree(src)
    assert len(cleaned["good/a-repeated-title.txt"]) < len(original["good/a-repeated-title.txt"])
    assert len(cleaned["good/c-crlf-bom.txt"]) < len(original["good/c-crlf-bom.txt"])
    assert cleaned["good/c-crlf-bom.txt"].startswith(b"\xef\xbb\xbf")
    assert cleaned["good/d-whitespace.txt"] == original["good/d-whitespace.txt"]
    ids = [json.loads(x)["id"] for x in cleaned["bad/mixed.jsonl"].splitlines() if x.strip()]
    assert ids == ["ok", "ok2"]  # line 16 repeats line 1

    result = run("restore", out, "--report", report, "-o", restored)
    assert result.exit_code == 1, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    back = tree(restored)
    for rel, data in original.items():
        if rel.startswith("good/"):
            assert back[rel] == data, rel
    for rel, lines in manifest.items():
        if lines is None:
            assert rel not in back
            assert f"{rel}: skipped by clean" in result.stderr
        else:
            for n in lines:
                assert f"{rel}:{n}: skipped by clean" in result.stderr
    n_bad = n_files + n_lines
    assert f"{n_bad} bad inputs were skipped by clean and are not restorable" in result.stderr


def test_mixed_folder_keep_passes_bad_input_through_and_restores_everything(
    tmp_path: Path,
) -> None:
    src = tmp_path / "crawl"
    manifest = make(src)
    out, report, restored = tmp_path / "out", tmp_path / "report.jsonl", tmp_path / "restored"
    result = run("clean", src, "-o", out, "--report", report, "--on-error", "keep")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "lines copied unchanged (listed above)" in result.stderr
    raw_in, raw_out = tree(src, unzip=False), tree(out, unzip=False)
    for rel, lines in manifest.items():
        if lines is None:
            assert raw_out[rel] == raw_in[rel], rel  # bad files are copied byte for byte
    mixed_in = raw_in["bad/mixed.jsonl"].split(b"\n")
    mixed_out = raw_out["bad/mixed.jsonl"].split(b"\n")
    assert mixed_out == mixed_in[:15] + mixed_in[16:]  # only the duplicate record is gone
    result = run("restore", out, "--report", report, "-o", restored)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert tree(restored) == tree(src)
    # A .gz file with no change is even copied compressed byte for byte.
    assert tree(restored, unzip=False)["bad/truncated.jsonl.gz"] == raw_in["bad/truncated.jsonl.gz"]


def test_mixed_folder_fail_stops_before_writing(tmp_path: Path) -> None:
    src = tmp_path / "crawl"
    make(src)
    out, report = tmp_path / "out", tmp_path / "report.jsonl"
    result = run("clean", src, "-o", out, "--report", report)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not out.exists() and not report.exists()


def test_restore_refuses_existing_files_and_overlapping_folders(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(
        "Storm closes the coast road\n\nStorm closes the coast road\n\nBody text.\n",
        encoding="utf-8",
    )
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    assert run("clean", src, "-o", out, "--report", report).exit_code == 0
    with pytest.raises(OutputError):
        restore_tree(str(out), str(report), str(out / "sub"))
    with pytest.raises(OutputError, match="--force"):
        restore_tree(str(out), str(report), str(src))
    outcome = restore_tree(str(out), str(report), str(src), force=True)
    assert (outcome.files, outcome.changed) == (1, 1)
    assert (
        src / "a.txt"
    ).read_bytes() == b"Storm closes the coast road\n\nStorm closes the coast road\n\nBody text.\n"
    result = run("restore", out, "--report", report, "-o", src)
    assert result.exit_code == 2 and "already exists" in result.stderr


def test_restore_rejects_a_report_without_file_fields(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = tmp_path / "old.jsonl"
    report.write_text(json.dumps({"doc": "a.txt", "rule": "headline"}) + "\n")
    with pytest.raises(RestoreError, match=r"old\.jsonl:1"):
        restore_tree(str(out), str(report), str(tmp_path / "restored"))
    result = run("restore", out, "--report", report, "-o", tmp_path / "restored")
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_restore_rejects_file_names_that_escape(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = tmp_path / "evil.jsonl"
    row = {"rule": "document", "file": "../escaped.txt", "line": None, "cut_text": "x"}
    report.write_text(json.dumps(row) + "\n")
    with pytest.raises(RestoreError, match="outside"):
        restore_tree(str(out), str(report), str(tmp_path / "restored"))
    assert not (tmp_path / "escaped.txt").exists()


# -- the property: restore(clean(x)) == x -------------------------------------------

_VOCABULARY = (
    "harbour council budget minister school winter market station railway festival "
    "museum island village farmer factory doctor garden bridge tunnel library theatre "
    "vaccine airport election senator treaty border tariff bank loan café naïve 中文 ½"
)
_WORDS = _VOCABULARY.split()


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 25))
    rng = random.Random(draw(st.integers(0, 10**6)))
    text = " ".join(rng.choice(_WORDS) for _ in range(n))
    return draw(st.sampled_from(["", "  ", "\t"])) + text + draw(st.sampled_from(["", " ", "."]))


@st.composite
def articles(draw: st.DrawFn, pool: list[str]) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(pool), paragraphs()), min_size=0, max_size=8))
    if parts and draw(st.booleans()):  # a repeated title
        parts.insert(draw(st.integers(1, len(parts))), parts[0])
    sep = draw(st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\r\n", "\n\n\n", "\n \n"]))
    text = sep.join(parts)
    text = draw(st.sampled_from(["", "\ufeff", "\n", " "])) + text
    return text + draw(st.sampled_from(["", "\n", "\r\n", "\n\n"]))


def _jsonl_line(draw: st.DrawFn, ident: object, text: str) -> bytes:
    record: dict[str, Any] = {"id": ident, "text": text}
    if draw(st.booleans()):
        record = {"url": f"http://x/{ident}", "text": text, "n": 1.5, "id": ident}
    style = draw(st.sampled_from(["unicode", "ascii", "spaced"]))
    if style == "spaced":
        line = "{ " + " , ".join(f"{json.dumps(k)} : {json.dumps(v)}" for k, v in record.items())
        line += " }"
    else:
        line = json.dumps(record, ensure_ascii=style == "ascii")
    return line.encode("utf-8")


def _csv_line(draw: st.DrawFn, ident: object, text: str, delimiter: str) -> bytes:
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="")
    writer.writerow([ident, text, "x, y"])
    return out.getvalue().encode("utf-8")


def _compress(rel: str, data: bytes) -> bytes:
    if rel.endswith(".gz"):
        return gzip.compress(data, mtime=0)
    if rel.endswith(".zst"):
        return zstandard.ZstdCompressor().compress(data)
    if rel.endswith(".xz"):
        return lzma.compress(data)
    return data


@st.composite
def corpora(draw: st.DrawFn) -> dict[str, bytes]:
    pool = draw(st.lists(paragraphs(), min_size=1, max_size=4))
    texts = draw(st.lists(articles(pool), min_size=1, max_size=8))
    files: dict[str, bytes] = {}
    records: dict[str, list[bytes]] = {}
    places = ["txt", "a.jsonl", "sub/b.jsonl.gz", "c.csv", "sub/d.tsv.zst", "e.ndjson.xz"]
    for n, text in enumerate(texts):
        where = draw(st.sampled_from(places))
        if where == "txt":
            if text:
                name = f"t{n}.txt" + draw(st.sampled_from(["", "", ".gz", ".zst"]))
                files[name if n % 2 else f"sub/{name}"] = text.encode("utf-8")
            continue
        lines = records.setdefault(where, [])
        lines += [b""] * draw(st.integers(0, 1))
        ident = draw(st.sampled_from([n, str(n), "dup"]))
        if ".csv" in where or ".tsv" in where:
            lines.append(_csv_line(draw, ident, text, "," if ".csv" in where else "\t"))
        else:
            lines.append(_jsonl_line(draw, ident, text))
    for rel, lines in records.items():
        end = draw(st.sampled_from([b"\n", b"\r\n"]))
        if ".csv" in rel or ".tsv" in rel:
            lines.insert(0, b"id,text,note" if ".csv" in rel else b"id\ttext\tnote")
        data = end.join(lines) + draw(st.sampled_from([b"", end]))
        files[rel] = data
    return {rel: _compress(rel, data) for rel, data in files.items()}


configs = st.builds(
    CleanerConfig,
    keep=st.sampled_from(["first", "longest"]),
    headlines=st.booleans(),
    paragraphs=st.booleans(),
    boilerplate=st.booleans(),
    documents=st.booleans(),
    boilerplate_min_docs=st.integers(2, 5),
    paragraph_threshold=st.sampled_from([0.5, 0.8, 1.0]),
    document_threshold=st.sampled_from([0.3, 0.5, 0.9]),
)


def roundtrip(tmp: Path, files: dict[str, bytes], config: CleanerConfig) -> dict[str, int]:
    """Clean ``files`` and restore them; assert the restored tree equals the input."""
    src, out, rest, report = tmp / "in", tmp / "out", tmp / "rest", tmp / "report.jsonl"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    src.mkdir(exist_ok=True)
    summary, _ = clean_paths([str(src)], str(out), config, report=str(report), on_error="keep")
    outcome = restore_tree(str(out), str(report), str(rest))
    assert not outcome.missing
    assert tree(rest) == tree(src)
    removed = sum(summary.segments_removed.values())
    return {"removed": removed, "dropped": summary.documents_dropped}


@settings(
    max_examples=EXAMPLES or 120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files=corpora(), config=configs)
def test_restore_of_clean_is_the_input_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, bytes], config: CleanerConfig
) -> None:
    roundtrip(tmp_path_factory.mktemp("rt"), files, config)


def test_the_property_test_exercises_removals(tmp_path: Path) -> None:
    """The corpora above do make the cleaner cut: a fixed seed of the generator removes text."""
    total = {"removed": 0, "dropped": 0}
    rng = random.Random(3)
    for n in range(6):
        pool = [" ".join(rng.choice(_WORDS) for _ in range(12)) for _ in range(3)]
        files = {}
        for k in range(6):
            parts = [pool[0], pool[0], *rng.sample(pool, 2), f"story {k} " + pool[1]]
            files[f"t{k}.txt"] = "\n\n".join(parts).encode() + b"\n"
        files["d.jsonl"] = b"\n".join(
            json.dumps({"id": k, "text": files[f"t{k}.txt"].decode()}).encode() for k in range(3)
        )
        got = roundtrip(tmp_path / str(n), files, CleanerConfig(boilerplate_min_docs=2))
        total = {k: total[k] + got[k] for k in total}
    assert total["removed"] > 0 and total["dropped"] > 0


def test_restore_ignores_rows_that_record_no_cut(tmp_path: Path) -> None:
    """Rows of other kinds (a chosen title, a summary) are passed over."""
    src = tmp_path / "in"
    src.mkdir()
    text = "Storm closes the coast road\n\nStorm closes the coast road\n\nBody text.\n"
    (src / "a.txt").write_text(text, encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    assert run("clean", src, "-o", out, "--report", report).exit_code == 0
    extra = {"doc": "a.txt", "rule": "title", "file": "a.txt", "line": None, "segment": 0}
    report.write_bytes(json.dumps(extra).encode() + b"\n" + report.read_bytes())
    assert not restore_tree(str(out), str(report), str(tmp_path / "back")).missing
    assert (tmp_path / "back" / "a.txt").read_text(encoding="utf-8") == text
