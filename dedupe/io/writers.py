"""Write cleaned copies and the report, each file atomically.

Every file is written to a temporary name in its destination folder and
renamed into place only when complete, so an interrupted run never leaves a
half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError
from ..records import Removal, Result
from .paths import STDIN, Fields, InputFile


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; lone surrogates (from invalid input) are escaped rather than lost."""
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record, ensure_ascii=True)
    return line


class _AtomicFile:
    """A binary file written under a temporary name and renamed on `commit`."""

    def __init__(self, path: Path, compress: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.tmp = Path(tmp)
        raw = os.fdopen(fd, "wb")
        self.fh: IO[bytes] = (
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw  # type: ignore[assignment]
        )
        self._raw = raw

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> None:
        self.fh.close()
        if self._raw is not self.fh:
            self._raw.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
            self._raw.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def atomic_write(path: Path, data: bytes) -> None:
    f = _AtomicFile(path)
    try:
        f.write(data)
    except BaseException:
        f.abort()
        raise
    f.commit()


class OutputWriter:
    """Writes each result where it belongs: mirrored under a folder, or as JSONL to stdout."""

    def __init__(self, output: str, files: list[InputFile], fields: Fields | None = None) -> None:
        self.output = output
        self.fields = fields or Fields()
        self._by_path = {f.path: f for f in files}
        self._open: tuple[str, _AtomicFile] | None = None

    def write(self, result: Result) -> None:
        article = result.article
        source = article.source
        if source is None or source.path not in self._by_path:
            raise OutputError(f"article {article.id!r} has no known input file")
        f = self._by_path[source.path]
        if self.output == STDIN:
            if not result.dropped:
                sys.stdout.write(dumps(self._record(result)) + "\n")
            return
        if f.kind == "txt":
            if not result.dropped:
                atomic_write(
                    Path(self.output) / f.rel, result.text.encode("utf-8", "surrogateescape")
                )
            return
        if self._open is None or self._open[0] != f.path:
            self._commit_open()
            self._open = (f.path, _AtomicFile(Path(self.output) / f.rel, compress=f.gzip))
        if not result.dropped:
            self._open[1].write((dumps(self._record(result)) + "\n").encode("utf-8"))

    def _record(self, result: Result) -> dict[str, Any]:
        article = result.article
        if article.record is None:
            return result.to_record()
        record = dict(article.record)
        record[self.fields.text] = result.text
        return record

    def _commit_open(self) -> None:
        if self._open is not None:
            self._open[1].commit()
            self._open = None

    def close(self) -> None:
        """Commit the last open file."""
        self._commit_open()
        if self.output == STDIN:
            sys.stdout.flush()

    def abort(self) -> None:
        """Discard the file being written (on error or interruption)."""
        if self._open is not None:
            self._open[1].abort()
            self._open = None


class ReportWriter:
    """The removal report: one JSON line per removal, committed atomically at the end."""

    def __init__(self, path: str) -> None:
        self._file = _AtomicFile(Path(path))

    def write(self, removals: list[Removal]) -> None:
        for removal in removals:
            self._file.write((dumps(removal.to_dict()) + "\n").encode("utf-8"))

    def close(self) -> None:
        self._file.commit()

    def abort(self) -> None:
        self._file.abort()
