"""Write cleaned copies and the report, each file atomically.

Every file is written to a temporary name in its destination folder and
renamed into place only when complete, so an interrupted run never leaves a
half-written file under a final name.

A JSONL output keeps the line structure of its input: a record from which
nothing was removed is written as its original bytes; a cleaned record is its
original line with only the text value replaced; a dropped record's line is
left out; blank lines are kept. Bad input under ``--on-error keep`` is copied
through unchanged (a whole file, or a JSONL line at its position); under
``skip`` it is left out.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..errors import InputError, Interrupted, OutputError
from ..records import Result
from .jsontext import replace_text as _replace_text
from .jsontext import split_line, token_style, value_span
from .paths import STDIN, Fields, InputFile
from .readers import Corpus, OnError, Problem, pieces


def dumps(record: dict[str, Any]) -> str:
    """One JSON line; lone surrogates (from invalid input) are escaped rather than lost."""
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record, ensure_ascii=True)
    return line


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


class _AtomicFile:
    """A binary file written under a temporary name and renamed on `commit`."""

    def __init__(self, path: Path, compress: bool = False) -> None:
        self.path = path
        self.tmp: Path | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            self.tmp = Path(tmp)
            raw = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        self._raw = raw
        self.fh: IO[bytes] = (
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw  # type: ignore[assignment]
        )

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
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(OSError):
            self._raw.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()
            self.tmp = None


def atomic_write(path: Path, data: bytes, compress: bool = False) -> None:
    """Write ``data`` to ``path`` under a temporary name, then rename it into place.

    Signals are held meanwhile, so an interrupt never leaves the temporary file.
    """
    with no_interrupts():
        f = _AtomicFile(path, compress)
        try:
            f.write(data)
            f.commit()
        except BaseException:
            f.abort()
            raise


class _Sink:
    """Where the lines of one input go: an atomic file, stdout, or nowhere."""

    def __init__(self, out: IO[bytes] | _AtomicFile | None) -> None:
        self.out = out

    def write(self, data: bytes) -> None:
        if self.out is not None:
            self.out.write(data)


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
        self._atomic: _AtomicFile | None = None
        self._lines: Iterator[tuple[int, bytes]] | None = None
        self._changed = False  # whether the current JSONL output differs from its input
        self._stdout: IO[bytes] | None = None
        if output == STDIN:
            self._stdout = getattr(sys.stdout, "buffer", None)
            if self._stdout is None:  # pragma: no cover - a text-only stdout
                raise OutputError("stdout cannot take bytes")

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
        f = self.files[index]
        if f.kind == "txt":
            self._write_text(f, result)
        else:
            self._write_record(f, result)

    def close(self) -> None:
        """Write the files that are left and commit the last open one."""
        self._advance(len(self.files))
        if self._stdout is not None:
            self._stdout.flush()
        else:  # an empty run still leaves its (empty) OUTPUT folder
            Path(self.output).mkdir(parents=True, exist_ok=True)

    def abort(self) -> None:
        """Discard the file being written (on error or interruption)."""
        with no_interrupts():
            if self._atomic is not None:
                self._atomic.abort()
                self._atomic = None
        self._lines = None

    # -- files in order -----------------------------------------------------

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
        problem = self.corpus.bad(f)
        if problem is not None:  # bad as a whole: copied unchanged, or left out
            if self.on_error == "keep":
                self._keep_file(f, problem)
            return
        if f.kind == "txt":
            return
        if self._stdout is None:
            with no_interrupts():
                self._atomic = _AtomicFile(Path(self.output) / f.rel, compress=f.gzip)
        self._changed = False
        self._lines = self.corpus.lines(f)

    def _finish(self) -> None:
        f = self._current
        if f is None:
            return
        if self._lines is not None:
            self._copy_lines_before(f, None)
        if self._atomic is not None and f.gzip and not self._changed:
            # Nothing changed: copy the compressed bytes too, so the copy is byte-exact.
            with no_interrupts():
                self._atomic.abort()
                self._atomic = None
            self._copy(f, self.corpus.raw_bytes(f))
        if self._atomic is not None:
            with no_interrupts():
                self._atomic.commit()
                self._atomic = None
        self._lines = None
        self._current = None

    def _copy(self, f: InputFile, data: bytes) -> None:
        atomic_write(Path(self.output) / f.rel, data)

    def _keep_file(self, f: InputFile, problem: Problem) -> None:
        try:
            data = self.corpus.raw_bytes(f)
        except InputError:
            return  # unreadable: nothing to copy; the problem is already reported
        if self._stdout is not None:
            if f.kind == "txt":
                text = data.decode("utf-8", "surrogateescape")
                self._stdout.write((dumps({"id": f.rel, "text": text}) + "\n").encode("utf-8"))
            else:
                try:
                    content = self.corpus.data(f)
                except InputError:
                    return
                for _, raw in pieces(content):
                    if raw.strip():
                        self._stdout.write(raw if raw.endswith(b"\n") else raw + b"\n")
            return
        self._copy(f, data)

    # -- one result ---------------------------------------------------------

    def _write_text(self, f: InputFile, result: Result) -> None:
        if result.dropped:
            return
        if self._stdout is not None:
            self._stdout.write((dumps(self._record(result)) + "\n").encode("utf-8"))
            return
        self._copy(f, result.text.encode("utf-8", "surrogateescape"))

    def _write_record(self, f: InputFile, result: Result) -> None:
        source = result.article.source
        assert source is not None and source.line is not None
        raw = self._copy_lines_before(f, source.line)
        if raw is None:
            raw = result.article.raw
        if result.dropped or result.removals:
            self._changed = True
        if result.dropped:
            return
        if self._stdout is not None:
            self._stdout.write((dumps(self._record(result)) + "\n").encode("utf-8"))
            return
        assert self._atomic is not None
        if raw is not None and not result.removals:
            self._atomic.write(raw)
        elif raw is not None:
            self._atomic.write(_replace_text(raw, self.fields.text, result.text))
        else:
            self._atomic.write((dumps(self._record(result)) + "\n").encode("utf-8"))

    def _copy_lines_before(self, f: InputFile, line: int | None) -> bytes | None:
        """Copy the lines before ``line`` (all that are left if None) that are no
        article: blank lines, and bad lines under ``keep``. Returns line ``line``."""
        assert self._lines is not None
        sink = _Sink(self._stdout if self._stdout is not None else self._atomic)
        for number, raw in self._lines:
            if line is not None and number == line:
                return raw
            blank = not raw.strip()
            if blank:
                if self._stdout is None:
                    sink.write(raw)
                continue
            if self.corpus.bad(f, number) is not None and self.on_error != "keep":
                self._changed = True
                continue
            if self._stdout is not None and not raw.endswith(b"\n"):
                raw += b"\n"
            sink.write(raw)
        return None

    def _record(self, result: Result) -> dict[str, Any]:
        article = result.article
        if article.record is None:
            return result.to_record()
        record = dict(article.record)
        record[self.fields.text] = result.text
        return record


class ReportWriter:
    """The removal report: one JSON line per removal, committed atomically at the end.

    Each row also names the output ``file`` (the input's path relative to OUTPUT)
    and, for JSONL, the input ``line``; a dropped JSONL record's row holds the
    whole original line (``raw_line``), and a cleaned JSONL record's rows say how
    its text was escaped (``text_json``; the original literal in ``raw_text`` if
    neither ``unicode`` nor ``ascii``), so that `dedupe restore` rebuilds every
    input byte for byte. Bad input handled by ``--on-error`` gets an ``error`` row.
    """

    def __init__(
        self, path: str, files: list[InputFile] | None = None, fields: Fields | None = None
    ) -> None:
        self.fields = fields or Fields()
        self._rel = {f.path: f.rel for f in files or []}
        self._path = Path(path)
        self._file: _AtomicFile | None = None

    def open(self) -> None:
        """Create the temporary file (call inside the ``try`` that calls `abort`)."""
        with no_interrupts():
            self._file = _AtomicFile(self._path)

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
        where: dict[str, Any] = {
            "file": self._rel.get(source.path) if source is not None else None,
            "line": source.line if source is not None else None,
        }
        extra: dict[str, Any] = {}
        raw = article.raw
        if raw is not None and result.dropped:
            extra["raw_line"] = raw.decode("utf-8")
        elif raw is not None:
            line, _ = split_line(raw)
            start, stop = value_span(line, self.fields.text)
            style = token_style(line[start:stop], article.text)
            extra["text_json"] = style
            if style == "raw":
                extra["raw_text"] = line[start:stop]
        if result.title is not None:
            self._write((dumps({**result.title.to_dict(article.id), **where}) + "\n").encode())
        for n, removal in enumerate(result.removals):
            row = {**removal.to_dict(where), **(extra if n == 0 else {})}
            if row.get("matched_file") is not None:  # named like `file`: relative to OUTPUT
                row["matched_file"] = self._rel.get(row["matched_file"], row["matched_file"])
            if n > 0 and "text_json" in extra:
                row["text_json"] = extra["text_json"]
            self._write((dumps(row) + "\n").encode("utf-8"))

    def problems(self, problems: list[Problem], action: OnError) -> None:
        """One ``error`` row per bad file or line, saying whether it was kept or skipped."""
        for p in problems:
            row = {
                "rule": "error",
                "file": p.file.rel,
                "line": p.line if not p.whole_file else None,
                "at": p.line,
                "message": p.message,
                "action": action,
            }
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
