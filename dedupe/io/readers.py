"""Read articles from input files of any format (`dedupe.io.formats`) and from stdin.

A `Corpus` can be iterated any number of times and reads the files afresh
each time, so the cleaner's passes never hold the corpus in memory (stdin is
spooled to a temporary file for that). Content is decompressed as a stream and
decoded strictly (UTF-8, or ``encoding``; see `dedupe.io.content`), and
newlines are left as they are, so that kept text is written back byte for byte.

Bad input (an unreadable, empty, binary or undecodable file, a corrupt
compressed stream, a record that is not what its format needs) is handled by
the ``on_error`` policy: ``fail`` raises `InputError` (during the first pass,
before anything is written); ``skip`` and ``keep`` record a `Problem` once and
leave the bad file or record out of the articles, for the writers to leave out
(``skip``) or copy through unchanged (``keep``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from ..errors import InputError
from ..records import Article, Source
from . import content, encoding
from .compression import CHUNK, CompressionError
from .content import Fingerprint, Spool, Tap
from .formats import LINES
from .formats import csv as csv_format
from .formats import jsonl as jsonl_format
from .formats import parquet as parquet_format
from .formats import txt as txt_format
from .formats.base import Bad, Carry, Filler
from .paths import Fields, InputFile

OnError = Literal["fail", "skip", "keep"]
ON_ERROR: tuple[OnError, ...] = ("fail", "skip", "keep")
BOM = "\ufeff"


@dataclass(frozen=True)
class Problem:
    """A bad input file (``line`` and ``row`` None, or any line of a ``.txt`` file), or
    a bad record: a JSONL line, a CSV row (its first ``line``; ``lines`` long), a
    Parquet ``row``."""

    file: InputFile
    line: int | None
    message: str
    warning: bool = False  # a warning (duplicate id) is reported but the item is cleaned
    row: int | None = None
    lines: int = 1

    @property
    def whole_file(self) -> bool:
        return self.file.format == "txt" or (self.line is None and self.row is None)

    def __str__(self) -> str:
        where = self.file.path
        if self.line is not None:
            where = f"{where}:{self.line}"
        elif self.row is not None:
            where = f"{where}:row {self.row}"
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def pieces(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, the line with its ``\\n`` if it has one) for each line of ``data``.

    Joining the pieces gives ``data`` back exactly; a final line break does not
    start another (empty) line.
    """
    pos, number, size = 0, 0, len(data)
    while pos < size:
        number += 1
        end = data.find(b"\n", pos)
        if end < 0:
            yield number, data[pos:]
            return
        yield number, data[pos : end + 1]
        pos = end + 1


class Corpus:
    """The articles of some input files, in order; iterable many times.

    Every pass yields exactly the same articles. With ``on_error`` ``skip`` or
    ``keep``, bad files and records are left out and listed in `problems` (each
    once, in input order); ``on_problem`` is called as each is first found.
    Duplicate ids are reported as warnings (the articles are cleaned as usual).
    ``encoding`` is any Python codec name or ``auto`` (detected per file); the
    encoding each file was read in is in `encodings`.
    """

    def __init__(
        self,
        files: list[InputFile],
        fields: Fields | None = None,
        on_error: OnError = "fail",
        on_problem: Callable[[Problem], None] | None = None,
        *,
        encoding: str = "utf-8",
        stdin: Spool | None = None,
    ) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, not {on_error!r}")
        self.files = files
        self.fields = fields or Fields()
        self.on_error = on_error
        self.on_problem = on_problem
        self.encoding = _canonical(encoding)
        self.problems: dict[tuple[str, int | None, int | None], Problem] = {}
        self.warnings: list[Problem] = []
        self.encodings: dict[str, str] = {}  # path -> the encoding it was read in
        self.layouts: dict[str, Any] = {}  # path -> CSV `Layout` or Parquet `Schema`
        self._skipped: set[str] = set()  # paths with records left out as bad
        self.fingerprints: dict[str, Fingerprint] = {}  # path -> as read in the first pass
        self._counts: dict[str, int] = {}  # path -> articles in the first pass
        self._unstable: set[str] = set()  # paths that changed during the run
        self._tails: dict[str, list[Filler]] = {}
        self._passes = 0
        self._ids: dict[str, Source] = {}
        self._stdin = stdin
        if self._stdin is None and any(f.is_stdin for f in files):
            self._stdin = Spool(sys.stdin.buffer)

    def __iter__(self) -> Iterator[Article]:
        self._passes += 1
        first = self._passes == 1
        self._tails.clear()
        for f in self.files:
            if not first and self.bad(f) is not None and f.path not in self._unstable:
                continue  # bad as a whole, found in the first pass
            yield from self._read(f, first)
        if first:
            self._ids.clear()

    def close(self) -> None:
        """Remove the spooled stdin, if any."""
        if self._stdin is not None:
            self._stdin.close()

    # -- what the writers ask -------------------------------------------------

    def tail(self, f: InputFile) -> list[Filler]:
        """What followed the last article of ``f`` in the latest pass (blank lines,
        kept bad records, Parquet batches), or the whole file if it had no article."""
        return self._tails.pop(f.path, [])

    def changed(self, f: InputFile) -> bool:
        """Whether records of ``f`` were left out as bad input."""
        return f.path in self._skipped

    def unstable(self, f: InputFile) -> bool:
        """Whether ``f`` changed during the run (then nothing of it is written)."""
        return f.path in self._unstable

    def mark_unstable(self, f: InputFile, why: str) -> None:
        """``f`` is not what the first pass read: raise `InputError` (``fail``), or
        report it once and leave it out of the output (``skip``, ``keep``)."""
        error = InputError(f"changed during the run ({why}); run again when it is stable", f.path)
        if self.on_error == "fail":
            raise error
        if f.path in self._unstable:
            return
        self._unstable.add(f.path)
        key = (f.path, None, None)
        if key not in self.problems:
            self.problems[key] = problem = Problem(f, None, error.reason)
            if self.on_problem is not None:
                self.on_problem(problem)

    def encoding_of(self, f: InputFile) -> str:
        return self.encodings.get(f.path, encoding.UTF8)

    @property
    def transcoded(self) -> dict[str, str]:
        """Path -> encoding of each input that was not UTF-8."""
        return {p: e for p, e in self.encodings.items() if not encoding.is_utf8(e)}

    def raw_bytes(self, f: InputFile) -> bytes:
        """The file's bytes as stored (still compressed)."""
        return content.raw_bytes(f, self._stdin)

    def open_raw(self, f: InputFile) -> IO[bytes]:
        return content.open_raw(f, self._stdin)

    def lines(self, f: InputFile, taps: list[Tap] | None = None) -> Iterator[tuple[int, bytes]]:
        """The numbered lines of the file's content (decompressed, in UTF-8)."""
        try:
            with content.open_content(f, self._stdin, self.encoding_of(f), taps) as fh:
                yield from enumerate(fh, start=1)
        except (CompressionError, OSError) as exc:
            raise InputError(
                str(exc) if isinstance(exc, CompressionError) else (exc.strerror or str(exc)),
                f.path,
            ) from None

    # -- problems ---------------------------------------------------------

    def _bad(self, f: InputFile, error: InputError, file_level: bool, lines: int = 1) -> None:
        """Raise ``error`` (``fail``) or record it once as a problem of ``f``."""
        if self.on_error == "fail":
            raise error
        whole = file_level or f.format == "txt"
        line = error.line if f.format == "txt" or not whole else None
        row = None if whole else error.row
        key = (f.path, None, None) if whole else (f.path, line, row)
        if key in self.problems:
            return
        if not whole:
            self._skipped.add(f.path)
        problem = Problem(f, line, error.reason, row=row, lines=lines)
        self.problems[key] = problem
        if self.on_problem is not None:
            self.on_problem(problem)

    def bad(self, f: InputFile, line: int | None = None, row: int | None = None) -> Problem | None:
        """The problem recorded for a whole file (``line``, ``row`` None) or one record."""
        return self.problems.get((f.path, line, row))

    def _check_id(self, f: InputFile, article: Article) -> None:
        source = article.source or Source(f.path)
        first = self._ids.setdefault(article.id, source)
        if first is not source:
            warning = Problem(
                f, source.line, f"duplicate id {article.id!r} (first at {first})", True,
                row=source.row if source.line is None else None,
            )  # fmt: skip
            self.warnings.append(warning)
            if self.on_problem is not None:
                self.on_problem(warning)

    # -- reading ------------------------------------------------------------

    def _read(self, f: InputFile, first: bool) -> Iterator[Article]:
        """The articles of ``f``. Later passes check that ``f`` is what the first pass
        read (size and time when opened, digest when read); if not, the file is
        `mark_unstable` and stands-ins keep the number of articles the same."""
        expected = None if first else self._counts.get(f.path)
        if not first and self._changed_since(f):
            yield from self._stand_ins(f, expected or 0)
            return
        count = 0
        before: list[Filler] = []
        taps: list[Tap] = []
        try:
            for item in self._items(f, first, taps):
                if isinstance(item, Article):
                    if expected is not None and count >= expected:
                        self.mark_unstable(f, "it has more records than before")
                        break
                    item.carry = Carry(before, item.carry)
                    before = []
                    if first:
                        self._check_id(f, item)
                    count += 1
                    yield item
                elif isinstance(item, Bad):
                    self._bad(f, item.error, False, item.lines)
                    if self.on_error == "keep":
                        before.append(Filler("bad", item.raw, item.error.line, item.value))
                else:
                    if item.kind in ("header", "start"):
                        self.layouts[f.path] = item.value
                    before.append(item)
        except InputError as exc:
            if count or not first:
                # Part of the file was used already: it cannot be left out consistently.
                raise
            self._bad(f, exc, True)
            return
        seen = taps[0].fingerprint if taps else None
        if first:
            self._counts[f.path] = count
            if seen is not None:
                self.fingerprints[f.path] = seen
            return
        known = self.fingerprints.get(f.path)
        if (
            known is not None
            and seen is not None
            and known.sha256
            and seen.sha256
            and (known.sha256 != seen.sha256 or known.stat_differs(seen))
        ):
            self.mark_unstable(f, "its content is not what the first pass read")
        if expected is not None and count < expected:
            self.mark_unstable(f, "it has fewer records than before")
            yield from self._stand_ins(f, expected - count)
        if before:
            self._tails[f.path] = before

    def _changed_since(self, f: InputFile) -> bool:
        """Whether ``f`` is already known to have changed, or its size or modification
        time differ from the first pass's (marking it so)."""
        if f.path in self._unstable:
            return True
        known = self.fingerprints.get(f.path)
        if known is None or f.is_stdin:
            return False
        try:
            st = os.stat(f.path)
        except OSError:
            self.mark_unstable(f, "it can no longer be read")
            return True
        if (st.st_size, st.st_mtime_ns) != (known.size, known.mtime_ns):
            self.mark_unstable(f, "its size or modification time changed")
            return True
        return False

    def _stand_ins(self, f: InputFile, n: int) -> Iterator[Article]:
        """Empty articles in place of those of a file that changed: the passes keep the
        same number of articles (the cleaner counts on it); none is written."""
        for k in range(n):
            yield Article(id=f"{f.rel}#{k + 1} (changed)", text="", source=Source(f.path))

    def _items(
        self, f: InputFile, first: bool, taps: list[Tap]
    ) -> Iterator[Article | Filler | Bad]:
        if f.format == "txt":
            data = content.read_all(f, self._stdin, taps)
            if first or f.path not in self.encodings:
                self.encodings[f.path] = content.resolve_text(data, self.encoding, f.path)
            article = txt_format.read(data, self.encodings[f.path], f.rel, f.path)
            del data  # the bytes are not held while the article is cleaned
            yield article
        elif f.format in LINES:
            if first or f.path not in self.encodings:
                self.encodings[f.path] = content.prepare(f, self.encoding, self._stdin)
            if f.format == "jsonl":
                yield from jsonl_format.read(self.lines(f, taps), self.fields, f.path)
            else:
                yield from csv_format.read(self.lines(f, taps), self.fields, f.path, f.format)
        elif f.format == "parquet":
            with self._parquet_source(f, taps) as source:
                yield from parquet_format.read(source, self.fields, f.path)
        else:
            raise InputError(f"unknown format {f.format!r}", f.path)

    @contextlib.contextmanager
    def _parquet_source(self, f: InputFile, taps: list[Tap]) -> Iterator[str | IO[bytes]]:
        """A path or seekable file pyarrow can read: compressed files and stdin are
        decompressed to an anonymous temporary file first. (pyarrow reads a file in its
        own order, so a plain file's digest is taken by reading it through first.)"""
        if f.codec is None and not f.is_stdin:
            try:
                with content.open_raw(f, self._stdin, taps) as fh:
                    while fh.read(CHUNK):
                        pass
            except OSError as exc:
                raise InputError(exc.strerror or str(exc), f.path) from None
            yield f.path
            return
        if f.codec is None:
            with content.open_raw(f, self._stdin) as fh:
                yield fh
            return
        with tempfile.TemporaryFile() as tmp:
            try:
                with content.open_content(f, self._stdin, taps=taps) as fh:
                    shutil.copyfileobj(fh, tmp, CHUNK)
            except (CompressionError, OSError) as exc:
                message = str(exc) if isinstance(exc, CompressionError) else exc.strerror
                raise InputError(message or str(exc), f.path) from None
            tmp.seek(0)
            yield tmp


def _canonical(name: str) -> str:
    try:
        return encoding.canonical(name)
    except ValueError as exc:
        raise ValueError(f"encoding: {exc}") from None


def parse_line(raw: bytes, names: Fields, source: Source) -> Article:
    """The article on one JSONL line (kept here for callers of earlier versions)."""
    return jsonl_format.parse_line(raw, names, source)
