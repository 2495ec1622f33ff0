"""Plain text (``.txt``): the whole file is one article, its id the path relative to OUTPUT.

The cleaned copy is the text minus the removed segments, in UTF-8; the report's
cuts put them back.
"""

from __future__ import annotations

from ...errors import InputError
from ...records import Article, Source
from .. import encoding
from .jsonl import decode


def read(data: bytes, enc: str, rel: str, path: str) -> Article:
    """The article of a whole file's content ``data`` in encoding ``enc``."""
    if not data:
        raise InputError("empty file", path)
    if encoding.is_utf8(enc):
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            raise InputError(f"binary file (NUL byte at offset {nul})", path, line)
        try:
            text = decode(data, path)
        except InputError as exc:
            hint = "; name its encoding with --encoding (or auto)"
            raise InputError(exc.reason + hint, path, exc.line) from None
    else:
        text = encoding.check_bytes(data, enc, path)
        nul = text.find("\x00")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            raise InputError(f"binary file (NUL character at {enc} offset {nul})", path, line)
    return Article(id=rel, text=text, source=Source(path))


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
