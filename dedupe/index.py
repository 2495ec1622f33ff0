"""A compact near-duplicate index for articles, queried a batch at a time.

Candidates come from two keys:

* **MinHash LSH bands**, as datasketch's ``MinHashLSH(params=(bands, rows))``:
  each band of a signature becomes a 32-bit key. Bands are chosen for recall
  (42 bands of 3 rows find a pair at Jaccard 0.5 with probability 0.996).
* **Paragraph anchors**: the exact keys of an article's long paragraphs. An
  abridged copy shares whole paragraphs with the original but may have a low
  Jaccard similarity (a third of the text: J ≈ 0.3), which LSH finds by chance
  only; a shared paragraph finds it always.

Every candidate is verified: estimated Jaccard ≥ ``threshold``, or one body
lying ≥ ``contained`` inside the other, estimated from MinHash and sizes or
measured as the share of its words in paragraphs found in the other.

Keys live in sorted numpy runs merged as they grow (as in a log-structured
merge tree), so inserting is amortised O(log n) per key and a batch of queries
is a few ``searchsorted`` calls. Per indexed article the index holds its
signature (4 bytes per permutation), 8 bytes per band, up to ``MAX_ANCHORS``
anchors of 12 bytes, and 20 bytes of sizes and ids: 964 bytes by default.

Within a batch, decisions are taken in order: an article is compared with the
indexed ones and with those of the same batch that came before it and were
kept, so the result does not depend on the batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .minhash import containment

MAX_BUCKET = 64  # candidates taken from one key: bounds the work on giant buckets
MAX_ANCHORS = 8  # paragraph anchors stored per indexed article


@dataclass(frozen=True)
class Match:
    key: int  # id of the indexed (kept) article
    similarity: float  # the verified score: Jaccard, or containment when that passed


@dataclass
class Bodies:
    """A batch of article bodies to check, in order."""

    ids: np.ndarray  # int64 caller ids
    signatures: np.ndarray  # (n, num_perm) uint32
    sizes: np.ndarray  # shingles per body
    words: np.ndarray  # words per body
    eligible: np.ndarray  # bool: bodies too short are neither matched nor indexed
    anchor_keys: np.ndarray  # uint64 exact keys of long paragraphs, all bodies together
    anchor_words: np.ndarray  # words of each of those paragraphs
    anchor_owner: np.ndarray  # body (row) of each anchor, non-decreasing


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint32 keys: a hash of each band's rows, salted with the band number."""
    n = len(signatures)
    parts = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    h = np.zeros((n, bands), dtype=np.uint64) + np.arange(bands, dtype=np.uint64)[None, :]
    for r in range(rows):
        h = (h ^ parts[:, :, r]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    out: np.ndarray = (h >> np.uint64(32)).astype(np.uint32)
    return out


class DuplicateIndex:
    """Kept article bodies; finds, for each new one, its best verified duplicate."""

    def __init__(
        self, num_perm: int, bands: int, rows: int, threshold: float, contained: float
    ) -> None:
        self.bands, self.rows = bands, rows
        self.threshold, self.contained = threshold, contained
        self._band_runs = _SortedRuns(np.uint32)  # band keys (salted with the band number)
        self._anchor_runs = _SortedRuns(np.uint64)  # paragraph key
        self._sigs = _Rows((num_perm,), np.uint32)
        self._sizes = _Rows((), np.int32)
        self._words = _Rows((), np.int32)
        self._ids = _Rows((), np.int64)  # caller's id of each stored row

    def __len__(self) -> int:
        return len(self._ids.data)

    def nbytes(self) -> int:
        """Memory held by the index, in bytes."""
        parts = (
            self._band_runs,
            self._anchor_runs,
            self._sigs,
            self._sizes,
            self._words,
            self._ids,
        )
        return sum(p.nbytes() for p in parts)

    def process(
        self, bodies: Bodies, on_keep: Callable[[int], None] | None = None
    ) -> list[Match | None]:
        """For each body in order: its best verified match among the kept ones, or None
        (then it is kept and indexed if eligible)."""
        n = len(bodies.ids)
        results: list[Match | None] = [None] * n
        if n == 0:
            return results
        bands = band_keys(bodies.signatures, self.bands, self.rows).ravel()
        band_owner = np.repeat(np.arange(n), self.bands)
        # candidates: (row, other, stored?) -> words of the row's paragraphs found in other
        shared: dict[tuple[int, int, bool], int] = {}
        stored_band = self._band_runs.lookup(bands, band_owner)
        a, b = _pairs_within(bands, band_owner)
        batch_band = (band_owner[a], band_owner[b])
        stored_anchor = self._anchor_runs.lookup(
            bodies.anchor_keys, np.arange(len(bodies.anchor_keys))
        )
        batch_anchor = _pairs_within(bodies.anchor_keys, np.arange(len(bodies.anchor_keys)))
        for q, s in zip(*stored_band):
            shared.setdefault((int(q), int(s), True), 0)
        for a, b in zip(*batch_band):
            shared.setdefault((int(b), int(a), False), 0)
        owner, words = bodies.anchor_owner, bodies.anchor_words
        for q, s in zip(*stored_anchor):
            k = (int(owner[q]), int(s), True)
            shared[k] = shared.get(k, 0) + int(words[q])
        for a, b in zip(*batch_anchor):
            if owner[a] != owner[b]:
                k = (int(owner[b]), int(owner[a]), False)
                shared[k] = shared.get(k, 0) + int(words[b])
        candidates: dict[int, list[tuple[int, bool, int]]] = {}
        for (row, other, stored), found in shared.items():
            candidates.setdefault(row, []).append((other, stored, found))
        kept = np.zeros(n, dtype=bool)
        for row in range(n):
            if not bodies.eligible[row]:
                continue
            best: Match | None = None
            for other, stored, found in candidates.get(row, ()):
                if stored:
                    sig, size = self._sigs.data[other], int(self._sizes.data[other])
                    words_other, key = int(self._words.data[other]), int(self._ids.data[other])
                elif kept[other] and other < row:
                    sig, size = bodies.signatures[other], int(bodies.sizes[other])
                    words_other, key = int(bodies.words[other]), int(bodies.ids[other])
                else:
                    continue
                score = self._verify(
                    bodies.signatures[row], int(bodies.sizes[row]), int(bodies.words[row]),
                    sig, size, words_other, found,
                )  # fmt: skip
                if score and (best is None or (score, -key) > (best.similarity, -best.key)):
                    best = Match(key, score)
            results[row] = best
            if best is None:
                kept[row] = True
                if on_keep is not None:
                    on_keep(row)
        self._insert(bodies, kept, bands)
        return results

    def _verify(
        self, a: np.ndarray, size_a: int, words_a: int, b: np.ndarray, size_b: int,
        words_b: int, found: int,
    ) -> float:  # fmt: skip
        jac = float(np.count_nonzero(a == b)) / len(a)
        if jac >= self.threshold:
            return jac
        inside = max(containment(jac, size_a, size_b), containment(jac, size_b, size_a))
        if found and words_a and words_b:
            # ``found`` words of a's paragraphs are paragraphs of b (and so of b's words)
            inside = max(inside, min(1.0, found / words_a), min(1.0, found / words_b))
        return inside if inside >= self.contained else 0.0

    def _insert(self, bodies: Bodies, kept: np.ndarray, bands: np.ndarray) -> None:
        rows = np.flatnonzero(kept)
        if not len(rows):
            return
        start = len(self._ids.data)
        stored = np.full(len(kept), -1, dtype=np.int64)
        stored[rows] = np.arange(start, start + len(rows))
        self._sigs.extend(bodies.signatures[rows])
        self._sizes.extend(bodies.sizes[rows])
        self._words.extend(bodies.words[rows])
        self._ids.extend(bodies.ids[rows])
        band_rows = stored[np.repeat(np.arange(len(kept)), self.bands)]
        mask = band_rows >= 0
        self._band_runs.insert(bands[mask], band_rows[mask])
        owner = bodies.anchor_owner
        mine = stored[owner] >= 0 if len(owner) else np.zeros(0, dtype=bool)
        if mine.any():
            first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
            rank = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
            mine &= rank < MAX_ANCHORS
            self._anchor_runs.insert(bodies.anchor_keys[mine], stored[owner[mine]])


def _pairs_within(keys: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (earlier, later) of positions with equal keys (at most MAX_BUCKET apart in a
    group), as indexes into ``keys``; pairs with the same owner are left out."""
    if len(keys) < 2:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    order = np.lexsort((np.arange(len(keys)), keys))
    sorted_keys = keys[order]
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for d in range(1, MAX_BUCKET):
        same = sorted_keys[d:] == sorted_keys[:-d]
        if not same.any():
            break
        a, b = order[:-d][same], order[d:][same]
        other = owner[a] != owner[b]
        firsts.append(a[other])
        seconds.append(b[other])
    if not firsts:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    return np.concatenate(firsts), np.concatenate(seconds)


class _SortedRuns:
    """A multiset of (key, row) pairs in sorted runs, merged geometrically."""

    def __init__(self, dtype: type) -> None:
        self.dtype = dtype
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        run: tuple[np.ndarray, np.ndarray] = (
            keys[order].astype(self.dtype),
            rows[order].astype(np.uint32),
        )
        while self._runs and len(self._runs[-1][0]) <= 2 * len(run[0]):
            prev = self._runs.pop()
            merged_keys = np.concatenate((prev[0], run[0]))
            merged_rows = np.concatenate((prev[1], run[1]))
            order = np.argsort(merged_keys, kind="stable")
            run = (merged_keys[order], merged_rows[order])
        self._runs.append(run)

    def lookup(self, keys: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unique pairs (owner of a query key, stored row) for every stored equal key."""
        qs: list[np.ndarray] = []
        ss: list[np.ndarray] = []
        for run_keys, run_rows in self._runs:
            lo = np.searchsorted(run_keys, keys, "left")
            hi = np.searchsorted(run_keys, keys, "right")
            count = np.minimum(hi - lo, MAX_BUCKET)
            total = int(count.sum())
            if not total:
                continue
            offsets = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
            qs.append(np.repeat(owner, count))
            ss.append(run_rows[offsets])
        if not qs:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        codes = np.unique(
            np.concatenate(qs).astype(np.int64) << 32 | np.concatenate(ss).astype(np.int64)
        )
        return (codes >> 32).astype(np.intp), (codes & 0xFFFFFFFF).astype(np.intp)

    def nbytes(self) -> int:
        return sum(int(k.nbytes + r.nbytes) for k, r in self._runs)


class _Rows:
    """A growable array of rows (capacity grows by a quarter: amortised O(1) appends)."""

    def __init__(self, shape: tuple[int, ...], dtype: type) -> None:
        self._buf: np.ndarray = np.empty((16, *shape), dtype=dtype)
        self._len = 0

    @property
    def data(self) -> np.ndarray:
        return self._buf[: self._len]

    def extend(self, rows: np.ndarray) -> None:
        need = self._len + len(rows)
        if need > len(self._buf):
            size = max(need, len(self._buf) * 5 // 4)
            bigger = np.empty((size, *self._buf.shape[1:]), dtype=self._buf.dtype)
            bigger[: self._len] = self._buf[: self._len]
            self._buf = bigger
        self._buf[self._len : need] = rows
        self._len = need

    def nbytes(self) -> int:
        return int(self._buf.nbytes)
