"""Replace one field's value in a JSONL line without touching the rest of the line.

A cleaned record is written as its original line with only the text value
swapped, so every other field keeps its exact bytes (spacing, escapes, number
formats, duplicate keys), and `dedupe restore` can swap the original back.
"""

from __future__ import annotations

import json
import re

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
BOM = "\ufeff"


def value_span(line: str, key: str) -> tuple[int, int]:
    """Start and end of the value of top-level ``key`` in the JSON object on ``line``
    (the last one if the key repeats, as `json.loads` would take). Raises ValueError."""
    idx = _WS.match(line, 1 if line.startswith(BOM) else 0).end()  # type: ignore[union-attr]
    if line[idx : idx + 1] != "{":
        raise ValueError("not a JSON object")
    idx = _WS.match(line, idx + 1).end()  # type: ignore[union-attr]
    found: tuple[int, int] | None = None
    if line[idx : idx + 1] == "}":
        raise ValueError(f"no field {key!r}")
    while True:
        if line[idx : idx + 1] != '"':
            raise ValueError(f"expected a key at column {idx + 1}")
        name, idx = _scanstring(line, idx + 1)
        idx = _WS.match(line, idx).end()  # type: ignore[union-attr]
        if line[idx : idx + 1] != ":":
            raise ValueError(f"expected ':' at column {idx + 1}")
        start = _WS.match(line, idx + 1).end()  # type: ignore[union-attr]
        _, end = _DECODER.raw_decode(line, start)
        if name == key:
            found = (start, end)
        idx = _WS.match(line, end).end()  # type: ignore[union-attr]
        sep = line[idx : idx + 1]
        if sep == ",":
            idx = _WS.match(line, idx + 1).end()  # type: ignore[union-attr]
            continue
        if sep == "}":
            break
        raise ValueError(f"expected ',' or '}}' at column {idx + 1}")
    if found is None:
        raise ValueError(f"no field {key!r}")
    return found


def encode_string(text: str, ascii_only: bool) -> str:
    """``text`` as a JSON string literal; lone surrogates force ``\\u`` escapes."""
    token = json.dumps(text, ensure_ascii=ascii_only)
    if not ascii_only:
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            token = json.dumps(text, ensure_ascii=True)
    return token


def token_style(token: str, text: str) -> str:
    """How the original string literal ``token`` of ``text`` was written: ``unicode``
    (as ``json.dumps(ensure_ascii=False)`` writes it), ``ascii`` (``ensure_ascii=True``),
    or ``raw`` (any other escaping: the token itself must be kept)."""
    if token == json.dumps(text, ensure_ascii=False):
        return "unicode"
    if token == json.dumps(text, ensure_ascii=True):
        return "ascii"
    return "raw"


def split_line(raw: bytes) -> tuple[str, bytes]:
    """A JSONL piece as (the line decoded, its line break ``b"\\n"`` or ``b""``)."""
    if raw.endswith(b"\n"):
        return raw[:-1].decode("utf-8"), b"\n"
    return raw.decode("utf-8"), b""


def replace_text(raw: bytes, key: str, text: str) -> bytes:
    """The JSONL piece ``raw`` with the string value of ``key`` replaced by ``text``,
    escaped in the style of the original (ASCII-only if the original was)."""
    line, end = split_line(raw)
    start, stop = value_span(line, key)
    ascii_only = token_style(line[start:stop], json.loads(line[start:stop])) == "ascii"
    return (line[:start] + encode_string(text, ascii_only) + line[stop:]).encode("utf-8") + end
