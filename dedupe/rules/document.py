"""Rule 4: near-duplicate articles, by MinHash LSH over their cleaned bodies.

Candidates come from datasketch's ``MinHashLSH`` with bands chosen for recall
(the default 42 bands of 3 rows find a pair of Jaccard 0.5 with probability
0.996, and 0.3 with 0.68); every candidate is then verified: estimated Jaccard
at least ``threshold``, or one body estimated to lie at least ``containment``
inside the other (an abridged copy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import MinHashLSH

from ..minhash import Hasher, containment, similarity


@dataclass(frozen=True)
class Match:
    key: int
    similarity: float  # the verified score: Jaccard or containment, whichever passed


class DuplicateIndex:
    """Bodies seen so far; finds the best verified near duplicate of a new body."""

    def __init__(
        self, hasher: Hasher, bands: int, rows: int, threshold: float, contained: float
    ) -> None:
        self.hasher = hasher
        self.threshold = threshold
        self.contained = contained
        self._lsh = MinHashLSH(num_perm=hasher.num_perm, params=(bands, rows))
        self._sigs: dict[int, np.ndarray] = {}
        self._sizes: dict[int, int] = {}

    def find(self, signature: np.ndarray, size: int) -> Match | None:
        best: Match | None = None
        for key in self._lsh.query(self.hasher.lean(signature)):
            jac = similarity(signature, self._sigs[key])
            other = self._sizes[key]
            score = 0.0
            if jac >= self.threshold:
                score = jac
            else:
                inside = max(containment(jac, size, other), containment(jac, other, size))
                if inside >= self.contained:
                    score = inside
            if score and (best is None or (score, -key) > (best.similarity, -best.key)):
                best = Match(key, score)
        return best

    def add(self, key: int, signature: np.ndarray, size: int) -> None:
        self._lsh.insert(key, self.hasher.lean(signature), check_duplication=False)
        self._sigs[key] = signature
        self._sizes[key] = size
