"""The per-article stages, as pure functions of a batch of articles.

``survey_batch`` (pass 1) and ``decide_batch`` (pass 2) depend only on the
articles, the config and (for pass 2) the boilerplate table learned in pass 1,
so they run in worker processes as well as in the cleaner's own; what they
return is small (keys, one body signature, decisions), so little crosses
between processes. The corpus-wide steps (story and duplicate indexes,
boilerplate counts) stay in the cleaner, in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import CleanerConfig
from .fingerprint import Fingerprint, fingerprint_batch
from .minhash import Hasher
from .normalize import normalize
from .records import Article, Rule
from .rules.boilerplate import site_hash, site_keys
from .rules.headline import Headline

MAX_TITLE_CHARS = 500  # a longer first segment is not a headline
ANCHOR_MIN_WORDS = 12  # paragraphs this long are exact-match anchors for duplicate articles

Why = tuple[Rule, "int | None", "int | None", float]  # rule, matched doc, matched segment, score
Boilerplate = dict[int, tuple[int, int]]  # site-specific key -> (first doc, its segment)


@dataclass
class Body:
    """What the duplicate index needs of an article body."""

    signature: np.ndarray
    size: int  # shingles
    words: int
    anchor_keys: np.ndarray  # exact keys of its long paragraphs
    anchor_words: np.ndarray


@dataclass
class Surveyed:
    """Pass 1 of one article: its site, segment keys and raw body."""

    site: str
    keys: np.ndarray  # site-specific segment keys
    body: Body


@dataclass
class Verdict:
    """Pass 2 of one article: its segments, what goes and why, and its cleaned body."""

    starts: list[int]
    ends: list[int]
    removed: dict[int, Why]
    title: int | None
    body: Body


def site_of(article: Article, config: CleanerConfig) -> str:
    if config.site_field is None:
        return ""
    value = article.extra.get(config.site_field)
    return "" if value is None else str(value)


def body_of(fp: Fingerprint, keep: list[int]) -> Body:
    sig, size, words = fp.body(keep)
    anchors = [i for i in keep if fp.words[i] >= ANCHOR_MIN_WORDS]
    return Body(sig, size, words, fp.keys[anchors], fp.words[anchors].astype(np.int64))


def survey_batch(
    articles: Sequence[Article], config: CleanerConfig, hasher: Hasher
) -> list[Surveyed]:
    out = []
    for fp in fingerprint_batch(articles, config, hasher, repeats=False):
        site = site_of(fp.article, config)
        keys = site_keys(fp.keys, site_hash(site))
        out.append(Surveyed(site, keys, body_of(fp, list(range(len(fp.segments))))))
    return out


def decide_batch(
    articles: Sequence[Article], config: CleanerConfig, hasher: Hasher, boiler: Boilerplate
) -> list[Verdict]:
    out = []
    for fp in fingerprint_batch(articles, config, hasher):
        removed, title = decide(fp, config, boiler)
        keep = [i for i in range(len(fp.segments)) if i not in removed and i != title]
        out.append(
            Verdict(
                [s.start for s in fp.segments],
                [s.end for s in fp.segments],
                removed,
                title,
                body_of(fp, keep),
            )
        )
    return out


def decide(
    fp: Fingerprint, config: CleanerConfig, boiler: Boilerplate
) -> tuple[dict[int, Why], int | None]:
    """Which segments of one article go, and why; and which segment is its title."""
    c = config
    removed: dict[int, Why] = {}
    keys = site_keys(fp.keys, site_hash(site_of(fp.article, c))).tolist()
    is_boiler = [c.boilerplate and k in boiler for k in keys]
    title_text = fp.article.title
    title: int | None = None
    if title_text is None:
        title = next((i for i, b in enumerate(is_boiler) if not b), None)
        title_text = fp.segments[title].text if title is not None else None
    headline = (
        Headline(normalize(title_text), c.headline_ngram, c.headline_threshold)
        if (c.headlines and title_text and len(title_text) <= MAX_TITLE_CHARS)
        else None
    )
    indexed: dict[int, int] = {}  # exact key -> first kept segment with it
    kept: set[int] = set()
    rows = zip(fp.norms, fp.keys.tolist(), fp.lettered.tolist())
    for i, (norm, key, nwords) in enumerate(rows):
        if i != title and is_boiler[i]:
            doc, at = boiler[keys[i]]
            removed[i] = ("boilerplate", doc, at, 1.0)
            continue
        if i != title and headline is not None and (title is None or i > title):
            score = headline.match(norm)
            if score:
                removed[i] = ("headline", None, title, score)
                continue
        if c.paragraphs and nwords >= c.paragraph_min_words and i != title:
            hit = _repeat(i, key, fp, indexed, kept)
            if hit is not None:
                removed[i] = ("paragraph", None, hit[0], hit[1])
                continue
        kept.add(i)
        indexed.setdefault(key, i)
    return removed, title


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
