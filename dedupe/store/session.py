"""A session: one run's view of an index, and what the run adds to it.

The index holds what earlier runs learned, as a single run over all of them would
have it after its first pass over them (see ``dedupe.indexed`` for how a run uses it):

* **kept articles** (`codec.Record` with a body): signature, sizes, figures and
  paragraph anchors, found by LSH band key, anchor and exact digest (multimaps
  ``bands``, ``anchors``, ``exact``). They are earlier than everything of a run, both
  for the near-duplicate rule and for grouping a run's raw articles into stories (a
  run's article joins the story of an indexed article its raw text duplicates).
* **segment-key counts**: for each key (a segment's words, a date line's shape, a
  title-tag part), the number of distinct stories it occurs in and where it was first
  seen, per site (table ``counts``, keyed by the site-salted key as the boilerplate
  counter is) and across sites (table ``across``, keyed by the key itself, with the
  list of its sites); a key seen at one site only is kept in ``across`` alone, its
  site's count being the same. Stories per site and across sites are in ``sites``
  and the metadata.
* every article that brought something (a body, a count) with its id, run and day, so
  that report rows can name it, and the keys it brought, so that a later copy of its
  story does not count again (multimap ``stories``) and so that its counts leave
  with it when it leaves the window (multimap ``days``).

A session takes the store's writer lock when it starts and holds it until `commit`
(or `close`): runs against one index are serialised, and everything a run adds is
written in one `Changes` at the end. The window is applied when the session starts,
as pending changes that reads already see and that are written with the run's own,
so a run that fails leaves the index exactly as it was.

Windows forget by article: a count leaves with the article that brought it (the
first of its story to have the key), even if a later copy of the story is still in
the window. An article that leaves the window but is still named as the first with
a key becomes a tombstone (its id, run and day) so that reports can still name it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import FINGERPRINT_VERSION, CleanerConfig
from ..fingerprint import ANCHOR_MIN_WORDS
from ..index import (
    FIGURE_PERM,
    MAX_ANCHORS,
    MAX_BUCKET,
    Bodies,
    EarlierMatches,
    Stored,
    verify,
)
from ..minhash import SCHEME
from ..normalize import fmix64
from ..rules.boilerplate import Recurring, site_hash
from .base import Changes, SchemeError, Store, expand
from .codec import (
    FORMAT,
    UNKNOWN,
    Body,
    Count,
    KeyFlag,
    Record,
    RecordFlag,
    pack_site,
    unpack_site,
)

EXACT_LIMIT = 16  # articles read per exact digest (the earliest living one is used)
ALL = 1 << 40  # "no limit" for multimap lookups


def scheme_of(config: CleanerConfig) -> dict[str, Any]:
    """The settings that fingerprints depend on: an index holds fingerprints of one scheme."""
    return {
        "format": FORMAT,
        "fingerprint_version": FINGERPRINT_VERSION,
        "hash": SCHEME,
        "num_perm": config.num_perm,
        "seed": config.seed,
        "shingle_size": config.shingle_size,
        "lsh_bands": config.lsh_bands,
        "lsh_rows": config.lsh_rows,
        "figure_perm": FIGURE_PERM,
        "max_anchors": MAX_ANCHORS,
        "anchor_min_words": ANCHOR_MIN_WORDS,
    }


def check_scheme(stored: dict[str, Any], config: CleanerConfig, where: str) -> None:
    """Raise `SchemeError` if the index's fingerprints cannot be compared with this run's."""
    mine = scheme_of(config)
    diff = [k for k in mine if stored.get(k) != mine[k]]
    if not diff:
        return
    if diff == ["format"]:
        raise SchemeError(
            f"{where}: the index is in format {stored.get('format')!r} (written by another "
            f"version of dedupe); this version reads format {FORMAT}. Convert it: "
            f"`dedupe index export {where} OLD.jsonl`, then `dedupe index import OLD.jsonl NEW` "
            "(an import converts format 1), or start a new index"
        )
    theirs = ", ".join(f"{k}={stored.get(k)!r}" for k in diff)
    ours = ", ".join(f"{k}={mine[k]!r}" for k in diff)
    hint = (
        "it was built by another version of dedupe: start a new index (or export it with "
        "that version and clean again)"
        if any(k in diff for k in ("format", "fingerprint_version", "hash", "figure_perm",
                                   "max_anchors", "anchor_min_words"))
        else "run with the index's settings, or start a new index"
    )  # fmt: skip
    raise SchemeError(
        f"{where}: the index holds fingerprints made with {theirs}; this run uses {ours}, "
        f"which cannot be compared with them: {hint}"
    )


@dataclass(slots=True)
class _State:
    """The count of one key being updated by this session (at a site, or across sites)."""

    stories: int = 0
    first_doc: int = -1
    first_segment: int = 0
    second_doc: int = -1
    sites: list[int] = field(default_factory=list)  # across sites only
    stored: bool = False  # whether the index holds a row for it
    dirty: bool = False
    single: Count | None = None  # across: the value as loaded, for a key at one site
    key: int = 0  # per site: the key before salting ...
    site: int = 0  # ... its site ...
    part: bool = False  # ... and whether it is a title-tag part
    ready: bool = False  # per site: filled in from `across` if not stored on its own


@dataclass(slots=True)
class _Story:
    """What the index says an earlier story already counts."""

    local: set[int] = field(default_factory=set)  # site-salted keys
    across: set[int] = field(default_factory=set)  # keys
    sites: set[int] = field(default_factory=set)  # sites at which it is counted
    across_counted: bool = False


@dataclass
class _Probed:
    """The keys of a multimap a session has looked up (sorted), and the (key, article) pairs
    found (sorted by key, then article)."""

    limit: int
    probed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the sorted array ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    found: np.ndarray = sorted_keys[at] == values
    return found


@dataclass
class Rows:
    """Segment keys of some articles, in (article, segment) order: what `Session.count` adds."""

    keys: np.ndarray  # uint64
    part: np.ndarray  # bool: a title-tag part (counted per site only)
    doc: np.ndarray  # int64 article number
    segment: np.ndarray  # int64
    site: list[str]  # site name of each row's article ("" unknown)
    story: np.ndarray  # int64 story (the number of its first article) of each row's article


class Session:
    """One run's locked view of an index (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        config: CleanerConfig,
        day: int,
        window: int | None = None,
        waiting: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.day = day
        self.window = window
        self.cutoff = None if window is None else day - window + 1
        store.lock(waiting, timeout)
        try:
            self._open()
        except BaseException:
            store.unlock()
            raise

    def _open(self) -> None:
        meta = self.store.meta()
        self.new = "scheme" not in meta
        if not self.new:
            check_scheme(json.loads(meta["scheme"]), self.config, self.store.location)
        self.n0 = int(meta.get("next_n", 0))  # first number of this session's articles
        self.run = int(meta.get("next_run", 1))
        self.min_day = int(meta["min_day"]) if "min_day" in meta else None
        self.across_total = int(meta.get("across_total", 0))
        self.site_id: dict[str, int] = {"": 0}
        self.site_name: dict[int, str] = {0: ""}
        self.site_stories: dict[int, int] = {0: 0}
        for key, value in self.store.items("sites"):
            name, stories = unpack_site(value)
            self.site_id[name], self.site_name[key], self.site_stories[key] = key, name, stories
        self._sites_dirty: set[int] = set()
        self.changes = Changes()
        self._records: dict[int, Record | None] = {}  # cache (None: absent or gone)
        self._probed: dict[str, _Probed] = {}  # multimap lookups already made (see `_lookup`)
        self._gone: set[int] = set()  # articles that left the window in this session
        self._local: dict[int, _State] = {}  # site-salted key -> state
        self._across: dict[int, _State] = {}  # key -> state
        self._stories: dict[int, _Story] = {}  # earlier stories looked at
        self._new_local: set[tuple[int, int]] = set()  # (salted key, story) counted now
        self._new_across: set[tuple[int, int]] = set()
        self._new_site_story: set[tuple[int, int]] = set()
        self._new_across_story: set[int] = set()
        self._pending: dict[int, Record] = {}  # this session's articles
        self._flags: dict[int, int] = {}  # `RecordFlag` bits this session's articles brought
        self.next_n = self.n0
        self.started = time.time()
        self.pruned = 0
        if self.cutoff is not None and (self.min_day is None or self.min_day < self.cutoff):
            self._prune(self.cutoff)

    # -- reading the index ----------------------------------------------------------

    def records(self, ns: Iterable[int]) -> dict[int, Record | None]:
        """The living records of earlier articles (None for an article gone or unknown)."""
        known = self._records  # (not `- keys()`: that walks every record read so far)
        want = sorted({int(n) for n in ns if int(n) not in known})
        if want:
            values = self.store.get("articles", want)
            for n, value in zip(want, values):
                rec = None if value is None else Record.unpack(value, self.config.num_perm)
                self._records[n] = rec
        out: dict[int, Record | None] = {}
        for n in ns:
            rec = self._records.get(int(n))
            alive = rec is not None and int(n) not in self._gone
            alive = alive and not (rec.flags & RecordFlag.TOMBSTONE)  # type: ignore[union-attr]
            out[int(n)] = rec if alive else None
        return out

    def _lookup(self, table: str, keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """`Store.lookup`, asking the store only about keys not asked before: the index does
        not change while the session holds the lock, and a run looks up most band keys and
        anchors twice (its raw bodies, then the cleaned ones, are mostly alike)."""
        keys = np.asarray(keys, dtype=np.uint64)
        memo = self._probed.setdefault(table, _Probed(limit))
        assert memo.limit == limit, "one limit per multimap"
        distinct = np.unique(keys)
        new = distinct[~_isin_sorted(distinct, memo.probed)]
        if len(new):  # merged in order (both sorted, no key in both): no sort of the whole
            pos, ns = self.store.lookup(table, new, limit)
            memo.probed = np.insert(memo.probed, np.searchsorted(memo.probed, new), new)
            if len(pos):
                found_keys, found_ns = new[pos], ns.astype(np.int64)  # by key, then number
                at = np.searchsorted(memo.keys, found_keys)
                memo.keys = np.insert(memo.keys, at, found_keys)
                memo.ns = np.insert(memo.ns, at, found_ns)
        lo = np.searchsorted(memo.keys, distinct, "left")
        count = np.searchsorted(memo.keys, distinct, "right") - lo
        total = int(count.sum())
        if not total:
            return np.zeros(0, np.intp), np.zeros(0, np.int64)
        rows = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
        return expand(keys, memo.keys[rows], memo.ns[rows], limit)

    def name(self, n: int) -> tuple[str, int, int] | None:
        """(id, run, day) of an earlier article, tombstones included."""
        rec: Record | None = self._pending.get(n)
        if rec is None:
            if n not in self._records:  # (a report names the same few articles many times)
                self.records([n])
            rec = self._records.get(n)
        return None if rec is None else (rec.id, rec.run, rec.day)

    def story_of(self, n: int) -> int:
        rec = self.records([n])[n]
        return n if rec is None else rec.story

    def match(
        self, bodies: Bodies, bands: np.ndarray, threshold: float, contained: float
    ) -> EarlierMatches:
        """`dedupe.index.Earlier`: the indexed articles of earlier runs as candidates."""
        n = len(bodies.ids)
        found = np.full(n, -1, dtype=np.int64)
        has = np.flatnonzero(bodies.exact != 0)
        pos, ns = self.store.lookup("exact", bodies.exact[has], EXACT_LIMIT)
        recs = self.records(ns.tolist())
        for p, m in zip(pos.tolist(), ns.tolist()):
            rec = recs[m]
            if rec is not None and found[has[p]] < 0:
                found[has[p]] = rec.rep
        bpos, bns = self._lookup("bands", bands, MAX_BUCKET)
        apos, ans = self._lookup("anchors", bodies.anchor_keys, MAX_BUCKET)
        row = np.r_[bpos // self.config.lsh_bands, bodies.anchor_owner[apos]].astype(np.int64)
        other = np.r_[bns, ans].astype(np.int64)
        weight = np.r_[np.zeros(len(bpos), np.int64), bodies.anchor_words[apos]]
        none = np.zeros(0, np.int64)
        empty = none, none, none, np.zeros(0), np.zeros(0), np.zeros(0)
        if not len(row):
            return (found, *empty)
        code, inverse = np.unique((row << 32) | other, return_inverse=True)
        words = np.bincount(inverse.ravel(), weights=weight, minlength=len(code)).astype(np.int64)
        row, other = code >> 32, code & 0xFFFFFFFF
        recs = self.records(np.unique(other).tolist())
        alive = np.array([recs[m] is not None and recs[m].body is not None for m in other.tolist()])  # type: ignore[union-attr]
        if not alive.any():
            return (found, *empty)
        row, other, words = row[alive], other[alive], words[alive]
        theirs = [recs[m].body for m in other.tolist()]  # type: ignore[union-attr]
        stored = Stored(
            np.stack([b.signature for b in theirs]),  # type: ignore[union-attr]
            np.array([b.size for b in theirs], np.int64),  # type: ignore[union-attr]
            np.array([b.words for b in theirs], np.int64),  # type: ignore[union-attr]
            np.stack([b.figure_sig for b in theirs]),  # type: ignore[union-attr]
            np.array([b.figure_count for b in theirs], np.int64),  # type: ignore[union-attr]
            np.array([b.tabular for b in theirs], bool),  # type: ignore[union-attr]
        )
        score, jac, inside = verify(bodies, row, stored, words, threshold, contained)
        hit = score > 0
        reps = np.array([recs[m].rep for m in other.tolist()], np.int64)  # type: ignore[union-attr]
        return found, row[hit], other[hit], reps[hit], score[hit], jac[hit], inside[hit]

    # -- boilerplate counts -----------------------------------------------------------

    def site(self, name: str) -> int:
        """The site number of a site name (new names get one now)."""
        sid = self.site_id.get(name)
        if sid is None:
            sid = max(self.site_name) + 1
            self.site_id[name], self.site_name[sid], self.site_stories[sid] = sid, name, 0
            self._sites_dirty.add(sid)
        return sid

    def sites_known(self) -> bool:
        return len(self.site_id) > 1

    def _load_counts(self, local: Sequence[int], across: Sequence[int]) -> None:
        """Read the counts of keys not yet looked at."""
        want = sorted({k for k in across if k not in self._across})
        for k, value in zip(want, self.store.get("across", want)):
            state = _State()
            if value is not None:
                c = Count.unpack(value)
                state = _State(c.stories, c.first_doc, c.first_segment, -1, list(c.sites), True)
                state.single = c if len(c.sites) == 1 else None
            self._across[k] = state
        want = sorted({k for k in local if k not in self._local})
        for k, value in zip(want, self.store.get("counts", want)):
            state = _State()
            if value is not None:
                c = Count.unpack(value)
                state = _State(c.stories, c.first_doc, c.first_segment, -1, [], True)
            self._local[k] = state

    def _local_state(self, salted: int, key: int, site: int, part: bool) -> _State:
        state = self._local[salted]
        if not state.ready:
            state.ready, state.key, state.site, state.part = True, key, site, part
            whole = self._across.get(key)
            if not state.stored and site and not part and whole is not None:
                # not stored on its own: the across count says it, for a key at one site
                c = whole.single
                if c is not None and c.sites == [site]:
                    state.stories, state.first_doc, state.first_segment = (
                        c.stories, c.first_doc, c.first_segment,
                    )  # fmt: skip
        return state

    def _story(self, story: int) -> _Story:
        """What an earlier story already counts (read once from its articles' records)."""
        known = self._stories.get(story)
        if known is not None:
            return known
        known = self._stories[story] = _Story()
        _, members = self.store.lookup("stories", np.array([story], np.uint64), ALL)
        for rec in self.records(members.tolist()).values():
            if rec is None:
                continue
            salt = site_hash(self.site_name.get(rec.site, ""))
            if rec.flags & RecordFlag.SITE_STORY:
                known.sites.add(rec.site)
            if rec.flags & RecordFlag.ACROSS_STORY:
                known.across_counted = True
            flags = rec.key_flags
            local = rec.keys[(flags & KeyFlag.LOCAL) != 0]
            if salt:
                local = fmix64(local ^ np.uint64(salt))
            known.local.update(local.tolist())
            known.across.update(rec.keys[(flags & KeyFlag.ACROSS) != 0].tolist())
        return known

    def count(self, rows: Rows) -> dict[int, list[tuple[int, int]]]:
        """Add segment keys to the counts, in order, as the boilerplate counter would; returns,
        per article, the keys it brought (key, `KeyFlag` bits)."""
        brought: dict[int, list[tuple[int, int]]] = {}
        if not len(rows.keys):
            return brought
        names = list(dict.fromkeys(rows.site))  # new sites are numbered in order of rows
        site_of = {name: self.site(name) for name in names}
        salt_of = {name: site_hash(name) for name in names}
        sites = [site_of[name] for name in rows.site]
        keys = rows.keys.astype(np.uint64)
        salt_arr = np.array([salt_of[s] for s in rows.site], dtype=np.uint64)
        salted = np.where(salt_arr != 0, fmix64(keys ^ salt_arr), keys).tolist()
        known = (salt_arr != 0).tolist()
        key_list = keys.tolist()
        part = rows.part.tolist()
        self._load_counts(salted, [k for k, kn, p in zip(key_list, known, part) if kn and not p])
        n0 = self.n0
        for story in set(rows.story.tolist()):
            if story < n0:
                self._story(story)
        # the hot loop: plain ints for flags, the counts' updates inlined (`_add`, `_seen`)
        local_bit, across_bit, part_bit = int(KeyFlag.LOCAL), int(KeyFlag.ACROSS), int(KeyFlag.PART)
        site_bit, across_story_bit = int(RecordFlag.SITE_STORY), int(RecordFlag.ACROSS_STORY)
        stories_seen = self._stories
        local_states, across_states = self._local, self._across
        new_local, new_across = self._new_local, self._new_across
        new_site_story, new_across_story = self._new_site_story, self._new_across_story
        site_stories, sites_dirty, doc_flags = self.site_stories, self._sites_dirty, self._flags
        for k, s, doc, seg, story, site, kn, pt in zip(
            key_list, salted, rows.doc.tolist(), rows.segment.tolist(), rows.story.tolist(),
            sites, known, part,
        ):  # fmt: skip
            flags = 0
            earlier = stories_seen.get(story) if story < n0 else None
            # per site (or over the corpus when sites are not known)
            state = local_states[s]
            if not state.ready:
                state = self._local_state(s, k, site, pt)
            if (s, story) not in new_local and (earlier is None or s not in earlier.local):
                new_local.add((s, story))
                flags = local_bit
                _add(state, doc, seg)
            elif state.first_doc < 0:
                _seen(state, doc)
            elif state.second_doc < 0 and doc != state.first_doc:
                state.second_doc = doc
            # across sites
            if kn and not pt:
                whole = across_states[k]
                if (k, story) not in new_across and (earlier is None or k not in earlier.across):
                    new_across.add((k, story))
                    flags |= across_bit
                    _add(whole, doc, seg)
                elif whole.first_doc < 0:
                    _seen(whole, doc)
                elif whole.second_doc < 0 and doc != whole.first_doc:
                    whole.second_doc = doc
                if site not in whole.sites:
                    whole.sites.append(site)
                    whole.dirty = True
            if flags:
                brought.setdefault(doc, []).append((k, flags | part_bit if pt else flags))
            # stories per site and across sites
            if (site, story) not in new_site_story and (
                earlier is None or site not in earlier.sites
            ):
                new_site_story.add((site, story))
                site_stories[site] += 1
                sites_dirty.add(site)
                doc_flags[doc] = doc_flags.get(doc, 0) | site_bit
            if (
                kn
                and not pt
                and story not in new_across_story
                and (earlier is None or not earlier.across_counted)
            ):
                new_across_story.add(story)
                self.across_total += 1
                doc_flags[doc] = doc_flags.get(doc, 0) | across_story_bit
        return brought

    def record_flags(self, doc: int) -> RecordFlag:
        return RecordFlag(self._flags.get(doc, 0))

    def recurring(
        self, salted: Iterable[int], keys: Iterable[int]
    ) -> tuple[dict[int, Recurring], dict[int, Recurring]]:
        """The boilerplate tables' entries for these keys (site-salted, and across sites) as
        the counts stand now: only the keys that are boilerplate."""
        c = self.config
        by_site: dict[int, Recurring] = {}
        for s in salted:
            state = self._local.get(s)
            if state is None or state.stories == 0:
                continue
            total = self._site_total(state)
            if state.stories >= max(float(c.boilerplate_min_docs), c.boilerplate_min_share * total):
                by_site[s] = _recurring(state, 1, total)
        across: dict[int, Recurring] = {}
        total = self.across_total
        cutoff = max(float(c.boilerplate_min_docs), c.boilerplate_min_share * total)
        for k in keys:
            state = self._across.get(k)
            if state is not None and state.stories >= cutoff and state.stories > 0:
                across[k] = _recurring(state, len(state.sites), total)
        return by_site, across

    def _site_total(self, state: _State) -> int:
        return self.site_stories.get(state.site, 0)

    def touched(self) -> tuple[list[int], list[int]]:
        """Every key whose count this session changed or read (site-salted, across)."""
        return list(self._local), list(self._across)

    # -- what this run adds -------------------------------------------------------------

    def add(self, record: Record, n: int) -> None:
        """An article of this session (kept or not) with what it brought."""
        self._pending[n] = record

    # -- the window ---------------------------------------------------------------------

    def _prune(self, cutoff: int) -> None:
        """Forget (as pending changes) every article of a day before ``cutoff``."""
        first_day = self.min_day if self.min_day is not None else cutoff
        days = np.arange(min(first_day, cutoff), cutoff, dtype=np.int64)
        if not len(days):
            return
        dpos, dns = self.store.lookup("days", days.view(np.uint64), ALL)
        self.changes.unlink("days", days[dpos].view(np.uint64), dns)
        recs = self.records(dns.tolist())
        gone = [(n, rec) for n, rec in sorted(recs.items()) if rec is not None]
        salted_of: list[list[int]] = []  # each article's keys salted with its site (`_salted`)
        across_all: list[int] = []
        for _, rec in gone:
            salt = site_hash(self.site_name.get(rec.site, ""))
            ks = rec.keys
            salted_of.append((fmix64(ks ^ np.uint64(salt)) if salt else ks).tolist())
            if salt:
                across_all += ks[(rec.key_flags & KeyFlag.PART) == 0].tolist()
        self._load_counts([k for keys in salted_of for k in keys], across_all)
        referenced: set[int] = set()
        self._unindex(gone)
        for (n, rec), salted in zip(gone, salted_of):
            self._gone.add(n)
            for k, flags, s in zip(rec.keys.tolist(), rec.key_flags.tolist(), salted):
                if flags & KeyFlag.LOCAL:
                    state = self._local_state(s, k, rec.site, bool(flags & KeyFlag.PART))
                    state.stories -= 1
                    state.dirty = True
                    if state.first_doc == n and state.stories > 0:
                        referenced.add(n)
                    if state.stories <= 0 and rec.site in self._across.get(k, _State()).sites:
                        whole = self._across[k]
                        whole.sites.remove(rec.site)
                        whole.dirty = True
                if flags & KeyFlag.ACROSS:
                    whole = self._across[k]
                    whole.stories -= 1
                    whole.dirty = True
                    if whole.first_doc == n and whole.stories > 0:
                        referenced.add(n)
            if rec.flags & RecordFlag.SITE_STORY:
                self.site_stories[rec.site] = max(0, self.site_stories.get(rec.site, 0) - 1)
                self._sites_dirty.add(rec.site)
            if rec.flags & RecordFlag.ACROSS_STORY:
                self.across_total = max(0, self.across_total - 1)
            self.pruned += 1
        for n, rec in gone:
            if n in referenced:
                stone = Record(
                    rec.id, rec.run, rec.day, rec.site, rec.story, rec.rep, RecordFlag.TOMBSTONE
                )
                self.changes.set("articles", n, stone.pack())
                self._records[n] = stone
            else:
                self.changes.drop("articles", n)
        self.min_day = cutoff

    def _unindex(self, gone: Sequence[tuple[int, Record]]) -> None:
        """Take forgotten articles out of the multimaps (``days`` is done by `_prune`)."""
        c = self.config
        for table, (keys, ns) in multimap_pairs(gone, c.lsh_bands, c.lsh_rows).items():
            if table != "days":
                self.changes.unlink(table, keys, ns)

    # -- commit -------------------------------------------------------------------------

    def commit(self, run: dict[str, Any]) -> None:
        """Write everything this session added (and forgot) at once, and release the lock."""
        ch = self.changes
        c = self.config
        pending = sorted(self._pending.items())
        for n, rec in pending:
            ch.set("articles", n, rec.pack())
        for table, (keys, ns) in multimap_pairs(pending, c.lsh_bands, c.lsh_rows).items():
            ch.link(table, keys, ns)
        self._write_counts()
        for sid in sorted(self._sites_dirty):
            ch.set("sites", sid, pack_site(self.site_name[sid], self.site_stories.get(sid, 0)))
        days = [r.day for r in self._pending.values()]
        low = min([*days, *([self.min_day] if self.min_day is not None else [])], default=None)
        meta = {
            "next_n": str(self.next_n),
            "next_run": str(self.run + 1),
            "across_total": str(self.across_total),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if low is not None:
            meta["min_day"] = str(low if self.cutoff is None else max(low, self.cutoff))
        if self.new:
            meta["scheme"] = json.dumps(scheme_of(c), sort_keys=True)
            meta["created"] = meta["updated"]
        ch.meta.update(meta)
        ch.set("runs", self.run, json.dumps(run, sort_keys=True).encode("utf-8"))
        self.store.commit(ch)

    def _write_counts(self) -> None:
        ch = self.changes
        for k, state in self._across.items():
            if not state.dirty:
                continue
            if state.stories <= 0:
                if state.stored:
                    ch.drop("across", k)
                continue
            ch.set("across", k, _count(state).pack())
            if state.single is not None and len(state.sites) > 1:
                # the key was at one site only, kept in `across` alone: that site's count
                # must now be written on its own
                (old,) = state.single.sites
                s = _salted(k, self.site_name.get(old, ""))
                self._load_counts([s], [])
                self._local_state(s, k, old, False).dirty = True
        for s, state in self._local.items():
            if not state.dirty:
                continue
            if state.stories <= 0:
                if state.stored:
                    ch.drop("counts", s)
                continue
            whole = self._across.get(state.key)
            alone = state.site == 0 or state.part or state.stored
            if alone or (whole is not None and len(whole.sites) > 1):
                ch.set("counts", s, _count(state).pack())

    def close(self) -> None:
        """Give the lock back without writing (after `commit`, a no-op)."""
        self.store.unlock()


def _salted(key: int, site: str) -> int:
    """A key made specific to a site (as `dedupe.rules.boilerplate.site_keys`)."""
    salt = site_hash(site)
    return key if not salt else int(fmix64(np.array([key ^ salt], np.uint64))[0])


def _add(state: _State, doc: int, seg: int) -> None:
    state.stories += 1
    state.dirty = True
    _seen(state, doc, seg)


def _seen(state: _State, doc: int, seg: int = 0) -> None:
    if state.first_doc < 0:
        state.first_doc, state.first_segment = doc, seg
        state.dirty = True
    elif state.second_doc < 0 and doc != state.first_doc:
        state.second_doc = doc


def _recurring(state: _State, sites: int, total: int) -> Recurring:
    first = state.first_doc if state.first_doc != UNKNOWN else -1
    return Recurring(first, state.first_segment, state.second_doc, state.stories, sites, total)


def _count(state: _State) -> Count:
    first = state.first_doc if state.first_doc >= 0 else UNKNOWN
    return Count(state.stories, first, state.first_segment, list(state.sites))


def body_of(bodies: Bodies, r: int) -> Body:
    return Body(
        bodies.signatures[r].copy(),
        int(bodies.sizes[r]),
        int(bodies.words[r]),
        bodies.figure_sigs[r].copy(),
        int(bodies.figure_count[r]),
        bool(bodies.tabular[r]),
    )


def anchors_of(bodies: Bodies, r: int) -> np.ndarray:
    """The paragraph anchors an index keeps of body ``r`` (the first MAX_ANCHORS)."""
    mine: np.ndarray = bodies.anchor_keys[bodies.anchor_owner == r][:MAX_ANCHORS]
    return mine.astype(np.uint64)


def multimap_pairs(
    records: Sequence[tuple[int, Record]], bands: int, rows: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The multimap entries (key, article number) of numbered article records, per multimap:
    story, day, exact digest, band keys and anchors (a tombstone has none)."""
    from ..kernel import band_keys as kernel_band_keys  # the kernel imports dedupe.index

    live = [(n, r) for n, r in records if not r.flags & RecordFlag.TOMBSTONE]
    ns = np.array([n for n, _ in live], np.uint64)
    out = {
        "stories": (np.array([r.story for _, r in live], np.uint64), ns),
        "days": (np.array([r.day for _, r in live], np.int64).view(np.uint64), ns),
        "exact": (
            np.array([r.exact for _, r in live if r.exact is not None], np.uint64),
            np.array([n for n, r in live if r.exact is not None], np.uint64),
        ),
    }
    bodies = [(n, r.body, r.anchors) for n, r in live if r.body is not None]
    if bodies:
        sigs = np.stack([b.signature for _, b, _ in bodies]).astype(np.uint32, copy=False)
        keys = kernel_band_keys(sigs, bands, rows).astype(np.uint64)
        owners = np.array([n for n, _, _ in bodies], np.uint64)
        out["bands"] = (keys.ravel(), np.repeat(owners, keys.shape[1]))
        out["anchors"] = (
            np.concatenate([a for _, _, a in bodies]).astype(np.uint64),
            np.repeat(owners, [len(a) for _, _, a in bodies]),
        )
    return out
