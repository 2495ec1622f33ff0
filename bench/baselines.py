#!/usr/bin/env python3
"""What users would run instead of dedupe, with dedupe's input/output layout.

Methods (document-level ones keep the first of each near-duplicate group and
write kept articles unchanged; line-level ones drop repeated lines):
  recipe        datasketch README recipe: one MinHash per article updated
                shingle by shingle, MinHashLSH, keep first
  bulk          datasketch MinHash.bulk + MinHashLSH, keep first
  rensa         rensa RMinHashDeduplicator.add_pairs on token sets (bulk API)
  lines         per-file exact line dedup, like awk '!seen[$0]++' FILE
  lines-global  corpus-wide exact line dedup, like awk '!seen[$0]++' over all files

INPUT is files or folders (recursive, sorted): .txt = one article (id = path
relative to the folder given), .jsonl = one article per line (fields id, title,
text).  Output mirrors dedupe clean: folders under OUTDIR with the same
relative paths; dropped .txt articles are not written.

Example: python bench/baselines.py recipe /tmp/corpus/txt -o /tmp/out-recipe
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

METHODS = ("recipe", "bulk", "rensa", "lines", "lines-global")


@dataclass
class Item:
    rel: Path  # output-relative file
    kind: str  # "txt" | "jsonl"
    record: dict[str, object]  # for txt: {"id": rel, "text": whole file}

    @property
    def text(self) -> str:
        return str(self.record.get("text", ""))


def iter_inputs(inputs: list[Path], limit: int | None) -> Iterator[Item]:
    n = 0
    for inp in inputs:
        if inp.is_dir():
            files = sorted(p for p in inp.rglob("*") if p.suffix in (".txt", ".jsonl"))
            pairs = [(f, f.relative_to(inp)) for f in files]
        else:
            pairs = [(inp, Path(inp.name))]
        for f, rel in pairs:
            if f.suffix == ".txt":
                yield Item(rel, "txt", {"id": rel.as_posix(), "text": f.read_text("utf-8")})
                n += 1
            else:
                with f.open(encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            if limit is not None and n >= limit:
                                return
                            yield Item(rel, "jsonl", json.loads(line))
                            n += 1
            if limit is not None and n >= limit:
                return


def word_shingles(text: str, n: int) -> list[str]:
    w = text.lower().split()
    if len(w) < n:
        return [" ".join(w)]
    return list({" ".join(w[i : i + n]) for i in range(len(w) - n + 1)})


def keep_flags(
    items: list[Item], method: str, threshold: float, num_perm: int, ngram: int
) -> list[bool]:
    if method == "recipe":
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        flags = []
        for i, it in enumerate(items):
            m = MinHash(num_perm=num_perm)
            for s in word_shingles(it.text, ngram):
                m.update(s.encode("utf8"))
            if lsh.query(m):
                flags.append(False)
            else:
                lsh.insert(str(i), m)
                flags.append(True)
        return flags
    if method == "bulk":
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        sets = [[s.encode("utf8") for s in word_shingles(it.text, ngram)] for it in items]
        flags = []
        for i, m in enumerate(MinHash.bulk(sets, num_perm=num_perm)):
            if lsh.query(m):
                flags.append(False)
            else:
                lsh.insert(str(i), m)
                flags.append(True)
        return flags
    if method == "rensa":
        import rensa

        dedup = rensa.RMinHashDeduplicator(threshold, num_perm, True, 16)
        pairs = [(str(i), word_shingles(it.text, ngram)) for i, it in enumerate(items)]
        return [bool(x) for x in dedup.add_pairs(pairs)]
    raise ValueError(method)


def line_dedup(items: list[Item], global_: bool) -> list[str]:
    seen: set[str] = set()
    out = []
    last_rel: Path | None = None
    for it in items:
        if not global_ and (it.kind == "txt" or it.rel != last_rel):
            seen = set()
        last_rel = it.rel
        kept = []
        for line in it.text.split("\n"):
            if line not in seen:
                seen.add(line)
                kept.append(line)
        out.append("\n".join(kept))
    return out


def write_outputs(items: list[Item], keep: list[bool], texts: list[str], out: Path) -> None:
    jsonl: dict[Path, list[str]] = {}
    for it, k, text in zip(items, keep, texts, strict=True):
        target = out / it.rel
        if it.kind == "txt":
            if k:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        else:
            rows = jsonl.setdefault(target, [])
            if k:
                rec = dict(it.record)
                rec["text"] = text
                rows.append(json.dumps(rec, ensure_ascii=False))
    for target, rows in jsonl.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def run(
    method: str,
    inputs: list[Path],
    out: Path | None,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    limit: int | None = None,
) -> dict[str, float]:
    t0 = time.perf_counter()
    items = list(iter_inputs(inputs, limit))
    if method in ("lines", "lines-global"):
        texts = line_dedup(items, method == "lines-global")
        keep = [True] * len(items)
    else:
        keep = keep_flags(items, method, threshold, num_perm, ngram)
        texts = [it.text for it in items]
    if out is not None:
        write_outputs(items, keep, texts, out)
    return {"articles": len(items), "kept": sum(keep), "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("method", choices=METHODS)
    ap.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    ap.add_argument("-o", "--out", type=Path, help="output folder (omit: no output written)")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--ngram", type=int, default=5, help="word n-gram size")
    ap.add_argument("--limit", type=int, help="only the first N articles")
    args = ap.parse_args(argv)
    stats = run(
        args.method, args.inputs, args.out, args.threshold, args.num_perm, args.ngram, args.limit
    )
    print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
