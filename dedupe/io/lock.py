"""One run per output folder at a time: an exclusive lock on ``FOLDER/.dedupe.lock``.

Taken before anything is written into the folder (and before its existing files
are checked), held until the run ends, then removed. A second run into the same
folder fails at once with one line naming the holder (its pid and start time).
The kernel drops the lock of a killed process, so a lock file a ``kill -9``
left behind never blocks a later run. Where ``fcntl`` is missing (not POSIX),
runs are not locked.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError
from .atomic import file_mode

LOCK_NAME = ".dedupe.lock"


class FolderLock:
    """The lock of one output folder, which is created if missing (and removed again
    by `release` if the run failed and left it empty)."""

    def __init__(self, folder: Path, what: str = "OUTPUT") -> None:
        self.folder = folder
        self.what = what
        self.path = folder / LOCK_NAME
        self._fd: int | None = None
        self._created: list[Path] = []

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        missing = []
        for parent in [self.folder, *self.folder.parents]:
            if parent.exists():
                break
            missing.append(parent)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._created = missing
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, file_mode())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                os.close(fd)
                self._remove_created()
                raise OutputError(
                    f"{self.what} {self.folder} is being written by another dedupe run "
                    f"({holder or 'starting'}); wait for it to finish"
                ) from None
            except OSError:  # a file system without locks: go on unlocked
                os.close(fd)
                return
            try:  # the file may have been removed by the previous holder meanwhile
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        self._fd = fd

    def release(self, failed: bool = False) -> None:
        """Remove the lock file and let go; after a failure, also remove the folders
        `acquire` created if they are empty."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self._fd)
            self._fd = None
        if failed:
            self._remove_created()

    def _remove_created(self) -> None:
        for folder in self._created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created = []


@contextlib.contextmanager
def locked(folder: Path, what: str = "OUTPUT") -> Iterator[FolderLock]:
    lock = FolderLock(folder, what)
    lock.acquire()
    try:
        yield lock
    except BaseException:
        lock.release(failed=True)
        raise
    lock.release()
