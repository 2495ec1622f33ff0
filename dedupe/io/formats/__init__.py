"""One reader/writer pair per file format, chosen by suffix (or ``--format``).

| format    | suffixes            | one article per | module       |
|-----------|---------------------|-----------------|--------------|
| `txt`     | `.txt`              | file            | `txt.py`     |
| `jsonl`   | `.jsonl`, `.ndjson` | line            | `jsonl.py`   |
| `csv`     | `.csv`              | row             | `csv.py`     |
| `tsv`     | `.tsv`              | row             | `csv.py`     |
| `parquet` | `.parquet`          | row             | `parquet.py` |

Any of them may be compressed (``.gz``, ``.zst``, ``.bz2``, ``.xz``; see
`dedupe.io.compression`). Suffixes are matched case-insensitively.
"""

from __future__ import annotations

from typing import Literal

from .. import compression
from ..compression import Codec

Format = Literal["txt", "jsonl", "csv", "tsv", "parquet"]
FORMATS: tuple[Format, ...] = ("txt", "jsonl", "csv", "tsv", "parquet")
SUFFIXES: dict[str, Format] = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}
LINES: tuple[Format, ...] = ("jsonl", "csv", "tsv")  # line-based: written by splicing lines


def of_name(name: str) -> tuple[Format | None, Codec | None]:
    """The format and compression a file name says (``(None, codec)`` if no format)."""
    stem, codec = compression.split(name)
    lower = stem.lower()
    for suffix, fmt in SUFFIXES.items():
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return fmt, codec
    return None, codec


def describe_suffixes() -> str:
    return ", ".join(SUFFIXES)
