"""Write cleaned copies and the report, each file atomically (`dedupe.io.atomic`).

Each cleaned copy has the format and compression of its input, in UTF-8:

* ``.txt``: the text minus the removed segments;
* JSONL, CSV/TSV: the input's line structure: a record from which nothing was
  removed is its original bytes; a cleaned one is its original bytes with only
  the text value replaced; a dropped one is left out; blank lines and the CSV
  header are kept;
* Parquet: the input's schema and rows, less the dropped ones, text cleaned.

A compressed or Parquet file from which nothing was removed is copied as it
was, byte for byte. Bad input under ``--on-error keep`` is copied through
unchanged (a whole file, or a record at its place); under ``skip`` it is left
out. The writer gets each file's content from the pass that made the results
(what each article carries, and the corpus's `tail`), never by reading again.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, OutputError
from ..records import Result
from . import encoding
from .atomic import (
    AtomicFile,
    Named,
    Written,
    atomic_write,
    interrupt_handler,
    no_interrupts,
)
from .compression import CHUNK
from .formats import LINES, of_name
from .formats import csv as csv_format
from .formats import jsonl as jsonl_format
from .formats import parquet as parquet_format
from .formats import txt as txt_format
from .formats.base import Carry, Filler
from .paths import STDIN, Fields, InputFile
from .readers import Corpus, OnError, Problem

dumps = jsonl_format.dumps

__all__ = [
    "OutputWriter",
    "ReportWriter",
    "atomic_write",
    "dumps",
    "interrupt_handler",
    "no_interrupts",
]

WRITE_CHARS = 1 << 20  # a cleaned text is encoded and written this many characters at a time


def _carry(result: Result) -> Carry:
    carry = result.article.carry
    return carry if isinstance(carry, Carry) else Carry()


class _Out:
    """Where one input's cleaned copy goes (one per format), fed in input order."""

    changed = False  # whether the copy differs from the input (then no raw copy)

    def fillers(self, items: list[Filler]) -> None:
        raise NotImplementedError

    def article(self, result: Result) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Flush what is buffered (the file is committed by the caller)."""


class _TextOut(_Out):
    def __init__(self, f: InputFile, new: Callable[[], AtomicFile], transcoded: bool) -> None:
        self.f = f
        self.new = new
        self.text: str | None = None
        self.changed = transcoded

    def fillers(self, items: list[Filler]) -> None:
        pass

    def article(self, result: Result) -> None:
        if result.dropped:
            self.changed = True
            return
        if result.removals:
            self.changed = True
        self.text = result.text

    def write(self) -> AtomicFile | None:
        """The cleaned text, finished under a temporary name (None if dropped)."""
        if self.text is None:
            return None
        out = self.new()
        for at in range(0, len(self.text), WRITE_CHARS):  # no encoded copy of a huge text
            out.write(txt_format.encode(self.text[at : at + WRITE_CHARS]))
        out.finish()
        return out


class _LinesOut(_Out):
    """JSONL and CSV/TSV into a file: original bytes, only the text value replaced."""

    def __init__(self, f: InputFile, out: AtomicFile, corpus: Corpus, fields: Fields) -> None:
        self.f = f
        self.out = out
        self.corpus = corpus
        self.fields = fields
        self.changed = not encoding.is_utf8(corpus.encoding_of(f))

    def fillers(self, items: list[Filler]) -> None:
        for item in items:
            self.out.write(item.raw)

    def article(self, result: Result) -> None:
        self.fillers(_carry(result).before)
        if result.dropped:
            self.changed = True
            return
        raw = result.article.raw
        if raw is None:  # pragma: no cover - line readers always keep the bytes
            raise OutputError(f"{self.f.path}: record {result.article.id!r} has no source line")
        if not result.removals:
            self.out.write(raw)
            return
        self.changed = True
        if self.f.format == "jsonl":
            self.out.write(jsonl_format.splice(raw, self.fields, result.text))
        else:
            layout = self.corpus.layouts[self.f.path]
            self.out.write(csv_format.splice(raw, layout, result.text))


class _ParquetOut(_Out):
    def __init__(self, f: InputFile, out: AtomicFile) -> None:
        self.f = f
        self.out = out
        self.writer: parquet_format.Writer | None = None
        self.batch: Any = None
        self.keep: list[int] = []
        self.texts: dict[int, str] = {}

    def fillers(self, items: list[Filler]) -> None:
        for item in items:
            if item.kind == "start":
                self.writer = parquet_format.Writer(self.out.fh, item.value)
            elif item.kind == "batch":
                self._flush()
                self.batch = item.value
            elif item.kind == "bad":
                self.keep.append(int(item.value))

    def article(self, result: Result) -> None:
        carry = _carry(result)
        self.fillers(carry.before)
        row = carry.row
        assert isinstance(row, parquet_format.ArrowRow) and row.batch is self.batch
        if result.dropped:
            self.changed = True
            return
        self.keep.append(row.index)
        if result.removals:
            self.changed = True
            self.texts[row.index] = result.text

    def _flush(self) -> None:
        if self.batch is not None and self.writer is not None:
            self.writer.write(self.batch, self.keep, self.texts)
        self.batch, self.keep, self.texts = None, [], {}

    def finish(self) -> None:
        self._flush()
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class _StdoutOut(_Out):
    """Any format as JSONL records on stdout."""

    def __init__(self, f: InputFile, out: IO[bytes], fields: Fields) -> None:
        self.f = f
        self.out = out
        self.fields = fields
        self.batch: Any = None

    def fillers(self, items: list[Filler]) -> None:
        for item in items:
            if item.kind == "batch":
                self.batch = item.value
            elif item.kind == "bad" and self.f.format == "parquet":
                row = parquet_format.ArrowRow(self.batch, int(item.value))
                self._line(parquet_format.row_record(row))
            elif item.kind == "bad":  # a bad line or row under keep: as it is
                raw = item.raw
                self.out.write(raw if raw.endswith(b"\n") else raw + b"\n")

    def article(self, result: Result) -> None:
        carry = _carry(result)
        self.fillers(carry.before)
        if result.dropped:
            return
        article = result.article
        if isinstance(carry.row, parquet_format.ArrowRow):
            record = parquet_format.row_record(carry.row)
            record[self.fields.text] = result.text
        elif article.record is not None:
            record = dict(article.record)
            record[self.fields.text] = result.text
        else:
            record = result.to_record()
        self._line(record)

    def _line(self, record: dict[str, Any]) -> None:
        self.out.write((dumps(record) + "\n").encode("utf-8"))


class OutputWriter:
    """Writes each result where it belongs: mirrored under a folder, or as JSONL to stdout.

    Results must come in input order. Files are finished in input order too, so
    a file that yields no article (empty of records, or bad as a whole) is still
    written when its turn comes.
    """

    def __init__(
        self,
        output: str,
        files: list[InputFile],
        fields: Fields | None = None,
        corpus: Corpus | None = None,
        on_error: OnError = "fail",
    ) -> None:
        self.output = output
        self.files = files
        self.fields = fields or Fields()
        self.corpus = corpus or Corpus([], self.fields)
        self.on_error = on_error
        self._index = {f.path: i for i, f in enumerate(files)}
        self._next = 0  # files[:_next] are started (and all but the current one finished)
        self._current: InputFile | None = None
        self._atomic: AtomicFile | None = None
        self._out: _Out | None = None
        self._stdout: IO[bytes] | None = None
        self.written: dict[str, Written] = {}  # rel -> the committed file's digest
        self._temps: list[AtomicFile] = []  # every file begun; renamed into place by `close`
        if output == STDIN:
            stdout = getattr(sys.stdout, "buffer", None)
            if stdout is None:  # pragma: no cover - a text-only stdout
                raise OutputError("stdout cannot take bytes")
            named: IO[bytes] = Named(stdout, "stdout", closes=False)  # type: ignore[assignment]
            self._stdout = named

    # -- public -----------------------------------------------------------

    def write(self, result: Result) -> None:
        article = result.article
        source = article.source
        if source is None or source.path not in self._index:
            raise OutputError(f"article {article.id!r} has no known input file")
        index = self._index[source.path]
        if index < self._next - 1:
            raise OutputError(f"article {article.id!r} is out of input order")
        self._advance(index)
        if self._out is not None:
            self._out.article(result)

    def close(self) -> None:
        """Write the files that are left, then rename every finished file into place.

        Nothing is renamed before the whole second pass is through, so a run that
        fails on its way (an input that changed, a full disk) commits nothing."""
        self._advance(len(self.files))
        if self._stdout is not None:
            self._stdout.flush()
            return
        with no_interrupts():
            for done in self._temps:
                if done.tmp is not None and done.written is not None:
                    done.publish()
            self._temps = []
        Path(self.output).mkdir(parents=True, exist_ok=True)  # even for an empty run

    def abort(self) -> None:
        """Discard the files written so far (on error or interruption)."""
        with no_interrupts():
            for begun in self._temps:
                begun.abort()
            self._temps = []
            self._atomic = None
        self._out = None

    def _new(self, f: InputFile, codec: str | None) -> AtomicFile:
        """A temporary file for ``f``'s copy, registered at once so that `abort` removes
        it whatever happens next."""
        with no_interrupts():
            out = AtomicFile(self._target(f), codec)
            self._temps.append(out)
        return out

    # -- files in order -----------------------------------------------------

    def _target(self, f: InputFile) -> Path:
        return Path(self.output) / f.rel

    def _advance(self, index: int) -> None:
        """Finish every file before ``index`` and start file ``index`` (if not started)."""
        while self._next <= index:
            self._finish()
            if self._next == len(self.files):
                return
            self._start(self.files[self._next])
            self._next += 1

    def _start(self, f: InputFile) -> None:
        self._current = f
        if self.corpus.unstable(f):
            return  # changed during the run: left out (and reported)
        problem = self.corpus.bad(f)
        if problem is not None:  # bad as a whole: copied unchanged, or left out
            if self.on_error == "keep":
                self._keep_file(f, problem)
            return
        if self._stdout is not None:
            self._out = _StdoutOut(f, self._stdout, self.fields)
        elif f.format == "txt":
            transcoded = not encoding.is_utf8(self.corpus.encoding_of(f))
            self._out = _TextOut(f, lambda: self._new(f, f.codec), transcoded)
        else:
            self._atomic = self._new(f, f.codec)
            if f.format == "parquet":
                self._out = _ParquetOut(f, self._atomic)
            elif f.format in LINES:
                self._out = _LinesOut(f, self._atomic, self.corpus, self.fields)
            else:  # pragma: no cover - discover only yields known formats
                raise OutputError(f"{f.path}: cannot write format {f.format!r}")

    def _finish(self) -> None:
        f, out = self._current, self._out
        self._current, self._out = None, None
        if f is None or out is None:
            return
        out.fillers(self.corpus.tail(f))
        out.finish()
        if self.corpus.unstable(f):  # found changed at its end: drop what was written
            with no_interrupts():
                if self._atomic is not None:
                    self._atomic.abort()
                    self._atomic = None
            return
        unchanged = not out.changed and not self.corpus.changed(f)
        if isinstance(out, _TextOut):
            if unchanged and f.codec is not None and out.text is not None:
                self._copy(f)  # compressed as it was: byte for byte
            elif (done := out.write()) is not None:
                self._finished(f, done)
            return
        if self._atomic is None:
            return
        atomic, self._atomic = self._atomic, None
        if unchanged and (f.codec is not None or f.format == "parquet"):
            # Nothing changed: copy the stored bytes too, so the copy is byte-exact.
            with no_interrupts():
                atomic.abort()
            self._copy(f)
            return
        atomic.finish()
        self._finished(f, atomic)

    def _finished(self, f: InputFile, out: AtomicFile) -> None:
        assert out.written is not None
        self.written[f.rel] = out.written

    def _copy(self, f: InputFile) -> None:
        """Copy the input's stored bytes, checking they are still what was read."""
        try:
            source = self.corpus.open_raw(f)
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), f.path) from None
        known = self.corpus.fingerprints.get(f.path)
        copied = self._new(f, None)
        with source:
            while chunk := source.read(CHUNK):
                copied.write(chunk)
        copied.finish()
        assert copied.written is not None
        if known is not None and known.sha256 not in (None, copied.written.sha256):
            with no_interrupts():
                copied.abort()
            self.corpus.mark_unstable(f, "its content is not what the first pass read")
            return
        self._finished(f, copied)

    def _keep_file(self, f: InputFile, problem: Problem) -> None:
        if self._stdout is None:
            with contextlib.suppress(InputError):  # unreadable: the problem is reported
                self._copy(f)
            return
        try:
            data = self.corpus.raw_bytes(f)
        except InputError:
            return
        if f.format == "txt":
            text = data.decode("utf-8", "surrogateescape")
            self._stdout.write((dumps({"id": f.rel, "text": text}) + "\n").encode("utf-8"))
        elif f.format in LINES:
            try:
                for _, raw in self.corpus.lines(f):
                    if raw.strip():
                        self._stdout.write(raw if raw.endswith(b"\n") else raw + b"\n")
            except InputError:
                return


class ReportWriter:
    """The removal report: one JSON line per removal, committed atomically at the end.

    Each row also names the output ``file`` (the input's path relative to OUTPUT)
    and, for JSONL and CSV, the input ``line`` (CSV and Parquet: also the ``row``);
    a dropped record's row holds it whole (``raw_line``; Parquet: ``raw_row``), and a
    cleaned record's rows say how its text was written (``text_json``/``text_csv``;
    the original token in ``raw_text`` if neither standard spelling), so that
    `dedupe restore` rebuilds every input. Bad input handled by ``--on-error`` gets an
    ``error`` row; an input read in another encoding than UTF-8, or in a format its
    name does not say, a ``file`` row.
    """

    def __init__(
        self,
        path: str,
        files: list[InputFile] | None = None,
        fields: Fields | None = None,
        corpus: Corpus | None = None,
    ) -> None:
        self.fields = fields or Fields()
        self._files = {f.path: f for f in files or []}
        self._path = Path(path)
        self._file: AtomicFile | None = None
        self._corpus = corpus

    def open(self) -> None:
        """Create the temporary file (call inside the ``try`` that calls `abort`)."""
        with no_interrupts():
            self._file = AtomicFile(self._path)

    def _write(self, data: bytes) -> None:
        if self._file is None:
            self.open()
        assert self._file is not None
        self._file.write(data)

    def write(self, result: Result) -> None:
        if not result.removals:
            return
        article = result.article
        source = article.source
        f = self._files.get(source.path) if source is not None else None
        where: dict[str, Any] = {
            "file": f.rel if f is not None else None,
            "line": source.line if source is not None else None,
        }
        if source is not None and source.row is not None:
            where["row"] = source.row
        extra = self._extra(result, f)
        if result.title is not None:
            self._write((dumps({**result.title.to_dict(article.id), **where}) + "\n").encode())
        for n, removal in enumerate(result.removals):
            row = {**removal.to_dict(where), **(extra if n == 0 else {})}
            matched = row.get("matched_file")
            if matched is not None and matched in self._files:  # relative to OUTPUT, as `file`
                row["matched_file"] = self._files[matched].rel
            for style in ("text_json", "text_csv"):
                if n > 0 and style in extra:
                    row[style] = extra[style]
            self._write((dumps(row) + "\n").encode("utf-8"))

    def _extra(self, result: Result, f: InputFile | None) -> dict[str, Any]:
        fmt = f.format if f is not None else ("jsonl" if result.article.raw else "txt")
        if fmt == "jsonl":
            return jsonl_format.report_fields(result, self.fields)
        if fmt in ("csv", "tsv") and f is not None and self._corpus is not None:
            return csv_format.report_fields(result, self._corpus.layouts[f.path])
        carry = result.article.carry
        if fmt == "parquet" and result.dropped and isinstance(carry, Carry):
            return {"raw_row": parquet_format.pack_row(carry.row)}
        return {}

    def problems(self, problems: list[Problem], action: OnError) -> None:
        """One ``error`` row per bad file or record, saying whether it was kept or skipped."""
        for p in problems:
            row: dict[str, Any] = {
                "rule": "error",
                "file": p.file.rel,
                "line": p.line if not p.whole_file else None,
                "at": p.line,
                "message": p.message,
                "action": action,
            }
            if p.row is not None:
                row["row"] = p.row
            if p.lines != 1:
                row["lines"] = p.lines
            self._write((dumps(row) + "\n").encode("utf-8"))

    def inputs(
        self, files: list[InputFile], corpus: Corpus, written: dict[str, Written] | None
    ) -> None:
        """A ``file`` row for each file written into OUTPUT (``written``: its SHA-256 and
        size), and for each input read in another encoding than UTF-8 (restore encodes it
        back), in a format its name does not say (``--format``), or under a hidden
        name; then, when OUTPUT is a folder, a ``run`` row: the run's id (a digest of
        the file rows) and the number of files, so that restore can check it is given
        the cleaned files this report describes."""
        run = hashlib.sha256()
        for f in files:
            done = written.get(f.rel) if written is not None else None
            enc = corpus.encoding_of(f)
            named, _ = of_name(f.rel)
            needed = not encoding.is_utf8(enc) or named != f.format or f.rel.startswith(".")
            if done is None and (not needed or corpus.bad(f) is not None):
                continue
            row: dict[str, Any] = {
                "rule": "file", "file": f.rel, "format": f.format, "encoding": enc,
            }  # fmt: skip
            if done is not None:
                row["sha256"], row["size"] = done.sha256, done.size
                run.update(f"{f.rel}\t{done.sha256}\n".encode("utf-8", "surrogateescape"))
            self._write((dumps(row) + "\n").encode("utf-8"))
        if written is not None:
            row = {"rule": "run", "run": run.hexdigest()[:16], "files": len(written)}
            self._write((dumps(row) + "\n").encode("utf-8"))

    def row(self, row: dict[str, Any]) -> None:
        """Any other row (the run's ``summary``, written last)."""
        self._write((dumps(row) + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._file is None:
            self.open()
        assert self._file is not None
        with no_interrupts():
            self._file.commit()
            self._file = None

    def abort(self) -> None:
        with no_interrupts():
            if self._file is not None:
                self._file.abort()
                self._file = None
