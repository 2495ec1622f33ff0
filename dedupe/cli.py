"""The `dedupe` command line: parse options, call one library function, report."""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from . import __version__
from .config import SETTINGS, CleanerConfig, Setting
from .errors import ConfigError, DedupeError, InputError, Interrupted, OutputError
from .io import FORMATS, ON_ERROR, Fields, Format, OnError, Problem
from .io.atomic import interrupt_handler
from .io.encoding import canonical
from .kernel import describe as kernel_path
from .parallel import default_jobs
from .progress import Bar
from .report.summary import Summary, plural
from .run import BadInput, clean_paths
from .settings import find_pyproject
from .settings import load as load_settings

T = TypeVar("T")

_DEFAULTS = CleanerConfig()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="dedupe", message=f"%(prog)s %(version)s (kernel: {kernel_path()})"
)
def cli() -> None:
    """Remove repeated headlines, paragraphs, boilerplate and near-duplicate
    articles from scraped news text."""


def _setting_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """One option per setting of `CleanerConfig` (see `dedupe.config.SETTINGS`), with
    its name, help, default and range; ``--config FILE`` first."""
    for setting in reversed(SETTINGS):
        f = _option(setting)(f)
    return click.option(
        "--config", "config_file", metavar="FILE.toml", is_eager=True, expose_value=False,
        callback=_load_config,
        help="Settings from this TOML file (default: [tool.dedupe] of the nearest "
        "pyproject.toml). Precedence: options > DEDUPE_* variables > file > defaults.",
    )(f)  # fmt: skip


def _option(s: Setting) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    default = getattr(_DEFAULTS, s.name)
    if s.kind is bool:
        flag = s.option.removeprefix("--")
        return click.option(
            f"--{flag}/--no-{flag}", s.key, default=default, help=s.help, envvar=_envvar(s.key)
        )
    kind: Any
    if s.choices:
        kind = click.Choice(s.choices)
    elif s.kind is int:
        kind = click.IntRange(
            min=None if s.low is None else int(s.low), max=None if s.high is None else int(s.high)
        )
    elif s.kind is float:
        kind = click.FloatRange(min=s.low, max=s.high, min_open=s.low_open)
    else:
        kind = str
    return click.option(
        s.option, s.key, type=kind, default=default, show_default=default is not None,
        metavar="TEXT" if s.kind is str and not s.choices else None, help=s.help,
        envvar=_envvar(s.key),
    )  # fmt: skip


def _envvar(key: str) -> str:
    """The environment variable of a setting or run option: ``DEDUPE_MIN_DOCS``."""
    return f"DEDUPE_{key.upper()}"


def _load_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Make the config file's settings the command's defaults (click's ``default_map``:
    below options and environment variables)."""
    path = Path(value) if value else find_pyproject()
    if path is None:
        return
    names = [p.name for p in ctx.command.params if p.name]
    try:
        found = load_settings(path, names)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    ctx.default_map = {**(ctx.default_map or {}), **found}
    ctx.meta["dedupe.config_file"] = str(path)


def _config(settings: dict[str, Any]) -> CleanerConfig:
    """The config from a command's setting parameters; an error names the options."""
    values = {s.name: settings.pop(s.key) for s in SETTINGS}
    for s in SETTINGS:
        if s.optional and values[s.name] == "":
            values[s.name] = None
    try:
        return CleanerConfig(**values)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


_RUN_OPTIONS = [
    click.option(
        "-j", "--jobs", type=click.IntRange(min=1), default=None, envvar=_envvar("jobs"),
        help="Worker processes (default: all cores). The output is the same for any number.",
    ),
    click.option(
        "--id-field", default="id", show_default=True, envvar=_envvar("id_field"),
        help="Field holding the id (JSONL key, CSV or Parquet column).",
    ),
    click.option(
        "--title-field", default="title", show_default=True, envvar=_envvar("title_field"),
        help="Field holding the title, if any (JSONL key, CSV or Parquet column).",
    ),
    click.option(
        "--text-field", default="text", show_default=True, envvar=_envvar("text_field"),
        help="Field holding the text (JSONL key, CSV or Parquet column).",
    ),
]  # fmt: skip


def _run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_RUN_OPTIONS):
        f = option(f)
    return f


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o", "--output", metavar="OUTPUT",
    help="Folder for the cleaned copies (mirrors the inputs), or - for JSONL on stdout. "
    "Required unless --dry-run.",
)  # fmt: skip
@click.option("--report", metavar="REPORT.jsonl", help="Write one JSON line per removal here.")
@click.option("--dry-run", is_flag=True, help="Write only the report and the summary.")
@_run_options
@click.option(
    "--format", "format_", type=click.Choice(FORMATS, case_sensitive=False), default=None,
    help="Format of the files named directly and of stdin (default: by suffix; stdin: jsonl). "
    "Files in folders always go by their suffix.",
)  # fmt: skip
@click.option(
    "--encoding", default="utf-8", show_default=True, metavar="NAME|auto",
    callback=lambda ctx, param, value: _encoding(value),
    help="Encoding of the inputs: any Python codec name, or auto to detect it per file. "
    "Output is UTF-8; the report names each input read otherwise, and restore gives the "
    "original bytes back.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite existing files in OUTPUT.")
@click.option(
    "--on-error", type=click.Choice(ON_ERROR), default="fail", show_default=True,
    help="Bad input file or line: stop before writing anything (fail), leave it out "
    "(skip), or copy it through unchanged (keep).",
)  # fmt: skip
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr (default: when stderr is a terminal).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print no summary and no progress.")
@click.option(
    "--index", "index_at", metavar="PATH|redis://HOST:PORT/DB",
    help="A persistent index (an SQLite file, created if missing, or Redis): what earlier "
    "runs kept counts as earlier; what this run keeps is added when it succeeds.",
)  # fmt: skip
@click.option(
    "--window", metavar="DAYS", help="With --index: forget articles older than this (30d, 4w)."
)
@click.option(
    "--date-field", metavar="FIELD", help="With --index: record field with each article's date."
)
@click.option(
    "--run-date", metavar="YYYY-MM-DD", help="With --index: the run's date (default: today, UTC)."
)
@click.option(
    "--stream", is_flag=True,
    help="With --index: one pass, each record decided as it arrives (JSONL in, -o -).",
)  # fmt: skip
@click.option(
    "--checkpoint", type=click.IntRange(min=1), default=1000, show_default=True,
    help="With --stream: commit to the index every N records.",
)  # fmt: skip
@click.option(
    "--checkpoint-seconds", type=click.FloatRange(min=0, min_open=True),
    help="With --stream: also commit every S seconds.",
)  # fmt: skip
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where to clean: this machine, or a Dask cluster (the same output).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler (default: a local cluster).")
@click.option("--workdir", metavar="DIR", help="Dask: keep stages here; a rerun resumes.")
@click.option("--partitions", type=click.IntRange(min=1), help="Dask: input partitions.")
@_setting_options
def clean(
    inputs: tuple[str, ...],
    output: str | None,
    report: str | None,
    dry_run: bool,
    jobs: int | None,
    id_field: str,
    title_field: str,
    text_field: str,
    format_: str | None,
    encoding: str,
    force: bool,
    on_error: str,
    progress: bool | None,
    quiet: bool,
    index_at: str | None,
    window: str | None,
    date_field: str | None,
    run_date: str | None,
    stream: bool,
    checkpoint: int,
    checkpoint_seconds: float | None,
    engine: str,
    scheduler: str | None,
    workdir: str | None,
    partitions: int | None,
    **settings: Any,
) -> None:
    """Clean INPUT files (.txt: one article; .jsonl/.ndjson: one per line;
    .csv/.tsv, .parquet: one per row; any of them .gz, .zst, .bz2 or .xz),
    folders (walked recursively) or - (JSONL on stdin, or --format) into OUTPUT,
    each in its input's format.

    \b
    Examples:
      dedupe clean article.txt -o out/
      dedupe clean crawl/ -o cleaned/ --report removals.jsonl
      dedupe clean export.csv.gz scrape.parquet -o cleaned/ --encoding auto
      cat articles.jsonl | dedupe clean - -o - > cleaned.jsonl

    Every setting and run option can also come from a config file (--config, or
    [tool.dedupe] in pyproject.toml: min-docs = 3) or an environment variable
    (DEDUPE_MIN_DOCS=3); `dedupe config` shows what applies and why.
    """
    if output is None and not dry_run:
        raise click.UsageError("missing option '-o' / '--output' (or use --dry-run)")
    config = _config(settings)
    fields = Fields(id=id_field, title=title_field, text=text_field)
    bad = BadInput()
    transcoded: dict[str, str] = {}
    bar = _bar(progress, quiet)

    def on_problem(problem: Problem) -> None:
        if not problem.warning:  # warnings (duplicate ids) are listed after the run
            if bar is not None:
                bar.echo(str(problem))  # above the bar
            else:
                click.echo(str(problem), err=True)

    from .cli_index import daily_options, index_line, stream_command

    if engine != "local" and (index_at or stream):
        raise click.UsageError("--index and --stream work with the local engine only.")
    daily = daily_options(index_at, window, date_field, run_date, stream, config)
    if stream:
        stream_command(
            inputs, output, config, report, fields, on_error, on_problem, bad, index_at,
            daily, checkpoint, checkpoint_seconds, quiet,
        )  # fmt: skip
        return
    index_info: dict[str, Any] = {}

    def run() -> tuple[Summary, list[str]]:
        options: dict[str, Any] = {
            "report": report, "fields": fields, "force": force,
            "on_error": cast(OnError, on_error), "on_problem": on_problem, "bad": bad,
            "jobs": jobs or default_jobs(),
            "format": cast(Format | None, format_.lower() if format_ else None),
            "encoding": encoding, "transcoded": transcoded,
        }  # fmt: skip
        target = None if dry_run else output
        if engine == "local":
            return clean_paths(
                inputs, target, config, progress=bar, index=index_at, daily=daily,
                on_wait=lambda message: click.echo(message, err=True), index_info=index_info,
                **options,
            )  # fmt: skip
        from . import dask as on_dask

        with on_dask.cleaner(
            config, scheduler=scheduler, workdir=workdir, partitions=partitions, fields=fields,
            inputs=inputs,
        ) as engine_cleaner:  # fmt: skip
            return clean_paths(inputs, target, config, cleaner=engine_cleaner, **options)

    summary, skipped = _guarded(run)
    if not quiet:
        for warning in bad.warnings[:MAX_WARNINGS]:
            click.echo(str(warning), err=True)
        if summary.documents_read == 0 and not bad.problems:
            click.echo("warning: no articles found in the inputs", err=True)
        for text in summary.lines():
            click.echo(text, err=True)
        if skipped:
            click.echo(f"skipped {len(skipped)} files of other types, e.g. {skipped[0]}", err=True)
        if transcoded:
            path, enc = next(iter(transcoded.items()))
            n = len(transcoded)
            click.echo(
                f"transcoded to UTF-8: {n} file{'s' if n != 1 else ''}, e.g. {path} ({enc})",
                err=True,
            )
        if bad.warnings:
            more = len(bad.warnings) - MAX_WARNINGS
            shown = f" ({more} not listed)" if more > 0 else ""
            click.echo(f"warnings: {len(bad.warnings)} duplicate ids{shown}", err=True)
        for text in index_line(index_info, daily):
            click.echo(text, err=True)
    bad_line = bad.line()
    if bad_line is not None:
        click.echo(bad_line, err=True)


MAX_WARNINGS = 20


def _bar(progress: bool | None, quiet: bool) -> Bar | None:
    """The progress bar on stderr: with --progress, or by default when stderr is a
    terminal; never with --quiet."""
    if quiet or progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    return Bar()  # rich is imported only now


def _encoding(value: str) -> str:
    try:
        return canonical(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--encoding'") from None


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM (and SIGINT) into `Interrupted`, so that temporary files are removed."""
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(ValueError):  # not the main thread (e.g. under a test runner's thread)
            previous[sig] = signal.signal(sig, interrupt_handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class Refused(click.ClickException):
    """An output location that must not be written: one line, exit 2 (like a usage error)."""

    exit_code = 2


def _guarded(run: Callable[[], T]) -> T:
    """Run a command body, turning every expected failure into a one-line message."""
    try:
        with _signals_raise():
            return run()
    except OutputError as exc:
        raise Refused(str(exc)) from None
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    except DedupeError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        if exc.filename == "stdout" and exc.errno == errno.EPIPE:
            _quiet_stdout()  # the reader is gone: nothing more can reach it
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}") from None
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        name = signal.Signals(signum).name
        click.echo(f"Error: interrupted by {name}; no partial file was left behind", err=True)
        sys.exit(128 + signum)


@cli.command("config")
@_run_options
@_setting_options
def config_command(**values: Any) -> None:
    """Show the settings `dedupe clean` would use here (with the same options,
    environment and config file) and where each comes from.

    \b
    Example:
      DEDUPE_MIN_DOCS=3 dedupe config --document-threshold 0.6
    """
    ctx = click.get_current_context()
    _config(dict(values))  # the same checks as `dedupe clean`
    origin = {
        ParameterSource.COMMANDLINE: "option",
        ParameterSource.ENVIRONMENT: "environment",
        ParameterSource.DEFAULT_MAP: ctx.meta.get("dedupe.config_file", "config file"),
        ParameterSource.DEFAULT: "default",
    }
    for param in ctx.command.params:
        if param.name is None or not param.expose_value:
            continue
        source = ctx.get_parameter_source(param.name)
        where = origin.get(source, "default") if source is not None else "default"
        if source is ParameterSource.ENVIRONMENT:
            where = f"environment ({param.envvar})"
        value = values[param.name]
        shown = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        click.echo(f"{param.name.replace('_', '-'):<24} {shown!s:<12} {where}")


@cli.command()
@click.argument("cleaned", metavar="CLEANED")
@click.option(
    "--report", metavar="REPORT.jsonl", required=True,
    help="The report written by the `dedupe clean` run that made CLEANED.",
)  # fmt: skip
@click.option("-o", "--output", metavar="RESTORED", required=True, help="Folder to rebuild into.")
@click.option(
    "--text-field", default="text", show_default=True,
    help="The clean run's text field (JSONL key, CSV or Parquet column).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite existing files in RESTORED.")
@click.option("-q", "--quiet", is_flag=True, help="Print no summary.")
def restore(
    cleaned: str, report: str, output: str, text_field: str, force: bool, quiet: bool
) -> None:
    """Rebuild the inputs of a `dedupe clean` run, byte for byte, from its output
    folder CLEANED and its --report.

    \b
    Example:
      dedupe clean crawl/ -o cleaned/ --report removals.jsonl
      dedupe restore cleaned/ --report removals.jsonl -o restored/
      diff -r crawl/ restored/
    """
    from .restore import restore_tree

    outcome = _guarded(lambda: restore_tree(cleaned, report, output, text_field, force=force))
    for item in outcome.missing:
        click.echo(item, err=True)
    if not quiet:
        click.echo(
            f"restored {outcome.files} files ({outcome.changed} with removals put back)", err=True
        )
    if outcome.missing:
        click.echo(
            f"Error: {len(outcome.missing)} bad inputs were skipped by clean and are not "
            "restorable (listed above)",
            err=True,
        )
        sys.exit(1)


_late: list[int] = []  # signals that arrived outside a command's work


def _record(signum: int, frame: Any) -> None:
    _late.append(signum)


MMAP_THRESHOLD = 4 << 20  # bytes: larger allocations are mapped, and unmapped when freed


def fix_mmap_threshold() -> None:
    """Have glibc map every allocation of 4 MiB or more and give it back when freed. By
    default its threshold rises to the size of the largest block freed (up to 32 MiB),
    and freed blocks under it stay in the heap: after the first pass over a 20 MB
    article, tens of MB of freed arrays stayed resident (peak RSS 185 MiB, 147 MiB with
    this). A ``MALLOC_MMAP_THRESHOLD_`` in the environment is left as the user set it;
    other C libraries are left alone. For the command only: a library does not change
    its host process's allocator."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes

    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        if hasattr(libc, "gnu_get_libc_version"):  # glibc (musl has mallopt but ignores it)
            libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD


def main() -> None:
    """The console entry point. Outside the commands' work (which `_guarded` makes
    interruptible), SIGINT/SIGTERM are noted and answered at the end, so a signal that
    arrives after everything is committed still ends the run with a line and 128+N."""
    fix_mmap_threshold()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _record)
    try:
        cli()
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - click always exits
        code = 0
    if _late and code in (0, None):
        name = signal.Signals(_late[0]).name
        click.echo(f"Error: interrupted by {name} after all output was written", err=True)
        code = 128 + _late[0]
    # Python gives back the default handlers while it shuts down, which would let a
    # signal kill a run that is done; from here on there is nothing left to interrupt.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    sys.exit(code)


# -- looking at a run: report, explain, calibrate --------------------------------------


def _input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--input and the JSONL field names, shared by `report` and `explain`."""
    for option in reversed(
        [
            click.option(
                "-i",
                "--input",
                "inputs",
                multiple=True,
                metavar="PATH",
                help="The run's inputs (repeatable), to show whole texts and kept copies.",
            ),
            click.option("--id-field", default="id", show_default=True, help="JSONL id field."),
            click.option("--title-field", default="title", show_default=True, help="JSONL title."),
            click.option("--text-field", default="text", show_default=True, help="JSONL text."),
            click.option(
                "--site-field",
                metavar="FIELD",
                help="JSONL field naming the site (default: the run's, from the report).",
            ),
        ]  # fmt: skip
    ):
        f = option(f)
    return f


@cli.command("report")
@click.argument("report_path", metavar="REPORT.jsonl")
@click.option("-o", "--output", metavar="FILE.html", required=True, help="The page to write.")
@_input_options
@click.option("--title", help="Page title (default: the report's file name).")
@click.option(
    "--max-texts", type=click.IntRange(min=0), default=50_000, show_default=True,
    help="Whole texts from --input put on the page (kept copies of duplicates first); "
    "other articles show their removed segments only.",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite FILE.html if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def report_command(
    report_path: str,
    output: str,
    inputs: tuple[str, ...],
    id_field: str,
    title_field: str,
    text_field: str,
    site_field: str | None,
    title: str | None,
    max_texts: int,
    force: bool,
    quiet: bool,
) -> None:
    """Write one self-contained HTML page to audit a run from its REPORT.jsonl:
    counts and plots, every article with its removals struck through, and the
    near-duplicate clusters side by side. Opens from disk; loads nothing.

    \b
    Example:
      dedupe clean crawl/ -o cleaned/ --report removals.jsonl
      dedupe report removals.jsonl --input crawl/ -o report.html
    """
    from .report.html import write_report_html

    fields = Fields(id=id_field, title=title_field, text=text_field)
    outcome = _guarded(
        lambda: write_report_html(
            report_path,
            output,
            inputs,
            fields,
            site_field,
            force=force,
            title=title,
            max_texts=max_texts,
        )  # fmt: skip
    )
    if quiet:
        return
    found = outcome.inputs
    if found is not None and found.mismatched:
        click.echo(
            f"warning: {plural(len(found.mismatched), 'article')} differ from the report's rows "
            f"(changed since the run?), e.g. {found.mismatched[0]}; shown without their text",
            err=True,
        )
    if found is not None and found.missing:
        click.echo(
            f"warning: {plural(found.missing, 'article')} of the report not found in --input",
            err=True,
        )
    click.echo(
        f"wrote {output} ({outcome.size / 1e6:,.1f} MB): "
        f"{plural(outcome.articles, 'article')}, {plural(outcome.clusters, 'cluster')}, "
        f"{plural(outcome.texts, 'whole text')}",
        err=True,
    )


@cli.command("explain")
@click.argument("report_path", metavar="REPORT.jsonl")
@click.argument("ref", metavar="ID")
@_input_options
@click.option("--text/--no-text", "show_text", default=True, help="Print the article's text.")
@click.option(
    "--color/--no-color", default=None,
    help="Colour the output (default: only on a terminal; NO_COLOR is honoured).",
)  # fmt: skip
def explain_command(
    report_path: str,
    ref: str,
    inputs: tuple[str, ...],
    id_field: str,
    title_field: str,
    text_field: str,
    site_field: str | None,
    show_text: bool,
    color: bool | None,
) -> None:
    """Show what was removed from article ID (or FILE:LINE) and what each removal
    matched: the title, an earlier paragraph, the stories a boilerplate line is
    in, the kept copy of a dropped duplicate (with a word diff).

    \b
    Example:
      dedupe explain removals.jsonl reuters-16 --input reuters.jsonl
    """
    from rich.console import Console

    from .report.explain import explain

    console = Console(
        file=sys.stdout,
        force_terminal=color,
        no_color=color is False,
        highlight=False,
        soft_wrap=not color and not sys.stdout.isatty(),
    )
    fields = Fields(id=id_field, title=title_field, text=text_field)
    _guarded(
        lambda: explain(report_path, ref, console, inputs, fields, site_field, show_text=show_text)
    )


@cli.command("calibrate")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--sample", type=click.IntRange(min=2), default=1000, show_default=True,
    help="Articles to sample (uniformly, in input order; all when there are fewer).",
)  # fmt: skip
@click.option("--sample-seed", type=int, default=1, show_default=True, help="Sampling seed.")
@click.option(
    "--only", "only", multiple=True,
    type=click.Choice(["headline_threshold", "paragraph_threshold", "boilerplate_min_docs",
                       "document_threshold"]),
    help="Sweep only this setting (repeatable; default: all four).",
)  # fmt: skip
@click.option(
    "--examples", type=click.IntRange(min=0), default=5, show_default=True,
    help="Pairs shown on each side of each threshold.",
)  # fmt: skip
@click.option("--html", "html_path", metavar="FILE.html", help="Also write the results as a page.")
@click.option("--force", is_flag=True, help="Overwrite FILE.html if it exists.")
@_run_options
@_setting_options
def calibrate_command(
    inputs: tuple[str, ...],
    sample: int,
    sample_seed: int,
    only: tuple[str, ...],
    examples: int,
    html_path: str | None,
    force: bool,
    jobs: int | None,
    id_field: str,
    title_field: str,
    text_field: str,
    **values: Any,
) -> None:
    """Clean a sample of INPUT at several thresholds and print the removals per
    threshold for each rule, the LSH S-curve with the document threshold marked,
    and pairs just above and just below each threshold: evidence to pick them by.

    \b
    Example:
      dedupe calibrate crawl/ --sample 1000 --html calibration.html
    """
    from pathlib import Path

    from rich.console import Console

    from .io.writers import atomic_write
    from .report.calibrate import calibrate, calibration_html, print_calibration

    if html_path is not None and Path(html_path).exists() and not force:
        raise click.UsageError(f"{html_path} already exists (use --force to overwrite)")
    config = _config(values)
    fields = Fields(id=id_field, title=title_field, text=text_field)
    result = _guarded(
        lambda: calibrate(
            inputs,
            config,
            sample=sample,
            seed=sample_seed,
            fields=fields,
            jobs=jobs or default_jobs(),
            examples=examples,
            settings=only
            or (
                "headline_threshold",
                "paragraph_threshold",
                "boilerplate_min_docs",
                "document_threshold",
            ),
        )  # fmt: skip
    )
    print_calibration(result, Console(file=sys.stdout, highlight=False))
    if html_path is not None:
        page = calibration_html(result).encode("utf-8")
        _guarded(lambda: atomic_write(Path(html_path), page))
        click.echo(f"wrote {html_path}", err=True)


def _add_index_commands() -> None:
    from .cli_index import index_group

    cli.add_command(index_group)


_add_index_commands()
