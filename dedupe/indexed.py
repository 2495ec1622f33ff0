"""Cleaning against a persistent index (``Cleaner(..., index=...)``): daily runs and streams.

**A run** (`IndexedRun`, what ``Cleaner.clean`` does when given an index) is the
cleaner's two passes with the index's facts counted as earlier than the run's own:

    survey   each raw article is grouped into a story with the earlier articles (the
             index's kept ones, then the run's), and its segment keys are added to the
             index's counts (a story already counted for a key adds nothing);
    decide   boilerplate from those counts (the index's stories plus the run's);
             each cleaned body against the index's kept articles, then the run's;
    commit   what the run kept (bodies, anchors, digests), the counts, and its articles'
             names, written in one transaction once every result has been taken.

With an empty index the results are those of a run without one, byte for byte.
Cleaning day by day against an index gives the removals of one run over all days,
except that a day's output cannot change once written: a line that becomes
boilerplate on a later day (its story count reaches ``--min-docs`` then) stays in the
earlier days' pages, a share threshold (``--min-share``, and the 1% rule for weak
evidence) uses the stories counted so far, and with ``--keep longest`` an article of
an earlier day stays even if a later one is longer.

**A stream** (`Stream`, ``Cleaner.stream``) decides each record in one pass, as it
arrives, against the index and the records before it; it commits to the index at
checkpoints (every ``checkpoint_records`` records or ``checkpoint_seconds``). It
differs from a run over the same records in the same way as a day does from the days
after it, record by record: a record's boilerplate is what the counts say once its
own segments are counted, so a line is removed from the pages after the one that
brings its story count to ``--min-docs``, and not from those before; title-tag affixes
(a site name in titles) likewise. Near-duplicate decisions are the same (they are
taken in input order in both), apart from those that a kept boilerplate line changes.
``--keep longest`` needs the whole input and is not available.
"""

from __future__ import annotations

import array
import datetime as dt
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .errors import ConfigError
from .fingerprint import Batch, fingerprint_batch
from .fingerprint import bodies as body_fingerprints
from .index import Bodies, DuplicateIndex, Match
from .minhash import Hasher
from .normalize import fmix64
from .parallel import map_batches
from .records import Article, Result, Source
from .report import Summary
from .rules.boilerplate import site_hash
from .stages import Survey, Tables, Verdict, decide, site_of, survey_batch
from .store.base import Store
from .store.codec import Record
from .store.session import Rows, Session, anchors_of, body_of

if TYPE_CHECKING:
    from .cleaner import Cleaner, RecordLike

EPOCH = dt.date(1970, 1, 1)
CHECKPOINT_RECORDS = 1000
STREAM_BATCH = 64


def parse_window(text: str | int | None) -> int | None:
    """``30d``, ``4w`` or a number of days -> days (None: no window)."""
    if text is None:
        return None
    if isinstance(text, int):
        days = text
    else:
        t = text.strip().lower()
        scale = {"d": 1, "w": 7}.get(t[-1:], 0)
        number = t[:-1] if scale else t
        if not number.isdigit():
            raise ConfigError(f"window must be a number of days like 30d or 4w, not {text!r}")
        days = int(number) * (scale or 1)
    if days < 1:
        raise ConfigError("window must be at least 1 day")
    return days


def day_number(value: Any) -> int | None:
    """The day (days since 1970-01-01) of an ISO 8601 date or date-time, or of epoch
    seconds; None if ``value`` is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value // 86400)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return (dt.date.fromisoformat(text) - EPOCH).days
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc)
        return (moment.date() - EPOCH).days
    if isinstance(value, dt.datetime):
        return (value.date() - EPOCH).days
    if isinstance(value, dt.date):
        return (value - EPOCH).days
    return None


def day_text(day: int) -> str:
    return (EPOCH + dt.timedelta(days=day)).isoformat()


@dataclass
class Daily:
    """How a cleaner uses its index: the run's date, the window and where dates come from."""

    window: int | None = None  # days
    date_field: str | None = None  # record field with each article's date
    run_date: dt.date | None = None  # default: today (UTC)
    lock_timeout: float | None = None  # seconds to wait for another writer
    undated: list[Source | str] = field(default_factory=list)  # articles given the run date

    @property
    def run_day(self) -> int:
        date = self.run_date or dt.datetime.now(dt.timezone.utc).date()
        return (date - EPOCH).days

    def day_of(self, article: Article, run_day: int) -> int:
        if self.date_field is None:
            return run_day
        day = day_number(article.extra.get(self.date_field))
        if day is None:
            self.undated.append(article.source or article.id)
            return run_day
        return day


class _Names:
    """Names of articles by number: this session's (by ordinal) or the index's."""

    def __init__(self, session: Session, own: Any) -> None:
        self.session = session
        self.own = own  # cleaner.Names of this session's articles

    def __getitem__(self, n: int) -> tuple[str, Source | None]:
        n0 = self.session.n0
        if n >= n0:
            ident, source = self.own[n - n0]
            return ident, source
        found = self.session.name(n)
        return ("" if found is None else found[0]), None


class IndexedRun:
    """One two-pass run of a cleaner against an index (see the module docstring)."""

    def __init__(self, cleaner: Cleaner, session: Session, daily: Daily) -> None:
        from .cleaner import Names

        self.cleaner = cleaner
        self.config = cleaner.config
        self.session = session
        self.daily = daily
        self.names = Names()
        self.story_of = array.array("q")
        self.days = array.array("l")
        self.sites: list[str] = []
        self.brought: dict[int, list[tuple[int, int]]] = {}
        # what the index keeps of each indexed article (by ordinal): its exact digest, body,
        # anchors and the kept article it stands for
        self.kept: dict[int, tuple[int | None, Any, np.ndarray, int]] = {}

    # -- pass 1 -----------------------------------------------------------------------

    def survey(self, records: Iterable[RecordLike]) -> Tables:
        c, s = self.config, self.session
        stories = DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, c.story_threshold, c.document_containment, True
        )
        stories.earlier = s
        ordinal = 0
        salted: set[int] = set()
        raw: set[int] = set()
        batches = self.cleaner._batches(records)
        for batch, survey in map_batches(survey_batch, batches, c, (), self.cleaner.jobs):
            base = s.n0 + ordinal
            for article in batch:
                self.names.append(article.id, article.source)
                self.days.append(self.daily.day_of(article, s.day))
            self.sites += survey.sites
            body = survey.bodies
            body.ids = body.ids + base
            for k, match in enumerate(stories.process(body)):
                self.story_of.append(self._story(match, base + k))
            rows = survey_rows(survey, base, np.array(self.story_of[ordinal:], np.int64))
            self.brought.update(s.count(rows))
            _note_keys(rows, salted, raw)
            ordinal += len(batch)
        s.next_n = s.n0 + ordinal
        if not c.boilerplate:
            return Tables({}, {}, False)
        by_site, across = s.recurring(salted, raw)
        return Tables(by_site, across, s.sites_known())

    def _story(self, match: Match | None, n: int) -> int:
        if match is None:
            return n
        if match.key >= self.session.n0:
            return int(self.story_of[match.key - self.session.n0])
        return self.session.story_of(match.key)

    # -- pass 2 -----------------------------------------------------------------------

    def _index(self) -> DuplicateIndex:
        c = self.config
        index = DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, c.document_threshold, c.document_containment, True
        )
        index.earlier = self.session
        return index

    def choose_longest(
        self, records: Iterable[RecordLike], tables: Tables
    ) -> dict[int, tuple[Match, Article | None]]:
        n0 = self.session.n0
        index = self._index()
        drops: dict[int, tuple[Match, Article | None]] = {}
        with self.cleaner._spool_bodies(records, tables) as spool:
            for chunk in spool.by_length(self.cleaner.batch_size):
                part = chunk.ids.tolist()
                chunk.ids = chunk.ids + n0
                matches = index.process(chunk)
                for k, match in zip(part, matches):
                    if match is not None:
                        drops[k] = (match, None)
                self._keep(chunk, matches, n0)
        return drops

    def _keep(self, bodies: Bodies, matches: list[Match | None], n0: int) -> None:
        """Note what the index will hold of the bodies a duplicate index took in: the kept
        ones, and (as the cleaner's index chains) the copies not dropped as exact repeats."""
        for r, match in enumerate(matches):
            if match is not None and (match.exact or not bodies.eligible[r]):
                continue  # exact repeats and short copies are not indexed
            n = int(bodies.ids[r])
            exact = int(bodies.exact[r]) or None
            body = body_of(bodies, r) if bodies.eligible[r] else None
            anchors = anchors_of(bodies, r) if body is not None else np.zeros(0, np.uint64)
            self.kept[n - n0] = (exact, body, anchors, n if match is None else match.key)

    def emit(
        self,
        records: Iterable[RecordLike],
        tables: Tables,
        drops: dict[int, tuple[Match, Article | None]] | None,
    ) -> Iterator[Result]:
        from .cleaner import _result

        c, s = self.config, self.session
        index = self._index() if c.documents and drops is None else None
        names = _Names(s, self.names)
        ordinal = 0
        for batch, (verdicts, bodies) in self.cleaner._verdicts(records, tables):
            base = s.n0 + ordinal
            matches: list[Match | None] = [None] * len(batch)
            if index is not None:
                bodies.ids = bodies.ids + base
                matches = index.process(bodies)
                self._keep(bodies, matches, s.n0)
            elif drops is None:  # documents off: every body is kept for later runs
                bodies.ids = bodies.ids + base
                self._keep(bodies, matches, s.n0)
            for k, (article, verdict) in enumerate(zip(batch, verdicts)):
                match = matches[k] if drops is None else _dropped(drops, ordinal + k)
                result = _result(article, base + k, verdict, match, names)  # type: ignore[arg-type]
                if match is not None and match.key < s.n0:
                    _name_earlier(result, s, match.key)
                self.cleaner.summary.add(result, len(verdict.starts))
                yield result
            ordinal += len(batch)
        self._records(ordinal)

    def _records(self, count: int) -> None:
        """This run's articles, as the index will hold them."""
        s = self.session
        for k in range(count):
            n = s.n0 + k
            brought = self.brought.get(n, [])
            flags = s.record_flags(n)
            kept = self.kept.get(k)
            if not brought and not flags and kept is None:
                continue
            exact, body, anchors, rep = kept if kept is not None else (None, None, None, n)
            record = Record(
                self.names[k][0], s.run, int(self.days[k]), s.site(self.sites[k]),
                int(self.story_of[k]), rep, flags, exact, body,
                anchors if anchors is not None else np.zeros(0, np.uint64),
                np.array([b[0] for b in brought], np.uint64),
                np.array([b[1] for b in brought], np.uint8),
            )  # fmt: skip
            s.add(record, n)


def survey_rows(survey: Survey, base: int, stories: np.ndarray) -> Rows:
    """The segment keys of a surveyed batch (keys, date-line shapes, title-tag parts) as
    `Rows`, in (article, segment) order, numbered from ``base``."""
    keys: list[np.ndarray] = []
    part: list[np.ndarray] = []
    art: list[np.ndarray] = []
    seg: list[np.ndarray] = []
    for k in (survey.keys, survey.shapes):
        has = k != 0
        keys.append(k[has])
        part.append(np.zeros(int(has.sum()), bool))
        art.append(survey.article[has])
        seg.append(survey.index[has])
    keys.append(survey.part_keys)
    part.append(np.ones(len(survey.part_keys), bool))
    art.append(survey.part_article)
    seg.append(survey.part_index)
    a = np.concatenate(art).astype(np.int64)
    g = np.concatenate(seg).astype(np.int64)
    order = np.lexsort((g, a))
    a, g = a[order], g[order]
    return Rows(
        np.concatenate(keys).astype(np.uint64)[order],
        np.concatenate(part)[order],
        a + base,
        g,
        [survey.sites[i] for i in a.tolist()],
        stories[a],
    )


def _note_keys(rows: Rows, salted: set[int], raw: set[int]) -> None:
    """Add the keys of ``rows`` as counted per site (salted) and across sites (raw)."""
    salts = {name: site_hash(name) for name in set(rows.site)}
    salt = np.array([salts[name] for name in rows.site], dtype=np.uint64)
    known = salt != 0
    salted.update(np.where(known, fmix64(rows.keys ^ salt), rows.keys).tolist())
    raw.update(rows.keys[known & ~rows.part].tolist())


def _dropped(drops: dict[int, tuple[Match, Article | None]], k: int) -> Match | None:
    found = drops.get(k)
    return found[0] if found is not None else None


def _name_earlier(result: Result, session: Session, n: int) -> None:
    """A dropped article's row names the indexed article: its id, run and date."""
    found = session.name(n)
    if found is None or not result.removals:
        return
    _, run, day = found
    result.removals[0].details.update(
        {"matched_run": run, "matched_date": day_text(day), "indexed": True}
    )


def run_record(session: Session, summary: Summary, daily: Daily, kind: str) -> dict[str, Any]:
    """What the index keeps about a run (``dedupe index stats`` lists them)."""
    from .report.summary import summary_row

    row = summary_row(summary, session.config, 0, 0)
    top = [g for g in row.get("top", []) if g.get("rule") == "boilerplate"]
    return {
        "run": session.run,
        "kind": kind,
        "date": day_text(session.day),
        "started": _iso(session.started),
        "finished": _iso(time.time()),
        "articles": summary.documents_read,
        "dropped": summary.documents_dropped,
        "first": session.n0,
        "next": session.next_n,
        "window": daily.window,
        "forgotten": session.pruned,
        "dedupe": __version__,
        "top_boilerplate": top[:20],
    }


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# -- streams ----------------------------------------------------------------------------


class Stream:
    """One pass over records against an index, with commits at checkpoints."""

    def __init__(
        self,
        cleaner: Cleaner,
        store: Store,
        daily: Daily,
        checkpoint_records: int | None = CHECKPOINT_RECORDS,
        checkpoint_seconds: float | None = None,
        batch_size: int = STREAM_BATCH,
    ) -> None:
        if cleaner.config.keep != "first":
            raise ConfigError("a stream keeps the first of near duplicates (keep='first')")
        self.cleaner = cleaner
        self.config = cleaner.config
        self.store = store
        self.daily = daily
        self.every = checkpoint_records
        self.seconds = checkpoint_seconds
        # checkpoints fall between batches: no batch is larger than a checkpoint's records
        self.batch_size = max(1, min(batch_size, checkpoint_records or batch_size))
        self.hasher = Hasher(self.config.num_perm, self.config.seed)
        self.session: Session | None = None
        self.commits = 0

    def _open(self) -> None:
        from .cleaner import Names

        c = self.config
        s = self.session = Session(
            self.store, c, self.daily.run_day, self.daily.window,
            self.cleaner.on_wait, self.daily.lock_timeout,
        )  # fmt: skip
        self.stories = DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, c.story_threshold, c.document_containment, True
        )
        self.stories.earlier = s
        self.index = DuplicateIndex(
            c.num_perm, c.lsh_bands, c.lsh_rows, c.document_threshold, c.document_containment, True
        )
        self.index.earlier = s
        self.run = IndexedRun(self.cleaner, s, self.daily)
        self.run.names = Names()
        self.opened = time.monotonic()
        self.count = 0

    def _commit(self) -> None:
        s = self.session
        assert s is not None
        s.next_n = s.n0 + self.count
        self.run._records(self.count)
        s.commit(run_record(s, self.cleaner.summary, self.daily, "stream"))
        self.commits += 1
        self.session = None

    def __call__(self, records: Iterable[RecordLike]) -> Iterator[Result]:
        """Results of ``records`` in order (batched by ``batch_size``)."""
        return self.batches(_chunks(records, self.batch_size))

    def batches(self, batches: Iterable[list[RecordLike]]) -> Iterator[Result]:
        """Results of records given in batches of any size (e.g. what has arrived so far):
        the results do not depend on how records are batched."""
        self.cleaner.summary = Summary()
        try:
            for records in batches:
                for lo in range(0, len(records), self.batch_size):
                    part = [
                        r if isinstance(r, Article) else Article.from_dict(r)
                        for r in records[lo : lo + self.batch_size]
                    ]
                    if part:
                        yield from self._batch(part)
            if self.session is not None:
                self._commit()
        finally:
            if self.session is not None:
                self.session.close()
                self.session = None

    def _due(self) -> bool:
        if self.every is not None and self.count >= self.every:
            return True
        return self.seconds is not None and time.monotonic() - self.opened >= self.seconds

    def _batch(self, articles: list[Article]) -> Iterator[Result]:
        from .cleaner import _result

        if self.session is None:
            self._open()
        s, c, run = self.session, self.config, self.run
        assert s is not None
        base = s.n0 + self.count
        batch = fingerprint_batch(articles, c, separator=c.paragraph_separator)
        raw = body_fingerprints(batch, np.ones(len(batch.norms), dtype=bool), c, self.hasher)
        raw.ids = raw.ids + base
        sites = [site_of(a, c) for a in articles]
        for k, (article, match) in enumerate(zip(articles, self.stories.process(raw))):
            run.names.append(article.id, article.source)
            run.days.append(self.daily.day_of(article, s.day))
            run.story_of.append(run._story(match, base + k))
        run.sites += sites
        keep = np.ones(len(batch.norms), dtype=bool)
        verdicts: list[Verdict] = []
        stories = np.array(run.story_of[self.count :], np.int64)
        for k in range(len(articles)):
            rows = _article_rows(batch, k, base, sites[k], int(stories[k]))
            run.brought.update(s.count(rows))
            salted: set[int] = set()
            keys: set[int] = set()
            _note_keys(rows, salted, keys)
            by_site, across = s.recurring(salted, keys)
            tables = (
                Tables(by_site, across, s.sites_known()) if c.boilerplate else Tables({}, {}, False)
            )
            verdict = decide(batch, k, c, tables)
            span = batch.span(k)
            for i in verdict.removed:
                keep[span.start + i] = False
            verdicts.append(verdict)
        cleaned = body_fingerprints(batch, keep, c, self.hasher)
        cleaned.ids = cleaned.ids + base
        matches: list[Match | None] = [None] * len(articles)
        if c.documents:
            matches = self.index.process(cleaned)
        run._keep(cleaned, matches, s.n0)
        names = _Names(s, run.names)
        for k, (article, verdict) in enumerate(zip(articles, verdicts)):
            result = _result(article, base + k, verdict, matches[k], names)  # type: ignore[arg-type]
            if matches[k] is not None and matches[k].key < s.n0:  # type: ignore[union-attr]
                _name_earlier(result, s, matches[k].key)  # type: ignore[union-attr]
            self.cleaner.summary.add(result, len(verdict.starts))
            yield result
        self.count += len(articles)
        if self._due():
            self._commit()


def _chunks(records: Iterable[RecordLike], size: int) -> Iterator[list[RecordLike]]:
    batch: list[RecordLike] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _article_rows(batch: Batch, k: int, base: int, site: str, story: int) -> Rows:
    """The segment keys of article ``k`` of a fingerprinted batch, as `Rows`."""
    span = batch.span(k)
    keys = batch.keys[span.start : span.stop]
    shapes = batch.shapes[span.start : span.stop]
    index = np.arange(len(span), dtype=np.int64)
    mine = (batch.part_segment >= span.start) & (batch.part_segment < span.stop)
    parts = batch.part_keys[mine]
    part_index = batch.part_segment[mine].astype(np.int64) - span.start
    all_keys = np.r_[keys[keys != 0], shapes[shapes != 0], parts].astype(np.uint64)
    segs = np.r_[index[keys != 0], index[shapes != 0], part_index]
    is_part = np.r_[
        np.zeros(int((keys != 0).sum() + (shapes != 0).sum()), bool), np.ones(len(parts), bool)
    ]
    order = np.argsort(segs, kind="stable")
    n = len(all_keys)
    return Rows(
        all_keys[order], is_part[order], np.full(n, base + k, np.int64), segs[order],
        [site] * n, np.full(n, story, np.int64),
    )  # fmt: skip


@contextmanager
def indexed_run(cleaner: Cleaner, commit: bool) -> Iterator[IndexedRun]:
    """The stages of `Cleaner.clean` with an index: the run's session is opened
    here; when the stages end well, what was kept is committed (or left open for
    `Cleaner.commit` when ``commit`` is false); otherwise the index stays as it was."""
    assert cleaner.index is not None
    daily = cleaner.daily = cleaner.daily or Daily()
    session = Session(
        cleaner.index, cleaner.config, daily.run_day, daily.window, cleaner.on_wait,
        daily.lock_timeout,
    )  # fmt: skip
    cleaner._session = session
    try:
        yield IndexedRun(cleaner, session, daily)
        cleaner._run_record = run_record(session, cleaner.summary, daily, "run")
        if commit:
            cleaner.commit()
    finally:
        if cleaner._session is session and cleaner._run_record is None:
            cleaner.abort()


__all__ = [
    "CHECKPOINT_RECORDS",
    "Daily",
    "IndexedRun",
    "Stream",
    "day_number",
    "indexed_run",
    "parse_window",
]
