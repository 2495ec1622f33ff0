#!/usr/bin/env python3
"""Where the time of one `dedupe clean` run goes, stage by stage: CPU µs per article.

Runs ``dedupe clean CORPUS -o OUT --jobs N -q`` in this process (the real CLI, real
files) under a sampling profiler: a thread wakes every ``--interval`` seconds, reads
every other thread's stack (``sys._current_frames``) and CPU clock
(``time.pthread_getcpuclockid``), and charges the CPU time each thread used since the
last sample to the stage its stack is in. Samples are taken at random points of the
code, so the estimate is unbiased; with ~1 ms samples its error is about a percent of
the total. It costs little (no per-call hooks) and names stages by the code they run, so
it keeps working while the code moves: a frame that no rule knows is listed as
``other: FILE:FUNCTION``.

A stack's stage is that of its innermost frame that a rule in `RULES` names (helper
functions and library frames are looked through to their caller); its pass is
``pass 1`` under `Cleaner._survey`, ``pass 2`` under `Cleaner._emit` or
`_choose_longest`, else ``outside`` (start-up, writing the output between results,
closing). Import time is measured the same way (the profiler starts before
``import dedupe.cli``). With ``--jobs 2`` the worker processes are not sampled (threads
are): the table is then what the parent does.

    python bench/profile_stages.py                      # the real corpus of speed_real.py
    python bench/profile_stages.py CORPUS.jsonl --jobs 1 --readme bench/README.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE / ".cache" / "speed_real" / "real.jsonl"
BLOCK = "profile-table"

# (stage, files, functions): files are paths relative to the package root ("dedupe/x.py",
# "json/decoder.py", "<frozen"...: a prefix match), functions a set of names or None (any).
# The first rule that names a frame decides; rules that name functions come first.
Rule = tuple[str, tuple[str, ...], frozenset[str] | None]

_KERNEL_FILES = (
    "dedupe/kernel.py",
    "dedupe/normalize.py",
    "dedupe/minhash.py",
    "dedupe/fingerprint.py",
    "dedupe/rules/paragraph.py",
    "dedupe/index.py",
)


def _names(*names: str) -> frozenset[str]:
    return frozenset(names)


RULES: list[Rule] = [
    ("start-up (imports)", ("<frozen importlib",), None),
    # reading
    ("read + parse", ("json/decoder.py", "json/scanner.py"), None),
    ("read + parse", ("json/__init__.py",), _names("loads")),
    ("read + parse", ("gzip.py", "_compression.py", "bz2.py", "lzma.py", "codecs.py"), None),
    (
        "read + parse",
        ("dedupe/io/formats/",),
        _names(
            "read",
            "parse_line",
            "decode",
            "article_of",
            "_type",
            "records",
            "_article",
            "sniff",
            "_reader",
            "peek",
            "skip",
            "begin",
            "__iter__",
            "__next__",
            "_count",
        ),
    ),  # fmt: skip
    (
        "read + parse",
        (
            "dedupe/io/readers.py",
            "dedupe/io/content.py",
            "dedupe/io/compression.py",
            "dedupe/io/encoding.py",
        ),
        None,
    ),  # fmt: skip
    ("read + parse", ("dedupe/records.py",), _names("from_dict")),
    ("read + parse", ("dedupe/cleaner.py",), _names("_batches")),
    # the per-article fingerprint (both kernel paths: the compiled wrappers in kernel.py
    # and their numpy twins)
    ("segment", ("dedupe/segment.py",), _names("segment", "find_separator")),
    ("normalise", ("dedupe/normalize.py",), _names("normalize", "normalize_many", "_unify")),
    ("normalise", ("dedupe/fingerprint.py",), _names("norms_of_lines")),
    ("kernel: tokenise + hash words", _KERNEL_FILES, _names("tokenize")),
    ("kernel: segment keys", _KERNEL_FILES, _names("segment_keys")),
    ("kernel: distinct words", _KERNEL_FILES, _names("distinct_words")),
    ("kernel: paragraph pairs", _KERNEL_FILES, _names("repeated_pairs")),
    ("kernel: word n-grams", _KERNEL_FILES, _names("ngrams", "ngram_count")),
    ("kernel: MinHash", _KERNEL_FILES, _names("signatures", "signature")),
    ("kernel: body digest", _KERNEL_FILES, _names("sequence_digest")),
    ("duplicate index", _KERNEL_FILES, _names("band_keys")),
    (
        "keys + shapes (Python)",
        ("dedupe/normalize.py",),
        _names("exact_key", "keys_of", "shape", "shape_key", "is_date_line"),
    ),
    ("title-tag parts", ("dedupe/rules/headline.py",), _names("title_parts")),
    (
        "body arrays (around MinHash)",
        ("dedupe/fingerprint.py",),
        _names("bodies", "bottom_k", "_figure_pairs", "_distinct"),
    ),
    ("fingerprint glue", ("dedupe/fingerprint.py",), None),
    # decisions
    ("title + headline decisions", ("dedupe/rules/title.py", "dedupe/rules/headline.py"), None),
    ("boilerplate", ("dedupe/rules/boilerplate.py",), None),
    (
        "boilerplate",
        ("dedupe/stages.py",),
        _names("_boilerplate", "_affixes", "is_prose", "_quoted", "_embedded", "site_of"),
    ),
    ("boilerplate", ("dedupe/cleaner.py",), _names("_count")),
    ("decide: paragraph repeats + verdict", ("dedupe/stages.py",), _names("decide", "_repeat")),
    ("survey / decide batch glue", ("dedupe/stages.py",), None),
    ("duplicate index", ("dedupe/index.py",), None),
    ("duplicate index", ("dedupe/spool.py",), _names("add", "by_length", "_rows")),
    (
        "duplicate index",
        ("dedupe/cleaner.py",),
        _names("_index", "_choose_longest", "_spool_bodies", "kept_length"),
    ),
    # results and output
    ("result (cut spans, objects)", ("dedupe/segment.py",), _names("cut_spans", "splice", "cuts")),
    ("result (cut spans, objects)", ("dedupe/cleaner.py",), _names("_result", "_title")),
    ("result (cut spans, objects)", ("dedupe/records.py",), None),
    ("summary + names", ("dedupe/report/summary.py", "dedupe/report/rows.py"), None),
    ("summary + names", ("dedupe/cleaner.py",), _names("append", "__getitem__", "__len__")),
    ("write", ("dedupe/io/writers.py", "dedupe/io/atomic.py", "dedupe/io/jsontext.py"), None),
    ("write", ("dedupe/io/formats/",), None),
    ("write", ("json/encoder.py",), None),
    ("write", ("json/__init__.py",), _names("dumps")),
    ("segment", ("dedupe/segment.py",), None),
    ("workers (pool, pickling)", ("dedupe/parallel.py", "concurrent/", "multiprocessing/"), None),
    ("cleaner glue", ("dedupe/cleaner.py",), None),
    (
        "CLI + run set-up",
        ("dedupe/cli.py", "dedupe/run.py", "dedupe/io/", "dedupe/config.py", "dedupe/settings.py"),
        None,
    ),
]

# Helpers looked through to their caller (shared by several stages).
TRANSPARENT: list[tuple[tuple[str, ...], frozenset[str] | None]] = [
    (
        ("dedupe/normalize.py",),
        _names("words", "char_ngrams", "jaccard", "fmix64", "_pow_tables"),
    ),
    (("dedupe/kernel.py",), _names("fmix64", "backend")),
    (("dedupe/minhash.py",), _names("similarity", "containment", "fmix32", "lean")),
    (("dedupe/rules/headline.py",), _names("flat", "strip_labels", "parts")),
]

PASSES = {"_survey": "pass 1", "_emit": "pass 2", "_choose_longest": "pass 2"}
COLUMNS = ("pass 1", "pass 2", "outside")


def relative(path: str) -> str:
    """A frame's file as the rules name it: from the ``dedupe/`` package on, else the
    stdlib or library module path (``json/decoder.py``), else as is (``<frozen ...>``)."""
    if path.startswith("<"):
        return path
    parts = Path(path).parts
    for anchor in ("dedupe", "json", "concurrent", "multiprocessing", "numpy", "datasketch"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            if anchor != "dedupe" or i + 1 < len(parts):
                return "/".join(parts[i:])
    return parts[-1] if parts else path


@dataclass
class Sampler:
    """Charges each thread's CPU time, sample by sample, to the stage of its stack."""

    interval: float
    spent: dict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))
    samples: int = 0
    _codes: dict[CodeType, tuple[str, str | None]] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        for ident in sys._current_frames():
            self._last[ident] = self._clock(ident)
        self._thread = threading.Thread(target=self._loop, name="profile-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()  # the tail since the last sample

    @staticmethod
    def _clock(ident: int) -> float:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident == me or (self._thread is not None and ident == self._thread.ident):
                continue
            now = self._clock(ident)
            used = now - self._last.get(ident, 0.0)
            self._last[ident] = now
            if used > 0:
                self.spent[self.classify(frame)] += used
        self.samples += 1

    def _code(self, code: CodeType) -> tuple[str, str | None]:
        """(kind, stage) of a code object: ("stage", name), ("see-through", None) or
        ("unknown", "file:function"); cached."""
        found = self._codes.get(code)
        if found is not None:
            return found
        rel = relative(code.co_filename)
        name = code.co_name
        result: tuple[str, str | None] = ("unknown", f"{rel}:{name}")
        if any(
            rel.startswith(files) and (funcs is None or name in funcs)
            for files, funcs in TRANSPARENT
        ):
            result = ("see-through", None)
        else:
            for stage, files, funcs in RULES:
                if rel.startswith(files) and (funcs is None or name in funcs):
                    result = ("stage", stage)
                    break
        self._codes[code] = result
        return result

    def classify(self, frame: FrameType | None) -> tuple[str, str]:
        stage: str | None = None
        first_unknown: str | None = None
        first_dedupe_unknown: str | None = None
        phase = "outside"
        f = frame
        while f is not None:
            code = f.f_code
            if stage is None:
                kind, what = self._code(code)
                if kind == "stage":
                    stage = what
                elif kind == "unknown":
                    first_unknown = first_unknown or what
                    if what is not None and what.startswith("dedupe/"):
                        first_dedupe_unknown = first_dedupe_unknown or what
            if code.co_name in PASSES and code.co_filename.endswith("cleaner.py"):
                phase = PASSES[code.co_name]
            f = f.f_back
        if stage is None:
            stage = f"other: {first_dedupe_unknown or first_unknown or '?'}"
        return stage, phase


def order_of(stage: str) -> int:
    names = list(dict.fromkeys(rule[0] for rule in RULES))
    return names.index(stage) if stage in names else len(names)


def profile(corpus: Path, out: Path, jobs: int, interval: float) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    articles = sum(1 for line in corpus.open("rb") if line.strip())
    sampler = Sampler(interval)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sampler.start()
    import click

    import dedupe.cli as cli  # start-up, sampled

    t_import = time.perf_counter() - wall0
    argv = ["clean", str(corpus), "-o", str(out), "--jobs", str(jobs), "-q"]
    try:
        cli.cli.main(argv, prog_name="dedupe", standalone_mode=False)  # the click group
    except click.ClickException as error:
        raise SystemExit(f"dedupe clean failed: {error.format_message()}") from None
    sampler.stop()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    children = os.times()
    from dedupe.kernel import describe

    shutil.rmtree(out, ignore_errors=True)
    return {
        "articles": articles,
        "bytes": corpus.stat().st_size,
        "corpus": str(corpus),
        "jobs": jobs,
        "kernel": describe(),
        "cpu_s": cpu,
        "wall_s": wall,
        "import_s": t_import,
        "children_cpu_s": children.children_user + children.children_system,
        "samples": sampler.samples,
        "interval": interval,
        "spent": [[s, p, v] for (s, p), v in sampler.spent.items()],
        "load": list(os.getloadavg()),
    }


def render(saved: dict[str, Any], top_other: int = 8) -> str:
    n = saved["articles"]
    table: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0.0))
    for stage, phase, seconds in saved["spent"]:
        table[stage][phase] += seconds
    named = sorted((s for s in table if not s.startswith("other: ")), key=order_of)
    others = sorted(
        (s for s in table if s.startswith("other: ")), key=lambda s: -sum(table[s].values())
    )
    total = sum(sum(v.values()) for v in table.values())

    def row(name: str, values: dict[str, float]) -> str:
        cells = [f"{values[c] / n * 1e6:.0f}" if values[c] else "–" for c in COLUMNS]
        all_ = sum(values.values())
        return (
            f"| {name} | {' | '.join(cells)} | {all_ / n * 1e6:.0f} | {100 * all_ / total:.1f}% |"
        )

    lines = [
        "| stage | pass 1 | pass 2 | outside the passes | total µs/article | share |",
        "|---|---|---|---|---|---|",
    ]
    lines += [row(s, table[s]) for s in named]
    for s in others[:top_other]:
        lines.append(row(f"`{s}`", table[s]))
    if len(others) > top_other:
        rest = dict.fromkeys(COLUMNS, 0.0)
        for s in others[top_other:]:
            for c in COLUMNS:
                rest[c] += table[s][c]
        lines.append(row(f"other ({len(others) - top_other} more places)", rest))
    sums = {c: sum(v[c] for v in table.values()) for c in COLUMNS}
    lines.append(row("**total (sampled)**", sums))
    load = saved["load"]
    lines += [
        "",
        f"One run of `dedupe clean {Path(saved['corpus']).name} -o OUT --jobs {saved['jobs']} "
        f"-q` in-process on {n:,} articles ({saved['bytes'] / 1e6:.1f} MB), kernel: "
        f"{saved['kernel']}. CPU time sampled every {saved['interval'] * 1e3:g} ms "
        f"({saved['samples']:,} samples): {total:.1f} s; the process's CPU time "
        f"{saved['cpu_s']:.1f} s (the sampler's own share is the difference), wall "
        f"{saved['wall_s']:.1f} s, of which {saved['import_s']:.2f} s importing dedupe."
        + (
            f" Worker processes (not sampled) used {saved['children_cpu_s']:.1f} s CPU."
            if saved["jobs"] > 1
            else ""
        ),
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, "
        f"{load[2]:.1f} on {os.cpu_count()} cores: a loaded machine inflates CPU time too "
        "(shared caches), so read the shares more than the absolute figures.",
        f"Command: `{saved['command']}`.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.001, help="seconds between samples")
    ap.add_argument("--out", type=Path, help="scratch output folder")
    ap.add_argument("--json", type=Path, help="save the figures here")
    ap.add_argument("--readme", type=Path, help="regenerate the profile table here")
    ap.add_argument("--from-json", type=Path, help="only render saved figures")
    args = ap.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text("utf-8"))
    else:
        if not args.corpus.exists():
            if args.corpus != DEFAULT_CORPUS:
                raise SystemExit(f"no such corpus: {args.corpus}")
            sys.path.insert(0, str(HERE))
            from speed_real import DEFAULT_DATA, build_corpus

            build_corpus(DEFAULT_DATA, DEFAULT_CORPUS)
        out = args.out or HERE / ".cache" / "profile-out"
        saved = profile(args.corpus, out, args.jobs, args.interval)
        saved["command"] = "python bench/profile_stages.py " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        if args.json:
            args.json.write_text(json.dumps(saved, indent=1) + "\n", "utf-8")
    md = render(saved)
    print(md)
    if args.readme:
        sys.path.insert(0, str(HERE))
        from perflib import replace_block

        replace_block(
            args.readme, BLOCK, "bench/profile_stages.py", md, "## Profile: time per stage"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
