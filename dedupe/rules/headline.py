"""Rule 1: a later segment that repeats the article's headline.

Headlines are too short for word-shingle MinHash, so they are compared as
character 3-gram sets of their normalised words, after trying the variants a
scraper produces: a prefix such as ``BREAKING:``, a site name appended or
prepended (``Title | Site``, ``Site - Title``).
"""

from __future__ import annotations

import re

from ..normalize import char_ngrams, jaccard, words

# Labels put in front of a headline, in normalised (case-folded) form.
_PREFIX = re.compile(
    r"^(?:breaking(?: news)?|update[d]?|exclusive|watch|video|live|just in|opinion|analysis|"
    r"photos?|news|listen|explainer|factbox|exclusive report)\s*[:|\-]\s*"
)
# Separators between a headline and a site or section name.
_AFFIX = re.compile(r"\s+(?:\||-|::|·|•|//|/|»|~)\s+")
_DIGITS = re.compile(r"\d+")
MAX_AFFIX_WORDS = 6
MIN_WORDS = 2


def _flat(normalized: str) -> str:
    return " ".join(words(normalized))


def variants(normalized: str) -> set[str]:
    """The headline itself, without a label prefix, and without one site affix."""
    bases = {normalized, _PREFIX.sub("", normalized)}
    out = set()
    for base in bases:
        out.add(_flat(base))
        parts = _AFFIX.split(base)
        if len(parts) > 1:
            first, last = parts[0], parts[-1]
            if len(words(last)) <= MAX_AFFIX_WORDS:
                out.add(_flat(base[: base.rfind(last)]))
            if len(words(first)) <= MAX_AFFIX_WORDS:
                out.add(_flat(base[len(first) :]))
    return {v for v in out if len(v.split()) >= MIN_WORDS}


class Headline:
    """The title of one article, ready to be compared with its segments."""

    def __init__(self, normalized_title: str, ngram: int, threshold: float) -> None:
        self.threshold = threshold
        self.ngram = ngram
        self._variants = {v: char_ngrams(v, ngram) for v in variants(normalized_title)}
        self._longest = max((len(v) for v in self._variants), default=0)
        self._shortest = min((len(v) for v in self._variants), default=0)
        self._figures = {v: _DIGITS.findall(v) for v in self._variants}

    def match(self, normalized: str) -> float:
        """Similarity of a segment to the headline (0.0 when it is not a repeat)."""
        # Jaccard >= t needs lengths within a factor t (n-gram sets grow with length).
        size = len(normalized)
        if not self._variants or size > 3 * self._longest + 60:
            return 0.0
        if size < self.threshold * self._shortest - self.ngram:
            return 0.0
        best = 0.0
        for v in variants(normalized):
            if v in self._variants:
                return 1.0
            grams: set[str] | None = None
            figures = _DIGITS.findall(v)
            for title, title_grams in self._variants.items():
                if (
                    not self.threshold * len(title) - self.ngram
                    <= len(v)
                    <= (len(title) + self.ngram) / self.threshold
                ):
                    continue
                if figures != self._figures[title]:  # "19 min ago" is not "9 min ago"
                    continue
                grams = grams if grams is not None else char_ngrams(v, self.ngram)
                best = max(best, jaccard(grams, title_grams))
        return best if best >= self.threshold else 0.0
