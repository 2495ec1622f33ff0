"""Compression stacked on any format: ``.gz``, ``.zst``, ``.bz2``, ``.xz``.

Inputs are decompressed as a stream (never whole in memory) and outputs are
compressed as they are written, with the same codec as the input. A damaged
stream raises `CompressionError` (whatever the codec's own exception), which
the readers turn into an `InputError` naming the file.

``zstandard`` is imported only when a ``.zst`` file is met.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from typing import IO, Any

Codec = str  # "gz", "zst", "bz2" or "xz"

SUFFIXES: dict[str, Codec] = {".gz": "gz", ".zst": "zst", ".bz2": "bz2", ".xz": "xz"}
NAMES: dict[Codec, str] = {"gz": "gzip", "zst": "zstd", "bz2": "bzip2", "xz": "xz"}
CHUNK = 1 << 20

# Magic numbers, for stdin (which has no name to go by).
_MAGIC: list[tuple[bytes, Codec]] = [
    (b"\x1f\x8b", "gz"),
    (b"\x28\xb5\x2f\xfd", "zst"),
    (b"\xfd7zXZ\x00", "xz"),
]


class CompressionError(Exception):
    """A compressed stream that cannot be decompressed (corrupt, truncated, not that codec)."""


def split(name: str) -> tuple[str, Codec | None]:
    """``("x.jsonl", "gz")`` for ``x.jsonl.gz`` (suffixes matched case-insensitively)."""
    lower = name.lower()
    for suffix, codec in SUFFIXES.items():
        if lower.endswith(suffix):
            return name[: -len(suffix)], codec
    return name, None


def sniff(head: bytes) -> Codec | None:
    """The codec whose magic number ``head`` starts with, if any."""
    for magic, codec in _MAGIC:
        if head.startswith(magic):
            return codec
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "bz2"
    return None


def _zstandard() -> Any:
    import zstandard

    return zstandard


def _errors(codec: Codec) -> tuple[type[BaseException], ...]:
    base: tuple[type[BaseException], ...] = (OSError, EOFError, ValueError)
    if codec == "gz":
        return (*base, zlib.error)
    if codec == "xz":
        return (*base, lzma.LZMAError)
    if codec == "zst":
        return (*base, _zstandard().ZstdError)
    return base


class _Checked(io.RawIOBase):
    """A decompressing reader whose every failure is a `CompressionError`.

    A stream that ends before its codec's end marker (a truncated file) is an
    error too, for every codec (``zstandard`` alone would not say so).
    """

    def __init__(self, inner: IO[bytes], codec: Codec, closes: IO[bytes]) -> None:
        self._inner = inner
        self._codec = codec
        self._closes = closes
        self._errors = _errors(codec)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        except self._errors as exc:
            raise CompressionError(_message(self._codec, exc)) from None
        return int(n or 0)

    def close(self) -> None:
        try:
            self._inner.close()
        except self._errors:
            pass
        finally:
            self._closes.close()
            super().close()


def _message(codec: Codec, exc: BaseException) -> str:
    name = NAMES[codec]
    if isinstance(exc, EOFError):
        return f"truncated {name} data ({exc})"
    if isinstance(exc, gzip.BadGzipFile) or "Not a gzipped file" in str(exc):
        return f"not {name} data ({exc})"
    return f"corrupt {name} data ({exc or type(exc).__name__})"


def reader(raw: IO[bytes], codec: Codec) -> IO[bytes]:
    """A buffered binary stream of the decompressed content of ``raw`` (closed with it)."""
    inner: IO[bytes]
    if codec == "gz":
        inner = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif codec == "bz2":
        inner = bz2.BZ2File(raw, mode="rb")
    elif codec == "xz":
        inner = lzma.LZMAFile(raw, mode="rb")  # noqa: SIM115 - closed by the caller
    elif codec == "zst":
        inner = _strict_zstd(raw)
    else:
        raise ValueError(f"unknown codec {codec!r}")
    return io.BufferedReader(_Checked(inner, codec, raw), CHUNK)


def _strict_zstd(raw: IO[bytes]) -> IO[bytes]:
    """A zstd reader over any number of frames that refuses a stream ending inside one
    (``zstandard``'s own stream reader would end a truncated file silently)."""
    zstd = _zstandard()

    class Strict(io.RawIOBase):
        def __init__(self) -> None:
            self._dobj = zstd.ZstdDecompressor().decompressobj()
            self._pending = memoryview(b"")
            self._eof = False
            self._started = False

        def readable(self) -> bool:
            return True

        def _fill(self) -> None:
            while not self._pending and not self._eof:
                chunk = raw.read(CHUNK)
                if not chunk:
                    self._eof = True
                    if self._started and not self._dobj.eof:
                        raise EOFError("the stream ends inside a zstd frame")
                    return
                self._started = True
                out = []
                while chunk:
                    if self._dobj.eof:  # another frame follows
                        self._dobj = zstd.ZstdDecompressor().decompressobj()
                    out.append(self._dobj.decompress(chunk))
                    chunk = self._dobj.unused_data if self._dobj.eof else b""
                self._pending = memoryview(b"".join(out))

        def readinto(self, buffer: Any) -> int:
            self._fill()
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n

    return Strict()  # type: ignore[return-value]


def writer(raw: IO[bytes], codec: Codec) -> IO[bytes]:
    """A binary stream that compresses into ``raw``; closing it leaves ``raw`` open."""
    if codec == "gz":
        # mtime 0 and no file name in the header: the same content gives the same bytes.
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=6)  # type: ignore[return-value]
    if codec == "bz2":
        return bz2.BZ2File(raw, mode="wb")
    if codec == "xz":
        return lzma.LZMAFile(raw, mode="wb")
    if codec == "zst":
        return _zstandard().ZstdCompressor().stream_writer(raw, closefd=False)  # type: ignore[no-any-return]
    raise ValueError(f"unknown codec {codec!r}")


def compress(data: bytes, codec: Codec) -> bytes:
    """``data`` compressed as `writer` would write it."""
    out = io.BytesIO()
    with writer(out, codec) as fh:
        fh.write(data)
    return out.getvalue()
