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

Figures veto: news copies of one story report the same figures, while
template reports (two days' price tables, eurobond issues of two borrowers)
share every word but the figures. Each body carries a bottom-k sketch of its
figures taken in pairs, each with the next (the ``FIGURE_PERM`` smallest pair
hashes: exact for up to that many pairs), and their number: the same figures
in the same order make the same pairs, while a rate table that moved by a day
shares its figures but few pairs. When both bodies
hold at least ``MIN_FIGURES`` pairs and neither lies almost wholly inside the
other (containment < ``FIGURE_CONTAINED``: a copy that dropped paragraphs
breaks some pairs but no words), at most 40% of the smaller set may be
missing from the other, and a body made mostly of figures (a table)
duplicates another only when their pairs agree (Jaccard ≥ ``TABLE_AGREEMENT``).

An **exact repeat** (the same words in the same order: the ``exact`` digest)
of a kept article is always a duplicate, however short; exact digests of kept
articles are kept in a sorted run of their own (12 bytes per article).

Keys live in sorted numpy runs merged as they grow (as in a log-structured
merge tree), so inserting is amortised O(log n) per key and a batch of queries
is a few ``searchsorted`` calls. Per indexed article the index holds its
signature (4 bytes per permutation), 8 bytes per band, up to ``MAX_ANCHORS``
anchors of 12 bytes, 20 bytes of sizes and ids, 69 of figures and 12 of its
exact digest: 1,021 bytes by default
(``bench/memory.py`` measures it).

Within a batch, decisions are taken in order: an article is compared with the
indexed ones and with those of the same batch that came before it and were
kept, so the result does not depend on the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .minhash import containment, similarity

FIGURE_PERM = 16  # the smallest hashes of a body's figure pairs kept (a bottom-k sketch)
MIN_FIGURES = 3  # bodies with this many figures each must share theirs to be duplicates
FIGURE_CONTAINMENT = 0.6
TABLE_AGREEMENT = 0.9
FIGURE_CONTAINED = 0.9
MAX_BUCKET = 64  # candidates taken from one key: bounds the work on giant buckets
MAX_ANCHORS = 6  # paragraph anchors stored per indexed article


@dataclass(frozen=True)
class Match:
    key: int  # id of the kept article it duplicates
    similarity: float  # estimated Jaccard similarity of the two bodies
    containment: float  # estimated share of one body inside the other (the larger share)
    exact: bool = False  # the same words in the same order
    via: int | None = None  # the dropped copy it matched, itself a duplicate of ``key``


@dataclass
class Bodies:
    """A batch of article bodies to check, in order."""

    ids: np.ndarray  # int64 caller ids
    signatures: np.ndarray  # (n, num_perm) uint32
    sizes: np.ndarray  # shingles per body
    words: np.ndarray  # words per body
    eligible: np.ndarray  # bool: bodies too short are neither matched nor indexed
    exact: np.ndarray  # uint64 digest of the body's words in order (0: empty body)
    figure_sigs: np.ndarray  # (n, FIGURE_PERM) uint32 bottom-k sketch of its figure pairs
    figure_count: np.ndarray  # int32, distinct figure pairs
    tabular: np.ndarray  # bool: mostly figures (a table)
    anchor_keys: np.ndarray  # uint64 exact keys of long paragraphs, all bodies together
    anchor_words: np.ndarray  # words of each of those paragraphs
    anchor_owner: np.ndarray  # body (row) of each anchor, non-decreasing


@dataclass
class Stored:
    """The other side of candidate pairs: one row per pair."""

    signatures: np.ndarray
    sizes: np.ndarray
    words: np.ndarray
    figure_sigs: np.ndarray
    figure_count: np.ndarray
    tabular: np.ndarray


# exact (kept id per body, -1: none); pairs: row, earlier id, its kept id, score, Jaccard,
# containment
EarlierMatches = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]


class Earlier(Protocol):
    """Articles indexed before this index's own (a persistent store, `dedupe.store`): they
    come first in every decision, as if inserted before everything else."""

    def match(
        self, bodies: Bodies, bands: np.ndarray, threshold: float, contained: float
    ) -> EarlierMatches:
        """For a batch: the kept representative of the earliest earlier article with each
        body's exact digest (-1: none), and the verified candidate pairs (row, earlier id,
        its kept representative, score, Jaccard, containment) among the MAX_BUCKET earliest
        articles of each band and anchor key. Earlier ids are smaller than this index's."""
        ...


def verify(
    bodies: Bodies, row: np.ndarray, other: Stored, found: np.ndarray, threshold: float,
    contained: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Scores of candidate pairs (body ``row`` against ``other``; ``found``: words of the
    body's paragraphs found in the other): the Jaccard if it passes ``threshold``, else the
    containment if it passes ``contained``, else 0; and the Jaccard and containment."""
    if not len(row):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    jac = similarity(bodies.signatures[row], other.signatures)
    inside = estimate_containment(jac, bodies.sizes[row], other.sizes)
    agree = DuplicateIndex._figures_agree(
        inside,
        bodies.figure_sigs[row],
        other.figure_sigs,
        bodies.figure_count[row],
        other.figure_count,
        bodies.tabular[row] | other.tabular,
    )
    score, inside = verdict(
        jac, inside, found, bodies.words[row], other.words, agree, threshold, contained
    )
    return score, jac, inside


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


def estimate_containment(jac: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """The larger share of one body inside the other, estimated from MinHash and sizes."""
    out: np.ndarray = np.maximum(containment(jac, size_a, size_b), containment(jac, size_b, size_a))
    return out


def verdict(
    jac: np.ndarray, inside: np.ndarray, found: np.ndarray, words_a: np.ndarray,
    words_b: np.ndarray, agree: np.ndarray, threshold: float, contained: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The verified score of candidate pairs (0 where they do not verify: the Jaccard if it
    passed, else the containment) and their containment, given the estimated Jaccard
    ``jac``, the estimated containment ``inside``, the words of one body's paragraphs
    ``found`` in the other, and whether their figures ``agree``. A pure function: the Dask
    engine computes its parts where pairs meet and finishes it in order."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = np.maximum(found / words_a, found / words_b)
    inside = np.nan_to_num(np.minimum(np.maximum(inside, shared), 1.0))
    score = np.where(jac >= threshold, jac, np.where(inside >= contained, inside, 0.0))
    return np.where(agree, score, 0.0), inside


class DuplicateIndex:
    """Kept article bodies; finds, for each new one, its best verified duplicate."""

    def __init__(
        self,
        num_perm: int,
        bands: int,
        rows: int,
        threshold: float,
        contained: float,
        chain: bool = False,
    ) -> None:
        """``chain``: index dropped bodies too, so that a copy of a copy is found even
        when the copy it resembles most was itself dropped (a later body matching a
        dropped one is dropped as its duplicate; report rows name the dropped one)."""
        self.bands, self.rows = bands, rows
        self.threshold, self.contained = threshold, contained
        self.chain = chain
        self._band_runs = _SortedRuns(np.uint32)  # band keys (salted with the band number)
        self._anchor_runs = _SortedRuns(np.uint64)  # paragraph key
        self._exact_runs = _SortedRuns(np.uint64)  # exact digest -> caller id
        self._sigs = _Rows((num_perm,), np.uint32)
        self._sizes = _Rows((), np.int32)
        self._words = _Rows((), np.int32)
        self._figure_sigs = _Rows((FIGURE_PERM,), np.uint32)
        self._figure_count = _Rows((), np.int32)
        self._tabular = _Rows((), np.bool_)
        self._ids = _Rows((), np.int32)  # caller's id of each stored row
        self._reps = _Rows((), np.int32)  # ... and of its kept representative (chain)
        self.earlier: Earlier | None = None  # articles indexed before (see `Earlier`)

    def __len__(self) -> int:
        return len(self._ids.data)

    def nbytes(self) -> int:
        """Memory held by the index, in bytes."""
        parts = (
            self._band_runs,
            self._anchor_runs,
            self._exact_runs,
            self._sigs,
            self._sizes,
            self._words,
            self._figure_sigs,
            self._figure_count,
            self._tabular,
            self._ids,
            self._reps,
        )
        return sum(p.nbytes() for p in parts)

    def process(self, bodies: Bodies) -> list[Match | None]:
        """For each body in order: its best verified match among the indexed ones, or None
        (then it is kept and indexed; under ``chain``, a dropped body is indexed too)."""
        n = len(bodies.ids)
        results: list[Match | None] = [None] * n
        if n == 0:
            return results
        exact = self._exact(bodies)
        from .kernel import band_keys as kernel_band_keys  # the kernel imports this module

        bands = kernel_band_keys(bodies.signatures, self.bands, self.rows).ravel()
        indexable = None
        if self.chain:  # what the index will hold of this batch: all but exact repeats
            indexable = bodies.eligible & ~_repeats(bodies.exact, exact)
        row, other, stored, found = self._candidates(bodies, bands, indexable)
        score, jac, inside = self._scores(bodies, row, other, stored, found)
        hit = score > 0
        row, other, stored, score = row[hit], other[hit], stored[hit], score[hit]
        jac, inside = jac[hit], inside[hit]
        key = bodies.ids[np.where(stored, 0, other)]
        if len(self):
            key = np.where(stored, self._ids.data[np.where(stored, other, 0)], key)
        reps = self._reps.data[np.where(stored, other, 0)] if len(self) else key
        if self.earlier is not None:  # earlier articles: stored, and first by id
            found_exact, e_row, e_key, e_rep, e_score, e_jac, e_inside = self.earlier.match(
                bodies, bands, self.threshold, self.contained
            )
            exact = np.where(found_exact >= 0, found_exact, exact)
            row, other, key = np.r_[row, e_row], np.r_[other, e_key * 0], np.r_[key, e_key]
            stored, reps = np.r_[stored, np.ones(len(e_row), dtype=bool)], np.r_[reps, e_rep]
            score, jac, inside = np.r_[score, e_score], np.r_[jac, e_jac], np.r_[inside, e_inside]
        # best first: by row, then score descending, then the earliest kept article
        order = np.lexsort((key, -score, row))
        row, other, stored, score, key, jac, inside, reps = (
            x[order] for x in (row, other, stored, score, key, jac, inside, reps)
        )
        starts = np.searchsorted(row, np.arange(n + 1))
        indexed = np.zeros(n, dtype=bool)  # rows indexed: kept, or dropped under `chain`
        rep = bodies.ids.astype(np.int64)  # each row's kept representative
        first_with: dict[int, int] = {}  # exact digest -> first indexed row of this batch
        stored_rep = reps
        for r in range(n):
            digest = int(bodies.exact[r])
            if digest and exact[r] >= 0:
                results[r] = Match(int(exact[r]), 1.0, 1.0, True)
            elif digest and digest in first_with:
                results[r] = Match(int(rep[first_with[digest]]), 1.0, 1.0, True)
            elif bodies.eligible[r]:
                results[r] = self._best(r, starts, other, stored, key, stored_rep, rep,
                                        indexed, bodies.eligible, jac, inside)  # fmt: skip
            match = results[r]
            if match is not None:
                rep[r] = match.key
            if match is None or (self.chain and not match.exact):
                indexed[r] = True
                if digest:
                    first_with.setdefault(digest, r)
        self._insert(bodies, indexed, bands, rep)
        return results

    @staticmethod
    def _best(
        r: int, starts: np.ndarray, other: np.ndarray, stored: np.ndarray, key: np.ndarray,
        stored_rep: np.ndarray, rep: np.ndarray, indexed: np.ndarray, eligible: np.ndarray,
        jac: np.ndarray, inside: np.ndarray,
    ) -> Match | None:  # fmt: skip
        """Row ``r``'s best verified candidate (they come best first): a kept article
        before a dropped one it was matched through."""
        chained: Match | None = None
        for c in range(starts[r], starts[r + 1]):
            o = int(other[c])
            if stored[c]:
                found, kept = int(key[c]), int(stored_rep[c])
            elif indexed[o] and eligible[o]:
                found, kept = int(key[c]), int(rep[o])
            else:
                continue
            if found == kept:
                return Match(kept, float(jac[c]), float(inside[c]))
            if chained is None:
                chained = Match(kept, float(jac[c]), float(inside[c]), via=found)
        return chained

    def _exact(self, bodies: Bodies) -> np.ndarray:
        """For each body, the caller id of a stored article with the same exact digest, or -1."""
        out = np.full(len(bodies.ids), -1, dtype=np.int64)
        has = np.flatnonzero(bodies.exact != 0)
        q, s = self._exact_runs.lookup(bodies.exact[has], np.arange(len(has)))
        if len(q):
            order = np.lexsort((s, q))  # the earliest stored id per query
            q, s = q[order], s[order]
            first = np.r_[True, q[1:] != q[:-1]]
            out[has[q[first]]] = s[first]
        return out

    def _candidates(
        self, bodies: Bodies, bands: np.ndarray, indexable: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Candidate pairs (row, other, other is stored, words of row's paragraphs in other):
        stored articles sharing a band or a paragraph, and earlier rows of the batch.

        ``indexable`` (when known: under ``chain``, every body but an exact repeat is
        indexed) says which rows of the batch the index will hold; an earlier row is then
        a candidate under a key only while the key's first MAX_BUCKET entries, stored ones
        first, are not all taken: as if the batch came one body at a time."""
        n = len(bodies.ids)
        band_owner = np.repeat(np.arange(n), self.bands)
        owner, words = bodies.anchor_owner, bodies.anchor_words
        anchor_pos = np.arange(len(owner))
        rows: list[np.ndarray] = []
        others: list[np.ndarray] = []
        flags: list[np.ndarray] = []
        weights: list[np.ndarray] = []

        def add(r: np.ndarray, o: np.ndarray, is_stored: bool, w: np.ndarray | None) -> None:
            rows.append(r)
            others.append(o)
            flags.append(np.full(len(r), is_stored))
            weights.append(np.zeros(len(r), np.int64) if w is None else w)

        q, s = self._band_runs.lookup(bands, band_owner)
        add(q, s, True, None)
        entry, room = None, None
        if indexable is not None:
            entry = indexable[band_owner]
            room = MAX_BUCKET - self._band_runs.count(bands)
        a, b = _pairs_within(bands, band_owner, entry, room)
        add(band_owner[b], band_owner[a], False, None)
        q, s = self._anchor_runs.lookup(bodies.anchor_keys, anchor_pos)
        add(owner[q], s, True, words[q])
        # an earlier body of the batch offers what the index would store of it (its first
        # MAX_ANCHORS anchors), and each anchor of the later body counts once per body, as
        # a lookup of stored anchors counts it: the same result for any batch size
        entry = _ranks(owner) < MAX_ANCHORS
        room = None
        if indexable is not None:
            entry &= indexable[owner] if len(owner) else entry
            room = MAX_BUCKET - self._anchor_runs.count(bodies.anchor_keys)
        a, b = _pairs_within(bodies.anchor_keys, owner, entry, room)
        code = np.unique(b.astype(np.int64) << 32 | owner[a].astype(np.int64))
        b, a_owner = code >> 32, code & 0xFFFFFFFF
        add(owner[b], a_owner, False, words[b])
        row = np.concatenate(rows).astype(np.int64)
        other = np.concatenate(others).astype(np.int64)
        stored = np.concatenate(flags)
        weight = np.concatenate(weights)
        code = (row << 33) | (other << 1) | stored.astype(np.int64)
        code, inverse = np.unique(code, return_inverse=True)
        found = np.bincount(inverse.ravel(), weights=weight, minlength=len(code)).astype(np.int64)
        return code >> 33, (code >> 1) & 0xFFFFFFFF, (code & 1).astype(bool), found

    def _scores(
        self, bodies: Bodies, row: np.ndarray, other: np.ndarray, stored: np.ndarray,
        found: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """The verified score of each candidate pair (0 where it does not verify: the
        Jaccard if it passed, else the containment), its Jaccard and its containment."""
        if not len(row):
            return np.zeros(0), np.zeros(0), np.zeros(0)
        local = np.where(stored, 0, other)
        far = np.where(stored, other, 0)

        def pick(stored_rows: _Rows, local_rows: np.ndarray) -> np.ndarray:
            if not len(self):
                return local_rows[local]
            mask = stored.reshape((-1,) + (1,) * (local_rows.ndim - 1))
            return np.where(mask, stored_rows.data[far], local_rows[local])

        other_bodies = Stored(
            pick(self._sigs, bodies.signatures),
            pick(self._sizes, bodies.sizes),
            pick(self._words, bodies.words),
            pick(self._figure_sigs, bodies.figure_sigs),
            pick(self._figure_count, bodies.figure_count),
            pick(self._tabular, bodies.tabular),
        )
        return verify(bodies, row, other_bodies, found, self.threshold, self.contained)

    @staticmethod
    def _figures_agree(
        inside: np.ndarray, sig_a: np.ndarray, sig_b: np.ndarray, count_a: np.ndarray,
        count_b: np.ndarray, tabular: np.ndarray,
    ) -> np.ndarray:  # fmt: skip
        """Whether two bodies' figures allow them to be duplicates (see the module doc).

        The sketches are bottom-k samples of the figure pairs under one hash: below the
        smaller of the two sketches' largest values, each holds every pair of its body,
        so what the two share there estimates (and for small sets, is) the share of one
        body's pairs found in the other."""
        full = np.uint32(0xFFFFFFFF)
        top_a = np.where(count_a > FIGURE_PERM, sig_a[:, -1], full)
        top_b = np.where(count_b > FIGURE_PERM, sig_b[:, -1], full)
        limit = np.minimum(top_a, top_b)[:, None]
        in_a = (sig_a != full) & (sig_a <= limit)
        in_b = (sig_b != full) & (sig_b <= limit)
        common = ((sig_a[:, :, None] == sig_b[:, None, :]) & in_a[:, :, None]).any(axis=2)
        inter = common.sum(axis=1)
        size_a, size_b = in_a.sum(axis=1), in_b.sum(axis=1)
        smaller = np.where(count_a <= count_b, size_a, size_b)
        shared = inter / np.maximum(smaller, 1)
        agreement = inter / np.maximum(size_a + size_b - inter, 1)
        both = (count_a >= MIN_FIGURES) & (count_b >= MIN_FIGURES) & (inside < FIGURE_CONTAINED)
        none = (count_a == 0) & (count_b == 0)
        out: np.ndarray = (~both | (shared >= FIGURE_CONTAINMENT)) & (
            ~tabular | none | (agreement >= TABLE_AGREEMENT)
        )
        return out

    def _insert(self, bodies: Bodies, kept: np.ndarray, bands: np.ndarray, rep: np.ndarray) -> None:
        exact = np.flatnonzero(kept & (bodies.exact != 0))
        self._exact_runs.insert(bodies.exact[exact], rep[exact])
        rows = np.flatnonzero(kept & bodies.eligible)
        if not len(rows):
            return
        start = len(self._ids.data)
        stored = np.full(len(kept), -1, dtype=np.int64)
        stored[rows] = np.arange(start, start + len(rows))
        self._sigs.extend(bodies.signatures[rows])
        self._sizes.extend(bodies.sizes[rows])
        self._words.extend(bodies.words[rows])
        self._figure_sigs.extend(bodies.figure_sigs[rows])
        self._figure_count.extend(bodies.figure_count[rows])
        self._tabular.extend(bodies.tabular[rows])
        self._ids.extend(bodies.ids[rows])
        self._reps.extend(rep[rows])
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


def _ranks(owner: np.ndarray) -> np.ndarray:
    """The place of each row among the rows of its owner (owners non-decreasing)."""
    if not len(owner):
        return np.zeros(0, dtype=np.intp)
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    out: np.ndarray = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
    return out


def _repeats(digests: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Exact repeats: bodies whose digest is stored (``stored`` >= 0) or taken by an
    earlier body of the batch."""
    out: np.ndarray = (digests != 0) & (stored >= 0)
    has = np.flatnonzero(digests != 0)
    if len(has):
        order = has[np.lexsort((has, digests[has]))]
        d = digests[order]
        later = np.r_[False, d[1:] == d[:-1]]
        out[order[later]] = True
    return out


def _pairs_within(
    keys: np.ndarray, owner: np.ndarray, entry: np.ndarray | None = None,
    room: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Pairs (earlier, later) of positions with equal keys, as indexes into ``keys``: each
    position is paired with the MAX_BUCKET earliest *entries* of its key before it
    (``entry``: which positions the index would store; all by default), the earliest
    being the ones most likely kept, or with as many as its key has ``room`` for (per
    position: MAX_BUCKET less the entries already stored); pairs with the same owner are
    left out."""
    empty = np.empty(0, np.intp), np.empty(0, np.intp)
    if len(keys) < 2:
        return empty
    entry = np.ones(len(keys), dtype=bool) if entry is None else entry
    order = np.lexsort((np.arange(len(keys)), keys))
    sorted_keys = keys[order]
    end = np.searchsorted(sorted_keys, sorted_keys, "right")
    e_pos = np.flatnonzero(entry[order])  # sorted places of the entries
    if not len(e_pos):
        return empty
    start = np.searchsorted(sorted_keys, sorted_keys, "left")
    e_rank = np.arange(len(e_pos)) - np.searchsorted(e_pos, start[e_pos], "left")
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for k in range(min(MAX_BUCKET, int(e_rank.max()) + 1)):
        ek = e_pos[e_rank == k]  # the k-th entry of each key that has one
        if room is not None:
            ek = ek[room[order[ek]] > k]
        count = end[ek] - ek - 1  # positions after it with the same key
        total = int(count.sum())
        if not total:
            continue
        later = np.repeat(ek + 1 - np.cumsum(count) + count, count) + np.arange(total)
        a, b = order[np.repeat(ek, count)], order[later]
        other = owner[a] != owner[b]
        firsts.append(a[other])
        seconds.append(b[other])
    if not firsts:
        return empty
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
        while self._runs and len(self._runs[-1][0]) <= 4 * len(run[0]):
            run = _merge(self._runs.pop(), run)
        self._runs.append(run)

    def count(self, keys: np.ndarray) -> np.ndarray:
        """How many entries each key has (whatever the runs' layout)."""
        out = np.zeros(len(keys), dtype=np.int64)
        needles: np.ndarray = keys.astype(self.dtype)
        for run_keys, _ in self._runs:
            out += np.searchsorted(run_keys, needles, "right") - np.searchsorted(
                run_keys, needles, "left"
            )
        return out

    def lookup(self, keys: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unique pairs (owner of a query key, stored row) for stored equal keys: for each
        query key the MAX_BUCKET earliest stored rows, whatever the runs' layout."""
        qs: list[np.ndarray] = []
        ss: list[np.ndarray] = []
        position = np.argsort(keys, kind="stable")  # sorted needles search much faster
        keys = keys[position]
        for run_keys, run_rows in self._runs:
            lo = np.searchsorted(run_keys, keys, "left")
            found = np.flatnonzero(run_keys[np.minimum(lo, len(run_keys) - 1)] == keys)
            count = np.zeros(len(keys), dtype=np.intp)
            hi = np.searchsorted(run_keys, keys[found], "right")
            count[found] = np.minimum(hi - lo[found], MAX_BUCKET)
            total = int(count.sum())
            if not total:
                continue
            offsets = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
            qs.append(np.repeat(position, count))
            ss.append(run_rows[offsets])
        if not qs:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        q, r = np.concatenate(qs), np.concatenate(ss).astype(np.int64)
        if len(self._runs) > 1:  # keep the earliest MAX_BUCKET rows per query key
            order = np.lexsort((r, q))
            q, r = q[order], r[order]
            first = np.searchsorted(q, q, "left")
            rank = np.arange(len(q)) - first
            q, r = q[rank < MAX_BUCKET], r[rank < MAX_BUCKET]
        codes = np.unique(owner[q].astype(np.int64) << 32 | r)
        return (codes >> 32).astype(np.intp), (codes & 0xFFFFFFFF).astype(np.intp)

    def nbytes(self) -> int:
        return sum(int(k.nbytes + r.nbytes) for k, r in self._runs)


def _merge(
    old: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Merge two sorted runs in linear time; for equal keys the old entries come first."""
    at = np.searchsorted(old[0], new[0], "right") + np.arange(len(new[0]))
    keys = np.empty(len(old[0]) + len(new[0]), dtype=old[0].dtype)
    rows = np.empty(len(keys), dtype=old[1].dtype)
    is_new = np.zeros(len(keys), dtype=bool)
    is_new[at] = True
    keys[at], rows[at] = new
    keys[~is_new], rows[~is_new] = old
    return keys, rows


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
