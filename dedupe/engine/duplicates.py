"""Near-duplicate decisions from candidate pairs: `DuplicateIndex`'s choices, taken apart.

`DuplicateIndex` (chaining, as the cleaner uses it) takes bodies one at a time,
in order (any batch size gives the same result), and compares each with the
indexed bodies that share a key with it: every earlier body but the exact
repeats, kept or dropped. This module takes the same decisions in three steps
that a cluster can spread out, and gets the same matches:

1. **Keys** (`key_rows`, per batch): each eligible body's band keys and
   paragraph anchors, as rows ``(kind, key, ordinal, rank, entries, qwords)``.
   ``rank`` is the body's place in the processing order (input order, or
   longest first), ``entries`` how many entries the index would store for it
   under that key (every band; the first ``MAX_ANCHORS`` anchors), ``qwords``
   the words of its paragraphs with that key (what a shared anchor adds to the
   words ``found`` in the other body).
2. **Pairs** (`bucket_pairs`, per bucket of one key): the index looks a key up
   among the first ``MAX_BUCKET`` entries stored under it. In a bucket of at
   most ``MAX_BUCKET`` entries that is every earlier entry: all pairs are
   formed. A *crowded* bucket (more entries) pairs each body with a prefix of
   its entries (`prefix`: the first ``MAX_BUCKET`` that are not exact repeats,
   which are never indexed), so a bucket of a million identical pages stays
   linear; the decision step follows which bodies really are the first indexed
   entries and, should one fall outside the prefix, the pairs are formed again
   (`Violation`): the result never rests on the guess. Exact repeats are left
   out of crowded pairs too (their group's first body matches them).
   Pairs are then verified where they meet (`static_scores`: estimated
   Jaccard, containment and the figure veto, the functions of `dedupe.index`);
   a pair that fails even with every shared anchor counted is dropped.
3. **Decide** (`decide`, in order, over the verified pairs, which are few):
   exact repeats first (the kept representative of their group's first body),
   then the best verified kept body, else the best dropped one and its kept
   representative (``via``), as `DuplicateIndex.process` picks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..index import MAX_ANCHORS, MAX_BUCKET, Bodies, DuplicateIndex, Match, verdict
from ..index import estimate_containment as _estimate
from ..minhash import similarity

BAND, ANCHOR = 0, 1
KEY_COLUMNS = ("kind", "key", "ordinal", "rank", "entries", "qwords")


def key_rows(
    bodies: Bodies, ordinals: np.ndarray, ranks: np.ndarray, bands: int, rows: int
) -> dict[str, np.ndarray]:
    """The key rows of a batch of bodies (eligible ones only), one per (body, key)."""
    eligible = np.flatnonzero(bodies.eligible)
    n = len(bodies.ids)
    parts: list[dict[str, np.ndarray]] = []
    if len(eligible):
        from ..kernel import band_keys  # as DuplicateIndex computes them

        keys = band_keys(bodies.signatures[eligible], bands, rows).astype(np.uint64)
        owner = np.repeat(eligible, bands)
        parts.append(_grouped(BAND, keys.ravel(), owner, np.ones(len(owner), np.int64), None))
    owner = bodies.anchor_owner.astype(np.intp)
    if len(owner):
        first = np.searchsorted(owner, owner, "left")  # non-decreasing owners
        rank = np.arange(len(owner)) - first
        mine = bodies.eligible[owner] if n else np.zeros(0, dtype=bool)
        parts.append(
            _grouped(
                ANCHOR,
                bodies.anchor_keys[mine].astype(np.uint64),
                owner[mine],
                (rank[mine] < MAX_ANCHORS).astype(np.int64),
                bodies.anchor_words[mine].astype(np.int64),
            )
        )
    out = {name: np.concatenate([p[name] for p in parts]) if parts else np.empty(0) for name in
           ("kind", "key", "owner", "entries", "qwords")}  # fmt: skip
    owner_rows = out.pop("owner").astype(np.intp)
    return {
        "kind": out["kind"].astype(np.int8),
        "key": out["key"].astype(np.uint64),
        "ordinal": ordinals[owner_rows].astype(np.int64),
        "rank": ranks[owner_rows].astype(np.int64),
        "entries": out["entries"].astype(np.int32),
        "qwords": out["qwords"].astype(np.int64),
    }


def _grouped(
    kind: int, keys: np.ndarray, owner: np.ndarray, entries: np.ndarray, words: np.ndarray | None
) -> dict[str, np.ndarray]:
    """One row per distinct (owner, key): entries counted, words summed."""
    if not len(keys):
        z = np.empty(0, np.int64)
        return {"kind": z, "key": np.empty(0, np.uint64), "owner": z, "entries": z, "qwords": z}
    order = np.lexsort((keys, owner))
    keys, owner, entries = keys[order], owner[order], entries[order]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])]
    starts = np.flatnonzero(new)
    qwords = np.add.reduceat(words[order], starts) if words is not None else np.zeros(len(starts))
    return {
        "kind": np.full(len(starts), kind, dtype=np.int64),
        "key": keys[starts],
        "owner": owner[starts],
        "entries": np.add.reduceat(entries, starts),
        "qwords": qwords.astype(np.int64),
    }


def bucket_pairs(
    kind: np.ndarray, key: np.ndarray, ordinal: np.ndarray, rank: np.ndarray,
    entries: np.ndarray, qwords: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Every pair (r, s) of rows with the same key where s is an entry ranked before r,
    with the words r's paragraphs under that key add (``w``). For buckets holding every
    row of their key (all entries, or a prefix of them plus queries)."""
    if not len(key):
        return _no_pairs()
    order = np.lexsort((rank, key, kind))
    kind, key, ordinal, rank, entries, qwords = (
        a[order] for a in (kind, key, ordinal, rank, entries, qwords)
    )
    new = np.r_[True, (key[1:] != key[:-1]) | (kind[1:] != kind[:-1])]
    group = np.cumsum(new) - 1
    is_entry = entries > 0
    e_pos = np.flatnonzero(is_entry)
    # entries before each row within its group: pair row i with entries j of its group, j < i
    e_group = group[e_pos]
    first_e = np.searchsorted(e_group, group, "left")  # first entry of the row's group
    upto = np.searchsorted(e_pos, np.arange(len(key)), "left")  # entries before row i overall
    count = np.maximum(upto - first_e, 0)
    total = int(count.sum())
    if not total:
        return _no_pairs()
    rows = np.repeat(np.arange(len(key)), count)
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    partner = e_pos[np.repeat(first_e, count) + offsets]
    return {
        "r": ordinal[rows],
        "s": ordinal[partner],
        "w": qwords[rows],
        "kind": kind[rows].astype(np.int8),
        "key": key[rows],
    }


def _no_pairs() -> dict[str, np.ndarray]:
    z = np.empty(0, np.int64)
    return {"r": z, "s": z, "w": z, "kind": np.empty(0, np.int8), "key": np.empty(0, np.uint64)}


@dataclass
class BodyColumns:
    """What verification needs of bodies, as flat columns (a batch or a stored partition)."""

    ordinal: np.ndarray  # int64
    signatures: np.ndarray  # (n, num_perm) uint32
    sizes: np.ndarray
    words: np.ndarray
    figure_sigs: np.ndarray
    figure_count: np.ndarray
    tabular: np.ndarray

    @classmethod
    def of(cls, bodies: Bodies, ordinals: np.ndarray) -> BodyColumns:
        return cls(
            ordinals.astype(np.int64),
            bodies.signatures,
            bodies.sizes.astype(np.int64),
            bodies.words.astype(np.int64),
            bodies.figure_sigs,
            bodies.figure_count.astype(np.int64),
            bodies.tabular.astype(bool),
        )

    def take(self, rows: np.ndarray) -> BodyColumns:
        return BodyColumns(
            self.ordinal[rows], self.signatures[rows], self.sizes[rows], self.words[rows],
            self.figure_sigs[rows], self.figure_count[rows], self.tabular[rows],
        )  # fmt: skip


def static_scores(a: BodyColumns, b: BodyColumns) -> dict[str, np.ndarray]:
    """The parts of a pair's verification that do not depend on which anchors count."""
    jac = similarity(a.signatures, b.signatures)
    inside = _estimate(jac, a.sizes, b.sizes)
    return {
        "jac": jac,
        "inside": inside,
        "words_r": a.words,
        "words_s": b.words,
        "agree": DuplicateIndex._figures_agree(
            inside,
            a.figure_sigs,
            b.figure_sigs,
            a.figure_count,
            b.figure_count,
            a.tabular | b.tabular,
        ),
    }


def possible(scores: dict[str, np.ndarray], found: np.ndarray, threshold: float,
             contained: float) -> np.ndarray:  # fmt: skip
    """Whether pairs verify with ``found`` words (every shared anchor counted)."""
    score, _ = verdict(
        scores["jac"], scores["inside"], found, scores["words_r"], scores["words_s"],
        scores["agree"], threshold, contained,
    )  # fmt: skip
    out: np.ndarray = score > 0
    return out


@dataclass
class Pairs:
    """Verified-possible pairs, sorted by the rank of ``r``; ``big`` lists, per pair, the
    crowded keys it came through (index into `Crowded.keys`) and the words they add."""

    r_rank: np.ndarray
    s: np.ndarray
    jac: np.ndarray
    inside: np.ndarray
    words_r: np.ndarray
    words_s: np.ndarray
    agree: np.ndarray
    found: np.ndarray  # words found through small buckets
    small: np.ndarray  # bool: met through a key whose every kept entry is a candidate
    big_pair: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # pair index
    big_key: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    big_w: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


@dataclass
class Crowded:
    """Keys with more than MAX_BUCKET entries: every entry (ordinal, key index, entries,
    whether it is in the key's guessed prefix), in processing order."""

    keys: list[tuple[int, int]]  # (kind, key)
    rank: np.ndarray
    key: np.ndarray
    entries: np.ndarray
    guessed: np.ndarray


@dataclass
class Violation(Exception):
    """What the pairs missed: bodies that turned out to be among the first kept entries
    of a crowded key without being in its guessed prefix, and bodies left out of crowded
    pairs as exact repeats that no kept body matched. The pairs must be formed again."""

    firsts: dict[int, set[int]]  # key index -> ordinals of its first kept entries seen
    groups: set[int] = field(default_factory=set)  # exact-repeat groups to pair in full


def decide(
    order: np.ndarray,
    eligible: np.ndarray,
    group: np.ndarray,
    pairs: Pairs,
    crowded: Crowded,
    threshold: float,
    contained: float,
    partial: np.ndarray | None = None,
) -> Iterator[tuple[int, Match | None]]:
    """``(ordinal, match)`` for each body in processing order (``order``: ordinals by rank),
    exactly as a chaining `DuplicateIndex` decides them one at a time: an exact repeat
    matches its group's indexed body (its kept representative); any other body is
    indexed, kept or not, and matches the best verified kept body among its candidates,
    else the best dropped one (``via``) and that one's representative. ``group``: per
    ordinal, the first ordinal of its exact-digest group (-1 if alone or empty);
    ``partial``: per ordinal, whether its pairs through crowded keys were left out (an
    exact repeat, which its group's indexed body matches). Raises `Violation` (after the
    last body) if a crowded key's guess was too short or a body left out needed pairs."""
    n = len(order)
    indexed = np.zeros(n, dtype=bool)
    rep = np.full(n, -1, dtype=np.int64)  # kept representative of each indexed body
    holder: dict[int, int] = {}  # exact-digest group -> its indexed body
    firsts: dict[int, set[int]] = {}
    filled: dict[int, int] = {}
    violated: set[int] = set()
    needed: set[int] = set()
    base_score, base_inside = verdict(
        pairs.jac, pairs.inside, pairs.found, pairs.words_r, pairs.words_s, pairs.agree,
        threshold, contained,
    )  # fmt: skip
    big_start = np.searchsorted(pairs.big_pair, np.arange(len(pairs.s) + 1), "left")
    starts = np.searchsorted(pairs.r_rank, np.arange(n + 1), "left")
    c_starts = np.searchsorted(crowded.rank, np.arange(n + 1), "left")
    s_list, small_list = pairs.s.tolist(), pairs.small.tolist()
    for rank in range(n):
        r = int(order[rank])
        g = int(group[r])
        if g >= 0 and g in holder:
            yield r, Match(int(rep[holder[g]]), 1.0, 1.0, True)
            continue
        match: Match | None = None
        if eligible[r] and partial is not None and partial[r]:
            needed.add(g)
        if eligible[r]:
            found: list[tuple[float, int, float, float]] = []
            for c in range(starts[rank], starts[rank + 1]):
                s = s_list[c]
                if not indexed[s]:
                    continue
                ok = small_list[c]
                score, inside = float(base_score[c]), float(base_inside[c])
                lo, hi = big_start[c], big_start[c + 1]
                if hi > lo:
                    extra = 0
                    for b in range(lo, hi):
                        k = int(pairs.big_key[b])
                        if s in firsts.get(k, ()):
                            ok = True
                            extra += int(pairs.big_w[b])
                    if extra:
                        one = slice(c, c + 1)
                        sc, ins = verdict(
                            pairs.jac[one], pairs.inside[one], pairs.found[one] + extra,
                            pairs.words_r[one], pairs.words_s[one], pairs.agree[one],
                            threshold, contained,
                        )  # fmt: skip
                        score, inside = float(sc[0]), float(ins[0])
                if ok and score > 0:
                    found.append((score, s, float(pairs.jac[c]), inside))
            if found:
                found.sort(key=lambda t: (-t[0], t[1]))  # best first, then the earliest
                kept = [t for t in found if rep[t[1]] == t[1]]
                if kept:
                    match = Match(kept[0][1], kept[0][2], kept[0][3])
                else:
                    _, via, jac, inside = found[0]
                    match = Match(int(rep[via]), jac, inside, via=via)
        yield r, match
        indexed[r] = True
        rep[r] = match.key if match is not None else r
        if g >= 0:
            holder.setdefault(g, r)
        for c in range(c_starts[rank], c_starts[rank + 1]):
            k = int(crowded.key[c])
            if filled.get(k, 0) < MAX_BUCKET:
                firsts.setdefault(k, set()).add(r)
                filled[k] = filled.get(k, 0) + int(crowded.entries[c])
                if not crowded.guessed[c]:
                    violated.add(k)
    if violated or needed:
        raise Violation({k: firsts[k] for k in violated}, needed)


def digest_groups(rank: np.ndarray, digest: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    """For rows of one or more whole digest groups: the ordinal of the group's first
    body (by rank) for each row of a group of two or more, else -1."""
    out = np.full(len(rank), -1, dtype=np.int64)
    has = np.flatnonzero(digest != 0)
    if not len(has):
        return out
    order = has[np.lexsort((rank[has], digest[has]))]
    d = digest[order]
    new = np.r_[True, d[1:] != d[:-1]]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, len(d)])
    first = np.repeat(ordinal[order[starts]], sizes)
    multi = np.repeat(sizes > 1, sizes)
    out[order[multi]] = first[multi]
    return out


def prefix(rank: np.ndarray, entries: np.ndarray, follower: np.ndarray) -> np.ndarray:
    """The guessed prefix of one crowded key's entries (bool per entry, rows sorted by
    rank): its first MAX_BUCKET entries of bodies that are not exact repeats of an
    earlier body (those are almost always dropped)."""
    del rank  # rows come sorted by it
    lead = ~follower
    taken = np.where(lead, entries, 0)
    out: np.ndarray = lead & (np.cumsum(taken) - taken < MAX_BUCKET)
    return out
