"""`restore_tree`: rebuild the inputs of a `dedupe clean` run from its output and report.

Every removal row names its output ``file`` and record (``line``; ``row`` for
Parquet) and holds exactly what was cut (``cut_start``, ``cut_text``), so

* a cleaned ``.txt`` file is restored by putting the cuts back (`unsplice`);
  a dropped one is its ``document`` row's ``cut_text``;
* a cleaned JSONL or CSV/TSV file keeps its input's line structure: unchanged
  records, blank lines, the header and kept bad records are copied, a cleaned
  record gets its original text back (written as the original was:
  ``text_json``/``text_csv``, ``raw_text``), and a dropped record's bytes
  (``raw_line``) go back at its line;
* a cleaned Parquet file gets its original texts back and its dropped rows
  (``raw_row``) at their places, and is written with the same schema;
* a file read in another encoding (a ``file`` row) is encoded back, and a
  compressed one compressed again with its codec.

What comes back byte for byte: ``.txt``, JSONL and CSV/TSV (in their original
encoding); a compressed or Parquet file from which nothing was removed (clean
copied it as it was). A compressed file with removals comes back with the same
content; a Parquet file with removals with the same rows, values and schema.
Bad input that clean copied through (``--on-error keep``) is copied back; bad
input it skipped is not in the output and is listed as not restorable.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import InputError, OutputError, RestoreError
from .io import content, encoding
from .io.atomic import (
    AtomicFile,
    atomic_copy,
    atomic_write,
    no_interrupts,
    read_umask,
    remove_stale_temps,
)
from .io.compression import CHUNK, CompressionError
from .io.formats import FORMATS, LINES, of_name
from .io.formats import csv as csv_format
from .io.formats import jsonl as jsonl_format
from .io.formats import parquet as parquet_format
from .io.lock import locked
from .io.paths import Fields, InputFile, discover
from .io.readers import pieces
from .segment import unsplice

Row = dict[str, Any]
# Rows restore reads; any other row (a title, a summary) records no cut.
RESTORED_RULES = frozenset(
    {"headline", "paragraph", "boilerplate", "document", "error", "file", "run"}
)


@dataclass
class RestoreOutcome:
    files: int = 0  # files written
    changed: int = 0  # of which removals were put back into
    missing: list[str] = field(default_factory=list)  # bad inputs that clean skipped


@dataclass
class _Plan:
    """The report's rows, by output file."""

    cuts: dict[tuple[str, int | None], list[Row]] = field(default_factory=lambda: defaultdict(list))
    row_cuts: dict[tuple[str, int], list[Row]] = field(default_factory=lambda: defaultdict(list))
    dropped_text: dict[str, Row] = field(default_factory=dict)
    dropped_lines: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    dropped_rows: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    errors: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    inputs: dict[str, Row] = field(default_factory=dict)  # ``file`` rows
    run: Row | None = None  # the ``run`` row (reports of runs into a folder)

    def files(self) -> set[str]:
        """Files the report says something changed in (removals, drops, bad records)."""
        return (
            {f for f, _ in self.cuts}
            | {f for f, _ in self.row_cuts}
            | set(self.dropped_text)
            | {f for f, d in self.dropped_lines.items() if d}
            | {f for f, d in self.dropped_rows.items() if d}
            | set(self.errors)
        )

    def changed(self, rel: str) -> bool:
        return (
            any(f == rel for f, _ in self.cuts)
            or any(f == rel for f, _ in self.row_cuts)
            or rel in self.dropped_text
            or bool(self.dropped_lines.get(rel))
            or bool(self.dropped_rows.get(rel))
        )


def _read_report(report: str) -> _Plan:
    plan = _Plan()
    try:
        data = Path(report).read_bytes()
    except OSError as exc:
        raise RestoreError(f"{report}: {exc.strerror or exc}") from None
    for number, raw in pieces(data):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            rule = row["rule"]
            if rule not in RESTORED_RULES:
                continue  # a title, summary or other row that records no cut
            file = row["file"] if rule != "run" else None
        except (ValueError, KeyError, TypeError):
            raise RestoreError(
                f"{report}:{number}: not a report row of this dedupe version "
                "(each row needs 'file' and 'rule')"
            ) from None
        if rule == "run":
            plan.run = row
            continue
        if rule not in RESTORED_RULES:
            continue
        if not isinstance(file, str) or not file:
            raise RestoreError(f"{report}:{number}: row without a file")
        line, at_row = row.get("line"), row.get("row")
        try:
            if rule == "file":
                plan.inputs[file] = row
            elif rule == "run":
                plan.run = row
            elif rule == "error":
                plan.errors[file].append(row)
            elif rule == "document" and line is None and at_row is None:
                plan.dropped_text[file] = row
            elif rule == "document" and line is None:
                if "raw_row" not in row:
                    raise RestoreError(f"{report}:{number}: a dropped row without raw_row")
                plan.dropped_rows[file][int(at_row)] = row["raw_row"]
            elif rule == "document":
                if "raw_line" not in row:
                    raise RestoreError(f"{report}:{number}: a dropped record without raw_line")
                plan.dropped_lines[file][int(line)] = row["raw_line"]
            elif line is None and at_row is not None:
                plan.row_cuts[(file, int(at_row))].append(row)
            else:
                plan.cuts[(file, line)].append(row)
        except (TypeError, ValueError):
            raise RestoreError(f"{report}:{number}: a row with a bad line or row number") from None
    return plan


def _put_back(text: str, rows: list[Row]) -> str:
    return unsplice(text, [(int(r["cut_start"]), str(r["cut_text"])) for r in rows])


def _safe_target(out: Path, rel: str) -> Path:
    target = out / rel
    if Path(rel).is_absolute() or ".." in Path(rel).parts or "\x00" in rel:
        raise RestoreError(f"the report names a file outside RESTORED: {rel!r}")
    if not target.resolve().is_relative_to(out.resolve()):
        raise RestoreError(f"{target} would be written outside RESTORED")
    return target


def restore_tree(
    cleaned: str, report: str, output: str, text_field: str = "text", *, force: bool = False
) -> RestoreOutcome:
    """Rebuild into ``output`` every input of the clean run that wrote ``cleaned`` and
    ``report``. Inputs that clean skipped as bad are listed in ``missing``."""
    read_umask()
    src, out = Path(cleaned), Path(output)
    if not src.is_dir():
        raise RestoreError(f"CLEANED {cleaned} is not a folder")
    if out.exists() and not out.is_dir():
        raise OutputError(f"RESTORED {output} exists and is not a folder")
    s, o = src.resolve(), out.resolve()
    if o == s or o.is_relative_to(s) or s.is_relative_to(o):
        raise OutputError(f"RESTORED {output} and CLEANED {cleaned} must not contain each other")
    plan = _read_report(report)
    touched = plan.files()
    if plan.run is not None:  # the report lists the files it describes, with digests
        listed = {rel for rel, row in plan.inputs.items() if "sha256" in row}
        present = {rel: src / rel for rel in listed}
        _check_digests(src, report, plan)
    else:  # a report of an earlier version: the files found in CLEANED
        found, _ = discover([cleaned])
        present = {f.rel: Path(f.path) for f in found}
        for rel in plan.inputs:  # named by the report though their names say no format
            if rel not in present and (src / rel).is_file():
                present[rel] = src / rel
    rels = sorted(set(present) | touched | set(plan.inputs))
    targets = {rel: _safe_target(out, rel) for rel in rels}
    with locked(out, "RESTORED"):
        remove_stale_temps(list(targets.values()))
        if not force:
            for target in targets.values():
                if target.exists():
                    raise OutputError(f"{target} already exists (use --force to overwrite)")
        return _restore_all(rels, present, targets, plan, Fields(text=text_field))


def _check_digests(src: Path, report: str, plan: _Plan) -> None:
    """Refuse CLEANED files that are not the ones the report describes."""
    for rel, row in sorted(plan.inputs.items()):
        if "sha256" not in row:
            continue
        path = _safe_target(src, rel)
        try:
            sha = hashlib.sha256()
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    sha.update(chunk)
            digest = sha.hexdigest()
        except FileNotFoundError:
            raise RestoreError(
                f"{path} is missing: CLEANED is not the output the report {report} describes"
            ) from None
        except OSError as exc:
            raise RestoreError(f"{path}: {exc.strerror or exc}") from None
        if digest != row["sha256"]:
            raise RestoreError(
                f"{path} is not the file the report {report} describes (another run wrote "
                "it, or it changed since); restore needs the report of the run that made it"
            )


def _restore_all(
    rels: list[str],
    present: dict[str, Path],
    targets: dict[str, Path],
    plan: _Plan,
    fields: Fields,
) -> RestoreOutcome:
    outcome = RestoreOutcome()
    touched = plan.files()
    for rel in rels:
        cleaned_path = present.get(rel)
        whole = [r for r in plan.errors.get(rel, []) if r.get("line") is None and not r.get("row")]
        if whole:
            row = whole[0]
            if row.get("action") == "keep" and cleaned_path is not None:
                _copy(cleaned_path, targets[rel])
                outcome.files += 1
            else:
                outcome.missing.append(
                    f"{rel}: skipped by clean ({row.get('message')}); not restored"
                )
            continue
        info = plan.inputs.get(rel, {})
        named, codec = of_name(rel)
        fmt = str(info.get("format") or named or "")
        enc = str(info.get("encoding") or encoding.UTF8)
        if fmt not in FORMATS:
            raise RestoreError(f"the report names {rel}, which is of no known format")
        if cleaned_path is None:
            if fmt == "txt" and rel in plan.dropped_text:
                data = str(plan.dropped_text[rel]["cut_text"]).encode("utf-8", "surrogateescape")
                _write(targets[rel], data, enc, codec)
                outcome.files += 1
                outcome.changed += 1
                continue
            raise RestoreError(f"{rel} is in the report but missing from CLEANED")
        if rel not in touched and encoding.is_utf8(enc):
            _copy(cleaned_path, targets[rel])  # clean wrote it as it was
            outcome.files += 1
            continue
        f = InputFile(str(cleaned_path), rel, fmt, codec)
        if fmt == "txt":
            data = _restore_text(rel, f, plan)
            _write(targets[rel], data, enc, codec)
        elif fmt in LINES:
            _restore_lines(rel, f, plan, fields, outcome, targets[rel], enc)
        else:
            _restore_parquet(rel, f, plan, fields, outcome, targets[rel])
        outcome.files += 1
        if plan.changed(rel):
            outcome.changed += 1
    return outcome


def _copy(source: Path, target: Path) -> None:
    try:
        with open(source, "rb") as fh:
            atomic_copy(target, fh)
    except OSError as exc:
        raise RestoreError(f"{source}: {exc.strerror or exc}") from None


def _write(target: Path, data: bytes, enc: str, codec: str | None) -> None:
    if not encoding.is_utf8(enc):
        data = encoding.encode_back(data, enc)
    atomic_write(target, data, codec)


def _content(f: InputFile) -> IO[bytes]:
    try:
        return content.open_content(f, None)
    except InputError as exc:
        raise RestoreError(str(exc)) from None


def _restore_text(rel: str, f: InputFile, plan: _Plan) -> bytes:
    try:
        with _content(f) as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
    except (OSError, CompressionError) as exc:
        raise RestoreError(f"{f.path}: {exc}") from None
    text = _put_back(text, plan.cuts.get((rel, None), []))
    return text.encode("utf-8", "surrogateescape")


class _Sink:
    """UTF-8 pieces written to an atomic file, encoded back to ``enc`` on the way."""

    def __init__(self, target: Path, enc: str, codec: str | None) -> None:
        self.file = AtomicFile(target, codec)
        self._encoder = None if encoding.is_utf8(enc) else codecs.getincrementalencoder(enc)()

    def write(self, data: bytes) -> None:
        if self._encoder is not None:
            data = self._encoder.encode(data.decode("utf-8", "surrogatepass"))
        self.file.write(data)

    def commit(self) -> None:
        if self._encoder is not None:
            self.file.write(self._encoder.encode("", True))
        with no_interrupts():
            self.file.commit()


def _count(raw: bytes) -> int:
    return raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)


def _cleaned_records(f: InputFile, fields: Fields) -> Iterator[tuple[bytes, bool, Any]]:
    """The cleaned file's pieces: (bytes, whether a record, the CSV layout)."""
    try:
        with _content(f) as fh:
            lines = enumerate(fh, start=1)
            if f.format == "jsonl":
                for _, raw in lines:
                    yield raw, bool(raw.strip()), None
            else:
                yield from csv_format.records(lines, fields, f.path, f.format)
    except (OSError, CompressionError, InputError) as exc:
        raise RestoreError(f"{f.path}: cannot read it ({exc})") from None


def _restore_lines(
    rel: str,
    f: InputFile,
    plan: _Plan,
    fields: Fields,
    outcome: RestoreOutcome,
    target: Path,
    enc: str,
) -> None:
    dropped = dict(plan.dropped_lines.get(rel, {}))
    skipped = {
        int(r["line"]): (str(r.get("message")), int(r.get("lines", 1)))
        for r in plan.errors.get(rel, [])
        if r.get("line") is not None and r.get("action") != "keep"
    }
    with no_interrupts():
        sink = _Sink(target, enc, f.codec)
    try:
        number = 1

        def gap() -> None:
            nonlocal number
            while True:
                if number in dropped:
                    raw = dropped.pop(number).encode("utf-8")
                    sink.write(raw)
                    number += _count(raw)
                elif number in skipped:
                    message, lines = skipped.pop(number)
                    outcome.missing.append(
                        f"{rel}:{number}: skipped by clean ({message}); not restored"
                    )
                    number += lines
                else:
                    return

        for raw, is_record, layout in _cleaned_records(f, fields):
            gap()
            rows = plan.cuts.get((rel, number)) if is_record else None
            if rows and f.format == "jsonl":
                where = f"{f.path} (input line {number})"
                raw = jsonl_format.restore_record(raw, rows, fields.text, where, _put_back)
            elif rows:
                where = f"{f.path} (input line {number})"
                raw = csv_format.restore_record(raw, rows, layout, where, _put_back)
            sink.write(raw)
            number += _count(raw)
        gap()
        if dropped or skipped:
            raise RestoreError(f"{f.path} has fewer lines than the report {rel} expects")
        sink.commit()
    except BaseException:
        with no_interrupts():
            sink.file.abort()
        raise


def _restore_parquet(
    rel: str, f: InputFile, plan: _Plan, fields: Fields, outcome: RestoreOutcome, target: Path
) -> None:
    pa = parquet_format.pyarrow()
    dropped = dict(plan.dropped_rows.get(rel, {}))
    skipped = {
        int(r["row"]): str(r.get("message"))
        for r in plan.errors.get(rel, [])
        if r.get("row") is not None and r.get("action") != "keep"
    }
    with _parquet_source(f) as source:
        pf = parquet_format.open_file(source, f.path)
        schema = pf.schema_arrow
        if fields.text not in schema.names:
            raise RestoreError(f"{f.path}: no column {fields.text!r} (name it with --text-field)")
        info = parquet_format.Schema(
            schema, parquet_format.codecs_of(pf), schema.names.index(fields.text)
        )
        with no_interrupts():
            out = AtomicFile(target, f.codec)
        try:
            writer = parquet_format.Writer(out.fh, info)
            number = 0  # input rows accounted for

            def put_back() -> list[Any]:
                """Dropped rows due before the next cleaned row (skipped ones listed)."""
                nonlocal number
                rows = []
                while True:
                    if number + 1 in dropped:
                        number += 1
                        one = parquet_format.unpack_row(dropped.pop(number), f"{rel}:row {number}")
                        rows.append(pa.Table.from_batches([one]).cast(schema).to_batches()[0])
                    elif number + 1 in skipped:
                        number += 1
                        message = skipped.pop(number)
                        outcome.missing.append(
                            f"{rel}:row {number}: skipped by clean ({message}); not restored"
                        )
                    else:
                        return rows

            for batch in pf.iter_batches(batch_size=parquet_format.BATCH_ROWS):
                parts: list[Any] = []
                texts: dict[int, str] = {}
                start = 0
                for i in range(batch.num_rows):
                    rows = put_back()
                    if rows:
                        parts.append(writer.rows(batch, list(range(start, i)), texts))
                        parts += rows
                        start = i
                    number += 1
                    cuts = plan.row_cuts.get((rel, number))
                    if cuts:
                        value = batch.column(info.text)[i].as_py()
                        texts[i] = _put_back(value if isinstance(value, str) else "", cuts)
                parts.append(writer.rows(batch, list(range(start, batch.num_rows)), texts))
                writer.write_all(parts)
            writer.write_all(put_back())
            if dropped or skipped:
                raise RestoreError(f"{f.path} has fewer rows than the report {rel} expects")
            writer.close()
            with no_interrupts():
                out.commit()
        except BaseException:
            with no_interrupts():
                out.abort()
            raise


@contextlib.contextmanager
def _parquet_source(f: InputFile) -> Iterator[str | IO[bytes]]:
    """The cleaned file's path, or (compressed) a temporary file of its content."""
    if f.codec is None:
        yield f.path
        return
    with tempfile.TemporaryFile() as tmp:
        try:
            with _content(f) as fh:
                shutil.copyfileobj(fh, tmp, CHUNK)
        except (OSError, CompressionError) as exc:
            raise RestoreError(f"{f.path}: cannot read it ({exc})") from None
        tmp.seek(0)
        yield tmp
