"""The index part of the command line: ``clean --index/--window/--stream`` and ``dedupe index``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from .config import CleanerConfig
from .errors import ConfigError, InputError
from .indexed import Daily, day_text, parse_window
from .io import Fields, OnError, Problem
from .report.summary import plural


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.UsageError(f"{option} must be a date like 2024-05-31, not {text!r}") from None


def daily_options(
    index: str | None,
    window: str | None,
    date_field: str | None,
    run_date: str | None,
    stream: bool,
    config: CleanerConfig,
) -> Daily | None:
    """The `Daily` of ``clean``'s index options (None without ``--index``)."""
    if index is None:
        for name, value in (("--window", window), ("--date-field", date_field),
                            ("--run-date", run_date), ("--stream", stream or None)):  # fmt: skip
            if value is not None:
                raise click.UsageError(f"{name} needs --index")
        return None
    if stream and config.keep == "longest":
        raise click.UsageError("--stream keeps the first of near duplicates (not --keep longest)")
    try:
        days = parse_window(window)
    except ConfigError as exc:
        raise click.UsageError(f"--window: {exc}") from None
    return Daily(days, date_field, _date(run_date, "--run-date"))


def index_line(info: dict[str, Any], daily: Daily | None) -> list[str]:
    """The summary's lines about the index."""
    if not info:
        return []
    lines = []
    if daily is not None and daily.undated:
        first = daily.undated[0]
        lines.append(
            f"warning: {plural(len(daily.undated), 'article')} without a valid "
            f"{daily.date_field!r} date were dated by the run date (first: {first})"
        )
    if not info.get("committed"):
        lines.append(f"index: {info['location']} unchanged (dry run)")
        return lines
    added = int(info.get("next", 0)) - int(info.get("first", 0))
    text = f"index: {info['location']}: run {info.get('run')} of {info.get('date')} committed"
    text += f", {plural(added, 'article')} numbered"
    if info.get("forgotten"):
        text += (
            f", {plural(int(info['forgotten']), 'article')} forgotten (window {info['window']}d)"
        )
    lines.append(text)
    return lines


def stream_command(
    inputs: tuple[str, ...],
    output: str | None,
    config: CleanerConfig,
    report: str | None,
    fields: Fields,
    on_error: str,
    on_problem: Callable[[Problem], None],
    bad: Any,
    index: str | None,
    daily: Daily | None,
    checkpoint: int,
    checkpoint_seconds: float | None,
    quiet: bool,
) -> None:
    """``clean --stream``: JSONL records in (files or ``-``), JSONL out on stdout, decided as
    they arrive and committed to the index at checkpoints."""
    from .cli import _guarded
    from .run import stream_paths

    if output != "-":
        raise click.UsageError("--stream writes JSONL to stdout: use -o -")
    if on_error == "keep":
        raise click.UsageError("--stream takes --on-error fail or skip")
    assert index is not None and daily is not None
    summary, commits = _guarded(
        lambda: stream_paths(
            inputs,
            config,
            report=report,
            fields=fields,
            on_error=on_error,  # type: ignore[arg-type]
            on_problem=on_problem,
            bad=bad,
            index=index,
            daily=daily,
            checkpoint_records=checkpoint,
            checkpoint_seconds=checkpoint_seconds,
            on_wait=lambda message: click.echo(message, err=True),
        )  # fmt: skip
    )
    if not quiet:
        for text in summary.lines():
            click.echo(text, err=True)
        click.echo(f"index: {index}: {plural(commits, 'checkpoint')} committed", err=True)
    line = bad.line()
    if line is not None:
        click.echo(line, err=True)


# -- dedupe index ---------------------------------------------------------------------------


@click.group("index")
def index_group() -> None:
    """Look after a persistent index (an SQLite file or redis://HOST:PORT/DB):
    statistics, forgetting old articles, export and import."""


def _open(target: str, create: bool = False) -> Any:
    from .cli import _guarded
    from .store import open_store

    return _guarded(lambda: open_store(target, create=create))


@index_group.command("stats")
@click.argument("target", metavar="INDEX")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Most removed boilerplate lines to list.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats_command(target: str, top: int, as_json: bool) -> None:
    """Sizes, runs, date range and the most removed boilerplate of INDEX."""
    from .cli import _guarded
    from .store.manage import stats

    store = _open(target)
    try:
        found = _guarded(lambda: stats(store, top))
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(found.__dict__, indent=1, sort_keys=True))
        return
    for line in found.lines():
        click.echo(line)


@index_group.command("prune")
@click.argument("target", metavar="INDEX")
@click.option("--window", required=True, metavar="DAYS", help="Keep this much (30d, 4w).")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="Counted back from (default: today).")
@click.option("--vacuum", is_flag=True, help="SQLite: repack the file afterwards.")
def prune_command(target: str, window: str, on: str | None, vacuum: bool) -> None:
    """Forget the articles of INDEX older than the window, and the counts they brought."""
    from .cli import _guarded
    from .store.manage import prune
    from .store.sqlite import SQLiteStore

    try:
        days = parse_window(window)
    except ConfigError as exc:
        raise click.UsageError(f"--window: {exc}") from None
    assert days is not None
    day = Daily(run_date=_date(on, "--date")).run_day
    store = _open(target)
    try:
        forgotten = _guarded(lambda: prune(store, day, days, lambda m: click.echo(m, err=True)))
        if vacuum and isinstance(store, SQLiteStore):
            _guarded(store.vacuum)
    finally:
        store.close()
    click.echo(
        f"forgot {plural(forgotten, 'article')} older than {day_text(day - days + 1)}", err=True
    )


@index_group.command("export")
@click.argument("target", metavar="INDEX")
@click.argument("path", metavar="FILE.jsonl|FILE.parquet")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def export_command(target: str, path: str, force: bool) -> None:
    """Write INDEX to FILE (JSONL, or Parquet with the [parquet] extra), to move it to
    another store with `dedupe index import`."""
    from pathlib import Path

    from .cli import _guarded
    from .store.manage import export_index

    if Path(path).exists() and not force:
        raise click.UsageError(f"{path} already exists (use --force to overwrite)")
    store = _open(target)
    try:
        rows = _guarded(lambda: export_index(store, path))
    finally:
        store.close()
    click.echo(f"wrote {path} ({plural(rows, 'row')})", err=True)


@index_group.command("import")
@click.argument("path", metavar="FILE.jsonl|FILE.parquet")
@click.argument("target", metavar="INDEX")
def import_command(path: str, target: str) -> None:
    """Read an export into INDEX (a new SQLite file or an empty Redis index)."""
    from .cli import _guarded
    from .store.manage import import_index

    store = _open(target, create=True)
    try:
        count = _guarded(lambda: import_index(store, path, lambda m: click.echo(m, err=True)))
    finally:
        store.close()
    click.echo(f"imported {plural(count, 'article record')} into {target}", err=True)


__all__ = ["daily_options", "index_group", "index_line", "stream_command"]
_ = (sys, InputError, OnError)
