"""Which files a run reads, and where each one's cleaned copy goes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, OutputError

STDIN = "-"
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Fields:
    """Names of the JSONL fields that hold the id, the title and the text."""

    id: str = "id"
    title: str = "title"
    text: str = "text"


@dataclass(frozen=True)
class InputFile:
    """One input: its path (``-`` for stdin), its path relative to OUTPUT, and its kind."""

    path: str
    rel: str
    kind: str  # "txt" or "jsonl" ("dir" only for a folder that could not be read)

    @property
    def gzip(self) -> bool:
        return self.path.endswith(".gz")


def _kind(name: str) -> str | None:
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TEXT_SUFFIXES):
        return "txt"
    return None


def discover(
    inputs: list[str], unreadable: list[tuple[InputFile, InputError]] | None = None
) -> tuple[list[InputFile], list[str]]:
    """Input files in order, and the files skipped in folders for their type.

    Folders are walked recursively in sorted path order, skipping hidden
    entries; a file named directly is read as JSONL if it ends in ``.jsonl``
    or ``.jsonl.gz`` and as one text article otherwise. A folder that cannot be
    listed raises `InputError`, or is appended to ``unreadable`` if given.
    """
    files: list[InputFile] = []
    skipped: list[str] = []
    for given in inputs:
        if given == STDIN:
            files.append(InputFile(STDIN, "stdin.jsonl", "jsonl"))
            continue
        path = Path(given)
        if path.is_dir():

            def walk_error(exc: OSError, root: Path = path) -> None:
                where = str(exc.filename or root)
                error = InputError(f"cannot read folder ({exc.strerror or exc})", where)
                if unreadable is None:
                    raise error
                rel = Path(where).relative_to(root).as_posix() if where != str(root) else "."
                unreadable.append((InputFile(where, rel, "dir"), error))

            for dirpath, dirnames, filenames in os.walk(path, onerror=walk_error):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    full = Path(dirpath) / name
                    kind = _kind(name)
                    if kind is None:
                        skipped.append(str(full))
                        continue
                    files.append(InputFile(str(full), full.relative_to(path).as_posix(), kind))
        elif path.is_file():
            files.append(InputFile(given, path.name, _kind(path.name) or "txt"))
        elif path.exists():
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


def plan_outputs(files: list[InputFile], inputs: list[str], output: str, force: bool) -> None:
    """Refuse an OUTPUT folder that is an input, lies inside one, or would overwrite files."""
    out = Path(output).resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"OUTPUT {output} exists and is not a folder")
    for given in inputs:
        if given == STDIN:
            continue
        src = Path(given).resolve()
        if out == src or (src.is_dir() and out.is_relative_to(src)):
            raise OutputError(f"OUTPUT {output} is inside the input {given}; choose another folder")
    sources = {Path(f.path).resolve() for f in files if f.path != STDIN}
    for f in files:
        target = out / f.rel
        if not target.resolve().is_relative_to(out) or ".." in Path(f.rel).parts:
            raise OutputError(f"{target} would be written outside OUTPUT {output}")
        if target.resolve() in sources:
            raise OutputError(f"writing {target} would overwrite the input {f.path}")
        if target.exists() and not force:
            raise OutputError(f"{target} already exists (use --force to overwrite)")


def check_report_path(report: str, files: list[InputFile], output: str | None, force: bool) -> None:
    """Refuse a report path that is an input, an output file, or an existing file."""
    path = Path(report).resolve()
    if path in {Path(f.path).resolve() for f in files if f.path != STDIN}:
        raise OutputError(f"the report {report} would overwrite an input")
    if output is not None and output != STDIN:
        out = Path(output).resolve()
        if path.is_relative_to(out):
            raise OutputError(f"the report {report} lies inside OUTPUT {output}; put it elsewhere")
    if path.is_dir():
        raise OutputError(f"the report {report} is a folder")
    if path.exists() and not force:
        raise OutputError(f"{report} already exists (use --force to overwrite)")
