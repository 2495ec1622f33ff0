"""Records kept on disk between the passes of a run: written once, replayed in order.

`Cleaner.clean` reads its input twice (or three times). A one-shot iterator (a
generator, a database cursor, a stream of dicts) cannot be read again, so the
first pass writes each record it reads to a `RecordSpool` (pickled, each after
its size) and later passes replay them from there: memory stays bounded
whatever the input size, and nothing waits for the whole input to be collected.

The spool is an anonymous temporary file (`tempfile.TemporaryFile`, in
``$TMPDIR``): it has no name in any folder, so the system frees it when it is
closed, or when the process ends however it ends.
"""

from __future__ import annotations

import os
import pickle
import struct
import tempfile
from collections.abc import Iterator
from typing import Any

from .errors import DedupeError

BUFFER = 1 << 20
SIZE = struct.Struct("<Q")  # each record: its pickle's size, then the pickle


class SpoolError(DedupeError):
    """A record that cannot be written to the spool (it cannot be pickled)."""


class RecordSpool:
    """Picklable records written once (`write`), then replayed (`replay`) any number
    of times, in the order written. Every write comes before the first replay."""

    def __init__(self, dir: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(buffering=BUFFER, dir=dir)  # noqa: SIM115
        self.count = 0  # records written

    def write(self, record: Any) -> None:
        try:
            data = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # pickle raises many kinds (TypeError, PicklingError, ...)
            raise SpoolError(f"cannot be kept for the next pass (pickle: {exc})") from None
        self._file.write(SIZE.pack(len(data)))
        self._file.write(data)
        self.count += 1

    def replay(self) -> Iterator[Any]:
        """The records written, in order (one replay at a time)."""
        self._file.flush()
        self._file.seek(0)
        read, unpack, loads = self._file.read, SIZE.unpack, pickle.loads
        for _ in range(self.count):
            (size,) = unpack(read(SIZE.size))
            yield loads(read(size))

    @property
    def size(self) -> int:
        """Bytes written."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        """Free the file (idempotent)."""
        self._file.close()

    def __enter__(self) -> RecordSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
