"""JSONL (``.jsonl``, ``.ndjson``): one JSON object per line.

A record from which nothing was removed is written as its original bytes; a
cleaned one is its original line with only the text value replaced
(`dedupe.io.jsontext`), so every other field keeps its exact bytes; blank lines
are kept. The report says how each cleaned text was escaped (``text_json``)
and holds each dropped line whole (``raw_line``), so restore is byte-exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ...errors import InputError, RestoreError
from ...records import Article, Result, Source
from ..jsontext import replace_text, split_line, token_style, value_span
from .base import Bad, Filler

BOM = "\ufeff"
Row = dict[str, Any]


def decode(data: bytes, path: str, line: int | None = None) -> str:
    """``data`` as UTF-8, or `InputError` naming the first bad byte, its offset and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where_line = line if line is not None else data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path,
            where_line,
        ) from None


def read(
    lines: Iterable[tuple[int, bytes]], names: Any, path: str
) -> Iterator[Article | Filler | Bad]:
    """The items of a JSONL file, from its numbered lines."""
    seen = False
    for number, raw in lines:
        if not raw.strip():
            yield Filler("blank", raw, number)
            continue
        seen = True
        try:
            yield parse_line(raw, names, Source(path, number))
        except InputError as exc:
            yield Bad(exc, raw)
    if not seen:
        raise InputError("empty file", path)


def parse_line(raw: bytes, names: Any, source: Source) -> Article:
    """The article on one JSONL line (a leading byte order mark is allowed)."""
    line = decode(raw, source.path, source.line)
    try:
        record = json.loads(line[1:] if line.startswith(BOM) else line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})",
            source.path,
            source.line,
        ) from None
    except RecursionError:
        raise InputError("invalid JSON (nested too deeply)", source.path, source.line) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise InputError(f"invalid JSON ({exc})", source.path, source.line) from None
    if not isinstance(record, dict):
        raise InputError(
            f"expected a JSON object, got {type(record).__name__}", source.path, source.line
        )
    article = article_of(record, names, source)
    article.raw = raw
    return article


def article_of(record: dict[str, Any], names: Any, source: Source) -> Article:
    """An article from a decoded record, its fields checked (``names``: a `Fields`)."""

    def bad(message: str) -> InputError:
        return InputError(message, source.path, source.line, row=source.row)

    for required in (names.id, names.text):
        if required not in record:
            raise bad(f"missing field {required!r}")
    ident, text, title = record[names.id], record[names.text], record.get(names.title)
    if not isinstance(text, str):
        raise bad(f"field {names.text!r} must be a string, got {_type(text)}")
    if title is not None and not isinstance(title, str):
        raise bad(f"field {names.title!r} must be a string, got {_type(title)}")
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        raise bad(f"field {names.id!r} must be a string or integer, got {_type(ident)}")
    try:
        name = str(ident)
    except ValueError:  # an integer beyond Python's digit limit for str()
        raise bad(f"field {names.id!r} is an integer too long to use as an id") from None
    extra = {k: v for k, v in record.items() if k not in (names.id, names.title, names.text)}
    int_id = ident if isinstance(ident, int) else None
    return Article(
        id=name, text=text, title=title, extra=extra, source=source, record=record, int_id=int_id
    )


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def splice(raw: bytes, names: Any, text: str) -> bytes:
    """The line ``raw`` with its text value replaced by ``text``, escaped as it was."""
    return replace_text(raw, names.text, text)


def report_fields(result: Result, names: Any) -> Row:
    """What restore needs of a cleaned or dropped record, beyond the cuts."""
    article = result.article
    raw = article.raw
    if raw is None:
        return {}
    if result.dropped:
        return {"raw_line": raw.decode("utf-8")}
    line, _ = split_line(raw)
    start, stop = value_span(line, names.text)
    style = token_style(line[start:stop], article.text)
    extra: Row = {"text_json": style}
    if style == "raw":
        extra["raw_text"] = line[start:stop]
    return extra


def restore_record(
    piece: bytes, rows: list[Row], text_field: str, where: str, put_back: Any
) -> bytes:
    """A cleaned line with its original text put back, escaped as the original was."""
    try:
        line, end = split_line(piece)
        start, stop = value_span(line, text_field)
        cleaned = json.loads(line[start:stop])
    except ValueError as exc:
        raise RestoreError(f"{where}: cannot find the text field ({exc})") from None
    if not isinstance(cleaned, str):
        raise RestoreError(f"{where}: field {text_field!r} is not a string")
    original = put_back(cleaned, rows)
    style = rows[0].get("text_json", "unicode")
    if style == "raw":
        token = next(str(r["raw_text"]) for r in rows if r.get("raw_text") is not None)
    else:
        token = json.dumps(original, ensure_ascii=style == "ascii")
    return (line[:start] + token + line[stop:]).encode("utf-8") + end


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; lone surrogates (from invalid input) are escaped rather than lost;
    values JSON has no type for (dates, bytes, decimals from Parquet) become strings."""
    try:
        line = json.dumps(record, ensure_ascii=False, default=_plain)
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record, ensure_ascii=True, default=_plain)
    return line


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    return str(value)
