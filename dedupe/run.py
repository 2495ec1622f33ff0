"""`clean_paths`: files in, cleaned copies and report out. The CLI is a thin layer over it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from .report import Summary, summary_row


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
    cleaner: Any = None,
) -> tuple[Summary, list[str]]:
    """Clean files, folders or stdin (``-``) into ``output`` (a folder, ``-`` for stdout,
    or None to write nothing but the report). Returns the summary and the files skipped
    in folders because of their type.

    ``format`` names the format of the files named directly and of stdin (JSONL
    by default); files in folders go by their suffix. ``encoding`` is the
    inputs' encoding (a Python codec name, or ``auto`` to detect it per file);
    each input read in another encoding than UTF-8 is added to ``transcoded``
    (path -> encoding) and named in the report.

    With ``on_error="fail"`` every input is checked before anything is written: a
    bad file raises `InputError` during the first pass, so no output is committed.
    With ``"skip"`` or ``"keep"`` bad files and lines are left out of the output
    or copied through unchanged; each is passed to ``on_problem`` as it is found
    and listed in ``bad`` (and as an ``error`` row in the report).

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
    cleaner: Any = None,
) -> Summary:
    bad.action = on_error

    def found(problem: Problem) -> None:
        (bad.warnings if problem.warning else bad.problems).append(problem)
        if on_problem is not None:
            on_problem(problem)

    for folder, error in unreadable:
        found(Problem(folder, None, error.reason))
    cleaner = cleaner if cleaner is not None else Cleaner(config, jobs=jobs)
    corpus = Corpus(files, fields, on_error, found, encoding=encoding, stdin=spool)
    writer = OutputWriter(output, files, fields, corpus, on_error) if output is not None else None
    report_writer = ReportWriter(report, files, fields, corpus) if report is not None else None
    try:
        if report_writer is not None:
            report_writer.open()
        for result in cleaner.clean(corpus):
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
        if writer is not None:
            writer.abort()
        if report_writer is not None:
            report_writer.abort()
        raise
    if report_writer is not None:
        report_writer.close()
    if transcoded is not None:
        transcoded.update(corpus.transcoded)
    summary: Summary = cleaner.summary
    return summary
