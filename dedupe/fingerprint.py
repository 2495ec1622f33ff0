"""Fingerprint a batch of articles at once: segments, keys, word hashes, body signatures.

Everything that does not depend on the rest of the corpus is computed here, in
bulk: the segments of every article of a batch are normalised as one string,
tokenised and hashed as one byte array with numpy, and the MinHash signatures
of their bodies computed with one numpy operation per block of shingles.
Python does a constant amount of work per segment; nothing is done per word or
per shingle in Python. A fingerprint is a pure function of the article and the
config, so batches can be computed in any process, in any order.

Words are maximal runs of ASCII letters, digits and ``_`` and of non-ASCII
characters in the normalised text (normalisation has already turned quotes,
dashes and spaces into ASCII).

Each segment gets up to two keys for counting boilerplate:

* its *key*: the hash of its words in order (any case, punctuation ignored),
  or, for a short segment (``EXACT_MAX_WORDS`` words or fewer), the hash of
  its text compared exactly (case and punctuation kept), so that ``CONTACT:``
  in a press release is not the ``Contact`` link of a menu;
* its *shape* (stand-alone date, time and counter lines only): the key of its
  words with figures, month and weekday names masked, so that
  ``Updated 3 hours ago`` and ``Updated 5 hours ago`` count as one line.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from . import kernel
from .config import CleanerConfig
from .index import FIGURE_PERM, Bodies
from .kernel import fmix64, ngrams, segment_keys, sequence_digest, tokenize
from .minhash import Hasher
from .normalize import (
    SEP,
    Tokens,
    exact_key,
    is_date_line,
    keys_of,
    normalize_many,
    normalized_pieces,
    shape_key,
)
from .records import Article
from .rules.headline import MAX_WORDS as HEADLINE_MAX_WORDS
from .rules.headline import title_parts
from .segment import KINDS, Texts, segment_spans

EXACT_MAX_WORDS = 3  # segments this short are compared exactly for boilerplate
SHAPE_MAX_WORDS = 12  # longest line whose shape is counted
ANCHOR_MIN_WORDS = 12  # paragraphs this long are exact-match anchors for duplicate articles
MAX_NEAR_SEGMENTS = 2000  # near repeats are looked for among an article's first segments
TITLE_WINDOW = 10  # the parts of title-tag lines among the first segments are counted too
FIGURES_SHARE = 0.3  # a body with this share of words holding digits is mostly figures
_STANDALONE = frozenset({"line", "paragraph", "piece", "sentence"})
PART_SALT = 0x7F4A7C159E3779B9  # keys of title-tag parts (site names, slogans, sections)


@dataclass
class Batch:
    """The fingerprints of a batch of articles; segments are numbered across the batch.
    A segment is its offsets into its article's text (sliced when needed, not kept)."""

    articles: Sequence[Article]
    starts: np.ndarray  # int64 per segment: offset of its start in its article's text ...
    ends: np.ndarray  # ... and of its end
    kinds: np.ndarray  # uint8 per segment: its kind, an index into `segment.KINDS`
    article_of: np.ndarray  # intp per segment: its article
    norms: Norms  # normalised text of each segment
    tokens: Tokens  # words of all segments
    keys: np.ndarray  # uint64 per segment (words key, or exact key of a short segment)
    shapes: np.ndarray  # uint64 per segment: shape key of a date/time/counter line, else 0
    first: np.ndarray  # intp, index of each article's first segment (and the total at the end)
    repeats: dict[int, list[tuple[int, float]]]  # later segment -> [(earlier, score)]
    judged: np.ndarray  # bool per segment: long enough for the paragraph rule
    part_keys: np.ndarray  # uint64: keys of the parts of title-tag lines near the top ...
    part_segment: np.ndarray  # intp: ... and the segment (numbered across the batch) of each

    def span(self, k: int) -> range:
        """The segment numbers of article ``k``."""
        return range(int(self.first[k]), int(self.first[k + 1]))

    def text(self, i: int) -> str:
        """The text of segment ``i``."""
        article = self.articles[int(self.article_of[i])]
        return article.text[int(self.starts[i]) : int(self.ends[i])]

    def texts(self, k: int) -> Texts:
        """The texts of article ``k``'s segments (sliced when asked for)."""
        span = self.span(k)
        rows = slice(span.start, span.stop)
        return Texts(self.articles[k].text, self.starts[rows], self.ends[rows])

    def kind(self, i: int) -> str:
        """How segment ``i`` was found (`Segment.kind`)."""
        return KINDS[int(self.kinds[i])]


def fingerprint_batch(
    articles: Sequence[Article],
    config: CleanerConfig,
    repeats: bool = True,
    separator: str | None = None,
) -> Batch:
    """Fingerprints of a batch of articles (any batch size gives the same fingerprints).
    ``repeats=False`` skips looking for repeated paragraphs (the survey does not need them)."""
    spans = [segment_spans(a.text, separator) for a in articles]
    first = np.zeros(len(articles) + 1, dtype=np.intp)
    np.cumsum([len(s) for s in spans], out=first[1:])
    starts = _column([s.starts for s in spans], np.int64)
    ends = _column([s.ends for s in spans], np.int64)
    kinds = _column([s.kinds for s in spans], np.uint8)
    del spans
    article_of = np.repeat(np.arange(len(articles), dtype=np.intp), np.diff(first))
    shapes = np.zeros(len(starts), dtype=np.uint64)
    standalone = np.isin(kinds, [KINDS.index(k) for k in _STANDALONE])

    def date_lines(lo: int, normalized: Sequence[str], counts: np.ndarray) -> None:
        """The shapes of stand-alone short lines ``lo, lo + 1, ...`` that are stamps."""
        short = standalone[lo : lo + len(normalized)] & (counts <= SHAPE_MAX_WORDS)
        for i, text in _texts(articles, article_of, starts, ends, np.flatnonzero(short) + lo):
            norm = normalized[i - lo]
            if "\n" not in text and is_date_line(norm):
                shapes[i] = shape_key(norm)

    kept, tokens, spaces = _words(articles, article_of, starts, ends, first, date_lines)
    norms = Norms(kept, articles, article_of, starts, ends)
    keys = segment_keys(tokens, norms)
    counts = tokens.counts
    for i, text in _texts(articles, article_of, starts, ends, counts <= EXACT_MAX_WORDS):
        keys[i] = exact_key(text)
    tables = kinds == KINDS.index("table")
    for i, text in _texts(articles, article_of, starts, ends, tables):  # an archive list
        lines = norms_of_lines(text)
        if all(is_date_line(line) for line in lines):
            shapes[i] = shape_key("\n".join(lines))
    judged = kernel.distinct_words(tokens)
    np.minimum(judged, tokens.lettered, out=judged)
    judged = judged >= config.paragraph_min_words
    pairs: dict[int, list[tuple[int, float]]] = {}
    if config.paragraphs and repeats and len(norms):
        position = np.arange(len(norms)) - np.repeat(first[:-1], np.diff(first))
        near = judged & (position < MAX_NEAR_SEGMENTS)  # beyond: exact repeats only
        pairs = kernel.repeated_pairs(tokens, article_of, config, near)
    parts: list[str] = []
    owners: list[int] = []
    for k in range(len(articles)):
        for i in range(int(first[k]), min(int(first[k + 1]), int(first[k]) + TITLE_WINDOW)):
            # a long segment: title_parts' own first test, without normalising it again
            found = [] if spaces.get(i, 0) >= HEADLINE_MAX_WORDS else title_parts(norms[i])
            parts += found
            owners += [i] * len(found)
    part_keys = keys_of(parts, PART_SALT)
    return Batch(
        articles, starts, ends, kinds, article_of, norms, tokens, keys, shapes, first, pairs,
        judged, part_keys, np.array(owners, dtype=np.intp),
    )  # fmt: skip


LONG_SEGMENT = 1 << 20  # characters: a longer segment is normalised and hashed in pieces
WORDS_GROUP = 1 << 20  # characters of segments normalised and hashed together at most
KEPT_NORMS = 2000  # an article's first segments whose normalised text is kept (see `Norms`)


class Norms(Sequence[str]):
    """The normalised text of each segment of a batch (or of a range of them), kept
    packed (`_Packed`) for an article's first ``KEPT_NORMS`` segments, which the title
    and near-repeat rules compare; a later segment's (or one of more than
    ``LONG_SEGMENT`` characters) is normalised again when asked for (a headline's
    repeat deep in a huge article), so a huge article holds no second copy of its text."""

    def __init__(
        self,
        kept: _Packed,
        articles: Sequence[Article],
        article_of: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        rows: range | None = None,
    ) -> None:
        self._kept = kept
        self._where = (articles, article_of, starts, ends)
        self._rows = range(len(starts)) if rows is None else rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> Norms: ...

    def __getitem__(self, i: int | slice) -> str | Norms:
        if isinstance(i, slice):
            return Norms(self._kept, *self._where, rows=self._rows[i])
        j = self._rows[i]
        norm = self._kept.get(j)
        if norm is None:
            articles, article_of, starts, ends = self._where
            text = articles[int(article_of[j])].text
            norm = " ".join(normalized_pieces(text, int(starts[j]), int(ends[j])))
        return norm


def _words(
    articles: Sequence[Article],
    article_of: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    first: np.ndarray,
    seen: Callable[[int, Sequence[str], np.ndarray], None],
) -> tuple[_Packed, Tokens, dict[int, int]]:
    """Normalise and hash the words of every segment: the normalised texts (packed, those
    of each article's first ``KEPT_NORMS`` segments that are not long), the words, and
    the spaces in each long segment's normalised text. ``seen(lo, normalized, counts)``
    is shown the normalised texts and word counts of segments ``lo, lo + 1, ...`` as
    they are made (a long segment's only if it has at most ``SHAPE_MAX_WORDS`` words).

    Runs of segments of up to ``WORDS_GROUP`` characters are normalised and hashed
    together (a usual batch at once); a long segment a piece at a time
    (`normalize.normalized_pieces`); the words' arrays grow in place, so that no
    normalised text of a long segment, and no copy of all the text, is ever whole. The
    words are those of `tokenize` over every segment's `normalize`d text."""
    n = len(starts)
    lengths = ends - starts
    long = lengths > LONG_SEGMENT
    held = np.arange(n) - first[article_of] < KEPT_NORMS
    if not long.any() and int(lengths.sum()) <= WORDS_GROUP:  # the usual batch: at once
        rows = np.arange(n, dtype=np.intp)
        texts = _texts(articles, article_of, starts, ends, rows)
        every = normalize_many(t.replace(SEP, " ") for _, t in texts)
        kept = _Packed()
        kept.add(0, every, held)
        tokens = tokenize(every)
        seen(0, every, tokens.counts)
        return kept, tokens, {}
    kept = _Packed()
    spaces: dict[int, int] = {}
    words = _Growing((int(lengths.sum()) + n) // 2 + 1, n)  # words, each with a gap after
    counts = np.zeros(n, dtype=np.intp)
    lettered = np.zeros(n, dtype=np.intp)
    total = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=total[1:])
    next_long = [*np.flatnonzero(long).tolist(), n]
    upcoming = 0  # next_long[upcoming]: the next long segment (n: none)
    i = 0
    while i < n:
        if not long[i]:  # a run of segments, up to the next long one
            stop = int(np.searchsorted(total, total[i] + WORDS_GROUP, "right")) - 1
            stop = min(max(stop, i + 1), next_long[upcoming])
            texts = _texts(articles, article_of, starts, ends, np.arange(i, stop, dtype=np.intp))
            norms = normalize_many(t.replace(SEP, " ") for _, t in texts)
            found = tokenize(norms)
            words.extend(found.hashes, found.owner + i, found.numeric)
            counts[i:stop] = found.counts
            lettered[i:stop] = found.lettered
            kept.add(i, norms, held[i:stop])
            seen(i, norms, found.counts)
            i = stop
            continue
        text = articles[int(article_of[i])].text
        spaces[i] = -1  # the pieces are joined by single spaces
        for piece in normalized_pieces(text, int(starts[i]), int(ends[i])):
            found = tokenize([piece])
            words.extend(found.hashes, np.full(len(found.hashes), i, dtype=np.intp), found.numeric)
            counts[i] += found.counts[0]
            lettered[i] += found.lettered[0]
            spaces[i] += piece.count(" ") + 1
        spaces[i] = max(spaces[i], 0)
        if counts[i] <= SHAPE_MAX_WORDS:  # a few huge words: seen whole
            seen(
                i,
                [" ".join(normalized_pieces(text, int(starts[i]), int(ends[i])))],
                counts[i : i + 1],
            )
        upcoming += 1
        i += 1
    hashes, owner, numeric = words.arrays()
    return kept, Tokens(hashes, owner, counts, lettered, numeric), spaces


class _Packed:
    """Normalised texts of runs of segments, each run as one UTF-8 byte string (the texts
    joined by NUL, which no normalised text holds) and the offsets of its texts: about a
    byte per character, against some 60 bytes more per text as a list of `str`. A
    segment outside every run (a long one), or not held in its run, has none kept."""

    def __init__(self) -> None:
        self._firsts: list[int] = []  # first segment of each run, increasing
        # each run's bytes, each text's start, and which texts are held (None: all)
        self._runs: list[tuple[bytes, np.ndarray, np.ndarray | None]] = []

    def add(self, first: int, texts: Sequence[str], held: np.ndarray) -> None:
        """The texts of segments ``first``, ``first + 1``, ... (after every earlier run),
        those where ``held`` is true."""
        if not texts or not held.any():
            return
        if held.all():
            data = SEP.join(texts).encode("utf-8", "surrogatepass")
        else:
            some = (t if h else "" for t, h in zip(texts, held.tolist(), strict=True))
            data = SEP.join(some).encode("utf-8", "surrogatepass")
        cuts = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0)
        bounds = np.empty(len(texts) + 1, dtype=np.int64)  # text k: [bounds[k], bounds[k+1] - 1)
        bounds[0], bounds[1:-1], bounds[-1] = 0, cuts + 1, len(data) + 1
        self._firsts.append(first)
        self._runs.append((data, bounds, None if held.all() else held.copy()))

    def get(self, i: int) -> str | None:
        """The normalised text of segment ``i``, or None if not kept."""
        r = bisect_right(self._firsts, i) - 1
        if r < 0:
            return None
        data, bounds, held = self._runs[r]
        k = i - self._firsts[r]
        if k >= len(bounds) - 1 or (held is not None and not held[k]):
            return None
        return data[int(bounds[k]) : int(bounds[k + 1]) - 1].decode("utf-8", "surrogatepass")


class _Growing:
    """The words' arrays (hash, segment, holds a digit), filled as pieces come: made as
    large as ``room`` words at once (memory the system gives only where written), grown
    if ever needed, cut to size at the end; never a second copy. The segment numbers of
    fewer than 2**31 ``segments`` are int32 (13 bytes a word, not 17)."""

    def __init__(self, room: int, segments: int) -> None:
        self.size = 0
        self.hashes = np.empty(room, dtype=np.uint64)
        self.owner = np.empty(room, dtype=np.int32 if segments < 2**31 else np.intp)
        self.numeric = np.empty(room, dtype=np.bool_)

    def extend(self, hashes: np.ndarray, owner: np.ndarray, numeric: np.ndarray) -> None:
        size = self.size + len(hashes)
        if size > len(self.hashes):
            room = max(size, 2 * len(self.hashes))
            for column in (self.hashes, self.owner, self.numeric):
                column.resize(room, refcheck=False)  # realloc: no second copy held
        self.hashes[self.size : size] = hashes
        self.owner[self.size : size] = owner
        self.numeric[self.size : size] = numeric
        self.size = size

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        for column in (self.hashes, self.owner, self.numeric):
            column.resize(self.size, refcheck=False)
        return self.hashes, self.owner, self.numeric


def _texts(
    articles: Sequence[Article],
    article_of: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    rows: np.ndarray,
) -> Iterator[tuple[int, str]]:
    """(segment, text) of the segments ``rows`` (numbers, or a mask over every segment),
    sliced from their articles one at a time."""
    step = 1 << 14
    for lo in range(0, len(rows), step):
        part = rows[lo : lo + step]
        if part.dtype == np.bool_:
            part = np.flatnonzero(part) + lo
        columns = (part, article_of[part], starts[part], ends[part])
        for i, k, a, b in zip(*(c.tolist() for c in columns)):
            yield i, articles[k].text[a:b]


def _column(parts: list[Any], dtype: type) -> np.ndarray:
    """One array of the columns of every article's `Spans`."""
    out: np.ndarray = np.empty(sum(len(p) for p in parts), dtype=dtype)
    pos = 0
    for p in parts:
        out[pos : pos + len(p)] = np.frombuffer(p, dtype=dtype) if len(p) else []
        pos += len(p)
    return out


def bottom_k(hashes: np.ndarray, owner: np.ndarray, count: int, k: int) -> np.ndarray:
    """The ``k`` smallest 32-bit values of each group's (distinct) hashes, ascending,
    padded with 0xFFFFFFFF: a bottom-k sketch, exact for sets of up to ``k``."""
    out = np.full((count, k), 0xFFFFFFFF, dtype=np.uint32)
    if not len(hashes):
        return out
    values = (hashes >> np.uint64(32)).astype(np.uint32)
    order = np.lexsort((values, owner))
    values, owner = values[order], owner[order]
    starts = np.searchsorted(owner, owner, "left")
    rank = np.arange(len(owner)) - starts
    take = rank < k
    out[owner[take], rank[take]] = values[take]
    return out


def _figure_pairs(hashes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A body's figures taken in order, each paired with the next one (a rate table that
    moved by a day shares its figures but not their pairs); a body with one figure
    gives that figure. Returns the pair hashes and their article."""
    if not len(hashes):
        return hashes, owner
    same = owner[1:] == owner[:-1]
    pairs = fmix64(hashes[:-1][same] * np.uint64(0x9E3779B97F4A7C15) + hashes[1:][same])
    alone = np.r_[True, ~same] & np.r_[~same, True]  # the only figure of its body
    return np.r_[pairs, hashes[alone]], np.r_[owner[:-1][same], owner[alone]]


def _distinct(hashes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (owner, hash) pairs, sorted by owner."""
    if not len(hashes):
        return hashes, owner
    order = np.lexsort((hashes, owner))
    hashes, owner = hashes[order], owner[order]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (hashes[1:] != hashes[:-1])]
    return hashes[new], owner[new]


def norms_of_lines(text: str) -> list[str]:
    """The normalised non-blank lines of a segment."""
    return [line for line in normalize_many(text.splitlines()) if line]


def distinct_words(tokens: Tokens) -> np.ndarray:
    """Distinct words per segment."""
    if not len(tokens.hashes):
        return np.zeros(len(tokens.counts), dtype=np.intp)
    order = np.lexsort((tokens.hashes, tokens.owner))
    owner, hashes = tokens.owner[order], tokens.hashes[order]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (hashes[1:] != hashes[:-1])]
    return np.bincount(owner[new], minlength=len(tokens.counts)).astype(np.intp)


BODY_BLOCK = 1 << 20  # words of bodies shingled and hashed at a time: bounds those arrays
LONG_PIECE = 1 << 16  # words of one long body at a time (its arrays add ~50 bytes a word)
_POSITION = np.uint64(0x9E3779B97F4A7C15)  # `sequence_digest`'s weight of a word's position


def bodies(batch: Batch, keep: np.ndarray, config: CleanerConfig, hasher: Hasher) -> Bodies:
    """What the duplicate index needs of each article's body: the words of its kept
    segments (``keep``, bool per segment) as one sequence.

    The words are taken in blocks of whole articles of about ``BODY_BLOCK`` words (an
    article with more is taken alone, in pieces that carry its last words over), so
    the shingles in memory at a time stay bounded however large an article is; the
    result does not depend on the blocks."""
    n = len(batch.articles)
    tokens = batch.tokens
    article_of_segment = batch.article_of
    article_bounds = np.zeros(n + 1, dtype=np.intp)  # article k's words: [bounds[k], bounds[k+1])
    segmented = np.diff(batch.first) > 0  # the articles with segments
    if segmented.any():
        per_article = np.zeros(n, dtype=np.intp)
        per_article[segmented] = np.add.reduceat(tokens.counts, batch.first[:-1][segmented])
        np.cumsum(per_article, out=article_bounds[1:])
    out = _BodyParts(n, hasher.num_perm)
    for ka, kb in _blocks(article_bounds, BODY_BLOCK):
        lo, hi = int(article_bounds[ka]), int(article_bounds[kb])
        if kb - ka == 1 and hi - lo > BODY_BLOCK:
            _long_body(out, ka, lo, hi, tokens, keep, config, hasher)
            continue
        seg = tokens.owner[lo:hi]
        kept = keep[seg]
        owner = article_of_segment[seg][kept] - ka
        hashes = tokens.hashes[lo:hi][kept]
        numeric = tokens.numeric[lo:hi][kept]
        words = np.bincount(owner, minlength=kb - ka).astype(np.intp)
        sequence = Tokens(hashes, owner, words, words, numeric)
        shingles, shingle_owner = ngrams(sequence, config.shingle_size)
        out.signatures[ka:kb] = hasher.signatures(shingles, shingle_owner, kb - ka)
        out.sizes[ka:kb] = np.bincount(shingle_owner, minlength=kb - ka)
        out.words[ka:kb] = words
        out.figures[ka:kb] = np.bincount(owner[numeric], minlength=kb - ka)
        out.exact[ka:kb] = sequence_digest(hashes, owner, kb - ka)
        out.numeric_hashes.append(hashes[numeric])
        out.numeric_owner.append(owner[numeric] + ka)
    words = out.words
    figure_tokens, figure_owner = _distinct(
        *_figure_pairs(_joined(out.numeric_hashes, np.uint64), _joined(out.numeric_owner, np.intp))
    )
    anchor = keep & (tokens.counts >= ANCHOR_MIN_WORDS)
    anchors = np.flatnonzero(anchor)
    return Bodies(
        ids=np.arange(n, dtype=np.int64),
        signatures=out.signatures,
        sizes=out.sizes,
        words=words,
        eligible=words >= config.document_min_words,
        exact=out.exact,
        figure_sigs=bottom_k(figure_tokens, figure_owner, n, FIGURE_PERM),
        figure_count=np.bincount(figure_owner, minlength=n).astype(np.int32),
        tabular=out.figures >= FIGURES_SHARE * np.maximum(words, 1),
        anchor_keys=batch.keys[anchors].astype(np.uint64),
        anchor_words=tokens.counts[anchors].astype(np.int64),
        anchor_owner=article_of_segment[anchors],
    )


class _BodyParts:
    """The per-article arrays of `bodies`, filled block by block."""

    def __init__(self, n: int, num_perm: int) -> None:
        self.signatures = np.empty((n, num_perm), dtype=np.uint32)
        self.sizes = np.zeros(n, dtype=np.int64)
        self.words = np.zeros(n, dtype=np.int64)
        self.figures = np.zeros(n, dtype=np.int64)  # words holding a digit
        self.exact = np.zeros(n, dtype=np.uint64)
        self.numeric_hashes: list[np.ndarray] = []  # the words holding a digit, in order ...
        self.numeric_owner: list[np.ndarray] = []  # ... and their article


def _blocks(bounds: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Runs ``[a, b)`` of consecutive articles holding at most ``limit`` words together
    (or one article with more); ``bounds[k]`` is the first word of article ``k``."""
    runs: list[tuple[int, int]] = []
    n = len(bounds) - 1
    a = 0
    while a < n:
        # the last article b - 1 with bounds[b] - bounds[a] <= limit, at least one
        b = max(a + 1, int(np.searchsorted(bounds, bounds[a] + limit, "right")) - 1)
        runs.append((a, min(b, n)))
        a = min(b, n)
    return runs


def _long_body(
    out: _BodyParts,
    k: int,
    lo: int,
    hi: int,
    tokens: Tokens,
    keep: np.ndarray,
    config: CleanerConfig,
    hasher: Hasher,
) -> None:
    """`bodies` for one article with many words (``lo:hi`` of ``tokens``), in pieces of
    ``LONG_PIECE`` words: each piece's shingles start with the last ``n - 1`` kept words
    before it, so every shingle is counted once, as over the whole body."""
    n = config.shingle_size
    carry = np.empty(0, dtype=np.uint64)  # the kept words no shingle has ended at yet
    shingled = False  # whether a shingle of n words was taken (else: one of all words)
    signature = np.full(hasher.num_perm, 0xFFFFFFFF, dtype=np.uint32)
    total = np.zeros(1, dtype=np.uint64)  # the digest's sum over the words so far
    count = 0
    for a in range(lo, hi, LONG_PIECE):
        b = min(a + LONG_PIECE, hi)
        kept = keep[tokens.owner[a:b]]
        hashes = tokens.hashes[a:b][kept]
        numeric = tokens.numeric[a:b][kept]
        position = np.arange(count, count + len(hashes), dtype=np.uint64)
        total += fmix64(hashes + position * _POSITION).sum(dtype=np.uint64)
        count += len(hashes)
        out.figures[k] += int(numeric.sum())
        out.numeric_hashes.append(hashes[numeric])
        out.numeric_owner.append(np.full(int(numeric.sum()), k, dtype=np.intp))
        sequence = np.concatenate((carry, hashes))
        if len(sequence) < n:
            carry = sequence
            continue
        shingled = True
        _add_shingles(out, k, signature, sequence, config, hasher)
        carry = sequence[len(sequence) - (n - 1) :] if n > 1 else sequence[:0]
    if not shingled and len(carry):  # fewer than n words in all: one shingle of them all
        _add_shingles(out, k, signature, carry, config, hasher)
    out.signatures[k] = signature
    out.words[k] = count
    if count:
        out.exact[k] = (fmix64(total + np.uint64(count)) | np.uint64(1))[0]


def _add_shingles(
    out: _BodyParts,
    k: int,
    signature: np.ndarray,
    sequence: np.ndarray,
    config: CleanerConfig,
    hasher: Hasher,
) -> None:
    """Shingle one run of an article's words and fold them into its signature and size."""
    size = np.array([len(sequence)], dtype=np.intp)
    none = np.zeros(len(sequence), dtype=np.intp)
    piece = Tokens(sequence, none, size, size, none.astype(bool))
    shingles, owner = ngrams(piece, config.shingle_size)
    np.minimum(signature, hasher.signatures(shingles, owner, 1)[0], out=signature)
    out.sizes[k] += len(shingles)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
