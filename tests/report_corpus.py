"""A small real run for the report, explain and browser tests: BBC articles (read from
../shared/data at test time) with the damage each rule removes, cleaned by the real
`dedupe clean` (CliRunner), which writes the report the tests read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .data import BBC, need, paragraphs
from .test_cli import assert_ok, clean

BOILERPLATE = "Share this story: Facebook | Twitter | Email"


@dataclass(frozen=True)
class Run:
    src: Path  # the inputs (a folder)
    out: Path
    report: Path
    stderr: str
    texts: dict[str, str]  # id -> original text
    headline_doc: str  # an article whose title is printed twice
    paragraph_doc: str  # an article with a paragraph repeated
    kept_doc: str  # the first of three near duplicates (in JSONL, read first): kept
    dropped_docs: tuple[str, ...]  # the other two (.txt files): dropped
    boiler_docs: tuple[str, ...]  # articles ending in the boilerplate line

    def all_rows(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.report.read_text(encoding="utf-8").splitlines()]

    def rows(self) -> list[dict[str, Any]]:
        """The report's removal rows (not its title and summary rows)."""
        return [r for r in self.all_rows() if r["rule"] not in ("title", "summary", "file", "run")]


def _edit(text: str, every: int) -> str:
    """Replace one word in ``every`` with another, deterministically."""
    words = text.split(" ")
    for k in range(3, len(words), every):
        words[k] = "changed"
    return " ".join(words)


def build(root: Path) -> Run:
    need(BBC)
    src = root / "in"
    (src / "sub").mkdir(parents=True)
    texts: dict[str, str] = {}

    def put(rel: str, text: str) -> None:
        (src / rel).write_text(text, encoding="utf-8")
        texts[rel] = text

    bases = [(BBC / "business" / f"{n:03d}.txt").read_text(encoding="utf-8") for n in range(1, 25)]
    boiler = []
    for n, text in enumerate(bases[:20], 1):
        if n <= 8:  # a share line under 8 of the 20 stories: boilerplate
            text = text.rstrip("\n") + "\n\n" + BOILERPLATE + "\n"
            boiler.append(f"b{n:02d}.txt")
        put(f"b{n:02d}.txt", text)
    title, *rest = paragraphs(bases[20])
    put("headline.txt", "\n\n".join([title, title, *rest]) + "\n")  # the title printed twice
    paras = paragraphs(bases[21])
    longest = max(paras[1:], key=len)
    put("paragraph.txt", "\n\n".join([*paras, longest]) + "\n")  # a paragraph repeated
    original = bases[22]
    put("sub/original.txt", original)
    put("sub/copy.txt", _edit(original, 40))  # a near duplicate, a few words changed
    record = {"id": "wire-1", "title": "Wire copy", "text": _edit(original, 30), "site": "wire"}
    other = {"id": "wire-2", "title": "Other", "text": bases[23], "site": "wire"}
    (src / "feed.jsonl").write_text(
        json.dumps(record) + "\n" + json.dumps(other) + "\n", encoding="utf-8"
    )
    texts["wire-1"], texts["wire-2"] = record["text"], other["text"]
    out, report = root / "out", root / "report.jsonl"
    result = clean(src, "-o", out, "--report", report, "--jobs", "1")
    assert_ok(result)
    return Run(
        src, out, report, result.stderr, texts, "headline.txt", "paragraph.txt",
        "wire-1", ("sub/copy.txt", "sub/original.txt"), tuple(boiler),
    )  # fmt: skip


_RUNS: list[Run] = []


def shared_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The run, built once per test session (for each module's ``run`` fixture)."""
    if not _RUNS:
        _RUNS.append(build(tmp_path_factory.mktemp("report-run")))
    return _RUNS[0]
