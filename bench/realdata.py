"""Shared pieces of the real-data benchmarks (precision.py, zyte.py, l3s.py).

Running ``python -m dedupe clean`` on a corpus written to disk, reading its
output and report back, matching output lines to input lines, and writing a
generated table between markers in ``bench/README.md``.  Deterministic: inputs
are written and read in sorted order; nothing depends on ``hash()`` or set order.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchlib import CACHE, DEFAULT_DATA, REPO

# Report rows that cut text out of a kept article (others: document, title, error, ...).
CUT_RULES = ("headline", "paragraph", "boilerplate")

__all__ = [
    "CACHE",
    "DEFAULT_DATA",
    "REPO",
    "align",
    "dedupe_commit",
    "dedupe_has_option",
    "line_spans",
    "md_table",
    "multiset_lost",
    "pct",
    "quote",
    "read_jsonl_output",
    "read_report",
    "read_txt_output",
    "removed_lines",
    "replace_block",
    "run_dedupe",
    "share",
    "write_text",
]


def replace_block(readme: Path, start: str, end: str, body: str) -> None:
    """Put ``body`` between the ``start`` and ``end`` markers (appended when absent)."""
    text = readme.read_text("utf-8") if readme.exists() else ""
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        pre, rest = text.split(start, 1)
        post = rest.split(end, 1)[1]
        text = pre + block + post
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, "utf-8")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, byte for byte (no newline translation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@functools.lru_cache(maxsize=1)
def _clean_help() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dedupe", "clean", "--help"],
        check=True,
        env=_env(),
        capture_output=True,
        text=True,
    )
    return done.stdout


def dedupe_has_option(option: str) -> bool:
    """Whether ``dedupe clean --help`` lists ``option`` (e.g. ``--paragraph-separator``)."""
    return re.search(rf"(^|[\s,]){re.escape(option)}([\s=,]|$)", _clean_help(), re.M) is not None


def run_dedupe(
    inputs: Sequence[Path], out: Path, report: Path, extra: Sequence[str] = ()
) -> tuple[float, str]:
    """Run ``python -m dedupe clean INPUTS -o OUT --report REPORT EXTRA``.

    ``out`` and ``report`` are replaced.  Returns (seconds, the summary on stderr).
    """
    shutil.rmtree(out, ignore_errors=True)
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "dedupe", "clean", *map(str, inputs), "-o", str(out)]
    cmd += ["--report", str(report), *extra]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"dedupe clean failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.stderr.strip()


def dedupe_commit() -> str:
    """The last commit that changed ``dedupe/`` (``+modified`` when the tree differs)."""
    try:
        last = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%h", "--", "dedupe"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "dedupe"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return (last or "unknown") + ("+modified" if dirty else "")


def read_report(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if "doc" in r]  # not the run's summary, file and run rows


def read_txt_output(out: Path) -> dict[str, str]:
    """Relative posix path -> text of every ``.txt`` file under ``out``."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes().decode("utf-8")
        for p in sorted(out.rglob("*.txt"))
    }


def read_jsonl_output(out: Path) -> dict[str, dict[str, Any]]:
    """id -> record of every ``.jsonl`` file under ``out``."""
    got: dict[str, dict[str, Any]] = {}
    for p in sorted(out.rglob("*.jsonl")):
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    got[str(rec["id"])] = rec
    return got


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def pct(x: float | None, digits: int = 2) -> str:
    """A share as a percentage (``n/a`` when undefined)."""
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def md_cell(value: object) -> str:
    text = str(value).replace("\n", "⏎").replace("|", "\\|")
    return text


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(md_cell(c) for c in row) + " |")
    return "\n".join(lines)


def quote(text: str, width: int = 90) -> str:
    """A line for a table cell: in backticks, cut to ``width`` characters."""
    text = text if len(text) <= width else text[: width - 1] + "…"
    return "`" + text.replace("`", "'") + "`"


def multiset_lost(before: Iterable[str], after: Iterable[str]) -> Counter[str]:
    """Items of ``before`` that are not in ``after``, counted as a multiset."""
    lost = Counter(before)
    lost.subtract(Counter(after))
    return +lost


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each line of ``text`` (without its newline)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def removed_lines(spans: Sequence[tuple[int, int]], cuts: Iterable[tuple[int, int]]) -> list[bool]:
    """Which line spans overlap one of the removed ``cuts`` (start, end offsets)."""
    ordered = sorted(cuts)
    flags: list[bool] = []
    for s, e in spans:
        hit = False
        for cs, ce in ordered:
            if cs >= max(e, s + 1):
                break
            if ce > s and cs < max(e, s + 1):
                hit = True
                break
        flags.append(hit)
    return flags


def align(inp: Sequence[str], out: Sequence[str]) -> list[bool] | None:
    """Kept flags for ``inp`` when ``out`` is ``inp`` with lines removed (greedy, leftmost).

    Returns None when ``out`` is not a subsequence of ``inp``.
    """
    flags = [False] * len(inp)
    i = 0
    for line in out:
        while i < len(inp) and inp[i] != line:
            i += 1
        if i == len(inp):
            return None
        flags[i] = True
        i += 1
    return flags
