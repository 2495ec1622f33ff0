"""`Cleaner.clean(records)`: the stages of the data path, in order.

    survey  (pass 1) segment every article, fingerprint its segments, group
            near-identical raw articles into stories, count in how many stories
            each segment occurs (for boilerplate);
    decide  (pass 2) per article: headline, boilerplate and paragraph repeats,
            then the cleaned body against the bodies kept so far;
    emit    the original text minus the removed spans, with one `Removal` per cut.

Input that can be iterated twice (a list, or a reader such as
`dedupe.io.read_inputs`) is read twice and never held in memory; a one-shot
iterator is first collected into a list. The cleaner never opens files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import CleanerConfig
from .minhash import Hasher
from .normalize import ngram_hashes, normalize, text_key, word_hashes, words
from .records import Article, Removal, Result, Rule, Segment
from .report import Summary
from .rules.boilerplate import BoilerplateCounter
from .rules.document import DuplicateIndex
from .rules.headline import Headline
from .rules.paragraph import ParagraphIndex
from .segment import cuts, segment, splice

RecordLike = Article | Mapping[str, Any]
MAX_TITLE_CHARS = 500  # a longer first segment is not a headline
MAX_NEAR_WORDS = 5000  # longer segments repeat only exactly


@dataclass
class _Fingerprint:
    """An article's segments with everything the rules compare."""

    article: Article
    segments: list[Segment]
    norms: list[str]
    keys: list[int]
    words: list[list[str]]
    shingles: np.ndarray  # word n-gram hashes of all segments, concatenated
    owner: np.ndarray  # segment index of each shingle
    signatures: np.ndarray  # one MinHash signature per segment

    def body(self, keep: list[int]) -> tuple[np.ndarray, int, int]:
        """(signature, distinct shingles, words) of the given segments together."""
        if not keep:
            return self.signatures[:0].min(axis=0, initial=0xFFFFFFFF), 0, 0
        mask = np.isin(self.owner, keep)
        size = int(np.unique(self.shingles[mask]).size)
        return self.signatures[keep].min(axis=0), size, sum(len(self.words[i]) for i in keep)


@dataclass
class _Decision:
    removed: dict[int, tuple[Rule, int | None, int | None, float]]  # segment -> why
    title: int | None


class Cleaner:
    """Removes repeated headlines, repeated paragraphs, boilerplate and near-duplicate articles."""

    def __init__(self, config: CleanerConfig | None = None) -> None:
        self.config = config or CleanerConfig()
        self.hasher = Hasher(self.config.num_perm, self.config.seed)
        self.summary = Summary()

    # -- public API -------------------------------------------------------

    def clean(self, records: Iterable[RecordLike]) -> Iterator[Result]:
        """One `Result` per input record, in input order."""
        if iter(records) is records:  # a one-shot iterator: keep it for the second pass
            records = list(records)
        self.summary = Summary()
        counter, ids = self._survey(records)
        if self.config.keep == "longest" and self.config.documents:
            drops = self._choose_longest(records, counter)
            yield from self._emit(records, counter, ids, drops)
        else:
            yield from self._emit(records, counter, ids, None)

    # -- stages -----------------------------------------------------------

    def _fingerprint(self, record: RecordLike) -> _Fingerprint:
        article = record if isinstance(record, Article) else Article.from_dict(record)
        segments = segment(article.text)
        norms = [normalize(s.text) for s in segments]
        seg_words = [words(n) for n in norms]
        keys = [text_key(n) for n in norms]
        n = self.config.shingle_size
        parts = [ngram_hashes(word_hashes(ws), n) for ws in seg_words]
        shingles = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
        owner = np.repeat(np.arange(len(parts), dtype=np.intp), [len(p) for p in parts])
        signatures = self.hasher.signatures(shingles, owner, len(segments))
        return _Fingerprint(article, segments, norms, keys, seg_words, shingles, owner, signatures)

    def _site(self, article: Article) -> str:
        field = self.config.site_field
        if field is None:
            return ""
        value = article.extra.get(field)
        return "" if value is None else str(value)

    def _stories(self) -> DuplicateIndex:
        c = self.config
        return DuplicateIndex(
            self.hasher, c.lsh_bands, c.lsh_rows, c.story_threshold, c.document_containment
        )

    def _survey(self, records: Iterable[RecordLike]) -> tuple[BoilerplateCounter, list[str]]:
        """Pass 1: story numbers and boilerplate counts."""
        c = self.config
        counter = BoilerplateCounter(c.boilerplate_min_docs, c.boilerplate_min_share)
        ids: list[str] = []
        stories = self._stories()
        story_of: dict[int, int] = {}
        for ordinal, record in enumerate(records):
            fp = self._fingerprint(record)
            ids.append(fp.article.id)
            if not c.boilerplate:
                continue
            everything = list(range(len(fp.segments)))
            sig, size, nwords = fp.body(everything)
            story = ordinal
            if nwords >= c.document_min_words:
                match = stories.find(sig, size)
                if match is not None:
                    story = story_of[match.key]
                stories.add(ordinal, sig, size)
            story_of[ordinal] = story
            site = self._site(fp.article)
            for seg, key in zip(fp.segments, fp.keys):
                counter.add(key, story, ordinal, seg.index, site)
        return counter, ids

    def _decide(self, fp: _Fingerprint, counter: BoilerplateCounter) -> _Decision:
        """Pass 2, per article: which segments go, and why."""
        c = self.config
        removed: dict[int, tuple[Rule, int | None, int | None, float]] = {}
        site = self._site(fp.article)
        boiler = [c.boilerplate and counter.is_boilerplate(k, site) for k in fp.keys]
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
        earlier = ParagraphIndex(c.paragraph_threshold, c.paragraph_containment)
        p = c.paragraph_ngram
        for seg, norm, key, ws in zip(fp.segments, fp.norms, fp.keys, fp.words):
            i = seg.index
            if i != title and headline is not None and (title is None or i > title):
                score = headline.match(norm)
                if score:
                    removed[i] = ("headline", None, title, score)
                    continue
            if i != title and boiler[i]:
                first = counter.first(key, site)
                doc, at = first if first is not None else (None, None)
                removed[i] = ("boilerplate", doc, at, 1.0)
                continue
            if c.paragraphs and len(ws) >= c.paragraph_min_words:
                # Very long segments are compared by exact key only (bounded memory).
                grams = (
                    set(ngram_hashes(word_hashes(ws), p).tolist())
                    if len(ws) <= MAX_NEAR_WORDS
                    else set()
                )
                hit = earlier.match(key, grams) if i != title else None
                if hit is not None:
                    removed[i] = ("paragraph", None, hit[0], hit[1])
                else:
                    earlier.add(i, key, grams)
        return _Decision(removed, title)

    def _body(self, fp: _Fingerprint, decision: _Decision) -> tuple[np.ndarray, int, int]:
        keep = [s.index for s in fp.segments if s.index not in decision.removed]
        return fp.body([i for i in keep if i != decision.title])

    def _choose_longest(
        self, records: Iterable[RecordLike], counter: BoilerplateCounter
    ) -> dict[int, tuple[int, float]]:
        """For ``keep="longest"``: which articles to drop (ordinal -> (kept match, score))."""
        bodies: list[tuple[int, int, np.ndarray, int]] = []  # (-length, ordinal, sig, size)
        for ordinal, record in enumerate(records):
            fp = self._fingerprint(record)
            decision = self._decide(fp, counter)
            sig, size, nwords = self._body(fp, decision)
            if nwords >= self.config.document_min_words:
                length = len(fp.article.text) - sum(
                    e - s for s, e in cuts(fp.article.text, fp.segments, decision.removed).values()
                )
                bodies.append((-length, ordinal, sig, size))
        bodies.sort(key=lambda b: (b[0], b[1]))
        index = self._duplicates()
        drops: dict[int, tuple[int, float]] = {}
        for _, ordinal, sig, size in bodies:
            match = index.find(sig, size)
            if match is not None:
                drops[ordinal] = (match.key, match.similarity)
            else:
                index.add(ordinal, sig, size)
        return drops

    def _duplicates(self) -> DuplicateIndex:
        c = self.config
        return DuplicateIndex(
            self.hasher, c.lsh_bands, c.lsh_rows, c.document_threshold, c.document_containment
        )

    def _emit(
        self,
        records: Iterable[RecordLike],
        counter: BoilerplateCounter,
        ids: list[str],
        drops: dict[int, tuple[int, float]] | None,
    ) -> Iterator[Result]:
        """Pass 2 (or 3): decide and yield each article's result."""
        c = self.config
        index = self._duplicates() if c.documents and drops is None else None
        for ordinal, record in enumerate(records):
            fp = self._fingerprint(record)
            decision = self._decide(fp, counter)
            dropped: tuple[int, float] | None = None
            if drops is not None:
                dropped = drops.get(ordinal)
            elif index is not None:
                sig, size, nwords = self._body(fp, decision)
                if nwords >= c.document_min_words:
                    match = index.find(sig, size)
                    if match is not None:
                        dropped = (match.key, match.similarity)
                    else:
                        index.add(ordinal, sig, size)
            result = self._result(fp, decision, dropped, ids)
            self.summary.add(result, len(fp.segments))
            yield result

    def _result(
        self,
        fp: _Fingerprint,
        decision: _Decision,
        dropped: tuple[int, float] | None,
        ids: list[str],
    ) -> Result:
        article = fp.article
        text = article.text
        if dropped is not None:
            other, score = dropped
            row = Removal(
                doc=article.id, rule="document", segment=None, start=0, end=len(text), text=text,
                cut_start=0, cut_end=len(text), cut_text=text, matched_doc=ids[other],
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
                    matched_doc=article.id if doc is None else ids[doc],
                    matched_segment=at,
                    similarity=score,
                )  # fmt: skip
            )
        return Result(article, splice(text, spans.values()), removals)
