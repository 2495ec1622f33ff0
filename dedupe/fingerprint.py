"""Fingerprint a batch of articles at once: segments, keys, shingles, MinHash signatures.

Everything that does not depend on the rest of the corpus is computed here, in
bulk: the segments of every article of a batch are normalised as one string,
tokenised and hashed as one byte array with numpy, and their MinHash
signatures computed with one numpy operation per block of shingles. Python
does a constant amount of work per segment; nothing is done per word or per
shingle in Python. A fingerprint is a pure function of the article and the
config, so batches can be computed in any process, in any order.

Words are maximal runs of ASCII letters, digits and ``_`` and of non-ASCII
characters in the normalised text (normalisation has already turned quotes,
dashes and spaces into ASCII).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import CleanerConfig
from .minhash import Hasher
from .normalize import SEP, ngrams, normalize_many, segment_keys, tokenize
from .records import Article, Segment
from .rules.paragraph import repeated_pairs
from .segment import segment


@dataclass
class Fingerprint:
    """One article's segments and everything the rules compare about them."""

    article: Article
    segments: list[Segment]
    norms: list[str]
    keys: np.ndarray  # uint64 per segment
    words: np.ndarray  # word count per segment
    lettered: np.ndarray  # words holding a letter, per segment
    sizes: np.ndarray  # shingles per segment
    signatures: np.ndarray  # (segments, num_perm) uint32
    repeats: dict[int, list[tuple[int, float]]]  # later segment -> [(earlier, score)]

    def body(self, keep: list[int]) -> tuple[np.ndarray, int, int]:
        """(signature, shingles, words) of the given segments together."""
        if not keep:
            return np.full(self.signatures.shape[1], 0xFFFFFFFF, np.uint32), 0, 0
        sig: np.ndarray = self.signatures[keep].min(axis=0)
        return sig, int(self.sizes[keep].sum()), int(self.words[keep].sum())


def fingerprint_batch(
    articles: Sequence[Article], config: CleanerConfig, hasher: Hasher, repeats: bool = True
) -> list[Fingerprint]:
    """Fingerprints of a batch of articles (any batch size gives the same fingerprints).
    ``repeats=False`` skips looking for repeated paragraphs (the survey does not need them)."""
    segs = [segment(a.text) for a in articles]
    flat = [s.text.replace(SEP, " ") for ss in segs for s in ss]
    norms = normalize_many(flat) if flat else []
    tokens = tokenize(norms)
    keys = segment_keys(tokens, norms)
    total = len(norms)
    shingles, owner = ngrams(tokens, config.shingle_size)
    sizes = np.bincount(owner, minlength=total)  # shingles (repeats within one are rare)
    signatures = hasher.signatures(shingles, owner, total)
    article_of = np.repeat(np.arange(len(articles), dtype=np.intp), [len(ss) for ss in segs])
    pairs = repeated_pairs(tokens, article_of, config) if config.paragraphs and repeats else {}
    out = []
    base = 0
    for article, ss in zip(articles, segs):
        end = base + len(ss)
        mine = {
            j - base: [(i - base, score) for i, score in pairs[j]]
            for j in range(base, end)
            if j in pairs
        }
        out.append(
            Fingerprint(
                article,
                ss,
                norms[base:end],
                keys[base:end],
                tokens.counts[base:end],
                tokens.lettered[base:end],
                sizes[base:end],
                signatures[base:end],
                mine,
            )
        )
        base = end
    return out
