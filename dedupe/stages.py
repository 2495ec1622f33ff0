"""The per-article stages, as pure functions of a batch of articles.

``survey_batch`` (pass 1) and ``decide_batch`` (pass 2) depend only on the
articles, the config and (for pass 2) the boilerplate tables learned in pass
1, so they run in worker processes as well as in the cleaner's own; what they
return is small (flat arrays of keys, body signatures, decisions), so little
crosses between processes. The corpus-wide steps (story and duplicate
indexes, boilerplate counts) stay in the cleaner, in input order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import CleanerConfig
from .fingerprint import Batch, bodies, fingerprint_batch
from .index import Bodies
from .minhash import Hasher
from .normalize import normalize
from .records import Article, Rule
from .rules.boilerplate import Recurring, site_hash, site_keys, url_host
from .rules.headline import MAX_WORDS as HEADLINE_MAX_WORDS
from .rules.headline import title_parts
from .rules.title import MAX_WORDS as TITLE_MAX_WORDS
from .rules.title import choose_title

# A line that reads as article text: a sentence that does not address the reader.
PROSE_MIN_WORDS = 4
BODY_MIN_WORDS = 15  # a segment this long that is not boilerplate is article text
RUN_FREE_WORDS = 30  # a repeated sentence this long is a repeat on its own
_SENTENCE_END = re.compile(r"[.!?…:][\"'”’)\]]*$")
_FIGURES = re.compile(r"\d+")
_TOKEN = re.compile(r"\S+")
_ATTRIBUTION = re.compile(r"^(?:[—―]\s*[A-Z]|.{0,80}\(@\w{1,30}\))")  # "— Name (@handle) ..."
_READER = re.compile(
    r"\b(?:you|your|yours|you're|we're|our|ours|click|subscribe|subscribers|subscription|"
    r"sign up|sign in|signup|log in|login|log on|newsletters?|e-?mail|cookies?|copyright|"
    r"all rights reserved|advertis\w*|advert|privacy policy|website|browser|javascript|"
    r"rss|skip to)\b",
    re.IGNORECASE,
)
_READER_CASED = re.compile(r"\b(?:We|we|us|Us)\b")  # not "US", the country


@dataclass
class Decision:
    """Why one segment goes: the rule, what it matched and how well, and details for
    the report (boilerplate counts, the headline variant)."""

    rule: Rule
    doc: int | None  # the matched article (ordinal), None for the same article
    segment: int | None  # the matched segment
    score: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Survey:
    """Pass 1 of a batch: each segment's keys, and the raw bodies."""

    sites: list[str]  # site of each article ("" when unknown)
    article: np.ndarray  # intp, article (in the batch) of each segment
    index: np.ndarray  # intp, index of each segment in its article
    keys: np.ndarray  # uint64 per segment
    shapes: np.ndarray  # uint64 per segment (0: none)
    part_keys: np.ndarray  # uint64, parts of title-tag lines ...
    part_article: np.ndarray  # intp, ... their article ...
    part_index: np.ndarray  # intp, ... and segment in it
    bodies: Bodies  # whole raw texts, for grouping near-identical articles into stories


@dataclass
class Verdict:
    """Pass 2 of one article: its segments, what goes and why, and its title."""

    starts: np.ndarray  # int64, each segment's offsets (views of the batch's: no copy)
    ends: np.ndarray
    removed: dict[int, Decision]
    title: int | None  # the title's segment, if the title was taken from the text
    title_field: bool  # whether the title came from a title field


@dataclass
class Tables:
    """What pass 1 learned: boilerplate keys by site (or over the corpus when sites
    are not known) and, when they are, across sites."""

    by_site: dict[int, Recurring]
    across_sites: dict[int, Recurring]
    sites_known: bool


def site_of(article: Article, config: CleanerConfig) -> str:
    """The article's site: its ``site_field``, else the host of its ``url_field``."""
    if config.site_field is not None:
        value = article.extra.get(config.site_field)
        return "" if value is None else str(value)
    if config.url_field is not None:
        url = article.extra.get(config.url_field)
        if isinstance(url, str):
            return url_host(url)
    return ""


def is_prose(text: str) -> bool:
    """Whether a line reads as article text: a sentence of some length that does not
    address the reader or name parts of a page."""
    stripped = text.strip()
    if len(stripped.split()) < PROSE_MIN_WORDS or not _SENTENCE_END.search(stripped):
        return False
    return _READER.search(stripped) is None and _READER_CASED.search(stripped) is None


def survey_batch(articles: Sequence[Article], config: CleanerConfig, hasher: Hasher) -> Survey:
    batch = fingerprint_batch(articles, config, repeats=False, separator=config.paragraph_separator)
    raw = bodies(batch, np.ones(len(batch.norms), dtype=bool), config, hasher)
    article = batch.article_of
    index = np.arange(int(batch.first[-1]), dtype=np.intp)
    index -= batch.first[article]
    return Survey(
        sites=[site_of(a, config) for a in articles],
        article=article,
        index=index,
        keys=batch.keys,
        shapes=batch.shapes,
        part_keys=batch.part_keys,
        part_article=article[batch.part_segment],
        part_index=index[batch.part_segment],
        bodies=raw,
    )


def decide_batch(
    articles: Sequence[Article], config: CleanerConfig, hasher: Hasher, tables: Tables
) -> tuple[list[Verdict], Bodies]:
    """What goes in each article of a batch, and the bodies of what stays."""
    batch = fingerprint_batch(articles, config, separator=config.paragraph_separator)
    keep = np.ones(len(batch.norms), dtype=bool)
    verdicts = []
    for k in range(len(articles)):
        span = batch.span(k)
        verdict = decide(batch, k, config, tables)
        for i in verdict.removed:
            keep[span.start + i] = False
        verdicts.append(verdict)
    return verdicts, bodies(batch, keep, config, hasher)


def _boilerplate(
    batch: Batch, k: int, config: CleanerConfig, tables: Tables
) -> dict[int, Decision]:
    """The segments of article ``k`` that are boilerplate, and why."""
    span = batch.span(k)
    salt = site_hash(site_of(batch.articles[k], config))
    rows = slice(span.start, span.stop)
    hits = dict(_recurring(batch.keys[rows], batch.shapes[rows], salt, tables))
    lettered = batch.tokens.lettered[rows]
    body = batch.tokens.counts[rows] >= BODY_MIN_WORDS
    body[list(hits)] = False
    embedded = _between_body(body, hits) if hits else body
    texts = batch.texts(k)
    found: dict[int, Decision] = {}
    for i, (info, match, scope) in hits.items():
        rare = info.stories < config.weak_min_share * info.total
        text = batch.text(span.start + i)
        if _quoted(texts, i):
            continue  # a quoted tweet or statement and its attribution: the article's
        if (is_prose(text) or embedded[i]) and (scope == "sites" or rare):
            continue  # article text: quoted across sites, a rare template sentence, or
            # a short line inside the article ("Yes." answering a question)
        if match == "shape" and rare:
            continue  # a date or a figure in a few stories is theirs, not a site's stamp
        if not lettered[i] and embedded[i]:
            continue  # punctuation or a figure inside the article text
        found[i] = Decision(
            "boilerplate",
            info.first_doc,
            info.first_segment,
            1.0,
            {
                "stories": info.stories,
                "sites": info.sites if tables.sites_known else None,
                "match": match,
                "scope": scope,
                "first_doc": info.first_doc,
                "second_doc": info.second_doc,
            },
        )
    return found


def _recurring(
    keys: np.ndarray, shapes: np.ndarray, salt: int, tables: Tables
) -> Iterator[tuple[int, tuple[Recurring, str, str]]]:
    """The segments whose key (or line shape) recurs over the site's (or the corpus's)
    articles, or across sites, with what recurs, the match and its scope; looked up a
    few thousand segments at a time (no list of a huge article's keys)."""
    scope = "site" if tables.sites_known else "corpus"
    step = 1 << 12
    for lo in range(0, len(keys), step):
        exact, shape = keys[lo : lo + step], shapes[lo : lo + step]
        shaped = np.where(shape != 0, site_keys(shape, salt), 0)
        lookups = [
            (tables.by_site, site_keys(exact, salt).tolist(), "exact", scope),
            (tables.by_site, shaped.tolist(), "shape", scope),
        ]
        if tables.sites_known and salt:
            lookups += [
                (tables.across_sites, exact.tolist(), "exact", "sites"),
                (tables.across_sites, shape.tolist(), "shape", "sites"),
            ]
        for i in range(len(exact)):
            for table, values, match, where in lookups:
                info = table.get(values[i]) if values[i] else None
                if info is not None and (where != "sites" or info.sites >= 2):
                    yield lo + i, (info, match, where)
                    break


def _affixes(batch: Batch, k: int, config: CleanerConfig, tables: Tables) -> frozenset[str]:
    """Parts of this article's title-tag lines that recur in its site's title tags (a
    site name, a slogan, a section): affixes, however long."""
    span = batch.span(k)
    mine = (batch.part_segment >= span.start) & (batch.part_segment < span.stop)
    if not mine.any() or not tables.by_site:
        return frozenset()
    salt = site_hash(site_of(batch.articles[k], config))
    keys = site_keys(batch.part_keys[mine], salt).tolist()
    found = [
        p
        for i in sorted(set(batch.part_segment[mine].tolist()))
        for p in title_parts(batch.norms[i])
    ]
    return frozenset(p for p, key in zip(found, keys) if key in tables.by_site)


def _quoted(texts: Sequence[str], i: int) -> bool:
    """An attribution line (``— Name (@handle) July 16, 2018``) or the quote above it."""
    return any(
        0 <= j < len(texts) and _ATTRIBUTION.match(texts[j].strip()) is not None for j in (i, i + 1)
    )


def _between_body(body: np.ndarray, hits: dict[int, Any]) -> np.ndarray:
    """Whether each segment sits between two paragraphs of article text: the nearest
    segments before and after it that are not boilerplate (``hits``) are both ``body``."""
    n = len(body)
    position = np.arange(n)
    other = np.ones(n, dtype=bool)
    other[list(hits)] = False  # the segments that are not boilerplate
    before = np.maximum.accumulate(np.where(other, position, -1))  # the nearest at or before
    after = np.minimum.accumulate(np.where(other, position, n)[::-1])[::-1]  # at or after
    before = np.r_[-1, before[:-1]]  # strictly before ...
    after = np.r_[after[1:], n]  # ... and strictly after
    padded = np.r_[body, False]  # index n (none after) and -1 (none before) read False
    embedded: np.ndarray = padded[before] & padded[after]
    return embedded


def decide(batch: Batch, k: int, config: CleanerConfig, tables: Tables) -> Verdict:
    """Which segments of article ``k`` of the batch go, and why; and its title."""
    c = config
    span = batch.span(k)
    article = batch.articles[k]
    texts = batch.texts(k)
    norms = batch.norms[span.start : span.stop]
    words = batch.tokens.counts[span.start : span.stop]
    judged = batch.judged[span.start : span.stop]
    keys = batch.keys[span.start : span.stop]
    removed = _boilerplate(batch, k, c, tables) if c.boilerplate else {}
    field_title = None
    if article.title is not None and article.title.strip():
        field_title = (article.title, normalize(article.title))
    excluded = np.zeros(len(texts), dtype=bool)
    excluded[list(removed)] = True
    for i in np.flatnonzero(words > HEADLINE_MAX_WORDS).tolist():
        excluded[i] = excluded[i] or _too_long(texts, i, int(words[i]))
    choice = choose_title(
        texts,
        norms,
        excluded,
        field_title=field_title,
        ngram=c.headline_ngram,
        threshold=c.headline_threshold,
        body_words=words,
        affixes=_affixes(batch, k, c, tables),
    )
    title = choice.segment
    if c.headlines:
        for i, variant in choice.repeats.items():
            if i not in removed:
                removed[i] = Decision(
                    "headline", None, title, variant.score, {"variant": variant.kind}
                )
    if c.paragraphs:
        indexed: dict[int, int] = {}  # exact key -> first kept segment with it
        kept: set[int] = set()
        hits: dict[int, tuple[int, float]] = {}
        # only judged segments are looked up, and only they can be an earlier copy (a
        # segment's key is that of its words, and whether it is judged depends on them
        # alone), so only they are noted: a text of many short lines notes nothing
        for i in np.flatnonzero(judged).tolist():
            if i in removed:
                continue
            key = int(keys[i])
            if i != title:
                hit = _repeat(span.start + i, span.start, key, batch, indexed, kept)
                if hit is not None:
                    hits[i] = hit
                    continue
            kept.add(i)
            indexed.setdefault(key, i)
        for i, (at, score) in hits.items():
            if batch.kind(span.start + i) == "sentence" and not _in_run(i, at, hits, words[i]):
                continue  # a sentence said twice (a quote repeated) is the article's
            removed[i] = Decision("paragraph", None, at, score)
    return Verdict(
        batch.starts[span.start : span.stop],
        batch.ends[span.start : span.stop],
        dict(sorted(removed.items())),
        title,
        field_title is not None,
    )


def _too_long(texts: Sequence[str], i: int, words: int) -> bool:
    """Whether a segment is too long to be a headline or to repeat one: more than
    `rules.title.MAX_WORDS` whitespace-separated tokens and more than
    `rules.headline.MAX_WORDS` words. `choose_title` would pass it over anyway; excluding
    it up front spares splitting a huge segment into its words."""
    if words <= HEADLINE_MAX_WORDS:
        return False
    tokens = _TOKEN.finditer(texts[i])
    return sum(1 for _ in itertools.islice(tokens, TITLE_MAX_WORDS + 1)) > TITLE_MAX_WORDS


def _in_run(i: int, at: int, hits: dict[int, tuple[int, float]], words: int) -> bool:
    """Whether a repeated sentence is part of a repeated passage (the sentence before or
    after it repeats the one before or after its earlier copy), or long enough to be a
    paragraph on its own: in a text without line breaks, one repeated sentence is often
    a quote said twice, a repeated run of them a paragraph captured twice."""
    before, after = hits.get(i - 1), hits.get(i + 1)
    return (
        words >= RUN_FREE_WORDS
        or (before is not None and before[0] == at - 1)
        or (after is not None and after[0] == at + 1)
    )


def _repeat(
    at: int, base: int, key: int, batch: Batch, indexed: dict[int, int], kept: set[int]
) -> tuple[int, float] | None:
    if key in indexed:
        return indexed[key], 1.0
    best: tuple[int, float] | None = None
    for earlier, score in batch.repeats.get(at, ()):
        local = earlier - base
        # figures must agree: "traded for April at 34-5/8" is not "March at 34-3/4"
        same_figures = _FIGURES.findall(batch.norms[earlier]) == _FIGURES.findall(batch.norms[at])
        if local in kept and same_figures and (best is None or score > best[1]):
            best = (local, score)
    return best
