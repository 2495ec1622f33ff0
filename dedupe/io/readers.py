"""Read articles from text files, JSONL (plain or gzipped) and stdin.

A `Corpus` can be iterated any number of times and reads the files afresh
each time, so the cleaner's two passes never hold the corpus in memory.
Bytes are decoded strictly as UTF-8 and newlines are left as they are, so that
kept text is written back byte for byte.

Bad input (an unreadable, empty, binary or non-UTF-8 file, a corrupt gzip
stream, a JSONL line that is not a JSON object with the right fields) is
handled by the ``on_error`` policy: ``fail`` raises `InputError` (during the
first pass, before anything is written); ``skip`` and ``keep`` record a
`Problem` once and leave the bad file or line out of the articles, for the
writers to leave out (``skip``) or copy through unchanged (``keep``).
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InputError
from ..records import Article, Source
from .paths import STDIN, Fields, InputFile

OnError = Literal["fail", "skip", "keep"]
ON_ERROR: tuple[OnError, ...] = ("fail", "skip", "keep")
BOM = "\ufeff"


@dataclass(frozen=True)
class Problem:
    """A bad input file (``line`` None, or any line of a ``.txt`` file) or JSONL line."""

    file: InputFile
    line: int | None
    message: str
    warning: bool = False  # a warning (duplicate id) is reported but the item is cleaned

    @property
    def whole_file(self) -> bool:
        return self.file.kind == "txt" or self.line is None

    def __str__(self) -> str:
        where = self.file.path if self.line is None else f"{self.file.path}:{self.line}"
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


def _decode(data: bytes, path: str, line: int | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where_line = line if line is not None else data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path,
            where_line,
        ) from None


class Corpus:
    """The articles of some input files, in order; iterable many times.

    Every pass yields exactly the same articles. With ``on_error`` ``skip`` or
    ``keep``, bad files and lines are left out and listed in `problems` (each
    once, in input order); ``on_problem`` is called as each is first found.
    Duplicate ids are reported as warnings (the articles are cleaned as usual).
    """

    def __init__(
        self,
        files: list[InputFile],
        fields: Fields | None = None,
        on_error: OnError = "fail",
        on_problem: Callable[[Problem], None] | None = None,
    ) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, not {on_error!r}")
        self.files = files
        self.fields = fields or Fields()
        self.on_error = on_error
        self.on_problem = on_problem
        self.problems: dict[tuple[str, int | None], Problem] = {}
        self.warnings: list[Problem] = []
        self._passes = 0
        self._ids: dict[str, Source] = {}
        self._stdin: bytes | None = None
        if any(f.path == STDIN for f in files):
            self._stdin = sys.stdin.buffer.read()

    def __iter__(self) -> Iterator[Article]:
        self._passes += 1
        first = self._passes == 1
        for f in self.files:
            if f.kind == "txt":
                articles: Iterator[Article] = self._read_text(f)
            else:
                articles = self._read_jsonl(f)
            for article in articles:
                if first:
                    self._check_id(f, article)
                yield article
        if first:
            self._ids.clear()

    # -- problems ---------------------------------------------------------

    def _bad(self, f: InputFile, error: InputError, file_level: bool) -> None:
        """Raise ``error`` (``fail``) or record it once as a problem of ``f``."""
        if self.on_error == "fail":
            raise error
        line = None if file_level and f.kind != "txt" else error.line
        key = (f.path, None if f.kind == "txt" else line)
        if key in self.problems:
            return
        problem = Problem(f, line, error.reason)
        self.problems[key] = problem
        if self.on_problem is not None:
            self.on_problem(problem)

    def bad(self, f: InputFile, line: int | None = None) -> Problem | None:
        """The problem recorded for a whole file (``line`` None) or one JSONL line."""
        return self.problems.get((f.path, line))

    def _check_id(self, f: InputFile, article: Article) -> None:
        source = article.source or Source(f.path)
        first = self._ids.setdefault(article.id, source)
        if first is not source:
            warning = Problem(
                f, source.line, f"duplicate id {article.id!r} (first at {first})", True
            )
            self.warnings.append(warning)
            if self.on_problem is not None:
                self.on_problem(warning)

    # -- bytes --------------------------------------------------------------

    def raw_bytes(self, f: InputFile) -> bytes:
        """The file's bytes as stored (still compressed for ``.gz``)."""
        if f.path == STDIN:
            assert self._stdin is not None
            return self._stdin
        try:
            with open(f.path, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), f.path) from None

    def data(self, f: InputFile) -> bytes:
        """The file's content (decompressed for ``.gz``)."""
        data = self.raw_bytes(f)
        if not f.gzip:
            return data
        try:
            return gzip.decompress(data)
        except OSError as exc:  # gzip.BadGzipFile
            raise InputError(f"not gzip data ({exc})", f.path) from None
        except (EOFError, zlib.error) as exc:
            raise InputError(f"corrupt gzip data ({exc})", f.path) from None

    def lines(self, f: InputFile) -> Iterator[tuple[int, bytes]]:
        """`pieces` of the file's content. A plain file is streamed, so a large JSONL
        file is never held in memory whole; a ``.gz`` file is decompressed whole first,
        so that a corrupt one is found before any of its records is used."""
        if f.path == STDIN or f.gzip:
            yield from pieces(self.data(f))
            return
        try:
            with open(f.path, "rb") as fh:
                yield from enumerate(fh, start=1)
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), f.path) from None

    # -- formats ------------------------------------------------------------

    def _read_text(self, f: InputFile) -> Iterator[Article]:
        try:
            data = self.data(f)
            if not data:
                raise InputError("empty file", f.path)
            nul = data.find(b"\x00")
            if nul >= 0:
                line = data.count(b"\n", 0, nul) + 1
                raise InputError(f"binary file (NUL byte at offset {nul})", f.path, line)
            text = _decode(data, f.path)
        except InputError as exc:
            self._bad(f, exc, True)
            return
        yield Article(id=f.rel, text=text, source=Source(f.path))

    def _read_jsonl(self, f: InputFile) -> Iterator[Article]:
        names = self.fields
        seen = False
        try:
            for number, raw in self.lines(f):
                if not raw.strip():
                    continue
                seen = True
                try:
                    yield parse_line(raw, names, Source(f.path, number))
                except InputError as exc:
                    self._bad(f, exc, False)
            if not seen:
                raise InputError("empty file", f.path)
        except InputError as exc:  # unreadable, corrupt or empty as a whole
            self._bad(f, exc, True)


def parse_line(raw: bytes, names: Fields, source: Source) -> Article:
    """The article on one JSONL line (a leading byte order mark is allowed)."""
    line = _decode(raw, source.path, source.line)
    try:
        record = json.loads(line[1:] if line.startswith(BOM) else line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})",
            source.path,
            source.line,
        ) from None
    if not isinstance(record, dict):
        raise InputError(
            f"expected a JSON object, got {type(record).__name__}", source.path, source.line
        )
    article = _article(record, names, source)
    article.raw = raw
    return article


def _article(record: dict[str, Any], names: Fields, source: Source) -> Article:
    for required in (names.id, names.text):
        if required not in record:
            raise InputError(f"missing field {required!r}", source.path, source.line)
    ident, text, title = record[names.id], record[names.text], record.get(names.title)
    if not isinstance(text, str):
        raise InputError(
            f"field {names.text!r} must be a string, got {type(text).__name__}",
            source.path,
            source.line,
        )
    if title is not None and not isinstance(title, str):
        raise InputError(
            f"field {names.title!r} must be a string, got {type(title).__name__}",
            source.path,
            source.line,
        )
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        raise InputError(
            f"field {names.id!r} must be a string or integer, got {type(ident).__name__}",
            source.path,
            source.line,
        )
    extra = {k: v for k, v in record.items() if k not in (names.id, names.title, names.text)}
    return Article(id=str(ident), text=text, title=title, extra=extra, source=source, record=record)
