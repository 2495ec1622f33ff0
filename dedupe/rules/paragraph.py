"""Rule 2: a segment that repeats an earlier segment of the same article.

Exact repeats (after normalisation) are found by key; near repeats by the
Jaccard similarity of word 3-gram sets, or by containment (a shortened copy of
an earlier paragraph, such as a pull quote). Both are computed exactly: an
article has few segments. Segments shorter than ``min_words`` are never
judged here (a label or a button legitimately recurs inside an article).
"""

from __future__ import annotations

from collections import Counter

_MAX_POSTINGS = 64  # bounds the work per shingle in articles with thousands of segments


class ParagraphIndex:
    """The earlier segments of one article."""

    def __init__(self, threshold: float, containment: float) -> None:
        self.threshold = threshold
        self.containment = containment
        self._keys: dict[int, int] = {}
        self._sets: dict[int, set[int]] = {}
        self._postings: dict[int, list[int]] = {}

    def match(self, key: int, shingles: set[int]) -> tuple[int, float] | None:
        """(index of the earlier segment, similarity) if this segment repeats one."""
        if key in self._keys:
            return self._keys[key], 1.0
        if not shingles:
            return None
        overlap: Counter[int] = Counter()
        for s in shingles:
            overlap.update(self._postings.get(s, ()))
        best: tuple[int, float] | None = None
        for index, inter in overlap.items():
            other = len(self._sets[index])
            jac = inter / (len(shingles) + other - inter)
            contained = inter / len(shingles)
            if jac >= self.threshold or contained >= self.containment:
                score = max(jac, contained)
                if best is None or score > best[1]:
                    best = (index, score)
        return best

    def add(self, index: int, key: int, shingles: set[int]) -> None:
        self._keys.setdefault(key, index)
        self._sets[index] = shingles
        for s in shingles:
            posting = self._postings.setdefault(s, [])
            if len(posting) < _MAX_POSTINGS:
                posting.append(index)
