"""Memory of `dedupe`: the duplicate index, compressed input and stdin, huge articles,
and ``--keep longest``. Each part regenerates its own table (`--readme`).

``index`` — the duplicate index per article: dedupe's `DuplicateIndex` against
datasketch's in-memory `MinHashLSH` with the same bands (42 x 3), same signatures. Each
measurement runs in a fresh subprocess: N random 128-permutation signatures (and, for
dedupe, 8 paragraph anchors per article) are inserted, and the growth of the process's
resident memory is divided by N. Random signatures are the worst case for the index (no
bucket is shared), so this is an upper bound.

``inputs`` (issue 11) — peak RSS of ``dedupe clean`` on the same N-article corpus (the
synthetic corpus of `speed.py`) read as a plain ``.jsonl``, as ``.jsonl.gz`` and through
stdin (``cat x.jsonl | dedupe clean - -o -``, also gzipped), each against the plain file
(target: within 1.5x).

``huge`` (issue 10) — peak RSS against article size: one article of 1, 20 and 200 MB of
real words (BBC vocabulary, drawn at random, seeded) as one line of words, as one line
of sentences (a full stop every 10-20 words) and as short lines (about 50 bytes each),
in a ``.txt`` file (and, with ``--formats txt,jsonl``, as one JSONL record); plus one
article of 200,000 short lines. Reports peak RSS / article bytes (target: 5x or less)
and the same after subtracting the RSS of a run on a tiny article.

``keep`` (issue 10) — ``--keep longest`` against ``--keep first`` on N short records
(20-60 words of real vocabulary, 10% near copies of a recent record).

Every run is a child process measured by `perflib.measure` (peak RSS: ``ru_maxrss`` of
the child, which with ``--jobs 2`` is its largest process, not the sum), killed at
``--timeout`` seconds or when its memory passes ``--rss-limit`` MiB: such a run is
reported as such, not waited for.

    python bench/memory.py index --sizes 10000,100000,1000000 --readme bench/README.md
    python bench/memory.py inputs --articles 100000 --readme bench/README.md
    python bench/memory.py huge --sizes-mb 1,20,200 --readme bench/README.md
    python bench/memory.py keep --records 1000000 --readme bench/README.md
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perflib import (
    REPO,
    Run,
    child_env,
    dedupe_cmd,
    kernel_path,
    machine,
    machine_line,
    measure,
    replace_block,
)

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / ".cache" / "memory"
DEFAULT_DATA = REPO.parent / "shared" / "data"
MIB = 1024 * 1024

# ------------------------------------------------------------------------------- index

CHILD = r"""
import json, sys
import numpy as np

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

tool, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
batch = 10_000
if tool == "dedupe":
    from dedupe.index import FIGURE_PERM, Bodies, DuplicateIndex
    index = DuplicateIndex(128, 42, 3, 0.5, 0.8)
    before = rss()
    for lo in range(0, n, batch):
        m = min(batch, n - lo)
        sigs = rng.integers(0, 2**32, size=(m, 128), dtype=np.uint64).astype(np.uint32)
        index.process(Bodies(
            ids=np.arange(lo, lo + m), signatures=sigs, sizes=np.full(m, 300),
            words=np.full(m, 300), eligible=np.ones(m, dtype=bool),
            exact=rng.integers(1, 2**63, size=m, dtype=np.uint64),
            figure_sigs=np.full((m, FIGURE_PERM), 0xFFFFFFFF, dtype=np.uint32),
            figure_count=np.zeros(m, dtype=np.int32), tabular=np.zeros(m, dtype=bool),
            anchor_keys=rng.integers(0, 2**63, size=8 * m, dtype=np.uint64),
            anchor_words=np.full(8 * m, 30), anchor_owner=np.repeat(np.arange(m), 8)))
    extra = {"index_nbytes": index.nbytes()}
else:
    from datasketch import LeanMinHash, MinHashLSH
    lsh = MinHashLSH(num_perm=128, params=(42, 3))
    before = rss()
    for lo in range(0, n, batch):
        m = min(batch, n - lo)
        sigs = rng.integers(0, 2**32, size=(m, 128), dtype=np.uint64).astype(np.uint32)
        for k in range(m):
            lsh.insert(lo + k, LeanMinHash(seed=1, hashvalues=sigs[k], scheme="affine32"),
                       check_duplication=False)
    extra = {}
print(json.dumps({"tool": tool, "n": n, "bytes": rss() - before, **extra}))
"""


def measure_index(tool: str, n: int) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, tool, str(n)],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    result: dict[str, int] = json.loads(out.stdout)
    return result


def index_table(rows: list[dict[str, int]]) -> str:
    lines = [
        "| articles | index | bytes per article (RSS growth) | bytes per article (arrays) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        arrays = f"{r['index_nbytes'] / r['n']:.0f}" if "index_nbytes" in r else ""
        name = "dedupe DuplicateIndex" if r["tool"] == "dedupe" else "datasketch MinHashLSH"
        lines.append(f"| {r['n']:,} | {name} | {r['bytes'] / r['n']:.0f} | {arrays} |")
    return "\n".join(lines)


def cmd_index(args: argparse.Namespace) -> str:
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        for tool in ("dedupe", "datasketch"):
            if tool == "datasketch" and n > args.datasketch_max:
                continue
            rows.append(measure_index(tool, n))
            print(json.dumps(rows[-1]), file=sys.stderr)
    return index_table(rows) + f"\n\nCommand: `{args.command}`."


# ------------------------------------------------------------------------------ shared


def vocabulary(data: Path) -> list[str]:
    """Distinct words of the BBC articles, sorted (real words for generated text)."""
    root = data / "bbc_news_fulltext" / "bbc"
    words: set[str] = set()
    for f in sorted(root.glob("*/*.txt")):
        words.update(re.findall(r"[A-Za-z]+", f.read_bytes().decode("utf-8", "replace")))
    if not words:
        raise SystemExit(f"no BBC articles under {root} (--data)")
    return sorted(words)


def run_line(r: Run) -> str:
    state = (
        "timed out"
        if r.timed_out
        else "over the memory limit"
        if r.over_limit
        else f"exit {r.code}"
        if r.code
        else "ok"
    )
    return (
        f"{r.wall:.1f} s, cpu {r.cpu:.1f} s, {r.rss_mib:.0f} MiB, load {r.load_start:.1f}, {state}"
    )


def outcome(r: dict[str, Any], limit_mib: float, timeout: float) -> str:
    """How a run ended, for a table cell: empty when it finished normally."""
    if r["timed_out"]:
        return f"killed at the {timeout / 60:.0f} min timeout"
    if r["over_limit"]:
        return f"killed at {limit_mib / 1024:.0f} GiB RSS"
    if r["code"]:
        return f"failed (exit {r['code']})"
    return ""


def save(scratch: Path, name: str, data: dict[str, Any]) -> None:
    (scratch / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n", "utf-8")


def footer(info: dict[str, Any], command: str, extra: str = "") -> str:
    return (
        f"{extra}Load average (1 min) at the start of the runs: "
        f"{info['load_min']:.1f}–{info['load_max']:.1f} on {info['cores']} cores; dedupe "
        f"kernel: {info['kernel']}. Peak RSS is `ru_maxrss` of the child (with more than one "
        f"job: its largest process, not the sum).\n{machine_line(info)}\nCommand: `{command}`."
    )


def loads_of(runs: list[dict[str, Any]]) -> tuple[float, float]:
    values = [r["load_start"] for r in runs] or [float("nan")]
    return min(values), max(values)


# ------------------------------------------------------------------------------ inputs


def cmd_inputs(args: argparse.Namespace) -> str:
    from speed import corpus_path

    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    plain = corpus_path(args.articles, args.seed, HERE / ".cache" / "speed", args.data)
    gz = scratch / f"{plain.stem}.jsonl.gz"
    if not gz.exists():
        with plain.open("rb") as src, gzip.open(gz.with_suffix(".part"), "wb", 6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        gz.with_suffix(".part").replace(gz)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    out = scratch / "inputs-out"
    sink = scratch / "inputs-stdout.jsonl"

    def clean(source: str, output: str) -> list[str]:
        return dedupe_cmd("clean", source, "-o", output, "-q", *jobs)

    def piped(source: Path) -> list[str]:
        return ["/bin/sh", "-c", f"cat {shlex.quote(str(source))} | {shlex.join(clean('-', '-'))}"]

    cases: list[tuple[str, list[str], Path | None]] = [
        ("plain .jsonl, -o FOLDER", clean(str(plain), str(out)), None),
        (".jsonl.gz, -o FOLDER", clean(str(gz), str(out)), None),
        ("plain .jsonl, -o -", clean(str(plain), "-"), sink),
        ("cat .jsonl \\| clean - -o -", piped(plain), sink),
        ("cat .jsonl.gz \\| clean - -o -", piped(gz), sink),
    ]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in cases}
    for round_ in range(args.runs):
        for name, cmd, stdout in cases:
            shutil.rmtree(out, ignore_errors=True)
            r = measure(cmd, stdout=stdout, timeout=args.timeout, rss_limit_mib=args.rss_limit)
            runs[name].append(r.as_dict())
            print(f"round {round_ + 1} {name}: {run_line(r)}", file=sys.stderr, flush=True)
    shutil.rmtree(out, ignore_errors=True)
    sink.unlink(missing_ok=True)
    info = {**machine(), "kernel": kernel_path(child_env())}
    info["load_min"], info["load_max"] = loads_of([r for rs in runs.values() for r in rs])
    saved = {
        "info": info,
        "runs": runs,
        "articles": args.articles,
        "bytes": {"plain": plain.stat().st_size, "gz": gz.stat().st_size},
        "command": args.command,
    }
    save(scratch, "inputs", saved)
    return render_inputs(saved, args)


def render_inputs(saved: dict[str, Any], args: argparse.Namespace) -> str:
    runs = saved["runs"]

    def peak(name: str) -> float:
        ok = [r["rss_mib"] for r in runs[name] if r["code"] == 0]
        return max(ok) if ok else float("nan")

    def wall(name: str) -> float:
        ok = sorted(r["wall"] for r in runs[name] if r["code"] == 0)
        return ok[len(ok) // 2] if ok else float("nan")

    base, base_stdout = peak("plain .jsonl, -o FOLDER"), peak("plain .jsonl, -o -")
    lines = [
        "| input | peak RSS MiB | × plain file | × plain file, -o - | median s | runs | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rs in runs.items():
        note = "; ".join(sorted({outcome(r, args.rss_limit, args.timeout) for r in rs} - {""}))
        to_stdout = f"{peak(name) / base_stdout:.2f}" if name.endswith("-o -") else ""
        lines.append(
            f"| {name} | {peak(name):.0f} | {peak(name) / base:.2f} | {to_stdout} | "
            f"{wall(name):.1f} | {len(rs)} | {note} |"
        )
    b = saved["bytes"]
    worst = max(peak(n) / base for n in runs if "gz" in n or "cat" in n)
    extra = (
        f"\nCorpus: the {saved['articles']:,}-article synthetic corpus of `speed.py` "
        f"({b['plain'] / 1e6:.0f} MB; gzip level 6: {b['gz'] / 1e6:.0f} MB). Largest ratio "
        f"of a compressed or stdin run to the plain file: {worst:.2f}× (target ≤ 1.5×: "
        f"{'met' if worst <= 1.5 else 'missed'}).\n"
    )
    return "\n".join(lines) + "\n" + footer(saved["info"], saved["command"], extra)


# -------------------------------------------------------------------------------- huge

SHAPES = ("words", "sentences", "lines")


def article_chunks(
    vocab: list[str], nbytes: int, shape: str, seed: int, line_bytes: int = 50
) -> Iterator[str]:
    """Text of ``nbytes`` bytes (ASCII words) in pieces, deterministically: words joined
    by spaces (``words``), with a full stop every 10-20 words (``sentences``), or in lines
    of about ``line_bytes`` bytes (``lines``)."""
    rng = random.Random(seed)
    glue = "\n" if shape == "lines" else " "
    written = 0
    while written < nbytes:
        words = rng.choices(vocab, k=20_000)
        if shape == "sentences":
            k = rng.randint(10, 20)
            while k < len(words):
                words[k] += "."
                k += rng.randint(10, 20)
        if shape == "lines":
            lines, line, width = [], [], 0
            for w in words:
                line.append(w)
                width += len(w) + 1
                if width >= line_bytes:
                    lines.append(" ".join(line))
                    line, width = [], 0
            piece = "\n".join([*lines, " ".join(line)] if line else lines)
        else:
            piece = " ".join(words)
        piece = ((glue if written else "") + piece)[: nbytes - written]
        written += len(piece)
        yield piece


def write_article(path: Path, chunks: Iterator[str], fmt: str) -> int:
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        if fmt == "jsonl":
            fh.write('{"id": "huge", "text": "')
            for c in chunks:
                fh.write(json.dumps(c)[1:-1])
            fh.write('"}\n')
        else:
            for c in chunks:
                fh.write(c)
    tmp.replace(path)
    return path.stat().st_size


def huge_cases(
    sizes_mb: list[float], shapes: list[str], formats: list[str], many_lines: int
) -> list[dict[str, Any]]:
    cases = [{"shape": "tiny", "mb": 0.001, "format": "txt", "line_bytes": 50}]
    for mb in sizes_mb:
        for shape in shapes:
            for fmt in formats:
                cases.append({"shape": shape, "mb": mb, "format": fmt, "line_bytes": 50})
    if many_lines:  # lines of two or three words (about 17 bytes), as in issue 10's file
        mb = many_lines * 17 / 1e6
        cases.append({"shape": "lines", "mb": mb, "format": "txt", "line_bytes": 13})
    return cases


def cmd_huge(args: argparse.Namespace) -> str:
    scratch: Path = args.scratch / "huge"
    scratch.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary(args.data)
    sizes = [float(s) for s in args.sizes_mb.split(",")]
    formats = args.formats.split(",")
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    rows = []
    shapes = args.shapes.split(",")
    for case in huge_cases(sizes, shapes, formats, args.many_lines):
        nbytes = round(case["mb"] * 1e6)
        name = f"{case['shape']}-{nbytes}-{case['line_bytes']}.{case['format']}"
        path = scratch / name
        if not path.exists():
            t0 = time.perf_counter()
            chunks = article_chunks(vocab, nbytes, case["shape"], args.seed, case["line_bytes"])
            write_article(path, chunks, case["format"])
            print(f"wrote {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        text_bytes = nbytes
        out = scratch / "out"
        shutil.rmtree(out, ignore_errors=True)
        r = measure(
            dedupe_cmd("clean", str(path), "-o", str(out), "-q", *jobs),
            timeout=args.timeout,
            rss_limit_mib=args.rss_limit,
        )
        shutil.rmtree(out, ignore_errors=True)
        lines = 1 + path.read_bytes().count(b"\n") if case["format"] == "txt" else 1
        rows.append(
            {
                **case,
                "bytes": text_bytes,
                "file_bytes": path.stat().st_size,
                "lines": lines,
                **r.as_dict(),
            }  # fmt: skip
        )
        print(f"{name}: {run_line(r)}", file=sys.stderr, flush=True)
        if args.keep_files is False and case["mb"] >= 100:
            path.unlink()
    info = {**machine(), "kernel": kernel_path(child_env())}
    info["load_min"], info["load_max"] = loads_of(rows)
    saved = {"info": info, "rows": rows, "command": args.command}
    save(args.scratch, "huge", saved)
    return render_huge(saved, args)


def render_huge(saved: dict[str, Any], args: argparse.Namespace) -> str:
    rows = saved["rows"]
    tiny = next((r for r in rows if r["shape"] == "tiny" and r["code"] == 0), None)
    base = tiny["rss_mib"] if tiny else 0.0
    lines = [
        "| article | shape | format | lines | peak RSS MiB | RSS / article bytes | "
        "(RSS − tiny run) / article bytes | s | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    worst = worst_net = 0.0
    short: list[str] = []  # the verdicts on articles of short lines
    for r in rows:
        if r["shape"] == "tiny":
            continue
        mib = r["bytes"] / MIB
        note = outcome(r, args.rss_limit, args.timeout)
        ok = not note
        ratio = r["rss_mib"] / mib
        net = (r["rss_mib"] - base) / mib
        if ok and r["bytes"] >= 10e6 and r["line_bytes"] < 50:  # each costs ~100 bytes
            short.append(
                f"{ratio:.1f}× for {r['bytes'] / 1e6:g} MB of {r['lines']:,} short lines "
                f"(target ≤ 5×: {'missed' if ratio > 5 else 'met'}; {net:.1f}× over the floor)"
            )
        elif ok and r["bytes"] >= 10e6:
            worst, worst_net = max(worst, ratio), max(worst_net, net)
        shown = "> " if r["timed_out"] or r["over_limit"] else ""  # killed: a lower bound
        lines.append(
            f"| {r['bytes'] / 1e6:g} MB | {r['shape']} | {r['format']} | {r['lines']:,} | "
            f"{shown}{r['rss_mib']:,.0f} | {shown}{ratio:.1f} | {shown}{net:.1f} | "
            f"{r['wall']:.0f} | {note} |"
        )
    killed = any(r["timed_out"] or r["over_limit"] for r in rows if r["bytes"] >= 10e6)
    verdict = (
        "no run on an article of 10 MB or more"
        if not any(r["bytes"] >= 10e6 for r in rows)
        else "largest RSS / article bytes of a finished run on an article of 10 MB or more, "
        f"not of short lines: "
        f"{worst:.1f}× (target ≤ 5×: {'missed' if worst > 5 or killed else 'met'}"
        + ("; runs were killed, see the notes" if killed else "")
        + f"); over the tiny run's floor: {worst_net:.1f}× "
        f"({'over' if worst_net > 5 or killed else 'within'} 5×)"
        + (f"; apart from those, {', '.join(short)}" if short else "")
    )
    extra = (
        f"\nA run on a tiny article (1 KB) peaks at {base:.0f} MiB: the interpreter, numpy "
        f"and dedupe's imports, the floor under every figure above. {verdict[0].upper()}"
        f"{verdict[1:]}. Words are drawn at random from the BBC articles' vocabulary, so "
        "nearly every shingle is distinct; a killed run's figures are lower bounds (>).\n"
    )
    return "\n".join(lines) + "\n" + footer(saved["info"], saved["command"], extra)


# -------------------------------------------------------------------------------- keep


def write_records(path: Path, vocab: list[str], n: int, seed: int) -> None:
    rng = random.Random(seed)
    recent: list[list[str]] = []
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if recent and rng.random() < 0.1:
                words = list(recent[rng.randrange(len(recent))])
                words[rng.randrange(len(words))] = rng.choice(vocab)
                if rng.random() < 0.5:
                    words += rng.choices(vocab, k=rng.randint(1, 10))  # a longer copy
            else:
                words = rng.choices(vocab, k=rng.randint(20, 60))
                recent.append(words)
                if len(recent) > 1000:
                    recent.pop(rng.randrange(len(recent)))
            fh.write(json.dumps({"id": f"r{i}", "text": " ".join(words) + "."}) + "\n")
    tmp.replace(path)


def cmd_keep(args: argparse.Namespace) -> str:
    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"short-{args.records}-seed{args.seed}.jsonl"
    if not path.exists():
        write_records(path, vocabulary(args.data), args.records, args.seed)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    out = scratch / "keep-out"
    runs: dict[str, list[dict[str, Any]]] = {"first": [], "longest": []}
    for round_ in range(args.runs):
        for keep in runs:
            shutil.rmtree(out, ignore_errors=True)
            r = measure(
                dedupe_cmd("clean", str(path), "-o", str(out), "-q", "--keep", keep, *jobs),
                timeout=args.timeout,
                rss_limit_mib=args.rss_limit,
            )
            runs[keep].append(r.as_dict())
            print(f"round {round_ + 1} --keep {keep}: {run_line(r)}", file=sys.stderr, flush=True)
    shutil.rmtree(out, ignore_errors=True)
    info = {**machine(), "kernel": kernel_path(child_env())}
    info["load_min"], info["load_max"] = loads_of([r for rs in runs.values() for r in rs])
    saved = {
        "info": info,
        "runs": runs,
        "records": args.records,
        "bytes": path.stat().st_size,
        "command": args.command,
    }
    save(scratch, "keep", saved)
    return render_keep(saved, args)


def render_keep(saved: dict[str, Any], args: argparse.Namespace) -> str:
    n = saved["records"]
    lines = [
        "| records | --keep | peak RSS MiB | bytes per record | median s | runs | note |",
        "|---|---|---|---|---|---|---|",
    ]
    peaks = {}
    for keep, rs in saved["runs"].items():
        ok = [r for r in rs if r["code"] == 0]
        peak = max((r["rss_mib"] for r in ok), default=float("nan"))
        peaks[keep] = peak
        walls = sorted(r["wall"] for r in ok)
        med = walls[len(walls) // 2] if walls else float("nan")
        note = "; ".join(sorted({outcome(r, args.rss_limit, args.timeout) for r in rs} - {""}))
        lines.append(
            f"| {n:,} | {keep} | {peak:,.0f} | {peak * MIB / n:,.0f} | {med:.1f} | {len(ok)} | "
            f"{note} |"
        )
    extra = (
        f"\nRecords: {n:,} short JSONL records ({saved['bytes'] / 1e6:.0f} MB; 20-60 words, "
        f"10% near copies). `longest` / `first` peak RSS: "
        f"{peaks['longest'] / peaks['first']:.2f}×; difference "
        f"{(peaks['longest'] - peaks['first']) * MIB / n:,.0f} bytes per record.\n"
    )
    return "\n".join(lines) + "\n" + footer(saved["info"], saved["command"], extra)


# -------------------------------------------------------------------------------- main

PARTS: dict[str, tuple[str, str, Callable[[argparse.Namespace], str]]] = {
    "index": ("memory-table", "## Memory of the duplicate index", cmd_index),
    "inputs": ("memory-inputs-table", "## Memory: compressed input and stdin", cmd_inputs),
    "huge": ("memory-huge-table", "## Memory of huge articles", cmd_huge),
    "keep": ("memory-keep-table", "## Memory of `--keep longest`", cmd_keep),
}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    sub = ap.add_subparsers(dest="part", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--readme", type=Path, help="regenerate this part's table here")
    common.add_argument("--data", type=Path, default=DEFAULT_DATA)
    common.add_argument("--scratch", type=Path, default=SCRATCH)
    common.add_argument("--seed", type=int, default=7)
    common.add_argument("--jobs", type=int, help="dedupe --jobs (default: dedupe's own)")
    common.add_argument("--runs", type=int, default=1, help="runs per case (peak: the largest)")
    common.add_argument("--timeout", type=float, default=1200, help="seconds per run")
    common.add_argument(
        "--rss-limit", type=float, default=14 * 1024, help="MiB at which a run is killed"
    )
    p = sub.add_parser("index", parents=[common], help="the duplicate index per article")
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument(
        "--datasketch-max",
        type=int,
        default=100_000,
        help="largest size run for datasketch (it is slow and large)",
    )
    p = sub.add_parser("inputs", parents=[common], help="plain, .gz and stdin input")
    p.add_argument("--articles", type=int, default=100_000)
    p = sub.add_parser("huge", parents=[common], help="peak RSS against article size")
    p.add_argument("--sizes-mb", default="1,20,200")
    p.add_argument("--formats", default="txt", help="comma list of txt, jsonl")
    p.add_argument("--shapes", default=",".join(SHAPES), help=f"comma list of {SHAPES}")
    p.add_argument(
        "--many-lines",
        type=int,
        default=200_000,
        help="also one article of this many short lines (0: none)",
    )
    p.add_argument("--keep-files", action="store_true", help="keep the generated 100 MB+ articles")
    p = sub.add_parser("keep", parents=[common], help="--keep longest against --keep first")
    p.add_argument("--records", type=int, default=1_000_000)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["index", *argv]  # the old command line: python bench/memory.py --sizes ...
    args = parser().parse_args(argv)
    args.command = "python bench/memory.py " + " ".join(argv)
    marker, heading, run = PARTS[args.part]
    text = run(args)
    print(text)
    if args.readme:
        replace_block(args.readme, marker, "bench/memory.py", text, heading)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
