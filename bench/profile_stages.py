"""Where the time of one fingerprinting pass goes, stage by stage (single process).

    python bench/speed.py --sizes 10000 --runs 1 --tools dedupe   # makes the corpus
    python bench/profile_stages.py bench/.cache/speed/articles-10000-seed7.jsonl

Times each step of `fingerprint_batch` and the per-article decisions on batches
of 256 articles, and prints seconds per stage and microseconds per article.
For a call-tree view, run `pyinstrument -m dedupe clean CORPUS -o OUT --jobs 1`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dedupe import CleanerConfig
from dedupe.fingerprint import fingerprint_batch
from dedupe.minhash import Hasher
from dedupe.normalize import SEP, ngrams, normalize_many, segment_keys, tokenize
from dedupe.records import Article
from dedupe.rules.paragraph import repeated_pairs
from dedupe.segment import segment
from dedupe.stages import decide


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a JSONL file with id and text")
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    config, hasher = CleanerConfig(), Hasher(128, 1)
    with args.corpus.open(encoding="utf-8") as fh:
        articles = [Article(str(i), json.loads(line)["text"]) for i, line in enumerate(fh)]
    spent: dict[str, float] = {}

    def timed(name: str, start: float) -> None:
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    for lo in range(0, len(articles), args.batch):
        batch = articles[lo : lo + args.batch]
        t = time.perf_counter()
        segments = [segment(a.text) for a in batch]
        timed("segment", t)
        flat = [s.text.replace(SEP, " ") for ss in segments for s in ss]
        t = time.perf_counter()
        norms = normalize_many(flat)
        timed("normalize", t)
        t = time.perf_counter()
        tokens = tokenize(norms)
        timed("tokenize + hash words", t)
        t = time.perf_counter()
        segment_keys(tokens, norms)
        timed("segment keys", t)
        t = time.perf_counter()
        shingles, owner = ngrams(tokens, config.shingle_size)
        timed("word 5-grams", t)
        t = time.perf_counter()
        hasher.signatures(shingles, owner, len(norms))
        timed("minhash (128 perms)", t)
        article_of = np.repeat(np.arange(len(batch)), [len(s) for s in segments])
        t = time.perf_counter()
        repeated_pairs(tokens, article_of, config)
        timed("repeated-paragraph pairs", t)
        t = time.perf_counter()
        fingerprints = fingerprint_batch(batch, config, hasher)
        timed("= fingerprint_batch (all of the above)", t)
        t = time.perf_counter()
        for fp in fingerprints:
            decide(fp, config, {})
        timed("decide (headline, paragraph)", t)
    n = len(articles)
    print(f"{n} articles, {args.corpus.stat().st_size / 1e6:.1f} MB")
    for name, seconds in spent.items():
        print(f"{name:40s} {seconds:7.2f} s {seconds / n * 1e6:8.0f} us/article")


if __name__ == "__main__":
    main()
