"""What a format reader yields besides articles, and what an article carries to the writer.

A reader turns a file's content into a sequence of items: `Article` for each
record, `Bad` for a record that is bad input, and `Filler` for whatever else
the file holds (blank lines, a CSV header, a Parquet batch), which the writer
copies so that the cleaned file keeps the input's layout. The corpus hands
each article the items read since the previous one (`Carry`), so the writer
works from the very pass the cleaner used and never reads the file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ...errors import InputError

FillerKind = Literal["blank", "header", "bad", "batch", "start"]


@dataclass
class Filler:
    """A piece of a file that is no article: for line formats its bytes (``blank``,
    ``header``, or a ``bad`` record kept under ``--on-error keep``); for Parquet the
    file's schema (``start``), a batch of rows (``batch``) or a kept bad row (``bad``)."""

    kind: FillerKind
    raw: bytes = b""
    line: int | None = None
    value: Any = None  # Parquet: the schema info, the batch, or the bad row's index


@dataclass
class Bad:
    """A record that is bad input: the error, and what the writer copies under ``keep``."""

    error: InputError
    raw: bytes = b""
    value: Any = None  # Parquet: the row's index in its batch
    lines: int = 1  # physical lines (a CSV record may span several)


@dataclass
class Carry:
    """What an article carries to its writer: the fillers read since the previous
    article of the same file, and its own row (Parquet: the batch and index)."""

    before: list[Filler] = field(default_factory=list)
    row: Any = None
