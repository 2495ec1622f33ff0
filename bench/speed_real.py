#!/usr/bin/env python3
"""Speed on real articles: `dedupe clean` (1 and 2 jobs, compiled kernel and numpy
fallback) side by side with rensa and the datasketch README recipe, in one run.

The corpus (issue 11): Reuters-21578 bodies (`scripts/reuters_to_jsonl.py --no-title`),
BBC News (`scripts/bbc_to_jsonl.py`) and the Zyte benchmark's ground-truth bodies, as
one JSONL file of ``{"id", "text"}`` records (21,449 articles): no title or other field,
so that every tool sees the same text. It is built once into the scratch folder.

Tools, each a child process on the same file (output written to a scratch folder):

  dedupe-j1 / dedupe-j2              python -m dedupe clean CORPUS -o OUT --jobs N -q
  dedupe-j1-numpy / dedupe-j2-numpy  the same with DEDUPE_PURE_PYTHON=1 (numpy fallback)
  rensa                              bench/baselines.py rensa: RMinHashDeduplicator
                                     (document dedup only, 1 process)
  recipe                             bench/baselines.py recipe: the datasketch README
                                     recipe, on every k-th article (--recipe-max of them)

Runs are interleaved (A B C ... A B C ...) so that the noise of the shared machine hits
every tool alike; each run records wall and CPU time, the child's peak RSS (ru_maxrss via
os.wait4) and the 1-minute load average. The table gives medians; ratios are of
articles/s medians from the same run. `python -m dedupe --version` is checked to name
the kernel each dedupe configuration runs on, and the cleaned outputs of all dedupe
configurations are compared byte for byte.

    python bench/speed_real.py --runs 5 --readme bench/README.md
    python bench/speed_real.py --from-json bench/.cache/speed_real/results.json \\
        --readme bench/README.md   # re-render
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perflib import (
    REPO,
    child_env,
    dedupe_cmd,
    kernel_path,
    machine,
    machine_line,
    measure,
    replace_block,
)

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
SCRATCH = HERE / ".cache" / "speed_real"
TOOLS = ("dedupe-j1", "dedupe-j2", "dedupe-j1-numpy", "dedupe-j2-numpy", "rensa", "recipe")
BLOCK = "speed-real-table"


@dataclass(frozen=True)
class Tool:
    name: str
    jobs: int = 0  # dedupe only
    numpy: bool = False  # dedupe only: DEDUPE_PURE_PYTHON=1

    @property
    def is_dedupe(self) -> bool:
        return self.name.startswith("dedupe")


def tool(name: str) -> Tool:
    if name.startswith("dedupe-j"):
        jobs = int(name.split("-")[1][1:])
        return Tool(name, jobs, name.endswith("-numpy"))
    if name in ("rensa", "recipe"):
        return Tool(name)
    raise SystemExit(f"unknown tool {name!r}: one of {', '.join(TOOLS)}")


# ----------------------------------------------------------------------------- corpus


def _converter(script: str, data: Path, *args: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), "--data", str(data), "-o", "-", *args],
        capture_output=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def build_corpus(data: Path, path: Path) -> dict[str, int]:
    """Write the real corpus to ``path``: Reuters bodies, BBC, Zyte ground truth, in that
    order, ``id`` and ``text`` only. Returns the article count per source."""
    counts: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    for source, script, args in (
        ("reuters", "reuters_to_jsonl.py", ("--no-title",)),
        ("bbc", "bbc_to_jsonl.py", ()),
    ):
        got = _converter(script, data, *args)
        counts[source] = len(got)
        records += got
    truth = json.loads(
        (data / "zyte_article_extraction_benchmark" / "ground-truth.json").read_text("utf-8")
    )
    zyte = [
        {"id": f"zyte-{key}", "text": entry["articleBody"]}
        for key, entry in sorted(truth.items())
        if isinstance(entry, dict) and str(entry.get("articleBody") or "").strip()
    ]
    counts["zyte"] = len(zyte)
    records += zyte
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps({"id": rec["id"], "text": rec["text"]}, ensure_ascii=False))
            fh.write("\n")
    tmp.replace(path)
    return counts


def stride_sample(path: Path, n: int, out: Path) -> int:
    """Every k-th line of ``path`` (k chosen so that at most ``n`` are taken) into ``out``,
    so a subset has the whole corpus's mix of sources. Returns the lines written."""
    lines = path.read_bytes().splitlines(keepends=True)
    step = max(1, -(-len(lines) // n))
    taken = lines[::step][:n]
    out.write_bytes(b"".join(taken))
    return len(taken)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------- runs


def command(t: Tool, corpus: Path, sample: Path, out: Path) -> list[str]:
    if t.is_dedupe:
        return dedupe_cmd("clean", str(corpus), "-o", str(out), "--jobs", str(t.jobs), "-q")
    src = sample if t.name == "recipe" else corpus
    return [sys.executable, str(HERE / "baselines.py"), t.name, str(src), "-o", str(out)]


def environment(t: Tool) -> dict[str, str]:
    if t.numpy:
        return child_env({"DEDUPE_PURE_PYTHON": "1"})
    return child_env(drop=("DEDUPE_PURE_PYTHON",))


def summarise(name: str, runs: list[dict[str, Any]], articles: int, nbytes: int) -> dict[str, Any]:
    ok = [r for r in runs if r["code"] == 0]
    walls = [r["wall"] for r in ok]
    med = statistics.median(walls) if walls else float("nan")
    return {
        "tool": name,
        "articles": articles,
        "bytes": nbytes,
        "runs": len(ok),
        "failed": len(runs) - len(ok),
        "walls": walls,
        "median_s": med,
        "min_s": min(walls) if walls else float("nan"),
        "max_s": max(walls) if walls else float("nan"),
        "cpu_s": statistics.median([r["cpu"] for r in ok]) if ok else float("nan"),
        "aps": articles / med if walls else 0.0,
        "mbps": nbytes / 1e6 / med if walls else 0.0,
        "rss_mib": max((r["rss_mib"] for r in ok), default=0.0),
        "loads": [round(r["load_start"], 2) for r in runs],
    }


def render(saved: dict[str, Any]) -> str:
    rows = {r["tool"]: r for r in saved["summary"]}
    info = saved["info"]
    rensa, recipe = rows.get("rensa"), rows.get("recipe")

    def ratio(r: dict[str, Any], base: dict[str, Any] | None) -> str:
        if base is None or not base["runs"] or not r["runs"]:
            return ""
        return f"{r['aps'] / base['aps']:.2f}"

    lines = [
        "| tool | kernel | articles run | median s (min–max) | articles/s | MB/s | CPU s | "
        "peak RSS MiB | × rensa | × recipe | runs | load at start (each run) |",
        "|" + "---|" * 12,
    ]
    for name in TOOLS:
        r = rows.get(name)
        if r is None:
            continue
        kernel = info["kernels"].get(name, "")
        loads = ", ".join(f"{x:.1f}" for x in r["loads"])
        if not r["runs"]:
            lines.append(f"| {name} | {kernel} | {r['articles']:,} | failed | | | | | | | 0 | |")
            continue
        lines.append(
            f"| {name} | {kernel} | {r['articles']:,} | {r['median_s']:.2f} "
            f"({r['min_s']:.2f}–{r['max_s']:.2f}) | {r['aps']:,.0f} | {r['mbps']:.2f} | "
            f"{r['cpu_s']:.1f} | {r['rss_mib']:.0f} | {ratio(r, rensa)} | {ratio(r, recipe)} | "
            f"{r['runs']} | {loads} |"
        )
    c = info["corpus"]
    lines += [
        "",
        f"Corpus: {c['articles']:,} articles, {c['bytes'] / 1e6:.1f} MB of JSONL "
        f"({', '.join(f'{k} {v:,}' for k, v in c['sources'].items())}; `id` and `text` "
        f"only). The recipe runs on every {c['recipe_step']}th article "
        f"({c['recipe_articles']:,} articles, {c['recipe_bytes'] / 1e6:.2f} MB); its "
        "figures are per article run.",
    ]
    same = info.get("outputs_identical")
    if same is not None:
        lines.append(
            "Cleaned output of every dedupe configuration byte-identical: "
            + ("yes." if same else f"**no**: {info.get('digests')}.")
        )
    two = rows.get("dedupe-j2")
    if two and two["runs"] and rensa and rensa["runs"] and recipe and recipe["runs"]:
        a, b = two["aps"] / rensa["aps"], two["aps"] / recipe["aps"]
        lines.append(
            f"Targets of issue 11 (dedupe-j2, compiled kernel): ≥ 1.2× rensa — {a:.2f}× "
            f"({'met' if a >= 1.2 else 'missed'}); ≥ 20× the recipe — {b:.1f}× "
            f"({'met' if b >= 20 else 'missed'})."
        )
    lines += [
        "",
        f"Runs interleaved, {info['rounds']} rounds ({info['order']}); {info['seconds']:.0f} s "
        f"in all. Load average (1 min) over the whole run: {info['load_min']:.1f}–"
        f"{info['load_max']:.1f} on {info['cores']} cores. rensa {info['versions']['rensa']} "
        "is a bench-only dependency (`pip install rensa`), not one of the project's.",
        machine_line(info),
        f"Command: `{info['command']}`.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--runs", type=int, default=3, help="rounds of interleaved runs (median)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma list of {TOOLS}")
    ap.add_argument(
        "--recipe-max", type=int, default=2000, help="the recipe runs on this many articles"
    )
    ap.add_argument("--limit", type=int, help="only the first N articles (smoke runs)")
    ap.add_argument("--corpus", type=Path, help="a JSONL file to run on instead of the real corpus")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scratch", type=Path, default=SCRATCH)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--json", type=Path, help="results (default: SCRATCH/results.json)")
    ap.add_argument("--readme", type=Path, help="regenerate the table in this file")
    ap.add_argument("--from-json", type=Path, help="only render saved results")
    args = ap.parse_args(argv)

    saved = json.loads(args.from_json.read_text("utf-8")) if args.from_json else run_all(args, argv)
    md = render(saved)
    print(md)
    if args.readme:
        replace_block(
            args.readme,
            BLOCK,
            "bench/speed_real.py",
            md,
            "## Speed on real articles (issue 11)",
        )
    return 0


def run_all(args: argparse.Namespace, argv: list[str] | None) -> dict[str, Any]:
    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    if args.corpus:
        full = args.corpus
        sources = {full.name: sum(1 for _ in full.open("rb"))}
    else:
        full = scratch / "real.jsonl"
        sources_file = scratch / "real.sources.json"
        if not full.exists() or not sources_file.exists():
            print(f"building {full} ...", file=sys.stderr, flush=True)
            sources_file.write_text(json.dumps(build_corpus(args.data, full)), "utf-8")
        sources = json.loads(sources_file.read_text("utf-8"))
    corpus = full
    if args.limit:
        corpus = scratch / f"real-first-{args.limit}.jsonl"
        with full.open("rb") as src:
            corpus.write_bytes(b"".join(line for _, line in zip(range(args.limit), src)))
    articles = sum(1 for _ in corpus.open("rb"))
    nbytes = corpus.stat().st_size
    sample = scratch / "real-recipe-sample.jsonl"
    recipe_n = stride_sample(corpus, args.recipe_max, sample)
    recipe_step = max(1, -(-articles // args.recipe_max))

    tools = [tool(t) for t in args.tools.split(",") if t]
    kernels: dict[str, str] = {}
    for t in list(tools):
        if t.is_dedupe:
            path = kernel_path(environment(t))
            if t.numpy and not path.startswith("numpy"):
                raise SystemExit(f"{t.name}: expected the numpy path, --version says {path!r}")
            if not t.numpy and not path.startswith("compiled"):
                print(f"{t.name}: kernel not built ({path}); skipped", file=sys.stderr)
                tools.remove(t)
                continue
            kernels[t.name] = path
        elif t.name == "rensa":
            try:
                import rensa  # noqa: F401
            except ImportError:
                print("rensa not installed (pip install rensa): skipped", file=sys.stderr)
                tools.remove(t)

    subprocess.run(["cat", str(corpus)], stdout=subprocess.DEVNULL, check=True)  # page cache
    runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tools}
    digests: dict[str, set[str]] = {}
    t_start = time.perf_counter()
    loads: list[float] = []
    for round_ in range(args.runs):
        for t in tools:
            out = scratch / f"out-{t.name}"
            shutil.rmtree(out, ignore_errors=True)
            r = measure(command(t, corpus, sample, out), env=environment(t), timeout=args.timeout)
            loads += [r.load_start, r.load_end]
            runs[t.name].append(r.as_dict())
            status = "" if r.code == 0 else f" FAILED ({r.code})\n{r.stderr}"
            print(
                f"round {round_ + 1} {t.name}: {r.wall:.2f} s, cpu {r.cpu:.1f} s, "
                f"{r.rss_mib:.0f} MiB, load {r.load_start:.1f}{status}",
                file=sys.stderr,
                flush=True,
            )
            if t.is_dedupe and r.code == 0:
                digests.setdefault(t.name, set()).add(digest(out))
            shutil.rmtree(out, ignore_errors=True)
    summary = []
    for t in tools:
        n, b = (recipe_n, sample.stat().st_size) if t.name == "recipe" else (articles, nbytes)
        summary.append(summarise(t.name, runs[t.name], n, b))
    all_digests = {d for ds in digests.values() for d in ds}
    info = {
        **machine(),
        "kernels": kernels,
        "corpus": {
            "articles": articles,
            "bytes": nbytes,
            "sources": sources if not args.limit else {"first": articles},
            "recipe_articles": recipe_n,
            "recipe_bytes": sample.stat().st_size,
            "recipe_step": recipe_step,
        },
        "rounds": args.runs,
        "order": " ".join(t.name for t in tools),
        "seconds": time.perf_counter() - t_start,
        "load_min": min(loads),
        "load_max": max(loads),
        "outputs_identical": len(all_digests) == 1 if all_digests else None,
        "digests": {k: sorted(v) for k, v in digests.items()},
        "command": "python bench/speed_real.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    saved = {"info": info, "summary": summary, "runs": runs}
    out_json = args.json or scratch / "results.json"
    out_json.write_text(json.dumps(saved, indent=1) + "\n", "utf-8")
    return saved


if __name__ == "__main__":
    raise SystemExit(main())
