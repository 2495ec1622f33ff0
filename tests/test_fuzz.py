"""Hypothesis fuzzing of the reader, the segmenter and the cleaner: random bytes, random
Unicode, random layouts. Never a crash: bad input is an `InputError` (``fail``) or
passed through (``keep``), and whatever is cut can be put back exactly.

The examples per test default to a CI-sized number; for a long run:

    DEDUPE_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import gzip
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe import Cleaner, CleanerConfig
from dedupe.errors import InputError
from dedupe.records import Article
from dedupe.restore import restore_tree
from dedupe.run import clean_paths
from dedupe.segment import cuts, segment, splice, unsplice

from .test_restore import tree

EXAMPLES = int(os.environ.get("DEDUPE_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Bytes that make the reader's life hard: line breaks, JSON syntax, UTF-8 lead and
# continuation bytes, a BOM, NUL.
_TRICKY = [b"\n", b"\r\n", b"\r", b"{", b"}", b'"', b"\\", b":", b",", b"\x00", b"\xef\xbb\xbf"]
_TRICKY += [b"\xc3", b"\xa9", b"\xff", b'{"id": 1, "text": "', b'"}\n', b"\\ud800", b" "]
fragments = st.lists(st.one_of(st.sampled_from(_TRICKY), st.binary(max_size=8)), max_size=30)

_PIECES = [*"\n\n\n\r \t.,\"'”’)]…:;", "\u00a0", "\u200b", "\ufeff", "\u2028"]
_PIECES += ["word", "Title", "again", "the same line", "12", "2024", "\n\n"]
texts = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.characters(codec="utf-8")), max_size=300
).map("".join)


def _write(root: Path, files: dict[str, bytes]) -> Path:
    src = root / "in"
    src.mkdir(parents=True)
    for rel, data in files.items():
        (src / rel).write_bytes(data)
    return src


@FUZZ
@given(
    data=fragments.map(b"".join),
    kind=st.sampled_from(["x.txt", "x.jsonl", "x.jsonl.gz", "raw.jsonl.gz"]),
)
def test_reader_on_random_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, kind: str
) -> None:
    if kind == "x.jsonl.gz":
        data = gzip.compress(data, mtime=0)
    root = tmp_path_factory.mktemp("fz")
    src = _write(root, {kind: data, "good.txt": b"A good title\n\nA good body.\n"})
    try:
        clean_paths([str(src)], str(root / "fail"), on_error="fail")
    except InputError as exc:
        assert str(exc).startswith(str(src)), exc  # names the file
        assert "\n" not in str(exc)
        assert not (root / "fail").exists()  # nothing committed
    out, report = root / "out", root / "report.jsonl"
    clean_paths([str(src)], str(out), report=str(report), on_error="keep")
    outcome = restore_tree(str(out), str(report), str(root / "rest"))
    assert not outcome.missing
    assert tree(root / "rest") == tree(src)
    skipped = root / "skip"
    clean_paths([str(src)], str(skipped), on_error="skip")
    assert (skipped / "good.txt").exists()


@FUZZ
@given(text=texts, removed=st.sets(st.integers(0, 40)))
def test_segment_cut_splice_unsplice_roundtrip(text: str, removed: set[int]) -> None:
    segments = segment(text)
    for seg in segments:
        assert text[seg.start : seg.end] == seg.text
        assert seg.text.strip()
    assert [s.index for s in segments] == list(range(len(segments)))
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
    gone = {i for i in removed if i < len(segments)}
    spans = cuts(text, segments, gone)
    assert set(spans) == gone
    ordered = sorted(spans.values())
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(ordered))
    cleaned = splice(text, spans.values())
    assert unsplice(cleaned, [(s, text[s:e]) for s, e in spans.values()]) == text


@FUZZ
@given(
    bodies=st.lists(texts, min_size=0, max_size=6),
    repeat=st.integers(0, 5),
    keep=st.sampled_from(["first", "longest"]),
    min_docs=st.integers(2, 4),
)
def test_cleaner_on_random_unicode_puts_back_exactly(
    bodies: list[str], repeat: int, keep: str, min_docs: int
) -> None:
    bodies = bodies + bodies[:repeat]  # some exact duplicates
    articles = [Article(id=str(n), text=t) for n, t in enumerate(bodies)]
    cleaner = Cleaner(CleanerConfig(keep=keep, boilerplate_min_docs=min_docs))  # type: ignore[arg-type]
    results = list(cleaner.clean(articles))
    assert [r.article.id for r in results] == [a.id for a in articles]
    for result in results:
        original = result.article.text
        if result.dropped:
            (row,) = result.removals
            assert row.cut_text == original
            continue
        pieces = [(r.cut_start, r.cut_text) for r in result.removals]
        assert unsplice(result.text, pieces) == original
        for r in result.removals:
            assert original[r.cut_start : r.cut_end] == r.cut_text
            assert original[r.start : r.end] == r.text
    assert cleaner.summary.documents_read == len(articles)
