"""`restore_tree`: rebuild the inputs of a `dedupe clean` run from its output and report.

Every removal row names its output ``file`` and (JSONL) input ``line`` and holds
exactly what was cut (``cut_start``, ``cut_text``), so

* a cleaned ``.txt`` file is restored by putting the cuts back (`unsplice`);
* a dropped ``.txt`` file is its ``document`` row's ``cut_text``;
* a cleaned JSONL file keeps its input's line structure: unchanged records,
  blank lines and kept bad lines are copied, a cleaned record gets its original
  text back (escaped as the original was: ``text_json``/``raw_text``), and a
  dropped record's line (``raw_line``) is put back at its line number.

Bad input that clean copied through (``--on-error keep``) is copied back; bad
input it skipped is not in the output and is listed as not restorable.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError, RestoreError
from .io.jsontext import split_line, value_span
from .io.paths import _kind, discover
from .io.readers import pieces
from .io.writers import atomic_write
from .segment import unsplice

Row = dict[str, Any]
RESTORED_RULES = frozenset({"headline", "paragraph", "boilerplate", "document", "error"})


@dataclass
class RestoreOutcome:
    files: int = 0  # files written
    changed: int = 0  # of which removals were put back into
    missing: list[str] = field(default_factory=list)  # bad inputs that clean skipped


@dataclass
class _Plan:
    """The report's rows, by output file."""

    cuts: dict[tuple[str, int | None], list[Row]] = field(default_factory=lambda: defaultdict(list))
    dropped_text: dict[str, Row] = field(default_factory=dict)
    dropped_lines: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    errors: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))

    def files(self) -> set[str]:
        return (
            {f for f, _ in self.cuts}
            | set(self.dropped_text)
            | set(self.dropped_lines)
            | set(self.errors)
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
            if isinstance(row, dict) and row.get("rule", "headline") not in RESTORED_RULES:
                continue  # a title, summary or other row that records no cut
            file = row["file"]
            rule = row["rule"]
        except (ValueError, KeyError, TypeError):
            raise RestoreError(
                f"{report}:{number}: not a report row of this dedupe version "
                "(each row needs 'file' and 'rule')"
            ) from None
        if not isinstance(file, str) or not file:
            raise RestoreError(f"{report}:{number}: row without a file")
        line = row.get("line")
        if rule == "error":
            plan.errors[file].append(row)
        elif rule == "document" and line is None:
            plan.dropped_text[file] = row
        elif rule == "document":
            if "raw_line" not in row:
                raise RestoreError(f"{report}:{number}: a dropped JSONL record without raw_line")
            plan.dropped_lines[file][int(line)] = row["raw_line"]
        else:
            plan.cuts[(file, line)].append(row)
    return plan


def _put_back(text: str, rows: list[Row]) -> str:
    return unsplice(text, [(int(r["cut_start"]), str(r["cut_text"])) for r in rows])


def _restore_record(piece: bytes, rows: list[Row], text_field: str, where: str) -> bytes:
    try:
        line, end = split_line(piece)
        start, stop = value_span(line, text_field)
        cleaned = json.loads(line[start:stop])
    except ValueError as exc:
        raise RestoreError(f"{where}: cannot find the text field ({exc})") from None
    if not isinstance(cleaned, str):
        raise RestoreError(f"{where}: field {text_field!r} is not a string")
    original = _put_back(cleaned, rows)
    style = rows[0].get("text_json", "unicode")
    if style == "raw":
        token = next(str(r["raw_text"]) for r in rows if r.get("raw_text") is not None)
    else:
        token = json.dumps(original, ensure_ascii=style == "ascii")
    return (line[:start] + token + line[stop:]).encode("utf-8") + end


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
    src, out = Path(cleaned), Path(output)
    if not src.is_dir():
        raise RestoreError(f"CLEANED {cleaned} is not a folder")
    if out.exists() and not out.is_dir():
        raise OutputError(f"RESTORED {output} exists and is not a folder")
    s, o = src.resolve(), out.resolve()
    if o == s or o.is_relative_to(s) or s.is_relative_to(o):
        raise OutputError(f"RESTORED {output} and CLEANED {cleaned} must not contain each other")
    plan = _read_report(report)
    found, _ = discover([cleaned])
    present = {f.rel: Path(f.path) for f in found}
    outcome = RestoreOutcome()
    touched = plan.files()
    rels = sorted(set(present) | touched)
    targets = {rel: _safe_target(out, rel) for rel in rels}
    if not force:
        for target in targets.values():
            if target.exists():
                raise OutputError(f"{target} already exists (use --force to overwrite)")
    for rel in rels:
        cleaned_path = present.get(rel)
        whole = [r for r in plan.errors.get(rel, []) if r.get("line") is None]
        if whole:
            row = whole[0]
            if row.get("action") == "keep" and cleaned_path is not None:
                atomic_write(targets[rel], cleaned_path.read_bytes())
                outcome.files += 1
            else:
                outcome.missing.append(
                    f"{rel}: skipped by clean ({row.get('message')}); not restored"
                )
            continue
        kind = _kind(rel)
        if kind == "jsonl" and rel.endswith(".gz") and rel not in touched and cleaned_path:
            atomic_write(targets[rel], cleaned_path.read_bytes())  # clean copied it as it was
            outcome.files += 1
            continue
        if kind == "txt":
            data = _restore_text(rel, cleaned_path, plan)
            compress = False
        elif kind == "jsonl":
            data = _restore_jsonl(rel, cleaned_path, plan, text_field, outcome)
            compress = rel.endswith(".gz")
        else:
            raise RestoreError(f"the report names {rel}, which is neither .txt nor .jsonl")
        atomic_write(targets[rel], data, compress=compress)
        outcome.files += 1
        if (
            any(f == rel for f, _ in plan.cuts)
            or rel in plan.dropped_text
            or plan.dropped_lines.get(rel)
        ):
            outcome.changed += 1
    return outcome


def _restore_text(rel: str, path: Path | None, plan: _Plan) -> bytes:
    dropped = plan.dropped_text.get(rel)
    if dropped is not None:
        text = str(dropped["cut_text"])
    elif path is None:
        raise RestoreError(f"{rel} is in the report but missing from CLEANED")
    else:
        try:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
        except OSError as exc:
            raise RestoreError(f"{path}: {exc.strerror or exc}") from None
        text = _put_back(text, plan.cuts.get((rel, None), []))
    return text.encode("utf-8", "surrogateescape")


def _restore_jsonl(
    rel: str, path: Path | None, plan: _Plan, text_field: str, outcome: RestoreOutcome
) -> bytes:
    import gzip

    if path is None:
        raise RestoreError(f"{rel} is in the report but missing from CLEANED")
    data = path.read_bytes()
    if rel.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise RestoreError(f"{path}: not readable gzip ({exc})") from None
    dropped = plan.dropped_lines.get(rel, {})
    skipped = {
        int(r["line"]): str(r.get("message"))
        for r in plan.errors.get(rel, [])
        if r.get("line") is not None and r.get("action") != "keep"
    }
    last = max([*dropped, *skipped], default=0)
    lines = pieces(data)
    parts: list[bytes] = []
    number = 0
    while True:
        number += 1
        if number in dropped:
            parts.append(dropped[number].encode("utf-8"))
            continue
        if number in skipped:
            outcome.missing.append(
                f"{rel}:{number}: skipped by clean ({skipped[number]}); not restored"
            )
            continue
        piece = next(lines, None)
        if piece is None:
            if number > last:
                break
            raise RestoreError(f"{path} has fewer lines than the report {rel} expects")
        rows = plan.cuts.get((rel, number))
        parts.append(
            _restore_record(piece[1], rows, text_field, f"{path}:{piece[0]}") if rows else piece[1]
        )
    return b"".join(parts)
