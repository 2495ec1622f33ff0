#!/usr/bin/env python3
"""The Dask engine against the local engine: wall time and peak memory.

For each corpus size (the synthetic corpus of ``bench/speed.py``), runs side by
side, ``--repeats`` times each (medians reported):

* ``dedupe clean --engine local -j 2``;
* ``dedupe clean --engine dask`` on a fresh ``distributed.LocalCluster`` of 1 and
  of 2 single-threaded worker processes (``--scheduler`` its address).

Peak memory: the client's (the ``dedupe`` process: reading, ordered decisions,
writing) and each worker's (``ru_maxrss`` of the worker processes, asked of them
after the run; a fresh cluster per run). Also checks that every Dask run's
output equals the local one's. Example:

    python bench/dask_engine.py --sizes 20000 100000 --repeats 3 --readme bench/README.md
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import DEFAULT_DATA  # noqa: E402
from speed import corpus_path, timed  # noqa: E402

MARK = "dask-table"


def peak_rss_mib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def same_tree(a: Path, b: Path) -> bool:
    left = sorted(p.relative_to(a) for p in a.rglob("*"))
    right = sorted(p.relative_to(b) for p in b.rglob("*"))
    if left != right:
        return False
    return all(filecmp.cmp(a / p, b / p, shallow=False) for p in left if (a / p).is_file())


def run_local(corpus: Path, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "dedupe", "clean", str(corpus), "-o", str(out), "-q", "-j", "2"]
    wall, rss, code, _ = timed(cmd, 7200)
    return {"wall": wall, "client": rss, "workers": [], "ok": code == 0}


def run_dask(corpus: Path, out: Path, workers: int, partitions: int) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        cmd = [
            sys.executable, "-m", "dedupe", "clean", str(corpus), "-o", str(out), "-q",
            "--engine", "dask", "--scheduler", cluster.scheduler_address,
            "--partitions", str(partitions),
        ]  # fmt: skip
        wall, rss, code, _ = timed(cmd, 7200)
        peaks = client.run(peak_rss_mib)
    return {"wall": wall, "client": rss, "workers": sorted(peaks.values()), "ok": code == 0}


def measure(n: int, repeats: int, scratch: Path, data: Path) -> list[dict[str, Any]]:
    corpus = corpus_path(n, 1, scratch, data)
    rows: list[dict[str, Any]] = []
    runs: dict[str, list[dict[str, Any]]] = {"local": [], "dask1": [], "dask2": []}
    partitions = max(4, n // 5000)
    for r in range(repeats):
        for name in runs:
            out = scratch / f"out-{name}"
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            if name == "local":
                got = run_local(corpus, out)
            else:
                got = run_dask(corpus, out, int(name[-1]), partitions)
                got["same"] = same_tree(out, scratch / "out-local")
            runs[name].append(got)
            print(f"  {n} {name} run {r + 1}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    base = statistics.median(x["wall"] for x in runs["local"])
    for name, label in (("local", "local, 2 processes"), ("dask1", "Dask, 1 worker"),
                        ("dask2", "Dask, 2 workers")):  # fmt: skip
        got = runs[name]
        wall = statistics.median(x["wall"] for x in got)
        worker = [max(x["workers"]) for x in got if x["workers"]]
        rows.append(
            {
                "articles": n,
                "engine": label,
                "wall": wall,
                "ratio": wall / base,
                "client": statistics.median(x["client"] for x in got),
                "worker": statistics.median(worker) if worker else None,
                "same": all(x.get("same", True) for x in got),
                "ok": all(x["ok"] for x in got),
                "partitions": partitions if name != "local" else None,
            }
        )
    return rows


def render(rows: list[dict[str, Any]], repeats: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Medians of {repeats} runs each, side by side, on this machine (2 cores; load "
        f"average {load:.1f} at the end: shared and noisy). `python bench/dask_engine.py "
        f"--sizes {' '.join(str(n) for n in sorted({r['articles'] for r in rows}))} "
        f"--repeats {repeats}`.",
        "",
        "| articles | engine | partitions | wall s | vs local | client peak MiB "
        "| peak MiB per worker | output = local |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        worker = f"{r['worker']:.0f}" if r["worker"] is not None else "–"
        lines.append(
            f"| {r['articles']:,} | {r['engine']} | {r['partitions'] or '–'} | {r['wall']:.1f} "
            f"| {r['ratio']:.2f}× | {r['client']:.0f} | {worker} | "
            f"{'yes' if r['same'] and r['ok'] else 'NO'} |"
        )
    return "\n".join(lines)


def replace_block(readme: Path, body: str, name: str = MARK) -> None:
    """Put ``body`` between the ``name`` marks of ``readme`` (appended if absent)."""
    start = f"<!-- {name}:start (generated by bench/dask_engine.py; do not edit) -->"
    end = f"<!-- {name}:end -->"
    text = readme.read_text("utf-8") if readme.exists() else ""
    block = f"{start}\n{body}\n{end}"
    if start in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## The Dask engine\n\n" + block + "\n"
    readme.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scratch", type=Path, default=None, help="corpora and outputs")
    parser.add_argument("--readme", type=Path, help="write the table into this file")
    parser.add_argument("--block", default=MARK, help="the marks to write it between")
    args = parser.parse_args(argv)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="dedupe-dask-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        rows += measure(n, args.repeats, scratch, args.data)
    table = render(rows, args.repeats)
    print(table)
    if args.readme:
        replace_block(args.readme, table, args.block)
    return 0 if all(r["same"] and r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
