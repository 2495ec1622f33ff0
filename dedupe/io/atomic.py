"""Files written atomically: under a temporary name in the destination folder, renamed
into place only when complete, so no file under its final name is ever half written.

The temporary name is ``.NAME.XXXXXXXX.tmp`` (NAME shortened if needed, so the
temporary name stays within the 255-byte file-name limit); the file gets the
permissions any new file gets from the user's umask (``0o666 & ~umask``), not
the ``0600`` of `tempfile.mkstemp`. SIGINT/SIGTERM are held while a temporary
file is created, renamed or removed (`no_interrupts`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..errors import Interrupted
from . import compression
from .compression import CHUNK, Codec

NAME_MAX = 255
_RANDOM = 8  # characters tempfile adds
TMP_SUFFIX = ".tmp"

_held = 0  # depth of `no_interrupts` blocks
_pending: list[int] = []  # signals received meanwhile


def interrupt_handler(signum: int, frame: FrameType | None) -> None:
    """A SIGINT/SIGTERM handler that raises `Interrupted`, or, inside `no_interrupts`,
    when that block ends. (Python runs handlers in the main thread whichever thread
    the signal hit, so holding them here works where masking one thread would not.)"""
    if _held:
        _pending.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def no_interrupts() -> Iterator[None]:
    """Hold `interrupt_handler` until the block is done, so that a temporary file is
    never created, renamed or removed half way."""
    global _held
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending:
            signum = _pending[0]
            _pending.clear()
            raise Interrupted(signum)


# -- permissions -----------------------------------------------------------------

_umask: int | None = None
_umask_lock = threading.Lock()


def read_umask() -> int:
    """The process umask, read once per run (call again to refresh).

    Read from ``/proc/self/status`` where the kernel shows it, which changes
    nothing; elsewhere set and restored at once under a lock."""
    global _umask
    value: int | None = None
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                value = int(line.split()[1], 8)
                break
    if value is None:
        with _umask_lock:
            value = os.umask(0o077)
            os.umask(value)
    _umask = value
    return value


def file_mode() -> int:
    """The mode a new file gets: ``0o666`` less the umask."""
    umask = _umask if _umask is not None else read_umask()
    return 0o666 & ~umask


# -- temporary names ---------------------------------------------------------------


def temp_prefix(name: str) -> str:
    """``.NAME.``, NAME cut so that ``.NAME.XXXXXXXX.tmp`` fits in `NAME_MAX` bytes."""
    budget = NAME_MAX - len(TMP_SUFFIX) - _RANDOM - 2
    encoded = os.fsencode(name)
    if len(encoded) > budget:
        encoded = encoded[:budget]
        while encoded and (encoded[-1] & 0xC0) == 0x80:  # a cut UTF-8 character
            encoded = encoded[:-1]
        if encoded and encoded[-1] >= 0xC0:
            encoded = encoded[:-1]
    return "." + os.fsdecode(encoded) + "."


@dataclass(frozen=True)
class Written:
    """A committed file: its path, and the SHA-256 and size of its bytes."""

    path: Path
    sha256: str
    size: int


class Named(io.RawIOBase):
    """A writable file whose write errors (no space left, file too large, broken pipe)
    name it: ``OSError.filename`` is ``name``. It also hashes and counts what it writes."""

    def __init__(self, raw: IO[bytes], name: str, closes: bool = True) -> None:
        self._raw = raw
        self.name = name
        self._closes = closes
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def _named(self, exc: OSError) -> OSError:
        return OSError(exc.errno, exc.strerror or str(exc), self.name)

    def write(self, data: Any) -> int:
        try:
            self._raw.write(data)
        except OSError as exc:
            raise self._named(exc) from None
        self.sha.update(data)
        n = len(memoryview(data).cast("B"))
        self.size += n
        return n

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        try:
            self._raw.flush()
        except OSError as exc:
            raise self._named(exc) from None

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()  # flushes
        finally:
            if self._closes:
                self._raw.close()


_TEMP_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # what mkstemp draws from


def remove_stale_temps(targets: list[Path]) -> list[Path]:
    """Remove the temporary files an earlier, killed run left for any of ``targets``
    (``.NAME.XXXXXXXX.tmp`` beside ``NAME``, nothing else); call only while holding the
    folder's lock, so that no running writer's file is taken. Returns what was removed."""
    by_folder: dict[Path, set[str]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(temp_prefix(target.name))
    removed = []
    for folder, prefixes in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not name.endswith(TMP_SUFFIX) or len(name) < _RANDOM + len(TMP_SUFFIX) + 2:
                continue
            stem = name[: -len(TMP_SUFFIX)]
            random, prefix = stem[-_RANDOM:], stem[:-_RANDOM]
            if prefix in prefixes and set(random) <= _TEMP_CHARS:
                with contextlib.suppress(OSError):
                    if entry.is_file(follow_symlinks=False):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    return removed


class AtomicFile:
    """A binary file written under a temporary name (compressed with ``codec`` if given)
    and renamed into place on `commit`, which returns its digest."""

    def __init__(self, path: Path, codec: Codec | None = None) -> None:
        self.path = path
        self.tmp: Path | None = None
        self.written: Written | None = None  # once finished
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=temp_prefix(path.name), suffix=TMP_SUFFIX, dir=path.parent
        )
        try:
            self.tmp = Path(tmp)
            os.fchmod(fd, file_mode())
            raw = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        self._raw = Named(raw, str(path))
        hashing: IO[bytes] = self._raw  # type: ignore[assignment]
        self.fh: IO[bytes] = compression.writer(hashing, codec) if codec else hashing

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def finish(self) -> Written:
        """Complete the temporary file (not yet under its final name)."""
        if self.written is None:
            self.fh.close()
            self._raw.close()
            self.written = Written(self.path, self._raw.sha.hexdigest(), self._raw.size)
        return self.written

    def publish(self) -> None:
        """Rename the finished temporary file into place."""
        assert self.tmp is not None
        os.replace(self.tmp, self.path)
        self.tmp = None

    def commit(self) -> Written:
        written = self.finish()
        self.publish()
        return written

    def abort(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.fh.close()
        with contextlib.suppress(OSError, ValueError):
            self._raw.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()
            self.tmp = None


def atomic_write(path: Path, data: bytes, codec: Codec | None = None) -> Written:
    """Write ``data`` to ``path`` (compressed with ``codec``) under a temporary name,
    then rename it into place. Signals are held meanwhile."""
    with no_interrupts():
        f = AtomicFile(path, codec)
        try:
            f.write(data)
            return f.commit()
        except BaseException:
            f.abort()
            raise


def atomic_copy(path: Path, source: IO[bytes], publish: bool = True) -> AtomicFile:
    """Copy the stream ``source`` to ``path`` atomically (signals held meanwhile); with
    ``publish`` False the copy is left finished under its temporary name."""
    with no_interrupts():
        f = AtomicFile(path)
        try:
            while chunk := source.read(CHUNK):
                f.write(chunk)
            f.finish()
            if publish:
                f.publish()
            return f
        except BaseException:
            f.abort()
            raise
