"""CSV (``.csv``) and TSV (``.tsv``): a header row, then one article per row.

The header names the columns; ``--id-field``, ``--title-field`` (optional; an
empty title is no title) and ``--text-field`` pick the article's, and every
other column is carried through. Quoting follows the csv module's default
dialect (RFC 4180: ``"`` quotes a field, ``""`` is a quote inside one, a quoted
field may hold delimiters and line breaks). The delimiter is ``,`` for
``.csv`` and a tab for ``.tsv``, unless the header splits into the named
columns only on ``;``, ``|``, a tab or a comma (so a semicolon CSV from a
spreadsheet is read as one).

Written like JSONL: the header, blank lines and untouched rows are copied as
their original bytes; a cleaned row is its original bytes with only the text
field replaced, quoted as it was (or quoted if it now must be); a dropped row
is left out. Rows are named by their first physical line (``file:line``).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from ...errors import InputError, RestoreError
from ...records import Article, Result, Source
from .base import Bad, Filler
from .jsonl import decode

QUOTE = '"'
DEFAULT = {"csv": ",", "tsv": "\t"}
CANDIDATES = (",", ";", "\t", "|")
FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)  # characters in one field (csv's default: 131072)
Row = dict[str, Any]


class _Feed:
    """Lines for `csv.reader`, one record at a time, keeping the bytes each one used."""

    def __init__(self, lines: Iterable[tuple[int, bytes]], path: str) -> None:
        self._lines = iter(lines)
        self._path = path
        self._peeked: tuple[int, bytes] | None = None
        self.taken: list[bytes] = []
        self.first_line: int | None = None
        self.strip_bom = False

    def peek(self) -> tuple[int, bytes] | None:
        if self._peeked is None:
            self._peeked = next(self._lines, None)
        return self._peeked

    def skip(self) -> None:
        self._peeked = None

    def begin(self) -> None:
        self.taken = []
        self.first_line = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        item = self.peek()
        if item is None:
            raise StopIteration
        self._peeked = None
        number, raw = item
        if self.first_line is None:
            self.first_line = number
        self.taken.append(raw)
        text = decode(raw, self._path, number)
        if self.strip_bom and text.startswith("\ufeff"):
            text = text[1:]
        self.strip_bom = False
        return text


def _reader(feed: _Feed, delimiter: str) -> Any:
    csv.field_size_limit(FIELD_LIMIT)
    return csv.reader(feed, delimiter=delimiter, quotechar=QUOTE, doublequote=True, strict=True)


def sniff(first: str, fmt: str, needed: tuple[str, ...]) -> str:
    """The delimiter: the format's, or another that splits the header into the
    ``needed`` columns when the format's does not."""
    default = DEFAULT[fmt]
    line = first.lstrip("\ufeff")
    for delimiter in (default, *(c for c in CANDIDATES if c != default)):
        try:
            header = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
        except csv.Error:
            continue
        if all(name in header for name in needed):
            return delimiter
    return default


class Layout:
    """A CSV file's header: its delimiter, columns, and where the article's fields are."""

    def __init__(
        self, delimiter: str, header: list[str], names: Any, path: str, need_id: bool = True
    ) -> None:
        self.delimiter = delimiter
        self.header = header
        for name in (names.id, names.title, names.text):
            if header.count(name) > 1:
                raise InputError(f"column {name!r} appears more than once in the header", path)
        for name in (names.id, names.text) if need_id else (names.text,):
            if name not in header:
                columns = ", ".join(repr(h) for h in header[:12])
                raise InputError(
                    f"no column {name!r} in the header (columns: {columns}); "
                    f"name it with --{'id' if name == names.id else 'text'}-field",
                    path,
                    1,
                )
        self.id = header.index(names.id) if names.id in header else -1
        self.text = header.index(names.text)
        self.title = header.index(names.title) if names.title in header else None


def read(
    lines: Iterable[tuple[int, bytes]], names: Any, path: str, fmt: str, need_id: bool = True
) -> Iterator[Article | Filler | Bad]:
    """The items of a CSV/TSV file, from its numbered lines (the header's filler holds
    the file's `Layout`). ``need_id`` False: only the text column is required."""
    needed = (names.id, names.text) if need_id else (names.text,)
    feed = _Feed(lines, path)
    layout: Layout | None = None
    reader: Any = None
    row = 0
    while (item := feed.peek()) is not None:
        number, raw = item
        if not raw.strip():
            feed.skip()
            yield Filler("blank", raw, number)
            continue
        if layout is None:  # the header
            delimiter = sniff(decode(raw, path, number), fmt, needed)
            reader = _reader(feed, delimiter)
            feed.begin()
            feed.strip_bom = True
            try:
                header = next(reader)
            except csv.Error as exc:
                raise InputError(f"malformed CSV header ({exc})", path, number) from None
            layout = Layout(delimiter, header, names, path, need_id)
            yield Filler("header", b"".join(feed.taken), number, layout)
            continue
        row += 1
        feed.begin()
        try:
            fields = next(reader)
        except csv.Error as exc:
            taken = b"".join(feed.taken)
            yield Bad(
                InputError(f"malformed CSV ({exc})", path, number), taken, lines=_count(taken)
            )
            continue
        except InputError as exc:  # a line that is not UTF-8
            taken = b"".join(feed.taken)
            yield Bad(exc, taken, lines=_count(taken))
            continue
        taken = b"".join(feed.taken)
        source = Source(path, number, row)
        try:
            yield _article(fields, layout, names, source, taken)
        except InputError as exc:
            yield Bad(exc, taken, lines=_count(taken))
    if layout is None:
        raise InputError("empty file (no header row)", path)


def _count(raw: bytes) -> int:
    """Physical lines of a record (the last line of a file may have no line break)."""
    return raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)


def _article(fields: list[str], layout: Layout, names: Any, source: Source, raw: bytes) -> Article:
    if len(fields) != len(layout.header):
        raise InputError(
            f"expected {len(layout.header)} fields as in the header, found {len(fields)}",
            source.path,
            source.line,
        )
    if b"\x00" in raw:
        raise InputError("NUL byte in the row (binary data?)", source.path, source.line)
    title = fields[layout.title] if layout.title is not None else None
    record = dict(zip(layout.header, fields))
    skip = {layout.id, layout.text, layout.title}
    extra = {h: v for k, (h, v) in enumerate(zip(layout.header, fields)) if k not in skip}
    return Article(
        id=fields[layout.id],
        text=fields[layout.text],
        title=title or None,
        extra=extra,
        source=source,
        record=record,
        raw=raw,
        carry=None,
    )


# -- fields inside a record's bytes ------------------------------------------------


def _body_end(record: str) -> int:
    if record.endswith("\r\n"):
        return len(record) - 2
    if record.endswith(("\n", "\r")):
        return len(record) - 1
    return len(record)


def field_spans(record: str, delimiter: str) -> list[tuple[int, int]]:
    """Start and end of each field's token in one record (quotes included); the
    record is one that `csv.reader` parsed in strict mode. Raises ValueError."""
    end = _body_end(record)
    spans: list[tuple[int, int]] = []
    i = 0
    while True:
        start = i
        if record.startswith(QUOTE, i):
            i += 1
            while True:
                j = record.find(QUOTE, i, end)
                if j < 0:
                    raise ValueError("unterminated quoted field")
                if record.startswith(QUOTE, j + 1) and j + 1 < end:
                    i = j + 2
                    continue
                i = j + 1
                break
        else:
            j = record.find(delimiter, i, end)
            i = end if j < 0 else j
        spans.append((start, i))
        if i >= end:
            return spans
        if record[i] != delimiter:
            raise ValueError(f"expected {delimiter!r} at column {i + 1}")
        i += 1
        if i == end:
            spans.append((end, end))
            return spans


def quoted(value: str) -> str:
    return QUOTE + value.replace(QUOTE, QUOTE * 2) + QUOTE


def _needs_quotes(value: str, delimiter: str) -> bool:
    return any(c in value for c in (delimiter, QUOTE, "\r", "\n"))


def token_for(value: str, was_quoted: bool, delimiter: str) -> str:
    """``value`` as a field token: quoted if the original was, or if it must be."""
    if was_quoted or _needs_quotes(value, delimiter):
        return quoted(value)
    return value


def token_style(token: str, value: str) -> str:
    """``quoted``, ``bare``, or ``raw`` (another spelling: the token must be kept)."""
    if token == quoted(value):
        return "quoted"
    if token == value:
        return "bare"
    return "raw"


def text_token(raw: bytes, delimiter: str, index: int) -> tuple[str, int, int]:
    """The record ``raw`` decoded, and the span of its field ``index``."""
    record = raw.decode("utf-8")
    spans = field_spans(record, delimiter)
    if index >= len(spans):
        raise ValueError(f"no field {index + 1}")
    start, stop = spans[index]
    return record, start, stop


def splice(raw: bytes, layout: Layout, text: str) -> bytes:
    """The record ``raw`` with its text field replaced by ``text``."""
    record, start, stop = text_token(raw, layout.delimiter, layout.text)
    token = token_for(text, record.startswith(QUOTE, start), layout.delimiter)
    return (record[:start] + token + record[stop:]).encode("utf-8")


def report_fields(result: Result, layout: Layout) -> Row:
    """What restore needs of a cleaned or dropped row, beyond the cuts."""
    article = result.article
    raw = article.raw
    if raw is None:
        return {}
    if result.dropped:
        return {"raw_line": raw.decode("utf-8")}
    record, start, stop = text_token(raw, layout.delimiter, layout.text)
    style = token_style(record[start:stop], article.text)
    extra: Row = {"text_csv": style}
    if style == "raw":
        extra["raw_text"] = record[start:stop]
    return extra


def restore_record(raw: bytes, rows: list[Row], layout: Layout, where: str, put_back: Any) -> bytes:
    """A cleaned row with its original text put back, quoted as the original was."""
    try:
        record, start, stop = text_token(raw, layout.delimiter, layout.text)
        cleaned = next(csv.reader([record[start:stop]], delimiter=layout.delimiter), [""])
    except (ValueError, csv.Error) as exc:
        raise RestoreError(f"{where}: cannot find the text field ({exc})") from None
    original = put_back(cleaned[0] if cleaned else "", rows)
    style = rows[0].get("text_csv", "quoted")
    if style == "raw":
        token = next(str(r["raw_text"]) for r in rows if r.get("raw_text") is not None)
    elif style == "bare":
        token = original
    else:
        token = quoted(original)
    return (record[:start] + token + record[stop:]).encode("utf-8")


def records(
    lines: Iterable[tuple[int, bytes]], names: Any, path: str, fmt: str
) -> Iterator[tuple[bytes, bool, Layout | None]]:
    """A cleaned CSV file as restore walks it: (bytes, whether a row, the layout)."""
    layout: Layout | None = None
    for item in read(lines, names, path, fmt, need_id=False):
        if isinstance(item, Filler):
            if item.kind == "header":
                layout = item.value
            yield item.raw, False, layout
        else:
            assert item.raw is not None
            yield item.raw, True, layout
