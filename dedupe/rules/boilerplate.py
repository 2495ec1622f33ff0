"""Rule 3: segments that recur across many different stories of the corpus.

Counting is by *story*, not by article: syndicated copies of one wire story
share their paragraphs, and those paragraphs are the story, not boilerplate.
A segment is boilerplate when it recurs in at least ``min_docs`` stories and
in at least ``min_share`` of all stories: template sentences of the content
("Terms were not disclosed.") recur too, but in a small share of a corpus,
while a site's boilerplate is on most of its pages.

When articles say which site they come from (``CleanerConfig.site_field``),
segments are counted per site, so text that many sites quote (a tweet, a
statement) is not mistaken for any one site's boilerplate.

Counting is a pass over compact fingerprints: 8-byte segment keys with 4-byte
story, site, document and segment numbers are collected in numpy arrays, and
`finish` sorts them once; only the boilerplate keys are kept afterwards.
"""

from __future__ import annotations

import numpy as np
import xxhash

from ..normalize import fmix64


def site_hash(site: str) -> int:
    """A 64-bit salt for a site name (0 when sites are not known)."""
    return 0 if not site else xxhash.xxh3_64_intdigest(site.encode("utf-8", "surrogatepass")) | 1


def site_keys(keys: np.ndarray, salt: int) -> np.ndarray:
    """Segment keys made specific to one site."""
    return keys if not salt else fmix64(keys ^ np.uint64(salt))


class BoilerplateCounter:
    """Distinct stories per (site-specific) segment key, counted over the whole corpus."""

    def __init__(self, min_docs: int, min_share: float) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._boiler: dict[int, tuple[int, int]] = {}  # key -> (first doc, its segment)
        self._stories: dict[int, int] = {}  # key -> stories, for keys in 2+ stories

    def add_many(
        self,
        keys: np.ndarray,
        stories: np.ndarray,
        docs: np.ndarray,
        segments: np.ndarray,
        sites: np.ndarray,
    ) -> None:
        """Record segments (already made site-specific), with their story, document,
        segment index and site number."""
        self._parts.append(
            (
                keys.astype(np.uint64),
                stories.astype(np.uint32),
                docs.astype(np.uint32),
                segments.astype(np.uint32),
                sites.astype(np.uint32),
            )
        )

    def add(self, key: int, story: int, doc: int, segment: int, site: int = 0) -> None:
        one = np.array
        self.add_many(one([key]), one([story]), one([doc]), one([segment]), one([site]))

    def finish(self) -> None:
        """Count distinct stories per key and keep the keys that are boilerplate."""
        if not self._parts:
            return
        keys, stories, docs, segments, sites = (np.concatenate(c) for c in zip(*self._parts))
        self._parts = []
        if not len(keys):
            return
        site_total = np.zeros(int(sites.max()) + 1, dtype=np.int64)
        pairs = np.unique(sites.astype(np.uint64) << np.uint64(32) | stories.astype(np.uint64))
        np.add.at(site_total, (pairs >> np.uint64(32)).astype(np.intp), 1)
        cutoff = np.maximum(float(self.min_docs), self.min_share * site_total)
        # first occurrence of each key: sort by (key, doc, segment)
        order = np.lexsort((segments, docs, keys))
        keys, stories, docs, segments, sites = (
            a[order] for a in (keys, stories, docs, segments, sites)
        )
        first = np.concatenate(([True], keys[1:] != keys[:-1]))
        starts = np.flatnonzero(first)
        # distinct stories per key
        by_story = np.lexsort((stories, keys))
        ks, ss = keys[by_story], stories[by_story]
        new_story = np.concatenate(([True], (ks[1:] != ks[:-1]) | (ss[1:] != ss[:-1])))
        distinct = np.add.reduceat(new_story.astype(np.int64), starts)
        many = np.flatnonzero(distinct >= 2)
        self._stories = dict(zip(keys[starts[many]].tolist(), distinct[many].tolist()))
        hot = np.flatnonzero(distinct >= cutoff[sites[starts]])
        self._boiler = {
            k: (d, s)
            for k, d, s in zip(
                keys[starts[hot]].tolist(),
                docs[starts[hot]].tolist(),
                segments[starts[hot]].tolist(),
            )
        }

    def stories(self, key: int) -> int:
        """Distinct stories the key occurs in (0 or 1 are both reported as at most 1)."""
        return self._stories.get(key, 1 if key in self._boiler else 0)

    def is_boilerplate(self, key: int) -> bool:
        return key in self._boiler

    def first(self, key: int) -> tuple[int, int] | None:
        """(document number, segment index) where a boilerplate key was first seen."""
        return self._boiler.get(key)

    def table(self) -> dict[int, tuple[int, int]]:
        """Every boilerplate key, with the (document, segment) where it was first seen."""
        return dict(self._boiler)
