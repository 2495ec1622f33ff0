"""What a run keeps on disk between its passes: records, and bodies for ``keep longest``.

`Cleaner.clean` reads its input twice (or three times). A one-shot iterator (a
generator, a database cursor, a stream of dicts) cannot be read again, so the
first pass writes each record it reads to a `RecordSpool` (pickled, each after
its size) and later passes replay them from there: memory stays bounded
whatever the input size, and nothing waits for the whole input to be collected.

The spool is an anonymous temporary file (`tempfile.TemporaryFile`, in
``$TMPDIR``): it has no name in any folder, so the system frees it when it is
closed, or when the process ends however it ends.

``--keep longest`` decides near duplicates longest first, so it needs what the
duplicate index compares (`dedupe.index.Bodies`: signature, sketches, anchors) of
every article before it can decide the first one. A `BodySpool` writes those
column by column to anonymous temporary files as pass 2 computes them and reads
them back longest first, a chunk at a time: memory holds 16 bytes per article
(its kept length and where its anchors start), the disk about 600.
"""

from __future__ import annotations

import array
import contextlib
import mmap
import os
import pickle
import struct
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

import numpy as np

from .errors import DedupeError
from .index import Bodies

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


class BodySpool:
    """The `Bodies` of a run's articles, written batch by batch (`add`, in input order)
    and read back longest first (`by_length`). Each column is an anonymous temporary
    file, mapped while read and let go after each chunk, so what is resident stays
    bounded by the chunk, not by the run."""

    ROWS = ("signatures", "sizes", "words", "eligible", "exact", "figure_sigs", "figure_count",
            "tabular")  # fmt: skip
    ANCHORS = ("anchor_keys", "anchor_words")

    def __init__(self, dir: str | None = None) -> None:
        self._dir = dir
        self._files: dict[str, IO[bytes]] = {}
        self._layout: dict[str, tuple[np.dtype[Any], tuple[int, ...]]] = {}
        self.lengths = array.array("q")  # kept characters of each article
        self._anchors = array.array("q", [0])  # where each article's anchors start
        self.count = 0

    def add(self, bodies: Bodies, lengths: Sequence[int]) -> None:
        """The next articles' bodies (ids are ignored: they are numbered in order) and
        the characters each keeps."""
        n = len(bodies.ids)
        if len(lengths) != n:
            raise ValueError("one length per body")
        for name in self.ROWS + self.ANCHORS:
            column = np.asarray(getattr(bodies, name))
            if name not in self._files:
                self._files[name] = tempfile.TemporaryFile(buffering=BUFFER, dir=self._dir)  # noqa: SIM115
                self._layout[name] = (column.dtype, column.shape[1:])
            dtype, shape = self._layout[name]
            if column.shape[1:] != shape:
                raise ValueError(f"{name}: rows of {column.shape[1:]}, not {shape}")
            self._files[name].write(np.ascontiguousarray(column, dtype=dtype).tobytes())
        per_article = np.bincount(bodies.anchor_owner, minlength=n)
        self._anchors.extend((self._anchors[-1] + np.cumsum(per_article)).tolist())
        self.lengths.extend(lengths)
        self.count += n

    def by_length(self, size: int) -> Iterator[Bodies]:
        """Every body, longest first (equal lengths: in input order), ``size`` at a time;
        each body's id is its ordinal (its place in input order)."""
        if not self.count:
            return
        lengths = np.frombuffer(self.lengths, dtype=np.int64)
        order = np.lexsort((np.arange(self.count, dtype=np.int64), -lengths))
        starts = np.frombuffer(self._anchors, dtype=np.int64)
        maps = {name: _Mapped(f) for name, f in self._files.items()}
        try:
            for lo in range(0, self.count, size):
                part = order[lo : lo + size]
                columns = {name: self._rows(maps[name], name, part) for name in self.ROWS}
                first, last = starts[part], starts[part + 1]
                count = last - first
                owner = np.repeat(np.arange(len(part), dtype=np.intp), count)
                before = np.concatenate(([0], np.cumsum(count)[:-1]))
                rows = first[owner] + np.arange(len(owner), dtype=np.int64) - before[owner]
                anchors = {name: self._rows(maps[name], name, rows) for name in self.ANCHORS}
                for m in maps.values():
                    m.release()
                yield Bodies(ids=part.astype(np.int64), **columns, **anchors, anchor_owner=owner)
        finally:
            for m in maps.values():
                m.close()

    def _rows(self, mapped: _Mapped, name: str, rows: np.ndarray) -> np.ndarray:
        dtype, shape = self._layout[name]
        every = np.frombuffer(mapped.view(), dtype=dtype).reshape(-1, *shape)
        taken: np.ndarray = every[rows]  # a copy: the mapping can be let go
        return taken

    def close(self) -> None:
        """Free the files (idempotent)."""
        for f in self._files.values():
            f.close()

    def __enter__(self) -> BodySpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Mapped:
    """A spool file mapped for reading; `release` drops its pages from this process's
    resident memory (they stay in the page cache, or are read again when needed)."""

    def __init__(self, file: IO[bytes]) -> None:
        file.flush()
        size = os.fstat(file.fileno()).st_size
        self._map = mmap.mmap(file.fileno(), size, access=mmap.ACCESS_READ) if size else None

    def view(self) -> memoryview | bytes:
        return memoryview(self._map) if self._map is not None else b""

    def release(self) -> None:
        if self._map is not None:
            self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        if self._map is not None:
            with contextlib.suppress(BufferError):  # a view still held (an error mid-read):
                self._map.close()  # the map goes with it
