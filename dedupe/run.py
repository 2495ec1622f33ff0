"""`clean_paths`: files in, cleaned copies and report out. The CLI is a thin layer over it."""

from __future__ import annotations

from collections.abc import Sequence

from .cleaner import Cleaner
from .config import CleanerConfig
from .io import Corpus, Fields, OutputWriter, ReportWriter, discover, plan_outputs
from .io.paths import STDIN, check_report_path
from .report import Summary


def clean_paths(
    inputs: Sequence[str],
    output: str | None,
    config: CleanerConfig | None = None,
    *,
    report: str | None = None,
    fields: Fields | None = None,
    force: bool = False,
) -> tuple[Summary, list[str]]:
    """Clean files, folders or stdin (``-``) into ``output`` (a folder, ``-`` for stdout,
    or None to write nothing but the report). Returns the summary and the files skipped
    in folders because of their type.

    Every input is checked before anything is written: a bad file raises
    `InputError` during the first pass, so no output is committed.
    """
    files, skipped = discover(list(inputs))
    if output is not None and output != STDIN:
        plan_outputs(files, list(inputs), output, force)
    if report is not None:
        check_report_path(report, files, output, force)
    fields = fields or Fields()
    cleaner = Cleaner(config)
    writer = OutputWriter(output, files, fields) if output is not None else None
    report_writer = ReportWriter(report) if report is not None else None
    try:
        for result in cleaner.clean(Corpus(files, fields)):
            if writer is not None:
                writer.write(result)
            if report_writer is not None:
                report_writer.write(result.removals)
    except BaseException:
        if writer is not None:
            writer.abort()
        if report_writer is not None:
            report_writer.abort()
        raise
    if writer is not None:
        writer.close()
    if report_writer is not None:
        report_writer.close()
    return cleaner.summary, skipped
