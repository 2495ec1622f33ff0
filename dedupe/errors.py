"""The exception hierarchy: every error dedupe raises on purpose is a `DedupeError`."""

from __future__ import annotations

import functools
from typing import Any


class DedupeError(Exception):
    """Base class of every error raised by dedupe."""


class ConfigError(DedupeError, ValueError):
    """An invalid setting in `CleanerConfig`."""


class InputError(DedupeError):
    """A bad input file or record; names the file and, where known, the line (JSONL,
    CSV: the record's first line) or the row (Parquet); for records given to
    `Cleaner.clean`, the input (``<input>``) and the record's 1-based position."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        *,
        row: int | None = None,
        record: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.row = row
        self.record = record
        self.reason = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        elif row is not None:
            where = f"{where}:row {row}"
        elif record is not None:
            where = f"{where}:record {record}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its parts (the default would pass the whole message as ``message``)."""
        rebuild = functools.partial(type(self), row=self.row, record=self.record)
        return rebuild, (self.reason, self.path, self.line)


class OutputError(DedupeError):
    """An output location that cannot or must not be written."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT or SIGTERM); raised so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signum)


class RestoreError(DedupeError):
    """A cleaned folder and report that do not fit together, or an input not restorable."""
