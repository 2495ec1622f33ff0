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
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO

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


class AtomicFile:
    """A binary file written under a temporary name (compressed with ``codec`` if given)
    and renamed into place on `commit`."""

    def __init__(self, path: Path, codec: Codec | None = None) -> None:
        self.path = path
        self.tmp: Path | None = None
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
        self._raw: IO[bytes] = raw
        self.fh: IO[bytes] = compression.writer(raw, codec) if codec else raw

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> None:
        self.fh.close()
        if self._raw is not self.fh:
            self._raw.close()
        assert self.tmp is not None
        os.replace(self.tmp, self.path)
        self.tmp = None

    def abort(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.fh.close()
        with contextlib.suppress(OSError, ValueError):
            self._raw.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()
            self.tmp = None


def atomic_write(path: Path, data: bytes, codec: Codec | None = None) -> None:
    """Write ``data`` to ``path`` (compressed with ``codec``) under a temporary name,
    then rename it into place. Signals are held meanwhile."""
    with no_interrupts():
        f = AtomicFile(path, codec)
        try:
            f.write(data)
            f.commit()
        except BaseException:
            f.abort()
            raise


def atomic_copy(path: Path, source: IO[bytes]) -> None:
    """Copy the stream ``source`` to ``path`` atomically (signals held meanwhile)."""
    with no_interrupts():
        f = AtomicFile(path)
        try:
            shutil.copyfileobj(source, f.fh, CHUNK)
            f.commit()
        except BaseException:
            f.abort()
            raise
