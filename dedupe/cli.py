"""The `dedupe` command line: parse options, call one library function, report."""

from __future__ import annotations

from typing import Any

import click

from . import __version__
from .config import CleanerConfig
from .errors import ConfigError, DedupeError, InputError, OutputError
from .io import Fields
from .run import clean_paths

_DEFAULTS = CleanerConfig()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def cli() -> None:
    """Remove repeated headlines, paragraphs, boilerplate and near-duplicate
    articles from scraped news text."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o", "--output", metavar="OUTPUT",
    help="Folder for the cleaned copies (mirrors the inputs), or - for JSONL on stdout. "
    "Required unless --dry-run.",
)  # fmt: skip
@click.option("--report", metavar="REPORT.jsonl", help="Write one JSON line per removal here.")
@click.option("--dry-run", is_flag=True, help="Write only the report and the summary.")
@click.option(
    "--keep", type=click.Choice(["first", "longest"]), default=_DEFAULTS.keep, show_default=True,
    help="Which article of a group of near duplicates to keep.",
)  # fmt: skip
@click.option("--headlines/--no-headlines", default=True, help="Remove repeated headlines.")
@click.option("--paragraphs/--no-paragraphs", default=True, help="Remove repeated paragraphs.")
@click.option("--boilerplate/--no-boilerplate", default=True, help="Remove corpus boilerplate.")
@click.option("--documents/--no-documents", default=True, help="Drop near-duplicate articles.")
@click.option(
    "--min-docs", type=int, default=_DEFAULTS.boilerplate_min_docs, show_default=True,
    help="Distinct stories a segment must recur in to be boilerplate.",
)  # fmt: skip
@click.option(
    "--paragraph-threshold", type=float, default=_DEFAULTS.paragraph_threshold,
    show_default=True, help="Jaccard above which a paragraph repeats an earlier one.",
)  # fmt: skip
@click.option(
    "--document-threshold", type=float, default=_DEFAULTS.document_threshold,
    show_default=True, help="Jaccard above which an article duplicates an earlier one.",
)  # fmt: skip
@click.option(
    "--site-field", metavar="FIELD",
    help="JSONL field naming each article's site: boilerplate is then counted per site.",
)  # fmt: skip
@click.option("--seed", type=int, default=_DEFAULTS.seed, show_default=True, help="MinHash seed.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field holding the id.")
@click.option("--title-field", default="title", show_default=True, help="JSONL title field.")
@click.option(
    "--text-field", default="text", show_default=True, help="JSONL field holding the text."
)
@click.option("--force", is_flag=True, help="Overwrite existing files in OUTPUT.")
@click.option("-q", "--quiet", is_flag=True, help="Print no summary.")
def clean(
    inputs: tuple[str, ...],
    output: str | None,
    report: str | None,
    dry_run: bool,
    keep: str,
    headlines: bool,
    paragraphs: bool,
    boilerplate: bool,
    documents: bool,
    min_docs: int,
    paragraph_threshold: float,
    document_threshold: float,
    site_field: str | None,
    seed: int,
    id_field: str,
    title_field: str,
    text_field: str,
    force: bool,
    quiet: bool,
) -> None:
    """Clean INPUT files (.txt: one article; .jsonl/.jsonl.gz: one per line),
    folders (walked recursively) or - (JSONL on stdin) into OUTPUT.

    \b
    Examples:
      dedupe clean article.txt -o out/
      dedupe clean crawl/ -o cleaned/ --report removals.jsonl
      cat articles.jsonl | dedupe clean - -o - > cleaned.jsonl
    """
    if output is None and not dry_run:
        raise click.UsageError("missing option '-o' / '--output' (or use --dry-run)")
    settings: dict[str, Any] = {
        "keep": keep,
        "headlines": headlines,
        "paragraphs": paragraphs,
        "boilerplate": boilerplate,
        "documents": documents,
        "boilerplate_min_docs": min_docs,
        "paragraph_threshold": paragraph_threshold,
        "document_threshold": document_threshold,
        "seed": seed,
        "site_field": site_field,
    }
    try:
        config = CleanerConfig(**settings)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    fields = Fields(id=id_field, title=title_field, text=text_field)
    try:
        summary, skipped = clean_paths(
            inputs, None if dry_run else output, config, report=report, fields=fields, force=force
        )
    except OutputError as exc:
        raise click.UsageError(str(exc)) from None
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    except DedupeError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None
    if not quiet:
        for line in summary.lines():
            click.echo(line, err=True)
        if skipped:
            click.echo(f"skipped {len(skipped)} files of other types, e.g. {skipped[0]}", err=True)


def main() -> None:
    cli()
