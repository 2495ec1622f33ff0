"""Which segment is an article's headline, and which segments repeat it.

An explicit ``title`` field is authoritative: every segment that repeats it
(see `dedupe.rules.headline`) is a repeat. Otherwise the title is chosen
among the first segments of the text:

1. Candidates are *headline-like* segments near the top (the first ``FIRST``
   of the first ``WINDOW`` segments, and the few just above the first long
   paragraph, where an ``<h1>`` sits in a page dumped whole): 3 to 24 words,
   mostly words (not a row of figures, nor a label between rows; not part of a
   table laid out in columns, see `dedupe.rules.columns`), not a date or time
   (``Published 10:49 p.m. ET June 17, 2019``, ``Updated 3 hours ago``), not a
   byline (``By Jane Doe, Staff Writer``), not a breadcrumb or navigation bar
   (``Home > World > Europe``), not boilerplate of the corpus. The headline
   stands above the article's tables: the first few segments end at the first
   segment holding a table row (a multi-table report repeats each table's
   header row, caption and footnote, and none of them is the headline).
2. The first candidate that other segments repeat wins (one of fewer than
   ``SHORT`` words, such as a repeated button, only when no longer one is
   repeated; a segment that is part of a table is never a repeat); when a
   candidate is a title-tag line (``Headline - Section - Site``) and a plainer
   copy of the headline stands further down, the plain copy is the title and
   the title-tag line is one of its repeats (of several plain copies, the
   longest).
3. With no repeats, the title is the first headline-like segment among the
   first ``TOP`` segments; a text with nothing headline-like at its top has no
   title in its text, and then all of it is the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..normalize import is_date_line
from ..segment import is_figures
from .columns import Layout
from .headline import Forms, Headline, Variant, flat

WINDOW = 10  # title candidates: the first few headline-like segments among the first ...
FIRST = 3  # ... (this many) ...
BEFORE_BODY = 4  # ... and those just above the first long paragraph
TOP = 5  # without repeats, the title is headline-like and among the first segments
MIN_WORDS = 3
PLAIN = frozenset({"exact", "case", "label"})  # copies that leave no doubt which came first
ELLIPSES = ("...", "…")  # a line ending so is a teaser, never the plain headline
SHORT = 4  # a repeated candidate this short (a button, a section) gives way to a longer one
MAX_WORDS = 24
SENTENCE_WORDS = 12  # a longer segment ending with a full stop is a sentence, not a headline
BODY_WORDS = 25  # a paragraph this long is article text
CACHED = 2000  # the compared forms of this many first segments are kept between candidates

_BYLINE = re.compile(
    r"^(?:by|written by|posted by|reporting by|words by|story by|report by|from)\s", re.I
)
_ROLE = re.compile(
    r"\b(?:staff writer|staff reporter|correspondent|reporter|columnist|contributor|"
    r"editor|news service|associated press|press association|agencies|bureau chief)\b"
)
_LETTERED_TOKEN = re.compile(r"\S*[^\W\d_]\S*")  # a whitespace-separated token with a letter
_NAV_SEPARATOR = re.compile(r"\s*(?:>|»|›|/|\||•|·)\s*")


@dataclass
class TitleChoice:
    """The title of one article and the segments that repeat it."""

    segment: int | None  # the title's segment; None when it comes from a field or is absent
    headline: Headline | None
    repeats: dict[int, Variant] = field(default_factory=dict)


def is_byline(normalized: str) -> bool:
    words = flat(normalized).split()
    if len(words) > 10:
        return False
    return bool(_BYLINE.match(normalized)) or bool(_ROLE.search(normalized))


def is_navigation(normalized: str) -> bool:
    """A breadcrumb or a bar of links: ``home > world > europe``, ``email | print |``."""
    pieces = [p for p in _NAV_SEPARATOR.split(normalized) if p.strip()]
    separators = len(_NAV_SEPARATOR.findall(normalized.strip()))
    return separators >= 2 and all(len(flat(p).split()) <= 3 for p in pieces)


def headline_like(raw: str, normalized: str) -> bool:
    """Short, mostly words (not a row of figures), and not a date, time, byline,
    breadcrumb or section label."""
    tokens = len(raw.split())
    if not MIN_WORDS <= tokens <= MAX_WORDS:
        return False  # too short or too long
    words = len(_LETTERED_TOKEN.findall(raw))
    if words < max(2, 0.5 * tokens):
        return False  # a row of figures ("Hearts 2-1 Livingston" is not)
    if words > SENTENCE_WORDS and raw.rstrip().rstrip("\"'”’)").endswith("."):
        return False
    return not (is_date_line(normalized) or is_byline(normalized) or is_navigation(normalized))


def choose_title(
    raw: Sequence[str],
    normalized: Sequence[str],
    excluded: Sequence[bool] | np.ndarray,
    *,
    field_title: tuple[str, str] | None,
    ngram: int,
    threshold: float,
    body_words: Sequence[int] | np.ndarray,
    affixes: frozenset[str] = frozenset(),
) -> TitleChoice:
    """The title of an article given its segments' raw and normalised texts.

    ``excluded`` marks segments that cannot be the title or a repeat of it
    (boilerplate); ``field_title`` is the (raw, normalised) ``title`` field;
    ``body_words`` counts the words of each segment; ``affixes`` are title-tag parts
    known to be the site's (see `dedupe.rules.headline.runs`).
    """
    forms: dict[int, Forms] = {}
    words = np.asarray(body_words, dtype=np.int64)
    excluded = np.asarray(excluded, dtype=bool)
    may_repeat = ~excluded & (words <= 60)  # what can repeat a headline ...
    may_hold = ~excluded & (words <= MAX_WORDS)  # ... or be a plainer copy inside a title tag
    layout = Layout(raw)  # a row of a table (a header repeated over each table) is no headline

    def form(i: int) -> Forms:
        if i >= CACHED:  # deep in a huge article: computed again rather than kept
            return Forms(raw[i], normalized[i], affixes)
        if i not in forms:
            forms[i] = Forms(raw[i], normalized[i], affixes)
        return forms[i]

    def repeats_of(headline: Headline, title: int | None) -> dict[int, Variant]:
        found = {}
        for j in _where(may_repeat):
            if j == title:
                continue
            variant = headline.match(form(j))
            if variant is not None and not layout.part_of_table(j):
                found[j] = variant
        return found

    if field_title is not None:
        headline = Headline(Forms(*field_title), ngram, threshold)
        return TitleChoice(None, headline, repeats_of(headline, None))

    n = len(raw)

    def figures(i: int, line: int) -> bool:
        """Whether segment ``i``'s first (0) or last (-1) line is a row of figures other
        than a copy of a neighbour (a score headline printed twice is no table)."""
        if not 0 <= i < n or not raw[i].strip():
            return False
        text = raw[i].splitlines()[line]
        copies = {raw[j].strip().casefold() for j in (i - 1, i + 1) if 0 <= j < n}
        return is_figures(text) and text.strip().casefold() not in copies

    def eligible(i: int) -> bool:
        if excluded[i] or not headline_like(raw[i], normalized[i]):
            return False
        if layout.part_of_table(i):
            return False  # a row of a table laid out in columns, or a line between rows
        # a row of a table, or a short line between rows, is not a headline
        if figures(i - 1, -1) and (figures(i + 1, 0) or is_figures(raw[i])):
            return False
        return not (is_figures(raw[i]) and figures(i + 1, 0))

    candidates: list[int] = []
    for i in range(min(n, WINDOW)):
        if len(candidates) == FIRST or layout.holds_row(i):
            break  # the headline stands above the article's tables
        if eligible(i):
            candidates.append(i)
    first_body = next(_where(words >= BODY_WORDS), None)
    if first_body is not None:
        candidates += [
            i for i in range(max(0, first_body - BEFORE_BODY), first_body) if eligible(i)
        ]
    candidates = list(dict.fromkeys(candidates))
    fallback: TitleChoice | None = None  # a repeated headline of under SHORT words
    for c in candidates:
        headline = Headline(form(c), ngram, threshold)
        if not headline.usable:
            continue
        choices = []
        for j in _where(may_hold):  # a plainer copy of the headline inside this title tag
            if j == c:
                continue
            if (
                headline.contains(form(j))
                and not raw[j].rstrip().endswith(ELLIPSES)
                and not layout.part_of_table(j)
            ):
                plain = Headline(form(j), ngram, threshold)
                found = repeats_of(plain, j)
                if c in found:
                    choices.append(TitleChoice(j, plain, found))
        if not choices:  # not a title-tag line: the candidate itself, if repeated
            found = repeats_of(headline, c)
            if c != candidates[0]:  # a later candidate needs a plain copy, not a near one
                found = {j: v for j, v in found.items() if v.kind not in ("near", "teaser")}
            if any(j < c and v.kind in PLAIN for j, v in found.items()):
                continue  # a later copy of an earlier segment (a repeated paragraph)
            if found:
                choices.append(TitleChoice(c, headline, found))
        if not choices:
            continue
        # several plain copies of one title tag: the longest (a section name loses)
        choice = max(choices, key=lambda t: (len(t.headline.words), -(t.segment or 0)))  # type: ignore[union-attr]
        assert choice.headline is not None
        if len(choice.headline.words) >= SHORT:
            return choice
        fallback = fallback or choice
    if fallback is not None:
        return fallback
    top = next((c for c in candidates if c < TOP), None)
    if top is None:
        return TitleChoice(None, None)
    return TitleChoice(top, Headline(form(top), ngram, threshold))


def _where(mask: np.ndarray) -> Iterator[int]:
    """The indices where ``mask`` holds, ascending, a few thousand at a time (no list of
    them all: a huge article has millions of segments)."""
    step = 1 << 12
    for lo in range(0, len(mask), step):
        for i in np.flatnonzero(mask[lo : lo + step]).tolist():
            yield lo + i
