"""`Cleaner.clean(records)`: the stages of the data path, in order.

    fingerprint  per batch of articles: segments, normalised keys, MinHash
                 signatures, candidate repeated paragraphs (`fingerprint.py`);
    survey       (pass 1) group near-identical raw articles into stories and
                 count in how many stories each segment occurs (boilerplate);
    decide       (pass 2) per article: headline, boilerplate and paragraph
                 repeats, then the cleaned body against the bodies kept so far;
    emit         the original text minus the removed spans, one `Removal` per cut.

Input that can be iterated twice (a list, or a reader such as
`dedupe.io.Corpus`) is read twice and never held in memory; a one-shot
iterator is first collected into a list. The cleaner never opens files.
Results do not depend on the batch size.
"""

from __future__ import annotations

import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import CleanerConfig
from .fingerprint import Fingerprint, fingerprint_batch
from .index import Bodies, DuplicateIndex, Match
from .minhash import Hasher
from .normalize import normalize
from .records import Article, Removal, Result, Rule
from .report import Summary
from .rules.boilerplate import BoilerplateCounter, site_hash, site_keys
from .rules.headline import Headline
from .segment import cuts, splice

RecordLike = Article | Mapping[str, Any]
MAX_TITLE_CHARS = 500  # a longer first segment is not a headline
ANCHOR_MIN_WORDS = 12  # paragraphs this long are exact-match anchors for duplicate articles
BATCH_SIZE = 256


@dataclass
class _Decision:
    removed: dict[int, tuple[Rule, int | None, int | None, float]]  # segment -> why
    title: int | None


class Cleaner:
    """Removes repeated headlines, repeated paragraphs, boilerplate and near-duplicate articles."""

    def __init__(self, config: CleanerConfig | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.config = config or CleanerConfig()
        self.batch_size = max(1, batch_size)
        self.hasher = Hasher(self.config.num_perm, self.config.seed)
        self.summary = Summary()
        self._sites: dict[str, int] = {"": 0}

    # -- public API -------------------------------------------------------

    def clean(self, records: Iterable[RecordLike]) -> Iterator[Result]:
        """One `Result` per input record, in input order."""
        if iter(records) is records:  # a one-shot iterator: keep it for the second pass
            records = list(records)
        self.summary = Summary()
        counter = self._survey(records)
        drops = None
        if self.config.keep == "longest" and self.config.documents:
            drops = self._choose_longest(records, counter)
        yield from self._emit(records, counter, drops)

    # -- stages -----------------------------------------------------------

    def _batches(
        self, records: Iterable[RecordLike], repeats: bool = True
    ) -> Iterator[list[Fingerprint]]:
        batch: list[Article] = []
        for record in records:
            batch.append(record if isinstance(record, Article) else Article.from_dict(record))
            if len(batch) >= self.batch_size:
                yield fingerprint_batch(batch, self.config, self.hasher, repeats)
                batch = []
        if batch:
            yield fingerprint_batch(batch, self.config, self.hasher, repeats)

    def _site(self, article: Article) -> str:
        field = self.config.site_field
        if field is None:
            return ""
        value = article.extra.get(field)
        return "" if value is None else str(value)

    def _site_keys(self, fp: Fingerprint) -> np.ndarray:
        return site_keys(fp.keys, site_hash(self._site(fp.article)))

    def _index(self, threshold: float) -> DuplicateIndex:
        c = self.config
        return DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, threshold, c.document_containment
        )

    def _survey(self, records: Iterable[RecordLike]) -> BoilerplateCounter:
        """Pass 1: story numbers and boilerplate counts."""
        c = self.config
        counter = BoilerplateCounter(c.boilerplate_min_docs, c.boilerplate_min_share)
        stories = self._index(c.story_threshold)
        story_of = array.array("q")  # story number of each article
        ordinal = 0
        for batch in self._batches(records, repeats=False):
            if not c.boilerplate:
                ordinal += len(batch)
                continue
            everything = [list(range(len(fp.segments))) for fp in batch]
            matches = stories.process(self._bodies(batch, everything, ordinal))
            for k, match in enumerate(matches):
                story_of.append(story_of[match.key] if match is not None else ordinal + k)
            keys, story, docs, segs, sites = [], [], [], [], []
            for k, fp in enumerate(batch):
                n = len(fp.segments)
                keys.append(self._site_keys(fp))
                story.append(np.full(n, story_of[ordinal + k]))
                docs.append(np.full(n, ordinal + k))
                segs.append(np.arange(n))
                site = self._site(fp.article)
                sites.append(np.full(n, self._sites.setdefault(site, len(self._sites))))
            if keys:
                counter.add_many(*(np.concatenate(x) for x in (keys, story, docs, segs, sites)))
            ordinal += len(batch)
        counter.finish()
        return counter

    def _decide(self, fp: Fingerprint, counter: BoilerplateCounter) -> _Decision:
        """Pass 2, per article: which segments go, and why."""
        c = self.config
        removed: dict[int, tuple[Rule, int | None, int | None, float]] = {}
        keys = self._site_keys(fp).tolist()
        boiler = [c.boilerplate and counter.is_boilerplate(k) for k in keys]
        title_text = fp.article.title
        title: int | None = None
        if title_text is None:
            title = next((i for i, b in enumerate(boiler) if not b), None)
            title_text = fp.segments[title].text if title is not None else None
        headline = (
            Headline(normalize(title_text), c.headline_ngram, c.headline_threshold)
            if (c.headlines and title_text and len(title_text) <= MAX_TITLE_CHARS)
            else None
        )
        indexed: dict[int, int] = {}  # exact key -> first kept segment with it
        kept: set[int] = set()
        plain = fp.keys.tolist()
        for seg, norm, key, nwords in zip(fp.segments, fp.norms, plain, fp.words.tolist()):
            i = seg.index
            if i != title and boiler[i]:
                first = counter.first(keys[i])
                doc, at = first if first is not None else (None, None)
                removed[i] = ("boilerplate", doc, at, 1.0)
                continue
            if i != title and headline is not None and (title is None or i > title):
                score = headline.match(norm)
                if score:
                    removed[i] = ("headline", None, title, score)
                    continue
            if c.paragraphs and nwords >= c.paragraph_min_words and i != title:
                hit = self._repeat(i, key, fp, indexed, kept)
                if hit is not None:
                    removed[i] = ("paragraph", None, hit[0], hit[1])
                    continue
            kept.add(i)
            indexed.setdefault(key, i)
        return _Decision(removed, title)

    @staticmethod
    def _repeat(
        i: int, key: int, fp: Fingerprint, indexed: dict[int, int], kept: set[int]
    ) -> tuple[int, float] | None:
        if key in indexed:
            return indexed[key], 1.0
        best: tuple[int, float] | None = None
        for earlier, score in fp.repeats.get(i, ()):
            if earlier in kept and (best is None or score > best[1]):
                best = (earlier, score)
        return best

    @staticmethod
    def _kept_body(fp: Fingerprint, decision: _Decision) -> list[int]:
        """The segments of the cleaned body: kept, and not the title."""
        return [
            s.index
            for s in fp.segments
            if s.index not in decision.removed and s.index != decision.title
        ]

    def _bodies(self, batch: list[Fingerprint], keeps: list[list[int]], first: int) -> Bodies:
        """The given segments of each article of a batch, as the duplicate index wants them."""
        c = self.config
        parts = [fp.body(keep) for fp, keep in zip(batch, keeps)]
        anchors = [
            [i for i in keep if fp.words[i] >= ANCHOR_MIN_WORDS] for fp, keep in zip(batch, keeps)
        ]
        return Bodies(
            ids=np.arange(first, first + len(batch), dtype=np.int64),
            signatures=_stack([p[0] for p in parts], c.num_perm),
            sizes=np.array([p[1] for p in parts], dtype=np.int64),
            words=np.array([p[2] for p in parts], dtype=np.int64),
            eligible=np.array([p[2] >= c.document_min_words for p in parts], dtype=bool),
            anchor_keys=_concat([fp.keys[a] for fp, a in zip(batch, anchors)], np.uint64),
            anchor_words=_concat([fp.words[a] for fp, a in zip(batch, anchors)], np.int64),
            anchor_owner=np.repeat(np.arange(len(batch)), [len(a) for a in anchors]),
        )

    def _choose_longest(
        self, records: Iterable[RecordLike], counter: BoilerplateCounter
    ) -> dict[int, tuple[int, float, str]]:
        """For ``keep="longest"``: which articles to drop (ordinal -> (kept, score, kept id))."""
        c = self.config
        lengths: list[int] = []
        names: list[str] = []
        parts: list[Bodies] = []
        ordinal = 0
        for batch in self._batches(records):
            keeps = []
            for fp in batch:
                decision = self._decide(fp, counter)
                spans = cuts(fp.article.text, fp.segments, decision.removed).values()
                lengths.append(len(fp.article.text) - sum(e - s for s, e in spans))
                names.append(fp.article.id)
                keeps.append(self._kept_body(fp, decision))
            parts.append(self._bodies(batch, keeps, ordinal))
            ordinal += len(batch)
        everything = _join(parts, c.num_perm)
        order = np.array(sorted(range(len(lengths)), key=lambda k: (-lengths[k], k)), dtype=np.intp)
        index = self._index(c.document_threshold)
        drops: dict[int, tuple[int, float, str]] = {}
        for lo in range(0, len(order), self.batch_size):
            part = _take(everything, order[lo : lo + self.batch_size])
            for k, match in zip(part.ids.tolist(), index.process(part)):
                if match is not None:
                    drops[k] = (match.key, match.similarity, names[match.key])
        return drops

    def _emit(
        self,
        records: Iterable[RecordLike],
        counter: BoilerplateCounter,
        drops: dict[int, tuple[int, float, str]] | None,
    ) -> Iterator[Result]:
        """Pass 2 (or 3): decide and yield each article's result."""
        c = self.config
        index = self._index(c.document_threshold) if c.documents and drops is None else None
        wanted = counter.first_docs()
        names: dict[int, str] = {}  # ids of kept articles and of first boilerplate occurrences
        ordinal = 0
        for batch in self._batches(records):
            decisions = [self._decide(fp, counter) for fp in batch]
            for k, fp in enumerate(batch):
                if ordinal + k in wanted:
                    names[ordinal + k] = fp.article.id
            matches: list[Match | None] = [None] * len(batch)
            if index is not None:
                keeps = [self._kept_body(fp, d) for fp, d in zip(batch, decisions)]

                def remember(
                    row: int, base: int = ordinal, part: list[Fingerprint] = batch
                ) -> None:
                    names[base + row] = part[row].article.id

                matches = index.process(self._bodies(batch, keeps, ordinal), on_keep=remember)
            for k, (fp, decision) in enumerate(zip(batch, decisions)):
                dropped: tuple[float, str] | None = None
                if drops is not None and ordinal + k in drops:
                    _, score, other = drops[ordinal + k]
                    dropped = (score, other)
                elif matches[k] is not None:
                    match = matches[k]
                    assert match is not None
                    dropped = (match.similarity, names[match.key])
                result = self._result(fp, decision, dropped, names)
                self.summary.add(result, len(fp.segments))
                yield result
            ordinal += len(batch)

    def _result(
        self,
        fp: Fingerprint,
        decision: _Decision,
        dropped: tuple[float, str] | None,
        names: dict[int, str],
    ) -> Result:
        article = fp.article
        text = article.text
        if dropped is not None:
            score, other = dropped
            row = Removal(
                doc=article.id, rule="document", segment=None, start=0, end=len(text), text=text,
                cut_start=0, cut_end=len(text), cut_text=text, matched_doc=other,
                matched_segment=None, similarity=score,
            )  # fmt: skip
            return Result(article, "", [row], dropped=True)
        spans = cuts(text, fp.segments, decision.removed)
        removals = []
        for i in sorted(decision.removed):
            rule, doc, at, score = decision.removed[i]
            seg = fp.segments[i]
            start, end = spans[i]
            removals.append(
                Removal(
                    doc=article.id,
                    rule=rule,
                    segment=i,
                    start=seg.start,
                    end=seg.end,
                    text=seg.text,
                    cut_start=start,
                    cut_end=end,
                    cut_text=text[start:end],
                    matched_doc=article.id if doc is None else names.get(doc, str(doc)),
                    matched_segment=at,
                    similarity=score,
                )  # fmt: skip
            )
        return Result(article, splice(text, spans.values()), removals)


def _stack(signatures: list[np.ndarray], num_perm: int) -> np.ndarray:
    if not signatures:
        return np.empty((0, num_perm), dtype=np.uint32)
    return np.stack(signatures)


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype=dtype)


def _join(parts: list[Bodies], num_perm: int) -> Bodies:
    """All batches' bodies as one (row numbers of anchors shifted accordingly)."""
    offsets = np.cumsum([0] + [len(p.ids) for p in parts])
    return Bodies(
        ids=_concat([p.ids for p in parts], np.int64),
        signatures=_stack([s for p in parts for s in p.signatures], num_perm),
        sizes=_concat([p.sizes for p in parts], np.int64),
        words=_concat([p.words for p in parts], np.int64),
        eligible=_concat([p.eligible for p in parts], np.bool_),
        anchor_keys=_concat([p.anchor_keys for p in parts], np.uint64),
        anchor_words=_concat([p.anchor_words for p in parts], np.int64),
        anchor_owner=_concat([p.anchor_owner + o for p, o in zip(parts, offsets)], np.intp),
    )


def _take(bodies: Bodies, rows: np.ndarray) -> Bodies:
    """The given rows of ``bodies``, in that order, with their anchors."""
    position = np.full(len(bodies.ids), -1, dtype=np.intp)
    position[rows] = np.arange(len(rows))
    mine = position[bodies.anchor_owner] >= 0
    owner = position[bodies.anchor_owner[mine]]
    order = np.argsort(owner, kind="stable")
    return Bodies(
        ids=bodies.ids[rows],
        signatures=bodies.signatures[rows],
        sizes=bodies.sizes[rows],
        words=bodies.words[rows],
        eligible=bodies.eligible[rows],
        anchor_keys=bodies.anchor_keys[mine][order],
        anchor_words=bodies.anchor_words[mine][order],
        anchor_owner=owner[order],
    )
