"""Parquet (``.parquet``): one article per row, with pyarrow (the ``[parquet]`` extra).

Read and written a batch of rows at a time, so memory holds one batch, not the
file. The id column may be a string or an integer, the text column a string,
the title column (optional) a string; null text or id makes a row bad input
(``file:row N``). Every other column is carried through with its type.

The cleaned file has the input's schema (metadata included), its rows in
order less the dropped ones, the text column cleaned, and each column
compressed with the input's codec. Restore puts the original text back and
the dropped rows (kept in the report as one-row Arrow IPC streams, base64) at
their places: the same rows, values and schema, not the same bytes (a file
from which nothing was removed is copied as it was, so it comes back exact).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ...errors import DedupeError, InputError, RestoreError
from ...records import Article, Source
from .base import Bad, Filler

BATCH_ROWS = 1024


def _hint() -> str:
    from importlib.metadata import packages_distributions

    dist = (packages_distributions().get("dedupe") or ["dedupe"])[0]
    return f"pip install '{dist}[parquet]'"


def pyarrow() -> Any:
    """The pyarrow module, or a `DedupeError` saying how to install it."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise DedupeError(f"reading or writing Parquet needs pyarrow: {_hint()}") from None
    return pyarrow


@dataclass
class Schema:
    """What the writer needs to write a file like the input: its schema and codecs."""

    schema: Any  # pyarrow.Schema
    compression: dict[str, str]
    text: int  # index of the text column


@dataclass
class ArrowRow:
    """An article's row: its batch and index in it (the carry of a Parquet article)."""

    batch: Any  # pyarrow.RecordBatch
    index: int


def _is_string(t: Any) -> bool:
    pa = pyarrow()
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _is_integer(t: Any) -> bool:
    return bool(pyarrow().types.is_integer(t))


def read(source: str | IO[bytes], names: Any, path: str) -> Iterator[Article | Filler | Bad]:
    """The items of a Parquet file: a ``start`` filler (its `Schema`), then for each
    batch a ``batch`` filler followed by its rows."""
    pa = pyarrow()
    try:
        pf = pa.parquet.ParquetFile(source)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path) from None
    schema = pf.schema_arrow
    columns = schema.names
    for name in (names.id, names.title, names.text):
        if columns.count(name) > 1:
            raise InputError(f"column {name!r} appears more than once", path)
    for name in (names.id, names.text):
        if name not in columns:
            shown = ", ".join(repr(c) for c in columns[:12])
            raise InputError(f"no column {name!r} (columns: {shown})", path)
    id_type = schema.field(names.id).type
    if not (_is_string(id_type) or _is_integer(id_type)):
        raise InputError(f"column {names.id!r} must hold strings or integers, not {id_type}", path)
    text_type = schema.field(names.text).type
    if not _is_string(text_type):
        raise InputError(f"column {names.text!r} must hold strings, not {text_type}", path)
    has_title = names.title in columns
    if has_title:
        title_type = schema.field(names.title).type
        if not (_is_string(title_type) or pa.types.is_null(title_type)):
            raise InputError(f"column {names.title!r} must hold strings, not {title_type}", path)
    yield Filler("start", value=Schema(schema, codecs_of(pf), columns.index(names.text)))
    others = [c for c in columns if c not in (names.id, names.title, names.text)]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, use_pandas_metadata=False):
            yield Filler("batch", value=batch)
            ids = batch.column(names.id).to_pylist()
            texts = batch.column(names.text).to_pylist()
            titles = batch.column(names.title).to_pylist() if has_title else None
            extras = batch.select(others).to_pylist() if others else None
            for i in range(batch.num_rows):
                row += 1
                where = Source(path, row=row)
                ident, text = ids[i], texts[i]
                if ident is None or text is None:
                    field = names.id if ident is None else names.text
                    yield Bad(InputError(f"field {field!r} is null", path, row=row), value=i)
                    continue
                yield Article(
                    id=str(ident),
                    text=text,
                    title=titles[i] if titles is not None else None,
                    extra=extras[i] if extras is not None else {},
                    source=where,
                    carry=ArrowRow(batch, i),
                    int_id=ident if isinstance(ident, int) else None,
                )
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"damaged Parquet data after row {row} ({exc})", path) from None


def codecs_of(pf: Any) -> dict[str, str]:
    """Each column's compression codec, as the first row group has it."""
    meta = pf.metadata
    if meta.num_row_groups == 0:
        return {}
    group = meta.row_group(0)
    out: dict[str, str] = {}
    for k in range(group.num_columns):
        column = group.column(k)
        codec = str(column.compression).upper()
        if "." not in column.path_in_schema:
            out[column.path_in_schema] = "NONE" if codec == "UNCOMPRESSED" else codec
    return out


class Writer:
    """Writes batches to ``out`` with the input's schema and column codecs."""

    def __init__(self, out: IO[bytes], info: Schema) -> None:
        pa = pyarrow()
        self.info = info
        names = set(info.schema.names)
        compression: Any = {k: v for k, v in info.compression.items() if k in names} or "snappy"
        if isinstance(compression, dict) and len(compression) < len(names):
            compression = next(iter(compression.values()))  # nested columns: one codec
        self._writer = pa.parquet.ParquetWriter(out, info.schema, compression=compression)

    def rows(self, batch: Any, keep: list[int], texts: dict[int, str]) -> Any:
        """Rows ``keep`` of ``batch`` in order, the text of row ``i`` replaced by
        ``texts[i]`` where given (None if no row)."""
        if not keep:
            return None
        pa = pyarrow()
        if keep == list(range(batch.num_rows)):
            taken = batch
        else:
            taken = batch.take(pa.array(keep, type=pa.int64()))
        if any(i in texts for i in keep):
            column = taken.column(self.info.text).to_pylist()
            for n, i in enumerate(keep):
                if i in texts:
                    column[n] = texts[i]
            field = self.info.schema.field(self.info.text)
            arrays = list(taken.columns)
            arrays[self.info.text] = pa.array(column, type=field.type)
            taken = pa.RecordBatch.from_arrays(arrays, schema=self.info.schema)
        return taken

    def write(self, batch: Any, keep: list[int], texts: dict[int, str]) -> None:
        """Write `rows` (one row group)."""
        self.write_all([self.rows(batch, keep, texts)])

    def write_all(self, parts: list[Any]) -> None:
        """Write batches (None for none) as one row group."""
        parts = [p for p in parts if p is not None and p.num_rows]
        if not parts:
            return
        pa = pyarrow()
        table = pa.Table.from_batches(parts, schema=self.info.schema)
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))

    def close(self) -> None:
        self._writer.close()


def row_record(row: ArrowRow) -> dict[str, Any]:
    """The article's row as a plain record (for JSONL on stdout)."""
    rows = row.batch.slice(row.index, 1).to_pylist()
    return dict(rows[0])


def pack_row(row: ArrowRow) -> str:
    """One row as a base64 Arrow IPC stream (schema included): a dropped row in the report."""
    pa = pyarrow()
    sink = pa.BufferOutputStream()
    one = row.batch.slice(row.index, 1)
    with pa.ipc.new_stream(sink, one.schema) as writer:
        writer.write_batch(one)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def unpack_row(data: str, where: str) -> Any:
    pa = pyarrow()
    try:
        table = pa.ipc.open_stream(base64.b64decode(data)).read_all()
    except (ValueError, pa.ArrowException) as exc:
        raise RestoreError(f"{where}: not a packed row ({exc})") from None
    return table.to_batches()[0]


def open_file(source: str | IO[bytes], path: str) -> Any:
    """A `pyarrow.parquet.ParquetFile` (for restore)."""
    pa = pyarrow()
    try:
        return pa.parquet.ParquetFile(source)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise RestoreError(f"{path}: not a readable Parquet file ({exc})") from None
