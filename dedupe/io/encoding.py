"""Input encodings: ``--encoding`` (any Python codec, default UTF-8, or ``auto``).

Everything past the reader works on UTF-8: a file in another encoding is
decoded once and its text re-encoded as UTF-8 (`Transcoder`), so cleaned
copies are UTF-8 and `dedupe restore` encodes them back to get the original
bytes. A file is transcoded only if that round trip gives its bytes back
exactly (`Check`); otherwise it is bad input, as is a file that does not decode.

With ``auto`` each file is detected on its own: UTF-8 if it is valid UTF-8
(ASCII included), UTF-16/32 if it starts with their byte order mark, and
otherwise the most coherent candidate of charset-normalizer (imported lazily),
windows-1252 where that decodes the same; a file with no candidate, or with
several that disagree and none that reads as a language, is an error naming it.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from typing import IO, Any

from ..errors import InputError

UTF8 = "utf-8"
AUTO = "auto"
# Bytes of a file shown to the detector: its start, and from its first non-UTF-8 byte on.
SAMPLE = 1 << 20

# Byte order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_PREFERRED = ("cp1252", "utf_8", "latin_1")


def canonical(name: str) -> str:
    """The codec's canonical name (``utf-8``, ``cp1252``, ``auto``…); ValueError if unknown.

    ``utf-8-sig`` is UTF-8 here: a byte order mark is kept as text, as in UTF-8 files.
    """
    if name.lower() == AUTO:
        return AUTO
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None
    try:
        "x\n".encode(info.name)
        b"x\n".decode(info.name)
    except (UnicodeError, TypeError, LookupError):
        raise ValueError(f"{name!r} is not a text encoding") from None
    if info.name in ("utf-8", "utf-8-sig"):
        return UTF8
    return info.name


def is_utf8(name: str) -> bool:
    return name == UTF8


def with_bom(name: str, head: bytes) -> str:
    """For ``utf-16``/``utf-32``, the byte order the file's mark names (the mark is then
    kept as text, so it comes back on restore); other encodings unchanged."""
    if name in ("utf-16", "utf-32"):
        for bom, codec in _BOMS:
            if codec.startswith(name) and head.startswith(bom):
                return codec
    return name


def bom_encoding(head: bytes) -> str | None:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return None


class Check:
    """Fed a file's bytes in order: do they decode with ``encoding``, and does the text
    encode back to the same bytes? `finish` raises `InputError` if not."""

    def __init__(self, encoding: str, path: str) -> None:
        self.encoding = encoding
        self.path = path
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._encoder = codecs.getincrementalencoder(encoding)("strict")
        self._raw = hashlib.sha256()
        self._back = hashlib.sha256()
        self._offset = 0
        self._lines = 1
        self.nul: int | None = None  # line of the first NUL character, if any

    def feed(self, data: bytes, final: bool = False) -> str:
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            at = self._offset + exc.start
            bad = data[exc.start] if 0 <= exc.start < len(data) else None
            byte = f"byte 0x{bad:02x}" if bad is not None else "an incomplete character"
            raise InputError(
                f"not valid {self.encoding} ({byte} at offset {at})", self.path
            ) from None
        except UnicodeError as exc:  # e.g. UTF-16 without a byte order mark
            raise InputError(f"not valid {self.encoding} ({exc})", self.path) from None
        self._raw.update(data)
        self._offset += len(data)
        if self.nul is None and "\x00" in text:
            self.nul = self._lines + text.count("\n", 0, text.index("\x00"))
        self._lines += text.count("\n")
        try:
            self._back.update(self._encoder.encode(text, final))
        except UnicodeEncodeError:
            self._back.update(b"\x00unencodable")
        return text

    def finish(self) -> None:
        self.feed(b"", final=True)
        if self._raw.digest() != self._back.digest():
            raise InputError(
                f"decoded as {self.encoding}, its text does not encode back to the same "
                "bytes, so the original could not be restored; name an exact encoding "
                "with --encoding",
                self.path,
            )


def check_bytes(data: bytes, encoding: str, path: str) -> str:
    """``data`` decoded with ``encoding``, checked as `Check` does."""
    check = Check(encoding, path)
    text = check.feed(data)
    check.finish()
    return text


class Transcoder(io.RawIOBase):
    """A binary stream of the UTF-8 encoding of the text of ``raw`` in ``encoding``."""

    def __init__(self, raw: IO[bytes], encoding: str, path: str) -> None:
        self._raw = raw
        self._check = Check(encoding, path)
        self._pending = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                self._done = True
                self._check.finish()
                break
            text = self._check.feed(chunk)
            self._pending = memoryview(text.encode("utf-8", "surrogatepass"))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def transcoder(raw: IO[bytes], encoding: str, path: str) -> IO[bytes]:
    return io.BufferedReader(Transcoder(raw, encoding, path), 1 << 16)


def encode_back(utf8: bytes, encoding: str) -> bytes:
    """The original bytes of a transcoded file from its UTF-8 form (for restore)."""
    return utf8.decode("utf-8", "surrogatepass").encode(encoding)


def detect(sample: bytes, path: str) -> str:
    """The encoding of a file that is not UTF-8, from a sample of its bytes."""
    bom = bom_encoding(sample)
    if bom is not None:
        return bom
    try:
        import charset_normalizer
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError(
            "--encoding auto needs charset-normalizer: pip install 'charset-normalizer>=3,<4'",
            path,
        ) from None
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise InputError(
            "not UTF-8, and its encoding could not be detected; name it with --encoding", path
        )

    def rank(item: tuple[int, Any]) -> tuple[float, int, int]:
        n, m = item
        could = set(m.could_be_from_charset)
        preferred = next((k for k, p in enumerate(_PREFERRED) if p in could), len(_PREFERRED))
        return (-(m.coherence - m.chaos), preferred, n)

    ordered = [m for _, m in sorted(enumerate(matches), key=rank)]
    best = ordered[0]
    texts = {str(m) for m in ordered[:5]}
    if best.coherence <= 0 and len(texts) > 1:
        names = ", ".join(m.encoding for m in ordered[:4])
        raise InputError(
            f"not UTF-8, and its encoding is unclear (could be {names}); name it with --encoding",
            path,
        )
    could = best.could_be_from_charset
    for name in _PREFERRED:
        if name in could:
            return canonical(name)
    return canonical(best.encoding)


def sample_for_detection(head: bytes, around: bytes) -> bytes:
    """What `detect` is shown: the start of the file and the bytes from its first
    non-UTF-8 byte on (each at most `SAMPLE` bytes)."""
    return head[:SAMPLE] + (b"\n" + around[:SAMPLE] if around else b"")
