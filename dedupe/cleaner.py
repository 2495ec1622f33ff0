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
iterator is written to a temporary file as it is read and replayed from there
(`dedupe.feed`, `dedupe.spool`). Records are checked on the way in (bad ones
follow ``on_error``). The cleaner opens no input or output files. Results
depend neither on the batch size nor on the number of jobs.
"""

from __future__ import annotations

import array
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import CleanerConfig
from .errors import ConfigError, InputError
from .feed import ON_ERROR, Feed, OnError
from .index import Bodies, DuplicateIndex, Match
from .normalize import fmix64
from .parallel import default_jobs, map_batches
from .progress import Progress
from .records import Article, Removal, Result, Source, Title
from .report import Summary
from .rules.boilerplate import BoilerplateCounter, site_hash
from .segment import cut_spans, splice
from .spool import BodySpool
from .stages import Survey, Tables, Verdict, decide_batch, survey_batch

if TYPE_CHECKING:
    from .indexed import Daily
    from .store import Session, Store

RecordLike = Article | Mapping[str, Any]
BATCH_SIZE = 256
NO_TABLES = Tables({}, {}, False)


class Cleaner:
    """Removes repeated headlines, repeated paragraphs, boilerplate and near-duplicate articles."""

    def __init__(
        self,
        config: CleanerConfig | None = None,
        batch_size: int = BATCH_SIZE,
        jobs: int | None = None,
        *,
        on_error: OnError = "fail",
        progress: bool | Progress = False,
        index: Store | str | os.PathLike[str] | None = None,
        daily: Daily | None = None,
    ) -> None:
        """``jobs`` processes do the per-article work (default: all cores, as ``dedupe
        clean``; the output is the same for any number); ``batch_size`` articles are
        handled at a time. ``on_error`` says what a bad record does: ``"fail"`` raises
        `InputError` (naming its position: ``<input>:record 12: ...``) before any
        result; ``"skip"`` leaves it out of the results; ``"keep"`` hands it back
        unchanged, at its place, as a `Result` with ``error`` set and no removals.
        Either way it is listed in `problems`. ``progress=True`` draws a progress bar
        on stderr when that is a terminal; a `dedupe.progress.Progress` is told instead.
        ``index`` (a `Store`, an SQLite path or a ``redis://`` address) holds what
        earlier runs kept, counted as earlier for every rule; ``daily`` says the run's
        date, window and date field (see `dedupe.indexed`)."""
        if on_error not in ON_ERROR:
            raise ConfigError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        self.config = config or CleanerConfig()
        self.batch_size = max(1, batch_size)
        self.jobs = max(1, jobs if jobs is not None else default_jobs())
        self.on_error: OnError = on_error
        self.progress = progress
        self.summary = Summary()
        self.problems: list[InputError] = []  # bad records of the latest `clean`
        self._names = Names()
        if index is not None and not hasattr(index, "lookup"):
            from .store import open_store

            index = open_store(index)
        self.index: Store | None = index  # type: ignore[assignment]
        self.daily = daily  # with an index: the run's date and window (default: today, none)
        self.on_wait: Callable[[str], None] | None = None  # told when the index is busy
        self._session: Session | None = None
        self._run_record: dict[str, Any] | None = None

    # -- public API -------------------------------------------------------

    def clean(
        self, records: Iterable[RecordLike], *, name: str | None = None, commit: bool = True
    ) -> Iterator[Result]:
        """One `Result` per input record, in input order (bad records: see ``on_error``).

        ``records`` are mappings (``id``: str or int, ``text``, optional ``title``,
        any other keys carried in ``extra``) or `Article` objects. Input that can be
        iterated again (a list, `dedupe.io.Corpus`) is read in each pass; a one-shot
        iterator is written to a temporary file as the first pass reads it and replayed
        from there (removed when the iteration ends, fails or is abandoned). ``name``
        names the input in errors (default ``<input>``). With an index, what the run
        kept is committed to it once the last result is taken (``commit=False``: when
        `commit` is called, e.g. after the outputs are written)."""
        self.summary = Summary()
        bar = _progress(self.progress)
        feed = Feed(records, self.on_error, name=name, progress=bar)
        self.problems = feed.problems
        c = self.config
        passes = 3 if c.keep == "longest" and c.documents else 2
        jobs = self.jobs
        if jobs > 1 and feed.at_most(self.batch_size):
            self.jobs = 1  # one batch: worker processes would only add their start-up
        try:
            with self._stages(commit) as stages:
                if bar is not None:
                    bar.start(f"reading (1/{passes})", None)
                boiler = stages.survey(feed)
                drops = None
                if passes == 3:
                    if bar is not None:
                        bar.start(f"ranking (2/{passes})", feed.count)
                    drops = stages.choose_longest(feed, boiler)
                if bar is not None:
                    bar.start(f"cleaning ({passes}/{passes})", feed.count)
                feed.counting, feed.final = False, True
                for emitted, result in enumerate(stages.emit(feed, boiler, drops)):
                    yield from feed.kept_until(emitted)
                    yield result
                    if bar is not None:
                        bar.advance()
                yield from feed.kept_until()
        finally:
            self.jobs = jobs
            feed.close()
            if bar is not None:
                bar.close()

    def stream(
        self,
        records: Iterable[RecordLike],
        *,
        checkpoint_records: int | None = 1000,
        checkpoint_seconds: float | None = None,
        batch_size: int = 64,
    ) -> Iterator[Result]:
        """One `Result` per record, decided as it arrives (one pass) against the index and
        the records before it; committed to the index every ``checkpoint_records`` records
        or ``checkpoint_seconds`` seconds and at the end (see `dedupe.indexed`). Without
        an index, against an index in memory."""
        from .indexed import Daily, Stream

        self.daily = self.daily or Daily()
        if self.index is None:
            from .store import MemoryStore

            self.index = MemoryStore()
        stream = Stream(
            self, self.index, self.daily, checkpoint_records, checkpoint_seconds, batch_size
        )
        return stream(records)

    def commit(self) -> None:
        """Commit the run that ``clean(..., commit=False)`` left open to the index."""
        session, record = self._session, self._run_record
        if session is None or record is None:
            return
        self._session = self._run_record = None
        session.commit(record)

    def abort(self) -> None:
        """Give up a run left open: the index stays as it was."""
        session, self._session, self._run_record = self._session, None, None
        if session is not None:
            session.close()

    # -- stages -----------------------------------------------------------

    @contextmanager
    def _stages(self, commit: bool) -> Iterator[Stages]:
        """The run's three stages: this cleaner's own, or with an index an
        `IndexedRun` that commits what was kept when the run ends well."""
        if self.index is None:
            yield _OwnStages(self)
            return
        from .indexed import indexed_run

        with indexed_run(self, commit) as run:
            yield run

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
        """A duplicate index that chains: a copy of a copy joins the group even when the
        copy it resembles most was itself dropped (see `DuplicateIndex`)."""
        c = self.config
        return DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, threshold, c.document_containment, chain=True
        )

    def _survey(self, records: Iterable[RecordLike]) -> Tables:
        """Pass 1: story numbers and boilerplate counts; the boilerplate tables."""
        c = self.config
        names = self._names = Names()
        if not c.boilerplate:  # still read everything: bad input fails before any output
            for batch in self._batches(records):
                for article in batch:
                    names.append(article.id, article.source)
            return NO_TABLES
        by_site = BoilerplateCounter(c.boilerplate_min_docs, c.boilerplate_min_share)
        across = BoilerplateCounter(c.boilerplate_min_docs, c.boilerplate_min_share, False)
        stories = self._index(c.story_threshold)
        story_of = array.array("q")  # story number of each article
        sites: dict[str, int] = {"": 0}
        ordinal = 0
        batches, jobs = self._peek(self._batches(records))
        for batch, survey in map_batches(survey_batch, batches, c, (), jobs):
            for article in batch:
                names.append(article.id, article.source)
            bodies = survey.bodies
            bodies.ids = bodies.ids + ordinal
            for k, match in enumerate(stories.process(bodies)):
                story_of.append(story_of[match.key] if match is not None else ordinal + k)
            _count(survey, by_site, across, story_of, sites, ordinal)
            ordinal += len(batch)
            del batch, survey, bodies  # the last one's texts and arrays: not held in `finish`
        by_site.finish()
        across.finish()
        return Tables(by_site.table(), across.table(), len(sites) > 1)

    def _verdicts(
        self, records: Iterable[RecordLike], tables: Tables
    ) -> Iterator[tuple[list[Article], tuple[list[Verdict], Bodies]]]:
        batches, jobs = self._peek(self._batches(records))
        return map_batches(decide_batch, batches, self.config, (tables,), jobs)

    def _peek(self, batches: Iterator[list[Article]]) -> tuple[Iterator[list[Article]], int]:
        """The batches, and the jobs to run them with: one (in this process) when there is
        only one batch, which a worker would only have to be sent (a huge article: a
        pickled copy, on top of what the worker inherits)."""
        ahead = list(itertools.islice(batches, 2))
        return itertools.chain(ahead, batches), (self.jobs if len(ahead) > 1 else 1)

    def _choose_longest(
        self, records: Iterable[RecordLike], tables: Tables
    ) -> dict[int, tuple[Match, Article | None]]:
        """For ``keep="longest"``: which articles to drop (ordinal -> match)."""
        index = self._index(self.config.document_threshold)
        drops: dict[int, tuple[Match, Article | None]] = {}
        with self._spool_bodies(records, tables) as spool:
            for chunk in spool.by_length(self.batch_size):
                for k, match in zip(chunk.ids.tolist(), index.process(chunk)):
                    if match is not None:
                        drops[k] = (match, None)
        return drops

    def _spool_bodies(self, records: Iterable[RecordLike], tables: Tables) -> BodySpool:
        """Pass 2 of ``keep="longest"``: every article's body and kept length, on disk."""
        spool = BodySpool()
        try:
            for batch, (verdicts, bodies) in self._verdicts(records, tables):
                spool.add(bodies, [kept_length(a, v) for a, v in zip(batch, verdicts)])
        except BaseException:
            spool.close()
            raise
        return spool

    def _emit(
        self,
        records: Iterable[RecordLike],
        tables: Tables,
        drops: dict[int, tuple[Match, Article | None]] | None,
    ) -> Iterator[Result]:
        """Pass 2 (or 3): decide and yield each article's result."""
        c = self.config
        index = self._index(c.document_threshold) if c.documents and drops is None else None
        names = self._names
        ordinal = 0
        for batch, (verdicts, bodies) in self._verdicts(records, tables):
            matches: list[Match | None] = [None] * len(batch)
            if index is not None:
                bodies.ids = bodies.ids + ordinal
                matches = index.process(bodies)
            for k, (article, verdict) in enumerate(zip(batch, verdicts)):
                match: Match | None = None
                if drops is not None:
                    dropped = drops.get(ordinal + k)
                    match = dropped[0] if dropped is not None else None
                else:
                    match = matches[k]
                result = _result(article, ordinal + k, verdict, match, names)
                self.summary.add(result, len(verdict.starts))
                yield result
            ordinal += len(batch)


class Stages(Protocol):
    """The passes of a run over its records (`Cleaner`'s own or `indexed.IndexedRun`)."""

    def survey(self, records: Iterable[RecordLike]) -> Tables: ...

    def choose_longest(
        self, records: Iterable[RecordLike], tables: Tables
    ) -> dict[int, tuple[Match, Article | None]]: ...

    def emit(
        self,
        records: Iterable[RecordLike],
        tables: Tables,
        drops: dict[int, tuple[Match, Article | None]] | None,
    ) -> Iterator[Result]: ...


class _OwnStages:
    """A run without an index: the cleaner's own stages."""

    def __init__(self, cleaner: Cleaner) -> None:
        self.survey = cleaner._survey
        self.choose_longest = cleaner._choose_longest
        self.emit = cleaner._emit


def _progress(progress: bool | Progress) -> Progress | None:
    """The `Progress` to tell: ``True`` is a bar on stderr if that is a terminal."""
    if progress is True:
        if not sys.stderr.isatty():
            return None
        from .progress import Bar

        return Bar()
    return progress or None


class Names:
    """The id and source of every article of a run, by ordinal, compactly (about 30
    bytes per article), so report rows can name articles seen before or after."""

    def __init__(self) -> None:
        self._ids = bytearray()
        self._ends = array.array("q")
        self._paths: dict[str, int] = {}
        self._path_list: list[str | None] = [None]
        self._file = array.array("l")
        self._line = array.array("q")

    def append(self, ident: str, source: Source | None) -> None:
        self._ids += ident.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._ids))
        file = 0
        if source is not None:
            file = self._paths.setdefault(source.path, len(self._path_list))
            if file == len(self._path_list):
                self._path_list.append(source.path)
        self._file.append(file)
        self._line.append(-1 if source is None or source.line is None else source.line)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, ordinal: int) -> tuple[str, Source | None]:
        start = self._ends[ordinal - 1] if ordinal else 0
        ident = self._ids[start : self._ends[ordinal]].decode("utf-8", "surrogatepass")
        path = self._path_list[self._file[ordinal]]
        if path is None:
            return ident, None
        line = self._line[ordinal]
        return ident, Source(path, None if line < 0 else line)


COUNT_CHUNK = 1 << 18  # segments counted at a time


def _count(
    survey: Survey,
    by_site: BoilerplateCounter,
    across: BoilerplateCounter,
    story_of: array.array[int],
    sites: dict[str, int],
    ordinal: int,
) -> None:
    """Add a surveyed batch's segment keys (and line shapes) to the boilerplate counts."""
    site_ids = np.array([sites.setdefault(s, len(sites)) for s in survey.sites], dtype=np.int64)
    salts = np.array([site_hash(s) for s in survey.sites], dtype=np.uint64)
    stories = np.array(story_of[ordinal:], dtype=np.int64)
    parts = (survey.part_keys, survey.part_article, survey.part_index)
    part_salt = salts[survey.part_article]
    by_site.add_many(
        np.where(part_salt != 0, fmix64(parts[0] ^ part_salt), parts[0]),
        stories[parts[1]],
        ordinal + parts[1],
        parts[2],
        site_ids[parts[1]],
    )
    for column in (survey.keys, survey.shapes):
        for lo in range(0, len(column), COUNT_CHUNK):  # bounded temporaries: a huge article
            rows = slice(lo, lo + COUNT_CHUNK)
            keys, article, index = column[rows], survey.article[rows], survey.index[rows]
            has = keys != 0
            if not has.any():
                continue
            keys, article, index = keys[has], article[has], index[has]
            salt = salts[article]
            known = salt != 0
            story, docs, site = stories[article], ordinal + article, site_ids[article]
            salted = np.where(known, fmix64(keys ^ salt), keys)
            by_site.add_many(salted, story, docs, index, site)
            if known.any():
                across.add_many(keys[known], story[known], docs[known], index[known], site[known])


def kept_length(article: Article, verdict: Verdict) -> int:
    """Characters of ``article`` that ``verdict`` keeps (what ``keep="longest"`` compares)."""
    spans = cut_spans(verdict.starts, verdict.ends, verdict.removed).values()
    return len(article.text) - sum(e - s for s, e in spans)


def _result(
    article: Article,
    ordinal: int,
    verdict: Verdict,
    match: Match | None,
    names: Names,
) -> Result:
    text = article.text
    title = _title(article, verdict)
    if match is not None:
        other, source = names[match.key]
        details: dict[str, Any] = {
            "matched_file": source.path if source is not None else None,
            "matched_line": source.line if source is not None else None,
            "containment": round(match.containment, 4),
            "exact": match.exact,
        }
        if match.via is not None:  # matched through a copy that was itself dropped
            details["via"] = names[match.via][0]
        row = Removal(
            doc=article.id, rule="document", segment=None, start=0, end=len(text), text=text,
            cut_start=0, cut_end=len(text), cut_text=text, matched_doc=other,
            matched_segment=None, similarity=match.similarity, details=details,
        )  # fmt: skip
        return Result(article, "", [row], dropped=True, title=title)
    spans = cut_spans(verdict.starts, verdict.ends, verdict.removed)
    removals = []
    for i, why in verdict.removed.items():
        start, end = int(verdict.starts[i]), int(verdict.ends[i])
        cut_start, cut_end = spans[i]
        matched_doc: str | None = article.id
        details = why.details
        if why.rule == "boilerplate":
            first, second = details["first_doc"], details["second_doc"]
            other_doc = second if first == ordinal else first
            matched_doc = names[other_doc][0] if other_doc >= 0 else None
            details = {k: v for k, v in details.items() if k not in ("first_doc", "second_doc")}
            details["first_doc"] = names[first][0]
        removals.append(
            Removal(
                doc=article.id,
                rule=why.rule,
                segment=i,
                start=start,
                end=end,
                text=text[start:end],
                cut_start=cut_start,
                cut_end=cut_end,
                cut_text=text[cut_start:cut_end],
                matched_doc=matched_doc,
                matched_segment=why.segment,
                similarity=why.score,
                details=details,
            )  # fmt: skip
        )
    return Result(article, splice(text, spans.values()), removals, title=title)


def _title(article: Article, verdict: Verdict) -> Title | None:
    if verdict.title_field:
        return Title("field", text=article.title)
    if verdict.title is None:
        return None
    i = verdict.title
    start, end = int(verdict.starts[i]), int(verdict.ends[i])
    return Title("text", i, start, end, article.text[start:end])
