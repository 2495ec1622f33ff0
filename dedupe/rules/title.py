"""Which segment is an article's headline, and which segments repeat it.

An explicit ``title`` field is authoritative: every segment that repeats it
(see `dedupe.rules.headline`) is a repeat. Otherwise the title is chosen
among the first segments of the text:

1. Candidates are *headline-like* segments near the top (the first ``FIRST``
   of the first ``WINDOW`` segments, and the few just above the first long
   paragraph, where an ``<h1>`` sits in a page dumped whole): 3 to 30 words,
   mostly words (not a row of figures, nor a label between rows), not a date or time
   (``Published 10:49 p.m. ET June 17, 2019``, ``Updated 3 hours ago``), not a
   byline (``By Jane Doe, Staff Writer``), not a breadcrumb or navigation bar
   (``Home > World > Europe``), not boilerplate of the corpus.
2. A candidate that other segments repeat wins; when a candidate is a
   title-tag line (``Headline - Section - Site``) and a plainer copy of the
   headline stands further down, the plain copy is the title and the
   title-tag line is one of its repeats. Among several, the headline with the
   most words wins (a repeated section name or button loses to the headline),
   then the earliest.
3. With no repeats, the title is the first headline-like segment among the
   first ``TOP`` segments; a text with nothing headline-like at its top has no
   title in its text, and then all of it is the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..normalize import is_date_line
from ..segment import is_figures
from .headline import Forms, Headline, Variant, flat

WINDOW = 10  # title candidates: the first few headline-like segments among the first ...
FIRST = 3  # ... (this many) ...
BEFORE_BODY = 4  # ... and those just above the first long paragraph
TOP = 5  # without repeats, the title is headline-like and among the first segments
MIN_WORDS = 3
MAX_WORDS = 30
SENTENCE_WORDS = 12  # a longer segment ending with a full stop is a sentence, not a headline
BODY_WORDS = 25  # a paragraph this long is article text

_BYLINE = re.compile(
    r"^(?:by|written by|posted by|reporting by|words by|story by|report by|from)\s", re.I
)
_ROLE = re.compile(
    r"\b(?:staff writer|staff reporter|correspondent|reporter|columnist|contributor|"
    r"editor|news service|associated press|press association|agencies|bureau chief)\b"
)
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
    tokens = flat(normalized).split()
    words = [w for w in tokens if not w.isdigit()]
    if not MIN_WORDS <= len(words) <= MAX_WORDS or len(words) < 0.75 * len(tokens):
        return False  # too short or long, or a row of figures
    if len(words) > SENTENCE_WORDS and raw.rstrip().rstrip("\"'”’)").endswith("."):
        return False
    return not (is_date_line(normalized) or is_byline(normalized) or is_navigation(normalized))


def choose_title(
    raw: Sequence[str],
    normalized: Sequence[str],
    excluded: Sequence[bool],
    *,
    field_title: tuple[str, str] | None,
    ngram: int,
    threshold: float,
    body_words: Sequence[int],
) -> TitleChoice:
    """The title of an article given its segments' raw and normalised texts.

    ``excluded`` marks segments that cannot be the title or a repeat of it
    (boilerplate); ``field_title`` is the (raw, normalised) ``title`` field;
    ``body_words`` counts the words of each segment.
    """
    forms: dict[int, Forms] = {}

    def form(i: int) -> Forms:
        if i not in forms:
            forms[i] = Forms(raw[i], normalized[i])
        return forms[i]

    def repeats_of(headline: Headline, title: int | None) -> dict[int, Variant]:
        found = {}
        for j in range(len(raw)):
            if j == title or excluded[j] or body_words[j] > 60:
                continue
            variant = headline.match(form(j))
            if variant is not None:
                found[j] = variant
        return found

    if field_title is not None:
        headline = Headline(Forms(*field_title), ngram, threshold)
        return TitleChoice(None, headline, repeats_of(headline, None))

    n = len(raw)

    def eligible(i: int) -> bool:
        if excluded[i] or not headline_like(raw[i], normalized[i]):
            return False
        # a short line between rows of figures is a row label, not a headline
        return not (0 < i < n - 1 and is_figures(raw[i - 1]) and is_figures(raw[i + 1]))

    candidates = [i for i in range(min(n, WINDOW)) if eligible(i)][:FIRST]
    first_body = next((i for i in range(n) if body_words[i] >= BODY_WORDS), None)
    if first_body is not None:
        candidates += [
            i for i in range(max(0, first_body - BEFORE_BODY), first_body) if eligible(i)
        ]
    candidates = list(dict.fromkeys(candidates))
    best: tuple[int, int, TitleChoice] | None = None  # (words, -segment, choice)
    for c in candidates:
        headline = Headline(form(c), ngram, threshold)
        if not headline.usable:
            continue
        choices = []
        for j in range(n):  # a plainer copy of the headline inside this title-tag line
            if j == c or excluded[j] or body_words[j] > MAX_WORDS:
                continue
            if headline.contains(form(j)):
                plain = Headline(form(j), ngram, threshold)
                found = repeats_of(plain, j)
                if c in found:
                    choices.append(TitleChoice(j, plain, found))
        if not choices:  # not a title-tag line: the candidate itself, if repeated
            found = repeats_of(headline, c)
            if c != candidates[0]:  # a later candidate needs a plain copy, not a near one
                found = {j: v for j, v in found.items() if v.kind not in ("near", "teaser")}
            if found:
                choices.append(TitleChoice(c, headline, found))
        for choice in choices:
            assert choice.headline is not None and choice.segment is not None
            key = (len(choice.headline.words), -choice.segment)
            if best is None or key > best[:2]:
                best = (*key, choice)
    if best is not None:
        return best[2]
    top = next((c for c in candidates if c < TOP), None)
    if top is None:
        return TitleChoice(None, None)
    return TitleChoice(top, Headline(form(top), ngram, threshold))
