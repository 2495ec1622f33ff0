"""`Cleaner.clean(records)`: the stages of the data path, in order.

    survey   (pass 1) per batch (`stages.survey_batch`, in any process):
             segments, keys, raw body signature; then in order: group
             near-identical raw articles into stories and count in how many
             stories each segment occurs (boilerplate);
    decide   (pass 2) per batch (`stages.decide_batch`, in any process):
             headline, boilerplate and paragraph repeats, cleaned body; then in
             order: the body against the bodies kept so far;
    emit     the original text minus the removed spans, one `Removal` per cut.

Input that can be iterated twice (a list, or a reader such as
`dedupe.io.Corpus`) is read twice and never held in memory; a one-shot
iterator is first collected into a list. The cleaner never opens files.
Results depend neither on the batch size nor on the number of jobs.
"""

from __future__ import annotations

import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .config import CleanerConfig
from .index import Bodies, DuplicateIndex, Match
from .parallel import map_batches
from .records import Article, Removal, Result
from .report import Summary
from .rules.boilerplate import BoilerplateCounter
from .segment import cut_spans, splice
from .stages import Body, Boilerplate, Verdict, decide_batch, survey_batch

RecordLike = Article | Mapping[str, Any]
BATCH_SIZE = 256


class Cleaner:
    """Removes repeated headlines, repeated paragraphs, boilerplate and near-duplicate articles."""

    def __init__(
        self, config: CleanerConfig | None = None, batch_size: int = BATCH_SIZE, jobs: int = 1
    ) -> None:
        """``jobs`` processes do the per-article work (the output is the same for any
        number); ``batch_size`` articles are handled at a time."""
        self.config = config or CleanerConfig()
        self.batch_size = max(1, batch_size)
        self.jobs = max(1, jobs)
        self.summary = Summary()

    # -- public API -------------------------------------------------------

    def clean(self, records: Iterable[RecordLike]) -> Iterator[Result]:
        """One `Result` per input record, in input order."""
        if iter(records) is records:  # a one-shot iterator: keep it for the second pass
            records = list(records)
        self.summary = Summary()
        boiler = self._survey(records)
        drops = None
        if self.config.keep == "longest" and self.config.documents:
            drops = self._choose_longest(records, boiler)
        yield from self._emit(records, boiler, drops)

    # -- stages -----------------------------------------------------------

    def _batches(self, records: Iterable[RecordLike]) -> Iterator[list[Article]]:
        batch: list[Article] = []
        for record in records:
            batch.append(record if isinstance(record, Article) else Article.from_dict(record))
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _index(self, threshold: float) -> DuplicateIndex:
        c = self.config
        return DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, threshold, c.document_containment
        )

    def _bodies(self, bodies: list[Body], first: int) -> Bodies:
        c = self.config
        return Bodies(
            ids=np.arange(first, first + len(bodies), dtype=np.int64),
            signatures=_stack([b.signature for b in bodies], c.num_perm),
            sizes=np.array([b.size for b in bodies], dtype=np.int64),
            words=np.array([b.words for b in bodies], dtype=np.int64),
            eligible=np.array([b.words >= c.document_min_words for b in bodies], dtype=bool),
            anchor_keys=_concat([b.anchor_keys for b in bodies], np.uint64),
            anchor_words=_concat([b.anchor_words for b in bodies], np.int64),
            anchor_owner=np.repeat(np.arange(len(bodies)), [len(b.anchor_keys) for b in bodies]),
        )

    def _survey(self, records: Iterable[RecordLike]) -> Boilerplate:
        """Pass 1: story numbers and boilerplate counts; the boilerplate table."""
        c = self.config
        if not c.boilerplate:  # still read everything: bad input fails before any output
            for _ in self._batches(records):
                pass
            return {}
        counter = BoilerplateCounter(c.boilerplate_min_docs, c.boilerplate_min_share)
        stories = self._index(c.story_threshold)
        story_of = array.array("q")  # story number of each article
        sites: dict[str, int] = {"": 0}
        ordinal = 0
        for _, surveyed in map_batches(survey_batch, self._batches(records), c, (), self.jobs):
            matches = stories.process(self._bodies([s.body for s in surveyed], ordinal))
            for k, match in enumerate(matches):
                story_of.append(story_of[match.key] if match is not None else ordinal + k)
            sizes = [len(s.keys) for s in surveyed]
            counter.add_many(
                _concat([s.keys for s in surveyed], np.uint64),
                np.repeat(np.array(story_of[ordinal:], dtype=np.int64), sizes),
                np.repeat(np.arange(ordinal, ordinal + len(surveyed)), sizes),
                _concat([np.arange(n) for n in sizes], np.int64),
                np.repeat([sites.setdefault(s.site, len(sites)) for s in surveyed], sizes),
            )
            ordinal += len(surveyed)
        counter.finish()
        return counter.table()

    def _verdicts(
        self, records: Iterable[RecordLike], boiler: Boilerplate
    ) -> Iterator[tuple[list[Article], list[Verdict]]]:
        batches = self._batches(records)
        return map_batches(decide_batch, batches, self.config, (boiler,), self.jobs)

    def _choose_longest(
        self, records: Iterable[RecordLike], boiler: Boilerplate
    ) -> dict[int, tuple[float, str]]:
        """For ``keep="longest"``: which articles to drop (ordinal -> (score, kept id))."""
        lengths: list[int] = []
        names: list[str] = []
        bodies: list[Body] = []
        for batch, verdicts in self._verdicts(records, boiler):
            for article, v in zip(batch, verdicts):
                spans = cut_spans(v.starts, v.ends, v.removed).values()
                lengths.append(len(article.text) - sum(e - s for s, e in spans))
                names.append(article.id)
                bodies.append(v.body)
        order = sorted(range(len(lengths)), key=lambda k: (-lengths[k], k))
        index = self._index(self.config.document_threshold)
        drops: dict[int, tuple[float, str]] = {}
        for lo in range(0, len(order), self.batch_size):
            part = order[lo : lo + self.batch_size]
            chunk = self._bodies([bodies[k] for k in part], 0)
            chunk.ids = np.array(part, dtype=np.int64)
            for k, match in zip(part, index.process(chunk)):
                if match is not None:
                    drops[k] = (match.similarity, names[match.key])
        return drops

    def _emit(
        self,
        records: Iterable[RecordLike],
        boiler: Boilerplate,
        drops: dict[int, tuple[float, str]] | None,
    ) -> Iterator[Result]:
        """Pass 2 (or 3): decide and yield each article's result."""
        c = self.config
        index = self._index(c.document_threshold) if c.documents and drops is None else None
        wanted = {doc for doc, _ in boiler.values()}
        names: dict[int, str] = {}  # ids of kept articles and of first boilerplate occurrences
        ordinal = 0
        for batch, verdicts in self._verdicts(records, boiler):
            for k, article in enumerate(batch):
                if ordinal + k in wanted:
                    names[ordinal + k] = article.id
            matches: list[Match | None] = [None] * len(batch)
            if index is not None:

                def remember(row: int, base: int = ordinal, part: list[Article] = batch) -> None:
                    names[base + row] = part[row].id

                bodies = self._bodies([v.body for v in verdicts], ordinal)
                matches = index.process(bodies, on_keep=remember)
            for k, (article, verdict) in enumerate(zip(batch, verdicts)):
                dropped: tuple[float, str] | None = None
                if drops is not None:
                    dropped = drops.get(ordinal + k)
                elif (match := matches[k]) is not None:
                    dropped = (match.similarity, names[match.key])
                result = _result(article, verdict, dropped, names)
                self.summary.add(result, len(verdict.starts))
                yield result
            ordinal += len(batch)


def _result(
    article: Article,
    verdict: Verdict,
    dropped: tuple[float, str] | None,
    names: dict[int, str],
) -> Result:
    text = article.text
    if dropped is not None:
        score, other = dropped
        row = Removal(
            doc=article.id, rule="document", segment=None, start=0, end=len(text), text=text,
            cut_start=0, cut_end=len(text), cut_text=text, matched_doc=other,
            matched_segment=None, similarity=score,
        )  # fmt: skip
        return Result(article, "", [row], dropped=True)
    spans = cut_spans(verdict.starts, verdict.ends, verdict.removed)
    removals = []
    for i in sorted(verdict.removed):
        rule, doc, at, score = verdict.removed[i]
        start, end = verdict.starts[i], verdict.ends[i]
        cut_start, cut_end = spans[i]
        removals.append(
            Removal(
                doc=article.id,
                rule=rule,
                segment=i,
                start=start,
                end=end,
                text=text[start:end],
                cut_start=cut_start,
                cut_end=cut_end,
                cut_text=text[cut_start:cut_end],
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
