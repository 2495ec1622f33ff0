"""What the DataFrame and Dataset helpers share: rows as records, results as columns."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ..cleaner import Cleaner
from ..errors import ConfigError, DedupeError
from ..records import RULES

CHUNK = 1024  # rows converted to records at a time
COUNTED = tuple(rule for rule in RULES if rule != "document")  # a dropped row: `dropped`


class MissingExtra(DedupeError, ImportError):
    """An optional library that a helper needs is not installed."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"this needs {module}: pip install 'news-dedupe[{extra}]'") from None


@dataclass(frozen=True)
class Columns:
    """The input columns (id: None numbers the rows from 0) and the output ones."""

    id: str | None
    title: str | None
    text: str
    cleaned: str | None
    dropped: str
    prefix: str

    def counts(self) -> dict[str, str]:
        """Rule -> the name of its count column."""
        return {rule: f"{self.prefix}{rule}" for rule in COUNTED}

    def check(self, names: Sequence[str], kind: str) -> bool:
        """Check the input columns against ``names``; whether the title column is used
        (it is used when it exists)."""
        wanted = [("id", self.id), ("text", self.text)]
        for role, column in wanted:
            if column is not None and column not in names:
                hint = " (or id_column=None to number the rows)" if role == "id" else ""
                raise ConfigError(
                    f"no {role} column {column!r} in the {kind} (columns: "
                    f"{', '.join(map(str, names))}); name it with {role}_column=...{hint}"
                )
        added = [self.dropped, *self.counts().values()]
        if self.cleaned is not None:
            added.append(self.cleaned)
        for column in added:
            if column in names:
                raise ConfigError(
                    f"the {kind} already has a column {column!r}; choose other names "
                    "(cleaned_column=, dropped_column=, count_prefix=)"
                )
        return self.title is not None and self.title in names


class Rows:
    """Records (``id``, ``title``, ``text``) made from column chunks, as many times
    as the cleaner reads them; `len` is the number of rows."""

    def __init__(self, size: int, chunks: Callable[[], Iterator[dict[str, list[Any]]]]) -> None:
        self._size = size
        self._chunks = chunks

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for chunk in self._chunks():
            texts = chunk["text"]
            ids = chunk["id"]
            titles = chunk.get("title")
            for k, text in enumerate(texts):
                record = {"id": ids[k], "text": text}
                if titles is not None:
                    record["title"] = titles[k]
                yield record


@dataclass
class Outcome:
    """Per input row: the cleaned text, dropped, counts per rule, and whether the row
    is in the output."""

    cleaned: list[Any]
    dropped: np.ndarray
    counts: dict[str, np.ndarray]
    keep: np.ndarray


def collect(cleaner: Cleaner, rows: Rows, name: str, drop: bool) -> Outcome:
    """Clean ``rows``; results by row (bad rows: skipped or kept per ``on_error``)."""
    n = len(rows)
    cleaned: list[Any] = [None] * n
    dropped = np.zeros(n, dtype=bool)
    counts: dict[str, np.ndarray] = {rule: np.zeros(n, dtype=np.int64) for rule in COUNTED}
    keep = np.ones(n, dtype=bool)
    skipped: set[int] | None = None
    position = 0
    for result in cleaner.clean(rows, name=name):
        if skipped is None:  # the first pass is over: every bad row is known
            skipped = _skipped(cleaner)
        while position in skipped:
            keep[position] = False
            position += 1
        if result.error is not None:  # kept unchanged under on_error="keep"
            cleaned[position] = result.to_record().get("text")
        else:
            cleaned[position] = result.text
            dropped[position] = result.dropped
            for removal in result.removals:
                if removal.rule in counts:
                    counts[removal.rule][position] += 1
        position += 1
    for p in _skipped(cleaner) if skipped is None else skipped:
        keep[p] = False
    if drop:
        keep &= ~dropped
    return Outcome(cleaned, dropped, counts, keep)


def _skipped(cleaner: Cleaner) -> set[int]:
    """The 0-based rows left out of the results (bad rows under ``skip``)."""
    if cleaner.on_error != "skip":
        return set()
    return {e.record - 1 for e in cleaner.problems if e.record is not None}
