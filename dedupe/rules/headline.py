"""Rule 1: a segment that repeats the article's headline, exactly or as a variant.

Headlines are too short for word-shingle MinHash, so they are compared as word
sequences of their normalised text, after taking apart what scrapers and
title tags add around them:

* a label prefix or suffix: ``BREAKING:``, ``UPDATE 2-``, ``EXCLUSIVE-``,
  ``(VIDEO)``, ``- video``;
* site and section affixes of any length, at title separators (``|``, ``-``,
  ``–``, ``—``, ``:``, ``::``, ``»``, ``_``, ``·``, ``>``):
  ``Headline - Soccer - Sport - Breaking News - Belfast Telegraph``,
  ``Daily Star: Simply The Best :: Celeb News :: Headline``,
  ``Headline_English_Xinhua``; the headline is then a run of consecutive parts;
* a teaser cut with an ellipsis: the headline's first words (at least four)
  followed by ``…`` or ``...``;
* small edits: character 3-gram Jaccard of the word sequences ≥ the threshold,
  with the same first or last word (a list of the same names in another order
  is not an edit).

Figures must agree (``19 min ago`` does not repeat ``9 min ago``). An affix
never swallows the headline: the matched run must hold at least as many words
as any part left outside it, so a site name printed on its own line
(``Los Angeles Times``) is never taken for the headline of
``Some headline about the city - Los Angeles Times``; parts that the corpus
shows to be a site's affixes (recurring in the site's title tags, such as a
long slogan) do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..normalize import char_ngrams, jaccard

# Labels put in front of or after a headline, in normalised (case-folded) form.
_PREFIX = re.compile(
    r"^(?:breaking(?: news)?|update[d]?(?: \d+)?|exclusive(?: report)?|watch|video|live|"
    r"just in|opinion|analysis|photos?|pictures|gallery|news|listen|explainer|factbox|"
    r"corrected|refile|rpt|wrapup(?: \d+)?|insight|timeline|graphic|podcast|audio|"
    r"developing|urgent|alert|new|fact check)\s*(?::|\||-{1,2}|—)\s*"
)
_SUFFIX = re.compile(
    r"\s*(?:[(\[](?:video|photos?|pictures|watch|updated?|live|gallery|audio|podcast|"
    r"opinion|analysis|exclusive|breaking|with video|graphic)[)\]]|"
    r"(?:\||-{1,2}|—|:)\s*(?:video|photos?|pictures|watch|live|gallery|audio|podcast))\s*$"
)
# Separators between a headline and a site or section name.
_SEPARATOR = re.compile(r"\s+(?:\||-{1,2}|–|—|»|·|•|>|~|/|::)\s+|\s*::\s*|:\s+|_|\s+\|")
_WORD = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d+")
_ELLIPSIS = ("...", "…")
MIN_WORDS = 2  # shorter lines never repeat a headline
TEASER_MIN_WORDS = 4
MAX_PARTS = 12  # lines split into more parts are not title tags (navigation bars)
MAX_WORDS = 60  # longer segments never repeat a headline


def flat(normalized: str) -> str:
    """The words of normalised text, joined by single spaces (``_`` splits words)."""
    return " ".join(_WORD.findall(normalized))


def strip_labels(normalized: str) -> str:
    """``normalized`` without a label prefix (``breaking:``) and suffix (``(video)``)."""
    out = _PREFIX.sub("", normalized, count=1)
    return _SUFFIX.sub("", out, count=1)


def parts(normalized: str) -> list[str]:
    """The flat parts of a line split at title separators (empty parts dropped)."""
    found = [flat(p) for p in _SEPARATOR.split(normalized)]
    return [p for p in found if p]


def title_parts(normalized: str) -> list[str]:
    """The parts of a line that may be a title tag (2 to ``MAX_PARTS`` parts), else []."""
    if normalized.count(" ") >= MAX_WORDS or not _SEPARATOR.search(normalized):
        return []
    found = parts(normalized)
    if not 2 <= len(found) <= MAX_PARTS or sum(len(p.split()) for p in found) > MAX_WORDS:
        return []
    return found


def runs(normalized: str, affixes: frozenset[str] = frozenset()) -> dict[str, int]:
    """Every run of consecutive parts that could be a headline inside a title-tag line,
    mapped to the most words of a part left outside it (the affix guard); parts known
    to be a site's affixes (``affixes``: they recur in the site's title tags) count as
    no words, whatever their length."""
    out: dict[str, int] = {}
    for base in {normalized, strip_labels(normalized)}:
        pieces = parts(base)
        if len(pieces) > MAX_PARTS:
            pieces = pieces[:1] + pieces[-1:]
        sizes = [0 if p in affixes else len(p.split()) for p in pieces]
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces) + 1):
                outside = max(sizes[:i] + sizes[j:], default=0)
                run = " ".join(pieces[i:j])
                if run not in out or outside < out[run]:
                    out[run] = outside
    return out


@dataclass(frozen=True)
class Variant:
    """How a segment repeats a headline."""

    kind: str  # exact, case, label, affix, teaser, near
    score: float


class Forms:
    """The forms of one segment that headline matching compares, computed once."""

    __slots__ = (
        "_runs", "affixes", "flat", "normalized", "raw", "stripped", "vocabulary", "words"
    )  # fmt: skip

    def __init__(self, raw: str, normalized: str, affixes: frozenset[str] = frozenset()) -> None:
        self.raw = " ".join(raw.split())
        self.affixes = affixes
        self.normalized = normalized
        self.flat = flat(normalized)
        self.words = self.flat.split()
        self.vocabulary = frozenset(self.words)
        self.stripped = strip_labels(normalized)
        self._runs: dict[str, int] | None = None

    @property
    def runs(self) -> dict[str, int]:
        if self._runs is None:
            self._runs = runs(self.normalized, self.affixes)
        return self._runs


class Headline:
    """The title of one article, ready to be compared with its segments."""

    def __init__(self, title: Forms, ngram: int, threshold: float) -> None:
        self.forms = title
        self.flat = title.flat
        self.words = title.words
        self.ngram = ngram
        self.threshold = threshold
        self._grams = char_ngrams(self.flat, ngram)
        self._figures = _DIGITS.findall(self.flat)
        self._needed = max(1, len(set(self.words)) // 2)
        self.usable = len(self.words) >= MIN_WORDS

    def match(self, seg: Forms) -> Variant | None:
        """How the segment repeats the headline, if it does."""
        if not self.usable:
            return None
        if seg.flat == self.flat:
            return Variant("exact" if seg.raw == self.forms.raw else "case", 1.0)
        n_words = len(seg.words)
        if n_words > MAX_WORDS or n_words < MIN_WORDS:
            return None
        shared = len(self.forms.vocabulary & seg.vocabulary)
        if shared < min(self._needed, TEASER_MIN_WORDS):  # cheap: most cannot match
            return None
        if flat(seg.stripped) == self.flat:
            return Variant("label", 1.0)
        outside = seg.runs.get(self.flat)
        if outside is not None and outside <= len(self.words):
            return Variant("affix", 1.0)
        teaser = self._teaser(seg.stripped)
        if teaser is not None:
            return teaser
        if shared < self._needed:
            return None
        return self._near(seg.flat, flat(seg.stripped))

    def contains(self, seg: Forms) -> bool:
        """Whether this headline is a title-tag line holding the segment (a plainer copy
        of the headline) as a run of its parts, with no larger part left over."""
        if not seg.flat or seg.flat == self.flat or len(seg.words) < MIN_WORDS + 1:
            return False
        if not seg.vocabulary <= self.forms.vocabulary:
            return False
        outside = self.forms.runs.get(seg.flat)
        return outside is not None and outside <= len(seg.words)

    def _teaser(self, stripped: str) -> Variant | None:
        for run in [stripped, *(_SEPARATOR.split(stripped))]:
            text = run.rstrip()
            if not text.endswith(_ELLIPSIS):
                continue
            words = flat(text).split()
            n = len(words)
            if n < TEASER_MIN_WORDS or n > len(self.words):
                continue
            if n < len(self.words) and words == self.words[:n]:
                return Variant("teaser", n / len(self.words))
            # cut inside the last word ("Home-Entertainment...")
            if words[:-1] == self.words[: n - 1] and self.words[n - 1].startswith(words[-1]):
                return Variant("teaser", n / len(self.words))
        return None

    def _near(self, *candidates: str) -> Variant | None:
        best = 0.0
        size = len(self.flat)
        for candidate in dict.fromkeys(candidates):
            if (
                not self.threshold * size - self.ngram
                <= len(candidate)
                <= ((size + self.ngram) / self.threshold)
            ):
                continue
            if _DIGITS.findall(candidate) != self._figures:  # "19 min ago" is not "9 min ago"
                continue
            words = candidate.split()
            if words[:1] != self.words[:1] and words[-1:] != self.words[-1:]:
                continue  # an edit keeps the start or the end: not the same words reordered
            best = max(best, jaccard(char_ngrams(candidate, self.ngram), self._grams))
        return Variant("near", best) if best >= self.threshold else None
