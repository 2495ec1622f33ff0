#!/usr/bin/env python3
"""Convert Reuters-21578 SGML to JSONL.

Reads ``reuters21578/reut2-*.sgm`` (latin-1 SGML; files and documents in order) and writes
one record per ``<REUTERS ... NEWID="n">`` that has a ``<BODY>``:
``{"id": "reuters-<NEWID>", "title": <TITLE>, "text": <BODY>}`` (``title`` omitted when the
document has none, or with ``--no-title``).

``text`` is the raw BODY content with SGML entities unescaped (``&lt;`` ``&gt;`` ``&amp;``
and numeric ``&#N;``), kept otherwise as is: hard wraps, paragraph indentation and the
"Reuter" sign-off stay. Only the trailing ``&#3;`` (end-of-text control character) and the
whitespace before it at the very end are dropped. Other control characters written as
numeric entities in a few bodies (``&#127;``, ``&#5;``, ``&#27;``, ``&#30;``) are kept,
unescaped, as they are real transmission noise.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUBDIR = Path("reuters21578")

DOC_RE = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
NEWID_RE = re.compile(r'\bNEWID="(\d+)"')
TITLE_RE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
BODY_RE = re.compile(r"<BODY>(.*?)</BODY>", re.S)
ENTITY_RE = re.compile(r"&(lt|gt|amp);|&#(\d+);")
NAMED = {"lt": "<", "gt": ">", "amp": "&"}
END_OF_TEXT = "&#3;"


@dataclass
class Counts:
    documents: int = 0
    with_body: int = 0
    written: int = 0


def unescape(raw: str) -> str:
    """Unescape ``&lt;`` ``&gt;`` ``&amp;`` and numeric ``&#N;``; leave anything else."""

    def repl(m: re.Match[str]) -> str:
        name, num = m.group(1), m.group(2)
        return NAMED[name] if name else chr(int(num))

    return ENTITY_RE.sub(repl, raw)


def body_text(raw: str) -> str:
    """Drop the trailing ``&#3;`` and the whitespace before it, then unescape."""
    if raw.endswith(END_OF_TEXT):
        raw = raw[: -len(END_OF_TEXT)].rstrip(string.whitespace)
    return unescape(raw)


def iter_records(data: Path, with_title: bool, counts: Counts) -> Iterator[dict[str, Any]]:
    files = sorted((data / SUBDIR).glob("reut2-*.sgm"))
    if not files:
        raise SystemExit(f"no reut2-*.sgm files in {data / SUBDIR}")
    for path in files:
        # newline="" keeps the bytes' line endings as they are (the files use LF only).
        with path.open(encoding="latin-1", newline="") as fh:
            sgml = fh.read()
        for doc in DOC_RE.finditer(sgml):
            counts.documents += 1
            newid = NEWID_RE.search(doc.group(1))
            if newid is None:
                raise SystemExit(f"{path.name}: <REUTERS> without NEWID at offset {doc.start()}")
            body = BODY_RE.search(doc.group(2))
            if body is None:
                continue
            counts.with_body += 1
            record: dict[str, Any] = {"id": f"reuters-{newid.group(1)}"}
            title = TITLE_RE.search(doc.group(2))
            if with_title and title is not None:
                record["title"] = unescape(title.group(1))
            record["text"] = body_text(body.group(1))
            yield record


def dump_line(record: dict[str, Any]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    # Keep one record per line even for readers that split on Unicode line breaks.
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO, counts: Counts) -> None:
    for record in records:
        out.write(dump_line(record) + "\n")
        counts.written += 1


def open_output(name: str) -> TextIO:
    """Open ``name`` for UTF-8 writing with LF line ends; ``-`` means stdout."""
    if name == "-":
        return open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", closefd=False)
    return open(name, "w", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data root")
    parser.add_argument("-o", "--output", default="-", help="output JSONL file, '-' for stdout")
    title = parser.add_mutually_exclusive_group()
    title.add_argument(
        "--with-title",
        dest="with_title",
        action="store_true",
        default=True,
        help="include the <TITLE> as a 'title' field (default)",
    )
    title.add_argument(
        "--no-title", dest="with_title", action="store_false", help="omit the 'title' field"
    )
    args = parser.parse_args(argv)
    if not (args.data / SUBDIR).is_dir():
        parser.error(f"not a directory: {args.data / SUBDIR}")

    counts = Counts()
    records = iter_records(args.data, args.with_title, counts)
    with open_output(args.output) as out:
        write_jsonl(records, out, counts)
    print(
        f"reuters: {counts.documents} documents, {counts.with_body} with body, "
        f"{counts.written} written",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
