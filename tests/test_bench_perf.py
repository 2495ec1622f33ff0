"""Smoke runs of the performance benchmarks (bench/perflib.py, speed_real.py, memory.py,
profile_stages.py, dask_engine.py) on a few real articles: real child processes, real files; the
figures are checked against what the tests measure or count themselves."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
DATA = REPO.parent / "shared" / "data"
BBC = DATA / "bbc_news_fulltext" / "bbc"


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def _bbc_jsonl(path: Path, n: int) -> list[str]:
    """The first ``n`` BBC business articles as JSONL (id, text); their ids."""
    if not BBC.exists():
        pytest.skip(f"shared data not found: {BBC}")
    files = sorted((BBC / "business").glob("*.txt"))[:n]
    ids = [f"bbc-{f.stem}" for f in files]
    with path.open("w", encoding="utf-8") as fh:
        for ident, f in zip(ids, files):
            text = f.read_bytes().decode("utf-8", "replace")
            fh.write(json.dumps({"id": ident, "text": text}) + "\n")
    return ids


# ------------------------------------------------------------------ perflib.measure


def test_peak_rss_is_the_childs_own_not_the_parents(tmp_path: Path) -> None:
    perflib = _bench("perflib")
    ballast = bytearray(300 * 1024 * 1024)  # this process now holds 300 MiB ...
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    small = perflib.measure([sys.executable, "-c", "pass"])
    big = perflib.measure(
        [
            sys.executable,
            "-c",
            "b = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1",
        ]
    )
    del ballast
    assert small.code == 0 and big.code == 0
    assert small.rss_mib < 100  # ... which a directly spawned child would report as its own
    assert 190 <= big.rss_mib - small.rss_mib < 260
    assert big.cpu > 0 and big.wall > 0


def test_measure_kills_at_the_timeout_and_the_memory_limit(tmp_path: Path) -> None:
    perflib = _bench("perflib")
    t0 = time.perf_counter()
    slow = perflib.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert slow.timed_out and not slow.over_limit and slow.code == -9
    assert time.perf_counter() - t0 < 15
    hog = (  # 8 MiB every 10 ms: the 5 ms poll sees it pass the limit even under load
        "import time\nb = bytearray(2**30)\nfor i in range(0, len(b), 4096):\n"
        "    b[i] = 1\n    if i % (8 << 20) == 0: time.sleep(0.01)"
    )
    big = perflib.measure([sys.executable, "-c", hog], rss_limit_mib=150)
    assert big.over_limit and not big.timed_out and big.code == -9
    assert 150 <= big.rss_mib < 400


def test_measure_feeds_stdin_and_keeps_stdout(tmp_path: Path) -> None:
    perflib = _bench("perflib")
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("one\ntwo\n", "utf-8")
    run = perflib.measure(["/bin/sh", "-c", "wc -l; echo err >&2"], stdin=src, stdout=dst)
    assert run.code == 0
    assert dst.read_text("utf-8").strip() == "2"
    assert run.stderr.strip() == "err"


def test_replace_block_is_idempotent(tmp_path: Path) -> None:
    perflib = _bench("perflib")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\nbefore\n", "utf-8")
    perflib.replace_block(readme, "t", "bench/x.py", "one", "## T")
    perflib.replace_block(readme, "t", "bench/x.py", "two", "## T")
    text = readme.read_text("utf-8")
    assert text.count("<!-- t:start") == 1 and text.count("## T") == 1
    assert "two" in text and "one" not in text and text.startswith("# x\n\nbefore\n")


# ------------------------------------------------------------------ speed_real.py


def test_speed_real_smoke(tmp_path: Path) -> None:
    speed_real = _bench("speed_real")
    corpus = tmp_path / "small.jsonl"
    ids = _bbc_jsonl(corpus, 30)
    readme = tmp_path / "README.md"
    readme.write_text("# bench\n", "utf-8")
    tools = "dedupe-j1,dedupe-j1-numpy,recipe"  # rensa: a bench-only dependency
    out_json = tmp_path / "results.json"
    argv = ["--corpus", str(corpus), "--runs", "1", "--tools", tools, "--recipe-max", "10"]
    argv += ["--scratch", str(tmp_path / "s"), "--json", str(out_json), "--readme", str(readme)]
    assert speed_real.main(argv) == 0
    saved = json.loads(out_json.read_text("utf-8"))
    rows = {r["tool"]: r for r in saved["summary"]}
    assert set(rows) == set(tools.split(","))
    assert rows["dedupe-j1"]["articles"] == len(ids)
    assert rows["recipe"]["articles"] == 10  # every 3rd of 30 articles
    for r in rows.values():
        assert r["runs"] == 1 and r["failed"] == 0
        assert r["aps"] == pytest.approx(r["articles"] / r["median_s"])
        assert r["rss_mib"] > 10
    info = saved["info"]
    assert info["kernels"]["dedupe-j1-numpy"].startswith("numpy")
    assert info["outputs_identical"] is True  # compiled and numpy paths: same bytes
    text = readme.read_text("utf-8")
    assert text.count("<!-- speed-real-table:start") == 1
    assert "| dedupe-j1-numpy | numpy" in text


def test_stride_sample_takes_every_kth_line(tmp_path: Path) -> None:
    speed_real = _bench("speed_real")
    src, dst = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    src.write_text("".join(f"{i}\n" for i in range(10)), "utf-8")
    assert speed_real.stride_sample(src, 4, dst) == 4
    assert dst.read_text("utf-8").split() == ["0", "3", "6", "9"]


# ------------------------------------------------------------------ memory.py


def test_generated_articles_have_their_size_and_shape() -> None:
    memory = _bench("memory")
    vocab = ["alpha", "beta", "gamma", "delta", "epsilon"]
    for shape in memory.SHAPES:
        text = "".join(memory.article_chunks(vocab, 50_000, shape, 1))
        assert len(text) == 50_000
        words = text.replace("\n", " ").replace(".", "").split()
        assert set(words[:-1]) <= set(vocab)  # the last one may be cut at the size
        lines = text.split("\n")
        if shape == "lines":
            assert len(lines) > 50_000 / 80 and max(map(len, lines)) < 80
        else:
            assert len(lines) == 1
        stops = text.count(".")
        assert (stops > 50_000 / 6 / 25) if shape == "sentences" else stops == 0


def test_memory_huge_smoke(tmp_path: Path) -> None:
    memory = _bench("memory")
    if not BBC.exists():
        pytest.skip(f"shared data not found: {BBC}")
    readme = tmp_path / "README.md"
    readme.write_text("# bench\n", "utf-8")
    argv = ["huge", "--sizes-mb", "0.05", "--shapes", "sentences", "--many-lines", "0"]
    argv += ["--scratch", str(tmp_path), "--readme", str(readme), "--keep-files"]
    assert memory.main(argv) == 0
    saved = json.loads((tmp_path / "huge.json").read_text("utf-8"))
    rows = saved["rows"]
    assert [r["shape"] for r in rows] == ["tiny", "sentences"]
    assert all(r["code"] == 0 and r["rss_mib"] > 10 for r in rows)
    article = tmp_path / "huge" / "sentences-50000-50.txt"
    assert article.stat().st_size == rows[1]["bytes"] == 50_000
    assert "| 0.05 MB | sentences | txt | 1 |" in readme.read_text("utf-8")


def test_memory_old_command_line_still_runs_the_index_part() -> None:
    memory = _bench("memory")
    args = memory.parser().parse_args(["index", "--sizes", "10"])
    assert args.part == "index" and args.sizes == "10"
    assert memory.PARTS["index"][0] == "memory-table"  # the block already in bench/README.md


# ------------------------------------------------------------------ profile_stages.py


def test_profile_names_most_of_the_time(tmp_path: Path) -> None:
    profile_stages = _bench("profile_stages")
    corpus = tmp_path / "small.jsonl"
    ids = _bbc_jsonl(corpus, 60)
    saved = profile_stages.profile(corpus, tmp_path / "out", 1, 0.0005)
    assert saved["articles"] == len(ids)
    spent = {(s, p): v for s, p, v in saved["spent"]}
    total = sum(spent.values())
    # the samples account for the process's CPU time (less the sampler's own)
    assert 0.5 * saved["cpu_s"] < total <= saved["cpu_s"] * 1.05
    named = sum(v for (s, _), v in spent.items() if not s.startswith("other: "))
    assert named >= 0.8 * total, sorted(spent.items(), key=lambda kv: -kv[1])[:8]
    assert {p for _, p in spent} <= {"pass 1", "pass 2", "outside"}
    saved["command"] = "test"
    table = profile_stages.render(saved)
    assert "**total (sampled)**" in table
    for stage in {s for s, _ in spent if not s.startswith("other: ")}:
        assert f"| {stage} |" in table


def test_profile_rules_know_the_packages_files() -> None:
    profile_stages = _bench("profile_stages")
    assert profile_stages.relative(str(REPO / "dedupe" / "io" / "readers.py")) == (
        "dedupe/io/readers.py"
    )
    assert profile_stages.relative("/usr/lib/python3.11/json/decoder.py") == "json/decoder.py"
    known = {files for _, files_, _ in profile_stages.RULES for files in files_}
    modules = [p.relative_to(REPO).as_posix() for p in (REPO / "dedupe").rglob("*.py")]
    hot = ["dedupe/segment.py", "dedupe/fingerprint.py", "dedupe/stages.py", "dedupe/index.py"]
    for module in hot:
        assert module in modules and any(module.startswith(f) for f in known), module


def test_profile_classifies_a_stack_by_its_innermost_known_frame() -> None:
    profile_stages = _bench("profile_stages")
    root = "/somewhere/dedupe/"
    scope: dict[str, object] = {"sys": sys}

    def define(source: str, path: str) -> None:
        exec(compile(source, path if path.startswith("/") else root + path, "exec"), scope)

    # _survey (cleaner.py) -> segment (segment.py) -> words (normalize.py, see-through)
    # -> a numpy-like library frame, where the sample lands
    define("def leaf():\n    return sys._getframe()\n", "/lib/numpy/core/fromnumeric.py")
    define("def words():\n    return leaf()\n", "normalize.py")
    define("def segment():\n    return words()\n", "segment.py")
    define("def _survey():\n    return segment()\n", "cleaner.py")
    define("def _emit():\n    return segment()\n", "cleaner.py")
    define("def mystery():\n    return leaf()\n", "newmodule.py")
    sampler = profile_stages.Sampler(0.001)
    assert sampler.classify(scope["_survey"]()) == ("segment", "pass 1")  # type: ignore[operator]
    assert sampler.classify(scope["_emit"]()) == ("segment", "pass 2")  # type: ignore[operator]
    stage, phase = sampler.classify(scope["mystery"]())  # type: ignore[operator]
    assert (stage, phase) == ("other: dedupe/newmodule.py:mystery", "outside")


# ------------------------------------------------------------------ dask_engine.py


def test_dask_engine_bench_smoke(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    if not DATA.exists():
        pytest.skip(f"shared data not found: {DATA}")
    dask_engine = _bench("dask_engine")
    rows = dask_engine.measure(300, 1, tmp_path, DATA)
    assert [r["engine"] for r in rows] == ["local, 2 processes", "Dask, 1 worker",
                                           "Dask, 2 workers"]  # fmt: skip
    assert all(r["ok"] and r["same"] for r in rows)
    assert rows[0]["ratio"] == 1.0 and rows[0]["worker"] is None
    assert all(r["worker"] > 50 and r["client"] > 20 for r in rows[1:])
    table = dask_engine.render(rows, 1)
    assert table.count("| yes |") == 3 and "--sizes 300 --repeats 1" in table
