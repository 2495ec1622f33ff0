"""`clean_paths`: files in, cleaned copies and report out. The CLI is a thin layer over it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .cleaner import Cleaner
from .config import CleanerConfig
from .errors import InputError
from .io import Corpus, Fields, InputFile, OutputWriter, ReportWriter, discover, plan_outputs
from .io.atomic import read_umask, remove_stale_temps
from .io.compression import sniff
from .io.content import Spool
from .io.formats import Format
from .io.lock import locked
from .io.paths import STDIN, check_report_path
from .io.readers import OnError, Problem
from .progress import Progress
from .report import Summary, summary_row

if TYPE_CHECKING:
    from .indexed import Daily

T = TypeVar("T")


@dataclass
class BadInput:
    """The bad files and lines of a run under ``--on-error skip`` or ``keep``."""

    action: OnError = "fail"
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(1 for p in self.problems if p.whole_file)

    @property
    def lines(self) -> int:
        return sum(1 for p in self.problems if not p.whole_file)

    def line(self) -> str | None:
        """The summary line, or None when all input was good."""
        if not self.problems:
            return None
        done = "copied unchanged" if self.action == "keep" else "skipped"
        return f"bad input: {self.files} files and {self.lines} lines {done} (listed above)"


def clean_paths(
    inputs: Sequence[str],
    output: str | None,
    config: CleanerConfig | None = None,
    *,
    report: str | None = None,
    fields: Fields | None = None,
    force: bool = False,
    on_error: OnError = "fail",
    on_problem: Callable[[Problem], None] | None = None,
    bad: BadInput | None = None,
    jobs: int = 1,
    format: Format | None = None,
    encoding: str = "utf-8",
    transcoded: dict[str, str] | None = None,
    progress: Progress | None = None,
    index: str | None = None,
    daily: Daily | None = None,
    on_wait: Callable[[str], None] | None = None,
    index_info: dict[str, Any] | None = None,
    cleaner: Any = None,
) -> tuple[Summary, list[str]]:
    """Clean files, folders or stdin (``-``) into ``output`` (a folder, ``-`` for stdout,
    or None to write nothing but the report). Returns the summary and the files skipped
    in folders because of their type.

    ``format`` names the format of the files named directly and of stdin (JSONL
    by default); files in folders go by their suffix. ``encoding`` is the
    inputs' encoding (a Python codec name, or ``auto`` to detect it per file);
    each input read in another encoding than UTF-8 is added to ``transcoded``
    (path -> encoding) and named in the report. ``progress`` is told how the
    passes go (see `dedupe.progress`).

    With ``on_error="fail"`` every input is checked before anything is written: a
    bad file raises `InputError` during the first pass, so no output is committed.
    With ``"skip"`` or ``"keep"`` bad files and lines are left out of the output
    or copied through unchanged; each is passed to ``on_problem`` as it is found
    and listed in ``bad`` (and as an ``error`` row in the report).

    With ``index`` (an SQLite path or a ``redis://`` address), what earlier runs kept
    counts as earlier (see `dedupe.indexed`); what this run keeps is committed to the
    index after the outputs and the report are written (not for a dry run, ``output``
    None), and ``index_info`` gets what was committed.

    ``cleaner``: what cleans instead of a local `Cleaner` (another engine, such as
    `dedupe.dask.cleaner`'s), with the same ``clean``, ``summary`` and ``config``.
    """
    read_umask()
    inputs = list(inputs)
    unreadable: list[tuple[InputFile, InputError]] = []
    spool = Spool(sys.stdin.buffer) if STDIN in inputs else None
    try:
        stdin_codec = sniff(spool.head(16)) if spool is not None else None
        files, skipped = discover(
            inputs,
            None if on_error == "fail" else unreadable,
            format=format,
            stdin_codec=stdin_codec,
        )
        folder = output is not None and output != STDIN
        if folder:
            assert output is not None
            plan_outputs(files, inputs, output, force)
        if report is not None:
            check_report_path(report, files, output, force, inputs)
        args = (
            files, output, config, report, fields or Fields(), on_error, on_problem,
            bad if bad is not None else BadInput(), jobs, encoding, spool, unreadable, transcoded,
            progress,
            (index, daily, on_wait, index_info),
            cleaner,
        )  # fmt: skip
        if folder:
            assert output is not None
            with locked(Path(output)):
                plan_outputs(files, inputs, output, force)  # again, now that no run can write
                remove_stale_temps([Path(output) / f.rel for f in files])
                summary = _run(*args)
        else:
            summary = _run(*args)
    finally:
        if spool is not None:
            spool.close()
    return summary, skipped


def _run(
    files: list[InputFile],
    output: str | None,
    config: CleanerConfig | None,
    report: str | None,
    fields: Fields,
    on_error: OnError,
    on_problem: Callable[[Problem], None] | None,
    bad: BadInput,
    jobs: int,
    encoding: str,
    spool: Spool | None,
    unreadable: list[tuple[InputFile, InputError]],
    transcoded: dict[str, str] | None,
    progress: Progress | None,
    indexing: tuple[str | None, Daily | None, Callable[[str], None] | None, dict[str, Any] | None],
    cleaner: Any = None,
) -> Summary:
    bad.action = on_error

    def found(problem: Problem) -> None:
        (bad.warnings if problem.warning else bad.problems).append(problem)
        if on_problem is not None:
            on_problem(problem)

    for folder, error in unreadable:
        found(Problem(folder, None, error.reason))
    index, daily, on_wait, index_info = indexing
    if cleaner is None:
        cleaner = Cleaner(config, jobs=jobs, progress=progress or False, index=index, daily=daily)
        cleaner.on_wait = on_wait
    corpus = Corpus(files, fields, on_error, found, encoding=encoding, stdin=spool)
    writer = OutputWriter(output, files, fields, corpus, on_error) if output is not None else None
    report_writer = ReportWriter(report, files, fields, corpus) if report is not None else None
    try:
        if report_writer is not None:
            report_writer.open()
        for result in cleaner.clean(corpus, commit=False):
            if writer is not None:
                writer.write(result)
            if report_writer is not None:
                report_writer.write(result)
        if writer is not None:
            writer.close()
        if report_writer is not None:
            report_writer.problems(bad.problems, on_error)
            if cleaner.summary.documents_read or bad.problems:  # an empty run: an empty report
                report_writer.row(
                    summary_row(cleaner.summary, cleaner.config, bad.files, bad.lines)
                )
            to_folder = writer is not None and output != STDIN
            report_writer.inputs(files, corpus, writer.written if to_folder and writer else None)
    except BaseException:
        cleaner.abort()
        if writer is not None:
            writer.abort()
        if report_writer is not None:
            report_writer.abort()
        raise
    if report_writer is not None:
        report_writer.close()
    if transcoded is not None:
        transcoded.update(corpus.transcoded)
    if getattr(cleaner, "index", None) is not None:
        record = cleaner._run_record or {}
        if output is None:
            cleaner.abort()  # a dry run publishes nothing: the index stays as it was
        else:
            cleaner.commit()
        if index_info is not None:
            index_info.update(record, location=cleaner.index.location, committed=output is not None)
        cleaner.index.close()
    summary: Summary = cleaner.summary
    return summary


def stream_paths(
    inputs: Sequence[str],
    config: CleanerConfig | None = None,
    *,
    report: str | None = None,
    fields: Fields | None = None,
    on_error: OnError = "fail",
    on_problem: Callable[[Problem], None] | None = None,
    bad: BadInput | None = None,
    index: str,
    daily: Daily | None = None,
    checkpoint_records: int | None = 1000,
    checkpoint_seconds: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[Summary, int]:
    """``clean --stream``: JSONL records from files or stdin (``-``), read as they come,
    each decided against the index and the records before it and written to stdout at
    once (dropped ones left out); committed to the index at checkpoints. Returns the
    summary and the number of checkpoints committed. Bad lines fail the stream or are
    skipped (``on_error``)."""
    from .errors import OutputError
    from .indexed import Daily, Stream
    from .io.formats.jsonl import dumps
    from .io.readers import parse_line
    from .records import Article, Source

    files, _ = discover(list(inputs))
    for f in files:
        if f.format not in ("jsonl", "txt") or f.codec is not None:
            raise OutputError(f"{f.path}: a stream reads JSONL (stdin or .jsonl files) or .txt")
    if report is not None:
        check_report_path(report, files, None, True, list(inputs))
    fields = fields or Fields()
    bad = bad if bad is not None else BadInput()
    bad.action = on_error
    cleaner = Cleaner(config, index=index, daily=daily)
    cleaner.on_wait = on_wait
    assert cleaner.index is not None
    out = sys.stdout.buffer

    def problem(f: InputFile, line: int | None, error: InputError) -> None:
        if on_error == "fail":
            raise error
        found = Problem(f, line, error.reason)
        bad.problems.append(found)
        if on_problem is not None:
            on_problem(found)

    def records() -> Iterator[Article]:
        for f in files:
            if f.format == "txt":
                try:
                    with open(f.path, "rb") as fh:
                        text = fh.read().decode("utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    problem(f, None, InputError(str(exc), f.path))
                    continue
                yield Article(id=f.rel, text=text, source=Source(f.path))
                continue
            try:
                handle: Any = sys.stdin.buffer if f.path == STDIN else open(f.path, "rb")  # noqa: SIM115
            except OSError as exc:
                problem(f, None, InputError(exc.strerror or str(exc), f.path))
                continue
            try:
                for number, raw in enumerate(handle, start=1):
                    if not raw.strip():
                        continue
                    try:
                        yield parse_line(raw, fields, Source(f.path, number))
                    except InputError as exc:
                        problem(f, number, exc)
            finally:
                if handle is not sys.stdin.buffer:
                    handle.close()

    stream = Stream(
        cleaner, cleaner.index, daily or Daily(), checkpoint_records, checkpoint_seconds
    )
    report_writer = ReportWriter(report, files, fields) if report is not None else None
    try:
        if report_writer is not None:
            report_writer.open()
        for result in stream.batches(_arrived(records(), stream.batch_size)):
            if not result.dropped:
                record = dict(result.article.record or result.to_record())
                record[fields.text] = result.text
                out.write((dumps(record) + "\n").encode("utf-8"))
                out.flush()
            if report_writer is not None:
                report_writer.write(result)
        if report_writer is not None:
            report_writer.problems(bad.problems, on_error)
            if cleaner.summary.documents_read:
                report_writer.row(
                    summary_row(cleaner.summary, cleaner.config, 0, len(bad.problems))
                )
            report_writer.close()
    except BaseException:
        if report_writer is not None:
            report_writer.abort()
        raise
    finally:
        cleaner.index.close()
    return cleaner.summary, stream.commits


def _arrived(items: Iterator[T], most: int) -> Iterator[list[T]]:
    """Batches of what has arrived: a reader thread takes ``items`` (lines from a pipe, say)
    as they come, and each batch is whatever it has read, up to ``most``, waiting only for
    the first. Errors of the reader are raised here, in order."""
    import queue
    import threading

    done = object()
    box: queue.Queue[Any] = queue.Queue(maxsize=4 * most)

    def read() -> None:
        try:
            for item in items:
                box.put(item)
        except BaseException as exc:  # handed over to the consumer
            box.put(_Failed(exc))
        box.put(done)

    threading.Thread(target=read, daemon=True).start()
    while True:
        batch: list[T] = []
        item = box.get()
        while True:
            if item is done or isinstance(item, _Failed):
                if batch:
                    yield batch
                if isinstance(item, _Failed):
                    raise item.error
                return
            batch.append(item)
            if len(batch) >= most:
                break
            try:
                item = box.get_nowait()
            except queue.Empty:
                break
        yield batch


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error
