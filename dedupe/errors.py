"""The exception hierarchy: every error dedupe raises on purpose is a `DedupeError`."""

from __future__ import annotations


class DedupeError(Exception):
    """Base class of every error raised by dedupe."""


class ConfigError(DedupeError, ValueError):
    """An invalid setting in `CleanerConfig`."""


class InputError(DedupeError):
    """A bad input file or record; names the file and, where known, the line (JSONL,
    CSV: the record's first line) or the row (Parquet)."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        *,
        row: int | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.row = row
        self.reason = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        elif row is not None:
            where = f"{where}:row {row}"
        super().__init__(f"{where}: {message}")


class OutputError(DedupeError):
    """An output location that cannot or must not be written."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT or SIGTERM); raised so that cleanup runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signum)


class RestoreError(DedupeError):
    """A cleaned folder and report that do not fit together, or an input not restorable."""
