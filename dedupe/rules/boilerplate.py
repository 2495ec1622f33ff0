"""Rule 3: segments that recur across many different stories of the corpus.

Counting is by *story*, not by article: syndicated copies of one wire story
share their paragraphs, and those paragraphs are the story, not boilerplate.
A segment is boilerplate when it recurs in at least ``min_docs`` stories (and,
if ``min_share`` is set, in at least that share of the stories of its scope).

When articles say which site they come from (``CleanerConfig.site_field``, or
the host of a ``url`` field), segments are counted per site, so text that
many sites quote (a tweet, a statement) is not mistaken for any one site's
boilerplate; the same segments are also counted across sites, so that a
network's shared footer (the same line on one page each of many sites) is
found too, unless the line reads as article text (see `dedupe.stages`).

Counting is a pass over compact fingerprints: 8-byte segment keys with 4-byte
story, site, document and segment numbers are collected in numpy arrays, and
`finish` sorts them once; only the boilerplate keys are kept afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import xxhash

from ..normalize import fmix64


def site_hash(site: str) -> int:
    """A 64-bit salt for a site name (0 when sites are not known)."""
    return 0 if not site else xxhash.xxh3_64_intdigest(site.encode("utf-8", "surrogatepass")) | 1


def site_keys(keys: np.ndarray, salt: int) -> np.ndarray:
    """Segment keys made specific to one site."""
    return keys if not salt else fmix64(keys ^ np.uint64(salt))


def url_host(url: str) -> str:
    """The site of a URL: its host, lower-cased, without a leading ``www.``."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


@dataclass(frozen=True)
class Recurring:
    """What the corpus says about one boilerplate key."""

    first_doc: int  # the first article (ordinal) that has it
    first_segment: int  # its segment there
    second_doc: int  # the next other article that has it (-1 if none)
    stories: int  # distinct stories it occurs in
    sites: int  # distinct sites it occurs in
    total: int  # stories in its scope (its site's, or the corpus's)

    def other_than(self, doc: int) -> int:
        """The first article other than ``doc`` that has the segment."""
        return self.second_doc if doc == self.first_doc else self.first_doc


class BoilerplateCounter:
    """Distinct stories (and sites) per segment key, counted over the whole corpus.

    ``per_site`` says whether ``min_share`` is a share of the stories of each
    key's site (keys made site-specific) or of all stories (keys counted
    across sites).
    """

    def __init__(self, min_docs: int, min_share: float, per_site: bool = True) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self.per_site = per_site
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._boiler: dict[int, Recurring] = {}

    def add_many(
        self,
        keys: np.ndarray,
        stories: np.ndarray,
        docs: np.ndarray,
        segments: np.ndarray,
        sites: np.ndarray,
    ) -> None:
        """Record segments with their story, document, segment index and site number."""
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
        """Count distinct stories and sites per key and keep the keys that are boilerplate."""
        if not self._parts:
            return
        keys, stories, docs, segments, sites = (np.concatenate(c) for c in zip(*self._parts))
        self._parts = []
        if not len(keys):
            return
        pairs = np.unique(sites.astype(np.uint64) << np.uint64(32) | stories.astype(np.uint64))
        if self.per_site:
            site_total = np.zeros(int(sites.max()) + 1, dtype=np.int64)
            np.add.at(site_total, (pairs >> np.uint64(32)).astype(np.intp), 1)
        else:
            everything = len(np.unique(pairs & np.uint64(0xFFFFFFFF)))
            site_total = np.full(int(sites.max()) + 1, everything, dtype=np.int64)
        del pairs
        # sorted here, each column replacing its unsorted self (`recurring` would hold both)
        order = np.lexsort((segments, docs, keys))
        keys, stories, docs = keys[order], stories[order], docs[order]
        segments, sites = segments[order], sites[order]
        del order
        self._boiler = recurring(
            keys, stories, docs, segments, sites, site_total, self.min_docs, self.min_share,
            ordered=True,
        )  # fmt: skip

    def is_boilerplate(self, key: int) -> bool:
        return key in self._boiler

    def get(self, key: int) -> Recurring | None:
        return self._boiler.get(key)

    def table(self) -> dict[int, Recurring]:
        """Every boilerplate key and what the corpus says about it."""
        return dict(self._boiler)


def recurring(
    keys: np.ndarray, stories: np.ndarray, docs: np.ndarray, segments: np.ndarray,
    sites: np.ndarray, site_total: np.ndarray, min_docs: int, min_share: float,
    *, ordered: bool = False,
) -> dict[int, Recurring]:  # fmt: skip
    """The boilerplate keys among counted rows (every row of each key present), given the
    stories of each site (``site_total``, indexed by site number); ``ordered``: the rows
    are already sorted by (key, doc, segment). A pure function: the Dask engine calls it
    on each partition of rows shuffled by key."""
    if not len(keys):
        return {}
    cutoff = np.maximum(float(min_docs), min_share * site_total)
    columns: tuple[np.ndarray, ...] = (keys, stories, docs, segments, sites)
    if not ordered:  # first occurrences: sort by (key, doc, segment)
        order = np.lexsort((segments, docs, keys))
        columns = tuple(a[order] for a in columns)
        del order
    # a key in fewer rows than its cutoff is in fewer stories: its rows are dropped first
    # (one huge article has millions of keys, each in one story)
    keys, sites = columns[0], columns[4]
    first = np.r_[True, keys[1:] != keys[:-1]]
    starts = np.flatnonzero(first)
    rows = np.diff(np.r_[starts, len(keys)])
    possible = rows >= cutoff[sites[starts]]
    if not possible.any():
        return {}
    if not possible.all():
        columns = tuple(a[np.repeat(possible, rows)] for a in columns)
    keys, stories, docs, segments, sites = columns
    del columns
    first = np.r_[True, keys[1:] != keys[:-1]]
    starts = np.flatnonzero(first)
    distinct = _distinct_per_group(keys, stories, starts)
    hot = np.flatnonzero(distinct >= cutoff[sites[starts]])
    if not len(hot):
        return {}
    site_count = _distinct_per_group(keys, sites, starts)
    group = np.cumsum(first) - 1
    # the second distinct document of each key: the first row whose doc differs
    other = np.r_[False, (docs[1:] != docs[:-1]) & ~first[1:]]
    second = np.full(len(starts), -1, dtype=np.int64)
    rows = np.flatnonzero(other)
    firsts_of_group = np.r_[True, group[rows][1:] != group[rows][:-1]] if len(rows) else []
    second[group[rows[firsts_of_group]]] = docs[rows[firsts_of_group]]
    return {
        k: Recurring(d, s, t, n, m, total)
        for k, d, s, t, n, m, total in zip(
            keys[starts[hot]].tolist(),
            docs[starts[hot]].tolist(),
            segments[starts[hot]].tolist(),
            second[hot].tolist(),
            distinct[hot].tolist(),
            site_count[hot].tolist(),
            site_total[sites[starts[hot]]].tolist(),
        )
    }


def _distinct_per_group(keys: np.ndarray, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Distinct ``values`` per run of equal ``keys`` (runs starting at ``starts``)."""
    order = np.lexsort((values, keys))
    k, v = keys[order], values[order]
    new = np.r_[True, (k[1:] != k[:-1]) | (v[1:] != v[:-1])]
    out: np.ndarray = np.add.reduceat(new, starts, dtype=np.int64)
    return out
