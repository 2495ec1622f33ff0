#!/usr/bin/env python3
"""Convert the BBC News full-text set to JSONL.

Reads ``bbc_news_fulltext/bbc/<topic>/*.txt`` (topics and files in sorted order) and writes
``{"id": "bbc-<topic>-<stem>", "text": <file content unchanged>, "topic": <topic>}``.

Encoding: the files are UTF-8 (the only non-ASCII character is "£"), except
``sport/199.txt``, which has one latin-1 "£" byte (0xA3). Each file is decoded as UTF-8,
falling back to latin-1, so both give the same "£". Line endings are kept as they are
(all files use LF). The BBC set is also usable directly as a folder of .txt files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUBDIR = Path("bbc_news_fulltext") / "bbc"


def decode(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding used): UTF-8 first, then latin-1 (never fails)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def iter_records(data: Path, fallbacks: list[str]) -> Iterator[dict[str, Any]]:
    root = data / SUBDIR
    topics = sorted(p for p in root.iterdir() if p.is_dir())
    if not topics:
        raise SystemExit(f"no topic folders in {root}")
    for topic_dir in topics:
        for path in sorted(topic_dir.glob("*.txt")):
            text, encoding = decode(path.read_bytes())
            if encoding != "utf-8":
                fallbacks.append(f"{topic_dir.name}/{path.name}")
            yield {
                "id": f"bbc-{topic_dir.name}-{path.stem}",
                "text": text,
                "topic": topic_dir.name,
            }


def dump_line(record: dict[str, Any]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    # Keep one record per line even for readers that split on Unicode line breaks.
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    n = 0
    for record in records:
        out.write(dump_line(record) + "\n")
        n += 1
    return n


def open_output(name: str) -> TextIO:
    """Open ``name`` for UTF-8 writing with LF line ends; ``-`` means stdout."""
    if name == "-":
        return open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", closefd=False)
    return open(name, "w", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data root")
    parser.add_argument("-o", "--output", default="-", help="output JSONL file, '-' for stdout")
    args = parser.parse_args(argv)
    if not (args.data / SUBDIR).is_dir():
        parser.error(f"not a directory: {args.data / SUBDIR}")

    fallbacks: list[str] = []
    records = iter_records(args.data, fallbacks)
    with open_output(args.output) as out:
        n = write_jsonl(records, out)
    print(f"bbc: {n} records written", file=sys.stderr)
    if fallbacks:
        print(f"bbc: decoded as latin-1: {', '.join(fallbacks)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
