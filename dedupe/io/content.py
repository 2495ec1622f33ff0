"""A file's content as the format readers see it: decompressed, and in UTF-8.

    bytes on disk (or stdin, spooled) ──► decompress (.gz/.zst/.bz2/.xz)
        ──► decode ``--encoding`` and encode as UTF-8 (only if not UTF-8) ──► reader

Everything is a stream, so no file is held in memory whole (except a ``.txt``
file, which is one article). A compressed or non-UTF-8 file is checked from
end to end by `prepare` before the first of its articles is used, so a
corrupt stream or an undecodable byte makes the whole file bad input before
anything depends on it (the first pass reads everything, the second commits).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InputError
from . import compression, encoding
from .compression import CHUNK, CompressionError
from .paths import InputFile


class Spool:
    """Standard input copied to an anonymous temporary file (removed by the system when
    closed, even after SIGKILL), so that it can be read more than once."""

    def __init__(self, source: IO[bytes]) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `close`
        try:
            shutil.copyfileobj(source, self._file, CHUNK)
            self._file.flush()
        except BaseException:
            self._file.close()
            raise
        self.size = self._file.tell()

    def head(self, n: int) -> bytes:
        return os.pread(self._file.fileno(), n, 0)

    def open(self) -> IO[bytes]:
        """A new reader from the start (readers do not share a position)."""
        return io.BufferedReader(_PRead(self._file.fileno()), CHUNK)

    def close(self) -> None:
        self._file.close()


class _PRead(io.RawIOBase):
    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = os.pread(self._fd, len(buffer), self._pos)
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            offset += os.fstat(self._fd).st_size
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


@dataclass
class Fingerprint:
    """What a file was when read: its size and modification time when opened, and the
    SHA-256 of all its bytes (None until it was read to the end)."""

    size: int
    mtime_ns: int
    sha256: str | None = None

    def stat_differs(self, other: Fingerprint) -> bool:
        return (self.size, self.mtime_ns) != (other.size, other.mtime_ns)


class Tap(io.RawIOBase):
    """A file read through: its `Fingerprint` (stat when opened, digest once read to
    the end)."""

    def __init__(self, raw: IO[bytes]) -> None:
        st = os.fstat(raw.fileno())
        self.fingerprint = Fingerprint(st.st_size, st.st_mtime_ns)
        self._raw = raw
        self._sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = int(self._raw.readinto(buffer))  # type: ignore[attr-defined]
        if n:
            self._sha.update(memoryview(buffer)[:n])
        elif self.fingerprint.sha256 is None:
            self.fingerprint.sha256 = self._sha.hexdigest()
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_raw(f: InputFile, spool: Spool | None, taps: list[Tap] | None = None) -> IO[bytes]:
    """The file's bytes as stored (still compressed); with ``taps``, read through a
    `Tap` appended to it (not for stdin, which is spooled and cannot change)."""
    if f.is_stdin:
        if spool is None:
            raise InputError("standard input was not read", f.path)
        return spool.open()
    try:
        raw = open(f.path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), f.path) from None
    if taps is None:
        return raw
    tap = Tap(raw)
    taps.append(tap)
    return io.BufferedReader(tap, CHUNK)


def fingerprint_of(f: InputFile) -> Fingerprint:
    """A file's `Fingerprint`, read whole (for Parquet, which pyarrow reads itself)."""
    taps: list[Tap] = []
    try:
        with open_raw(f, None, taps) as fh:
            while fh.read(CHUNK):
                pass
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), f.path) from None
    return taps[0].fingerprint


def raw_bytes(f: InputFile, spool: Spool | None) -> bytes:
    with open_raw(f, spool) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), f.path) from None


def open_content(
    f: InputFile, spool: Spool | None, enc: str = encoding.UTF8, taps: list[Tap] | None = None
) -> IO[bytes]:
    """A stream of the file's content, decompressed, and transcoded to UTF-8 from
    ``enc``. Read errors surface as `CompressionError`, `InputError` or `OSError`."""
    stream = open_raw(f, spool, taps)
    if f.codec is not None:
        stream = compression.reader(stream, f.codec)
    if not encoding.is_utf8(enc):
        stream = encoding.transcoder(stream, enc, f.path)
    return stream


def _read_error(f: InputFile, exc: BaseException) -> InputError:
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, OSError):
        return InputError(exc.strerror or str(exc), f.path)
    return InputError(str(exc), f.path)


def read_all(f: InputFile, spool: Spool | None, taps: list[Tap] | None = None) -> bytes:
    """The whole decompressed content (for a ``.txt`` file); errors as `InputError`."""
    try:
        with open_content(f, spool, taps=taps) as fh:
            return fh.read()
    except (CompressionError, OSError) as exc:
        raise _read_error(f, exc) from None


def resolve_text(data: bytes, option: str, path: str) -> str:
    """The encoding of a whole file's content ``data`` under ``--encoding option``."""
    if option != encoding.AUTO:
        return encoding.with_bom(option, data[:4])
    bom = encoding.bom_encoding(data[:4])
    if bom is not None:
        return bom
    try:
        data.decode("utf-8")
        return encoding.UTF8
    except UnicodeDecodeError as exc:
        return encoding.detect(encoding.sample_for_detection(data, data[exc.start :]), path)


def prepare(f: InputFile, option: str, spool: Spool | None) -> str:
    """Check a streamed (line or row) file before use; return its encoding.

    Decompresses a compressed file to its end, and decodes a file that is not
    UTF-8 (detecting its encoding under ``auto``), so that a damaged stream or
    an undecodable byte is found before any article of the file is used.
    Raises `InputError` naming the file.
    """
    if f.codec is None and encoding.is_utf8(option):
        return encoding.UTF8
    try:
        if option == encoding.AUTO:
            enc = _detect_stream(f, spool)
        else:
            with open_raw(f, spool) as raw:
                enc = encoding.with_bom(option, raw.read(4))
        if encoding.is_utf8(enc):
            if f.codec is not None:
                with open_content(f, spool) as fh:
                    while fh.read(CHUNK):
                        pass
            return enc
        with open_content(f, spool, enc) as fh:
            while fh.read(CHUNK):
                pass
        return enc
    except (CompressionError, OSError, InputError) as exc:
        raise _read_error(f, exc) from None


def _detect_stream(f: InputFile, spool: Spool | None) -> str:
    """UTF-8 if the whole content is valid UTF-8, else what `encoding.detect` says."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    head = b""
    around: list[bytes] = []
    have = 0
    failed = False
    with open_content(f, spool) as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not head:
                head = chunk[: encoding.SAMPLE]
                bom = encoding.bom_encoding(head)
                if bom is not None:
                    return bom
            if failed:
                if not chunk or have >= encoding.SAMPLE:
                    break
                around.append(chunk)
                have += len(chunk)
                continue
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                failed = True
                around.append(chunk[max(0, exc.start) :])
                have = len(around[0])
                continue
            if not chunk:
                return encoding.UTF8
    return encoding.detect(encoding.sample_for_detection(head, b"".join(around)), f.path)
