#!/usr/bin/env python3
"""Convert the asprout ArticleComparisons CSVs to JSONL.

Reads ``asprout_article_comparisons/data/*.csv`` (census, helsinki, spotify; columns
``id, publisher, scrape_time, text``; paragraphs joined by `` ### ``) and writes one
record per row: ``{"id": "census-604", "text": ..., "publisher": ..., "scrape_time": ...}``.

``text`` is the paragraphs split on ``###``, each stripped, empty chunks dropped, joined
with a blank line. The scraped title (first chunk, often repeated) is kept as the first
paragraph(s); no separate title field is written. Files are read in sorted order and rows
keep their CSV order. The CSVs are UTF-8 (checked: all three decode cleanly).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUBDIR = Path("asprout_article_comparisons") / "data"
# Raw ids repeat across files (2313, 3581), so the id is prefixed with the file's stem.
STEM_SUFFIX = "_articles"


def paragraphs_to_text(raw: str) -> str:
    """Split on ``###``, strip each chunk, drop empty chunks, join with blank lines."""
    return "\n\n".join(chunk for chunk in (c.strip() for c in raw.split("###")) if chunk)


def iter_records(data: Path) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)  # longest text is ~64 kB; the default limit is 128 kB
    files = sorted((data / SUBDIR).glob("*.csv"))
    if not files:
        raise SystemExit(f"no CSV files in {data / SUBDIR}")
    for path in files:
        stem = path.stem.removesuffix(STEM_SUFFIX)
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield {
                    "id": f"{stem}-{row['id']}",
                    "text": paragraphs_to_text(row["text"]),
                    "publisher": row["publisher"],
                    "scrape_time": row["scrape_time"],
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

    records = iter_records(args.data)
    with open_output(args.output) as out:
        n = write_jsonl(records, out)
    print(f"asprout: {n} records written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
