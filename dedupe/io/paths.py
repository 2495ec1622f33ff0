"""Which files a run reads, and where each one's cleaned copy and the report may go."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, OutputError
from .compression import Codec
from .formats import FORMATS, Format, describe_suffixes, of_name

STDIN = "-"


@dataclass(frozen=True)
class Fields:
    """Names of the fields (JSONL keys, CSV/Parquet columns) that hold the id, title, text."""

    id: str = "id"
    title: str = "title"
    text: str = "text"


@dataclass(frozen=True)
class InputFile:
    """One input: its path (``-`` for stdin), its path relative to OUTPUT, its format
    (``"dir"`` only for a folder that could not be read) and its compression."""

    path: str
    rel: str
    format: str
    codec: Codec | None = None

    @property
    def kind(self) -> str:
        return self.format

    @property
    def is_stdin(self) -> bool:
        return self.path == STDIN


def _regular(path: Path) -> bool:
    """A regular file (after symbolic links), never a FIFO, socket or device."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, RuntimeError):
        return False


def discover(
    inputs: list[str],
    unreadable: list[tuple[InputFile, InputError]] | None = None,
    *,
    format: Format | None = None,
    stdin_codec: Codec | None = None,
) -> tuple[list[InputFile], list[str]]:
    """Input files in order, and the files skipped in folders.

    Folders are walked recursively in sorted path order (by name at each
    level, a subfolder's files at its place), skipping hidden entries, files of
    unknown type and anything that is not a regular file (FIFOs, sockets,
    devices, broken or looping links, links to folders). A file named directly must have a
    known suffix, or ``format`` names its format (as it does stdin's, JSONL by
    default). A folder that cannot be listed raises `InputError`, or is
    appended to ``unreadable`` if given.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}")
    files: list[InputFile] = []
    skipped: list[str] = []
    for given in inputs:
        if given == STDIN:
            fmt = format or "jsonl"
            suffix = f".{stdin_codec}" if stdin_codec else ""
            files.append(InputFile(STDIN, f"stdin.{fmt}{suffix}", fmt, stdin_codec))
            continue
        path = Path(given)
        if path.is_dir():
            _walk(path, files, skipped, unreadable)
        elif _regular(path):
            named, codec = of_name(path.name)
            chosen = format or named
            if chosen is None:
                raise InputError(
                    f"unknown file type (known: {describe_suffixes()}, each optionally "
                    ".gz, .zst, .bz2 or .xz); name its format with --format",
                    given,
                )
            files.append(InputFile(given, path.name, chosen, codec))
        elif path.exists() or path.is_symlink():
            raise InputError("not a regular file or folder", given)
        else:
            raise InputError("no such file or folder", given)
    seen: dict[str, str] = {}
    for f in files:
        if f.rel in seen:
            raise OutputError(
                f"{seen[f.rel]} and {f.path} would both be written to {f.rel}; "
                "clean them in separate runs"
            )
        seen[f.rel] = f.path
    return files, skipped


def _walk(
    root: Path,
    files: list[InputFile],
    skipped: list[str],
    unreadable: list[tuple[InputFile, InputError]] | None,
) -> None:
    """Files under ``root`` in sorted path order (a folder's entries sorted by name, a
    subfolder's files at the subfolder's place), without following linked folders."""

    def listing(folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as it:
                return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            where = str(exc.filename or folder)
            error = InputError(f"cannot read folder ({exc.strerror or exc})", where)
            if unreadable is None:
                raise error from None
            rel = Path(where).relative_to(root).as_posix() if where != str(root) else "."
            unreadable.append((InputFile(where, rel, "dir"), error))
            return []

    stack = [iter(listing(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        full = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            stack.append(iter(listing(full)))
            continue
        fmt, codec = of_name(entry.name)
        if fmt is None or not _regular(full):
            skipped.append(str(full))  # another type, or no regular file (FIFO, device…)
            continue
        files.append(InputFile(str(full), full.relative_to(root).as_posix(), fmt, codec))


def _resolve(path: Path, what: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise OutputError(f"{what} {path}: cannot resolve its path ({exc})") from None


def plan_outputs(files: list[InputFile], inputs: list[str], output: str, force: bool) -> None:
    """Refuse an OUTPUT folder that is an input, lies inside one, contains one, or would
    overwrite files."""
    out = _resolve(Path(output), "OUTPUT")
    if out.exists() and not out.is_dir():
        raise OutputError(f"OUTPUT {output} exists and is not a folder")
    for given in inputs:
        if given == STDIN:
            continue
        src = _resolve(Path(given), "input")
        if out == src or (src.is_dir() and out.is_relative_to(src)):
            raise OutputError(f"OUTPUT {output} is inside the input {given}; choose another folder")
        if src.is_relative_to(out):
            raise OutputError(f"OUTPUT {output} contains the input {given}; choose another folder")
    sources = {_resolve(Path(f.path), "input") for f in files if f.path != STDIN}
    for f in files:
        target = out / f.rel
        resolved = _resolve(target, "output file")
        if not resolved.is_relative_to(out) or ".." in Path(f.rel).parts:
            raise OutputError(f"{target} would be written outside OUTPUT {output}")
        if resolved in sources:
            raise OutputError(f"writing {target} would overwrite the input {f.path}")
        if target.exists() and not force:
            raise OutputError(f"{target} already exists (use --force to overwrite)")


def check_report_path(
    report: str,
    files: list[InputFile],
    output: str | None,
    force: bool,
    inputs: list[str] | None = None,
) -> None:
    """Refuse a report path that is an input, lies inside an input folder or OUTPUT, or
    is an existing file."""
    path = _resolve(Path(report), "the report")
    if path in {_resolve(Path(f.path), "input") for f in files if f.path != STDIN}:
        raise OutputError(f"the report {report} would overwrite an input")
    for given in inputs or []:
        if given == STDIN or not Path(given).is_dir():
            continue
        if path.is_relative_to(_resolve(Path(given), "input")):
            raise OutputError(
                f"the report {report} lies inside the input folder {given}; put it elsewhere"
            )
    if output is not None and output != STDIN:
        out = _resolve(Path(output), "OUTPUT")
        if path.is_relative_to(out):
            raise OutputError(f"the report {report} lies inside OUTPUT {output}; put it elsewhere")
    if path.is_dir():
        raise OutputError(f"the report {report} is a folder")
    if path.exists() and not force:
        raise OutputError(f"{report} already exists (use --force to overwrite)")
