"""Read articles from text files, JSONL (plain or gzipped) and stdin.

A `Corpus` can be iterated any number of times and reads the files afresh
each time, so the cleaner's two passes never hold the corpus in memory.
Bytes are decoded strictly as UTF-8 and newlines are left as they are, so that
kept text is written back byte for byte.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from ..records import Article, Source
from .paths import STDIN, Fields, InputFile


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
    """The articles of some input files, in order; iterable many times."""

    def __init__(self, files: list[InputFile], fields: Fields | None = None) -> None:
        self.files = files
        self.fields = fields or Fields()
        self._stdin: bytes | None = None
        if any(f.path == STDIN for f in files):
            self._stdin = sys.stdin.buffer.read()

    def __iter__(self) -> Iterator[Article]:
        for f in self.files:
            if f.kind == "txt":
                yield self._read_text(f)
            else:
                yield from self._read_jsonl(f)

    def _bytes(self, f: InputFile) -> bytes:
        if f.path == STDIN:
            assert self._stdin is not None
            return self._stdin
        try:
            with open(f.path, "rb") as fh:
                data = fh.read()
            if f.gzip:
                data = gzip.decompress(data)
        except OSError as exc:  # includes gzip.BadGzipFile
            raise InputError(exc.strerror or str(exc), f.path) from None
        except (EOFError, zlib.error) as exc:
            raise InputError(f"corrupt gzip data ({exc})", f.path) from None
        return data

    def _read_text(self, f: InputFile) -> Article:
        data = self._bytes(f)
        if not data:
            raise InputError("empty file", f.path)
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise InputError(f"binary file (NUL byte at offset {nul})", f.path, line)
        text = _decode(data, f.path)
        return Article(id=f.rel, text=text, source=Source(f.path))

    def _read_jsonl(self, f: InputFile) -> Iterator[Article]:
        data = self._bytes(f)
        if not data.strip():
            raise InputError("empty file", f.path)
        names = self.fields
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            line = _decode(raw, f.path, number)
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON ({exc.msg} at column {exc.colno})", f.path, number
                ) from None
            if not isinstance(record, dict):
                raise InputError(
                    f"expected a JSON object, got {type(record).__name__}", f.path, number
                )
            yield _article(record, names, Source(f.path, number))


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
