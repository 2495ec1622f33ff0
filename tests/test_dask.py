"""The Dask engine on a real LocalCluster (2 worker processes): the same output and report
as the local engine, byte for byte, whatever the number of partitions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dedupe import Cleaner, CleanerConfig

from .data import DATA, need
from .test_cli import assert_ok, clean, untimed

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[1]
BANNER = (
    "Sign up for our free morning newsletter and get the biggest stories of the day "
    "delivered to your inbox before breakfast, every day of the week."
)
COPIES = 2000


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster of 2 single-threaded worker processes."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _corpus(tmp: Path, *options: str) -> Path:
    need(DATA / "bbc_news_fulltext")
    out = tmp / "corpus"
    command = [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "--articles", "300"]
    subprocess.run([*command, "--seed", "1", *options, "--out", str(out)], check=True,
                   capture_output=True)  # fmt: skip
    return out / "jsonl"


@pytest.fixture(scope="module")
def easy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("easy"))


@pytest.fixture(scope="module")
def giant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hard corpus with a banner on every page, and thousands of identical articles."""
    hard = _corpus(tmp_path_factory.mktemp("hard"), "--hard")
    out = tmp_path_factory.mktemp("giant")
    records: list[dict[str, Any]] = []
    for path in sorted(hard.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            record = json.loads(line)
            record["text"] = record["text"].rstrip() + "\n\n" + BANNER + "\n"
            records.append(record)
        (out / path.name).write_text(
            "".join(json.dumps(r) + "\n" for r in records[-len(lines) :]), encoding="utf-8"
        )
    short = [r for r in records if 60 <= len(r["text"].split()) <= 120]
    copy = short[0]  # a short page: thousands of copies, cheap to clean
    (out / "zz-copies.jsonl").write_text(
        "".join(json.dumps({**copy, "id": f"copy-{i}"}) + "\n" for i in range(COPIES)),
        encoding="utf-8",
    )
    return out


def _run(tmp: Path, name: str, inputs: Path, *options: str) -> tuple[dict[str, bytes], list[Any]]:
    out, report = tmp / f"out-{name}", tmp / f"report-{name}.jsonl"
    result = clean(inputs, "-o", out, "--report", report, "-q", *options)
    assert_ok(result)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))}
    return files, untimed(report.read_bytes())


def test_same_output_as_local_engine(tmp_path: Path, easy: Path, scheduler: str) -> None:
    local = _run(tmp_path, "local", easy)
    dropped = sum(1 for row in local[1] if row.get("rule") == "document")
    assert dropped > 50 and any(row.get("rule") == "boilerplate" for row in local[1])
    for parts in ("7",):
        on_dask = _run(tmp_path, f"dask{parts}", easy, "--engine", "dask", "--scheduler",
                       scheduler, "--partitions", parts)  # fmt: skip
        assert on_dask == local


def test_giant_buckets_same_output_as_local_engine(
    tmp_path: Path, giant: Path, scheduler: str
) -> None:
    local = _run(tmp_path, "local", giant)
    rows = local[1]
    copies = [r for r in rows if r.get("rule") == "document" and r["doc"].startswith("copy-")]
    assert len(copies) >= COPIES - 1  # all but the first copy, or all: it copies a page
    assert any(r.get("rule") == "boilerplate" and r["text"] == BANNER for r in rows)
    for parts in ("7", "1"):
        on_dask = _run(tmp_path, f"dask{parts}", giant, "--engine", "dask", "--scheduler",
                       scheduler, "--partitions", parts)  # fmt: skip
        assert on_dask == local


def test_keep_longest_same_as_local_engine(tmp_path: Path, easy: Path, scheduler: str) -> None:
    local = _run(tmp_path, "local", easy, "--keep", "longest")
    on_dask = _run(tmp_path, "dask", easy, "--keep", "longest", "--engine", "dask",
                   "--scheduler", scheduler, "--partitions", "3")  # fmt: skip
    assert on_dask == local


def test_resumes_from_the_last_finished_stage(tmp_path: Path, scheduler: str) -> None:
    from dedupe.engine.dask import DaskCleaner

    records = _records()
    expected = [(r.text, r.dropped) for r in Cleaner().clean(records)]
    work = tmp_path / "work"
    with distributed.Client(scheduler) as client:
        first = DaskCleaner(None, client, work, 3)
        assert [(r.text, r.dropped) for r in first.clean(records)] == expected
        assert first.work.resumed == []
        (work / "documents" / "_DONE").unlink()  # as if the run had failed there
        again = DaskCleaner(None, client, work, 3)
        assert [(r.text, r.dropped) for r in again.clean(records)] == expected
        assert again.work.resumed == ["input", "survey", "stories", "counts", "decide"]
        other = DaskCleaner(CleanerConfig(seed=2), client, work, 3)  # other settings: afresh
        list(other.clean(records))
        assert other.work.resumed == []


def _records() -> list[dict[str, Any]]:
    from .data import bbc_articles

    texts = bbc_articles("business", 30)
    records = [{"id": i, "text": t + "\nShare this article\n"} for i, t in enumerate(texts)]
    records += [{"id": f"copy-{i}", "text": "LONDON -\n\n" + texts[i]} for i in range(0, 30, 4)]
    return records


def test_bags_and_dataframes(tmp_path: Path, scheduler: str) -> None:
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd

    import dedupe.dask

    records = _records()
    local = [r for r in Cleaner().clean(records)]
    kept = [r.text for r in local if not r.dropped]
    removals = sum(len(r.removals) for r in local)
    with distributed.Client(scheduler):
        bag = db.from_sequence(records, npartitions=4)
        cleaned, report = dedupe.dask.clean(bag, workdir=str(tmp_path / "bag"))
        got = cleaned.compute()
        assert [r["text"] for r in got] == kept
        assert [str(r["id"]) for r in got] == [r.article.id for r in local if not r.dropped]
        assert len([r for r in report.compute() if r["rule"] != "title"]) == removals
        frame = dd.from_pandas(pd.DataFrame(records).astype({"id": str}), npartitions=3)
        cleaned_frame, _ = dedupe.dask.clean(frame, workdir=str(tmp_path / "frame"))
        out = cleaned_frame.compute()
        assert list(out.columns) == ["id", "text"]
        assert out["text"].tolist() == kept


def test_without_the_extra_one_line_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("Some text.\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    result = clean(tmp_path / "a.txt", "-o", tmp_path / "out", "--engine", "dask")
    assert result.exit_code == 1
    assert "[dask]'" in result.stderr and "pip install" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_index_is_refused_on_the_dask_engine(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("One line of an article.\n", encoding="utf-8")
    result = clean(article, "-o", tmp_path / "out", "--engine", "dask", "--index",
                   tmp_path / "index.db")  # fmt: skip
    assert result.exit_code == 2
    assert "--index and --stream work with the local engine only." in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "index.db").exists()


def test_a_failure_on_the_cluster_is_one_line(scheduler: str) -> None:
    import dedupe.dask
    from dedupe.errors import DedupeError

    failed = r"^the Dask cluster failed: RuntimeError: P2P lost \(run again\)$"
    with pytest.raises(DedupeError, match=failed), dedupe.dask.cleaner(scheduler=scheduler):
        raise RuntimeError("P2P lost")  # as a failed shuffle reaches the client
