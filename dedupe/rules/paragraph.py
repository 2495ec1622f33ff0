"""Rule 2: a segment that repeats an earlier segment of the same article.

Exact repeats (same normalised words) are found by key in the cleaner; near
repeats here, for a whole batch of articles at once: word n-gram sets are
compared exactly, by Jaccard similarity or by containment (a later segment
lying inside an earlier one, such as a pull quote). Shared n-grams are grouped
by sorting, so the cost is linear in the number of n-grams, not in pairs of
segments. Segments with fewer than ``paragraph_min_words`` words holding a
letter are never judged here: a label, a button or a table row ("Avg shrs 65.6
mln vs 63.9 mln") legitimately recurs inside an article.
"""

from __future__ import annotations

import numpy as np

from ..config import CleanerConfig
from ..normalize import Tokens, ngrams

MAX_NEAR_WORDS = 5000  # longer segments repeat only exactly (bounds the pair counting)
_MAX_GROUP = 32  # an n-gram is compared across at most this many segments of an article


def repeated_pairs(
    tokens: Tokens,
    article_of: np.ndarray,
    config: CleanerConfig,
    eligible: np.ndarray | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Pairs (earlier i, later j) of segments of one article whose word n-gram sets are
    similar (Jaccard) or where j lies inside i (containment), with the score.
    ``eligible`` (bool per segment) says which segments are judged; by default those
    with ``paragraph_min_words`` words holding a letter."""
    if eligible is None:
        eligible = tokens.lettered >= config.paragraph_min_words
    eligible = eligible & (tokens.counts <= MAX_NEAR_WORDS)
    grams, seg = ngrams(tokens, config.paragraph_ngram, include=eligible)
    if not len(grams):
        return {}
    group = (article_of[seg].astype(np.uint64) << np.uint64(32)) | grams.astype(np.uint64)
    order = np.argsort(group, kind="stable")  # keeps segments in order within a group
    seg, group = seg[order], group[order]
    # an n-gram counts once per segment: drop repeats (adjacent after the sort)
    fresh = np.concatenate(([True], (group[1:] != group[:-1]) | (seg[1:] != seg[:-1])))
    seg, group = seg[fresh], group[fresh]
    size = np.bincount(seg, minlength=len(tokens.counts))  # distinct n-grams per segment
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for d in range(1, _MAX_GROUP):
        if d >= len(seg):
            break
        same = group[d:] == group[:-d]
        if not same.any():
            break
        same &= seg[:-d] != seg[d:]
        firsts.append(seg[:-d][same])
        seconds.append(seg[d:][same])
    if not firsts:
        return {}
    i, j = np.concatenate(firsts), np.concatenate(seconds)
    codes, inter = np.unique(
        i.astype(np.uint64) << np.uint64(32) | j.astype(np.uint64), return_counts=True
    )
    i = (codes >> np.uint64(32)).astype(np.intp)
    j = (codes & np.uint64(0xFFFFFFFF)).astype(np.intp)
    jac = inter / (size[i] + size[j] - inter)
    inside = inter / size[j]
    hit = (jac >= config.paragraph_threshold) | (inside >= config.paragraph_containment)
    out: dict[int, list[tuple[int, float]]] = {}
    for a, b, s in zip(i[hit].tolist(), j[hit].tolist(), np.maximum(jac, inside)[hit].tolist()):
        out.setdefault(b, []).append((a, s))
    return out
