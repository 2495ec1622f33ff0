"""Daily runs against a persistent index (SQLite file, real redis-server): a labelled corpus
cleaned day by day gives the removals of one run over the days so far; streams differ from
two-pass runs only as documented in `dedupe.indexed`."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest

from dedupe import Cleaner, CleanerConfig
from dedupe.store import open_store

from .daily_corpus import CONFIG, Record, daily, plain, removals, story


@pytest.fixture(params=["sqlite", "sqlite-folding", "redis"])
def index_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-folding":  # the recent twins folded in on some days
        from dedupe.store import sqlite

        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(sqlite, "MERGE_MIN_ROWS", 0)
        monkeypatch.setattr(sqlite, "MERGE_SHARE", 0.6)
    if request.param.startswith("sqlite"):
        return str(tmp_path / "index.db")
    url: str = request.getfixturevalue("redis_url")
    return url


def test_day_by_day_gives_the_removals_of_one_run_over_the_days_so_far(
    days: list[list[Record]], index_at: str
) -> None:
    """Day d against the index of days 1..d-1 = a single run over days 1..d, restricted to
    day d (same cleaned texts, removals, drops and kept copies), except where a decision
    rests on an earlier day's article whose published text that run would have cleaned
    otherwise (the index holds it as it was published). So earlier days differ from one
    run over everything only where a later day brought a line to the boilerplate count."""
    store = open_store(index_at)
    everything = plain([r for day in days for r in day])
    published: dict[str, tuple[Any, ...]] = {}
    differences: collections.Counter[str] = collections.Counter()
    explained = 0
    for d, records in enumerate(days):
        got = removals(Cleaner(CONFIG, index=store, daily=daily(d)).clean(records))
        oracle = plain([r for day in days[: d + 1] for r in day])
        changed = {k for k, v in published.items() if v[0] != oracle[k][0]}
        for r in records:  # in input order: a difference may explain a later one
            mine, theirs = got[r["id"]], oracle[r["id"]]
            if mine != theirs:
                assert _rests_on(mine, changed) or _rests_on(theirs, changed), (d, r["id"])
                changed.add(r["id"])
                explained += 1
        published.update(got)
        for r in records:
            a, b = everything[r["id"]], got[r["id"]]
            for row in set(a[2]) ^ set(b[2]):
                differences[row[0]] += 1
    store.close()
    # against one run over everything (which the last day is checked against above), the
    # earlier days differ: mostly by boilerplate not yet counted, and by what follows
    assert differences["boilerplate"] == max(differences.values())


def _rests_on(outcome: tuple[Any, ...], changed: set[str]) -> bool:
    """Whether a dropped article's kept copy is one whose text differs."""
    return any(row[0] == "document" and row[2] in changed for row in outcome[2])


def test_an_empty_index_changes_nothing(days: list[list[Record]], index_at: str) -> None:
    records = days[0] + days[1]
    for config in (CONFIG, CONFIG.replace(keep="longest", site_field=None, url_field=None)):
        store = open_store(index_at)
        got = removals(Cleaner(config, index=store, daily=daily(0)).clean(records))
        store.close()
        assert got == plain(records, config)
        # the next run starts from what this one kept: its copies are dropped now
        store = open_store(index_at)
        again = removals(Cleaner(config, index=store, daily=daily(1)).clean(records[:40]))
        store.close()
        assert all(dropped for _, dropped, _ in again.values())
        index_at = index_at.replace("index.db", "index2.db").replace("prefix=", "prefix=again-")


def test_a_stream_differs_from_a_run_only_by_boilerplate_counted_so_far(
    days: list[list[Record]],
) -> None:
    records = [r for day in days[:3] for r in day]
    quiet = CONFIG.replace(boilerplate=False)
    assert removals(Cleaner(quiet).stream(records)) == plain(records, quiet)
    streamed = removals(Cleaner(CONFIG).stream(records, checkpoint_records=50))
    small = removals(Cleaner(CONFIG).stream(records, checkpoint_records=None, batch_size=3))
    assert streamed == small  # batches and checkpoints change nothing
    run = plain(records)
    only: collections.Counter[str] = collections.Counter()
    changed: set[str] = set()
    for r in records:  # in order: an article cleaned otherwise may explain a later drop
        ident = r["id"]
        (text, dropped, rows), mine = run[ident], streamed[ident]
        if mine[1] != dropped or (mine[1] and mine != run[ident]):
            assert _rests_on(mine, changed) or _rests_on(run[ident], changed), ident
        elif not dropped:
            assert not set(mine[2]) - set(rows), ident  # the stream removes no more ...
            for row in set(rows) - set(mine[2]):
                only[row[0]] += 1  # ... but lines not yet counted stay
        if mine[0] != text:
            changed.add(ident)
    assert set(only) <= {"boilerplate", "headline", "paragraph"}
    assert only["boilerplate"] == max(only.values())


def test_a_stream_removes_a_line_once_its_count_is_reached() -> None:
    footer = "Follow the Harbour Times on social media for more."
    records = [
        {"id": f"a{i}", "site": "ht", "text": story(i, ".") + "\n\n" + footer} for i in range(8)
    ]
    config = CleanerConfig(site_field="site", boilerplate_min_docs=5)
    streamed = list(Cleaner(config).stream(records))
    two_pass = list(Cleaner(config).clean(records))
    assert all(footer not in r.text for r in two_pass)
    kept_it = [footer in r.text for r in streamed]
    assert kept_it == [True] * 4 + [False] * 4  # removed from the fifth story on


def test_a_stream_continues_against_the_index(days: list[list[Record]], tmp_path: Path) -> None:
    store = open_store(tmp_path / "i.db")
    first = removals(Cleaner(CONFIG, index=store, daily=daily(0)).stream(days[0] + days[1]))
    again = removals(Cleaner(CONFIG, index=store, daily=daily(1)).stream(days[1][:30]))
    assert all(again[r["id"]][1] for r in days[1][:30] if not first[r["id"]][1])
    runs = list(store.items("runs"))
    assert len(runs) == -(-len(days[0] + days[1]) // 1000) + 1
    store.close()
