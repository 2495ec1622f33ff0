"""Generate a folder of good and bad scraped files, deterministically.

    python tests/make_bad_files.py FOLDER

writes FOLDER/good/... (files dedupe must clean, with removals, duplicates,
CRLF, BOMs, blank JSONL lines, escaped text, duplicate and path-like ids) and
FOLDER/bad/... (files or JSONL lines dedupe must report: invalid UTF-8,
latin-1, binary with NUL bytes, empty files, truncated or fake gzip, malformed
JSON, missing or non-string fields). `make(folder)` returns the manifest: each
bad file's path relative to FOLDER -> the bad line numbers (None: the whole file).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "da", "gu", "fe", "zo", "bi"]


def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def article(seed: int, paragraphs: int = 4, repeat_title: bool = False) -> str:
    """A title, then paragraphs separated by blank lines (the title repeated if asked)."""
    rng = random.Random(seed)
    title = " ".join(_words(rng, 6)).title()
    body = [" ".join(_words(rng, 24)).capitalize() + "." for _ in range(paragraphs)]
    head = [title, title] if repeat_title else [title]
    return "\n\n".join(head + body) + "\n"


def _line(record: object, ascii_only: bool = False) -> bytes:
    return json.dumps(record, ensure_ascii=ascii_only).encode("utf-8")


def make(folder: Path) -> dict[str, list[int] | None]:
    """Write the corpus under ``folder``; return the bad items (see the module doc)."""
    good, bad = folder / "good", folder / "bad"
    (good / "sub").mkdir(parents=True, exist_ok=True)
    bad.mkdir(parents=True, exist_ok=True)

    # -- good files ------------------------------------------------------------
    (good / "a-repeated-title.txt").write_text(article(1, repeat_title=True), encoding="utf-8")
    (good / "b.txt").write_text(article(2), encoding="utf-8")
    (good / "sub" / "b-copy.txt").write_text(article(2), encoding="utf-8")  # dropped
    crlf = article(3).replace("\n", "\r\n")
    para = crlf.split("\r\n\r\n")[2]
    (good / "c-crlf-bom.txt").write_bytes(("\ufeff" + crlf + "\r\n" + para + "\r\n").encode())
    (good / "d-whitespace.txt").write_bytes(b"  \n\n\t \r\n")
    (good / "e-unicode.txt").write_text(
        "Caf\u00e9 na\u00efve \u4e2d\u6587 \u2014 \U0001f600 r\u00e9sum\u00e9s\n\n" + article(4),
        encoding="utf-8",
    )
    repeated = article(5) + "\n" + article(5).split("\n\n")[1] + "\n"
    lines = [
        b"\xef\xbb\xbf" + _line({"id": 1, "title": "One", "text": article(6)}),
        b"",
        _line({"id": "../../escape", "text": repeated, "n": 1.50}, ascii_only=True),
        b"   ",
        _line({"id": "/etc/passwd", "text": article(7), "url": "http://x/\u00e9"}) + b"\r",
        _line({"id": "nul\u0000id", "text": article(7)}),  # near duplicate: dropped
        b'{"id": 1, "text": ' + json.dumps(article(8)).encode() + b', "dup": 1, "dup": 2}',
        b'{ "text" : "\\u0041 spaced \\/ escapes\\n\\nAnd more text here." , "id":"sp" }',
        _line(
            {"id": "lone", "text": "Title\n\nsurrogate \ud800 here\n\nsurrogate \ud800 here\n"},
            True,
        ),
    ]
    (good / "records.jsonl").write_bytes(b"\n".join(lines))  # no final line break
    gz = [_line({"id": f"gz{i}", "text": article(20 + i % 3)}) for i in range(6)]
    (good / "sub" / "part.jsonl.gz").write_bytes(gzip.compress(b"\n".join(gz) + b"\n", mtime=0))

    # -- bad files ---------------------------------------------------------------
    manifest: dict[str, list[int] | None] = {}

    def whole(name: str, data: bytes) -> None:
        (bad / name).write_bytes(data)
        manifest[f"bad/{name}"] = None

    whole("invalid-utf8.txt", b"Title\n\nSome text\nna\xefve caf\xe9 \xff\xfe\n")
    whole(
        "latin1.txt",
        ("R\u00e9sum\u00e9 of the na\u00efve caf\u00e9\n\n" + article(9)).encode("latin-1"),
    )
    whole("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    whole("nul-in-text.txt", article(10).encode() + b"\x00\x00tail\n")
    whole("empty.txt", b"")
    whole("empty.jsonl", b"")
    whole("blank-lines-only.jsonl", b"\n \n\r\n")
    whole("truncated.jsonl.gz", gzip.compress(b"\n".join(gz) + b"\n", mtime=0)[:-30])
    whole("not-gzip.jsonl.gz", b"\n".join(gz) + b"\n")
    whole("garbage.jsonl.gz", bytes(random.Random(1).randrange(256) for _ in range(500)))

    good_line = _line({"id": "ok", "text": article(11)})
    mixed = [
        good_line,  # 1
        b'{"id": 2, "text": "unterminated}',  # 2
        b"[1, 2, 3]",  # 3
        b'{"id": 4, "body": "no text field"}',  # 4
        b'{"text": "no id field"}',  # 5
        b'{"id": 6, "text": 42}',  # 6
        b'{"id": 7, "title": ["x"], "text": "title not a string"}',  # 7
        b'{"id": true, "text": "id is a bool"}',  # 8
        b'{"id": 9, "text": "caf\xe9 latin-1"}',  # 9
        b'{"id": 10, "text": "nul \x00 byte"}',  # 10
        b"",  # 11: blank, fine
        _line({"id": "ok2", "text": article(12)}),  # 12
        b'"just a string"',  # 13
        b"{" * 50,  # 14
        b'{"id": 15, "text": null}',  # 15
        _line({"id": "ok3", "text": article(11)}),  # 16: duplicate of line 1, dropped
    ]
    (bad / "mixed.jsonl").write_bytes(b"\n".join(mixed) + b"\n")
    manifest["bad/mixed.jsonl"] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15]
    return manifest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for rel, bad_lines in make(Path(sys.argv[1])).items():
        print(rel, "whole file" if bad_lines is None else bad_lines)
