"""A labelled corpus split into days, for the index tests: the hard corpus of
``bench/make_corpus.py --hard`` (real BBC, asprout and Reuters articles with scrape
damage, syndicated copies and per-site boilerplate), generated once per test session
from ``../shared/data`` and dealt into five days at random (seeded), each day in the
corpus's order."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from dedupe import Cleaner, CleanerConfig, Result
from dedupe.indexed import Daily

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DAYS = 5
FIRST_DAY = dt.date(2024, 3, 1)
CONFIG = CleanerConfig(site_field="site")

Record = dict[str, Any]


@pytest.fixture(scope="session")
def days(tmp_path_factory: pytest.TempPathFactory) -> list[list[Record]]:
    """Five days of records (each with a ``date`` field)."""
    if not (DATA / "bbc_news_fulltext").is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    out = tmp_path_factory.mktemp("hard")
    bench = str(REPO / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    make_corpus = importlib.import_module("make_corpus")
    args = ["--hard", "--articles", "250", "--seed", "5", "--out", str(out)]
    assert make_corpus.main(args) == 0
    records = [
        json.loads(line)
        for path in sorted((out / "jsonl").glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]
    rng = random.Random(12)
    split: list[list[Record]] = [[] for _ in range(DAYS)]
    for r in records:
        split[rng.randrange(DAYS)].append(r)
    for d, day in enumerate(split):
        for r in day:
            r["date"] = date(d).isoformat()
    return split


def date(d: int) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=d)


def daily(d: int, **options: Any) -> Daily:
    return Daily(run_date=date(d), **options)


def removals(results: Any) -> dict[str, tuple[Any, ...]]:
    """What a run did to each article: its cleaned text, whether it was dropped, and each
    removal's rule and segment (and for a dropped article the id of the article kept)."""
    out: dict[str, tuple[Any, ...]] = {}
    for r in results:
        assert isinstance(r, Result)
        rows = tuple(
            (x.rule, x.segment, x.matched_doc if x.rule == "document" else None) for x in r.removals
        )
        out[r.article.id] = (r.text, r.dropped, rows)
    return out


def plain(records: list[Record], config: CleanerConfig = CONFIG) -> dict[str, tuple[Any, ...]]:
    return removals(Cleaner(config).clean(records))


def story(seed: int, end: str = "") -> str:
    """A small synthetic story of three 25-word paragraphs (each ended by ``end``), all
    different for different seeds: the index tests' stand-in for distinct articles."""
    words = ["council", "harbour", "budget", "winter", "museum", "railway", "tariff",
             "vaccine", "clinic", "festival"]  # fmt: skip
    body = [
        " ".join(
            words[(seed * 7 + i * 3 + j) % len(words)] + str(seed * 100 + i) for j in range(25)
        )
        + end
        for i in range(3)
    ]
    return f"Story number {seed}\n\n" + "\n\n".join(body)
