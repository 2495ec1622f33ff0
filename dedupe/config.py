"""One validated, frozen settings object for the whole cleaner.

Every threshold, size and seed that changes what is removed lives here, so that
a run is reproducible from its config alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ConfigError

KeepPolicy = Literal["first", "longest"]


@dataclass(frozen=True)
class CleanerConfig:
    """Settings of a `Cleaner`. Defaults are the documented behaviour of `dedupe clean`.

    Rules (each on by default):
      headlines    -- drop later segments that repeat the article's title.
      paragraphs   -- drop segments that repeat an earlier segment of the same article.
      boilerplate  -- drop segments that recur in many different stories of the corpus.
      documents    -- drop articles whose cleaned body duplicates an article kept earlier.
    """

    headlines: bool = True
    paragraphs: bool = True
    boilerplate: bool = True
    documents: bool = True

    # MinHash: datasketch 2.x "affine32" permutations, fixed seed.
    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5  # word n-grams for article bodies

    # Headlines: character n-gram Jaccard between normalised title and segment.
    headline_ngram: int = 3
    headline_threshold: float = 0.85

    # Repeated paragraphs within one article.
    paragraph_ngram: int = 2  # word n-grams (bigrams: one edited word costs little)
    paragraph_threshold: float = 0.8  # Jaccard of word n-gram sets
    paragraph_containment: float = 0.95  # share of a later segment found in an earlier one
    paragraph_min_words: int = 8  # shorter segments repeat only as boilerplate or headline

    # Boilerplate across the corpus.
    boilerplate_min_docs: int = 5  # distinct stories a segment must recur in ...
    boilerplate_min_share: float = 0.0  # ... and, if set, this share of its site's stories
    # weaker evidence needs this share of its site's stories too: a line that reads as
    # article text, or a line matched only by its shape (a timestamp, a counter)
    weak_min_share: float = 0.01
    site_field: str | None = None  # record field naming the site: count boilerplate per site
    url_field: str | None = "url"  # else the host of this field's URL names the site
    story_threshold: float = 0.5  # raw articles this similar count as one story

    # Layout: a string joining paragraphs on one line (" ### "); found when unset.
    paragraph_separator: str | None = None

    # Near-duplicate articles.
    document_threshold: float = 0.5  # estimated Jaccard of cleaned bodies
    document_containment: float = 0.8  # estimated share of one body inside the other
    document_min_words: int = 20  # shorter bodies are never dropped as duplicates
    lsh_bands: int = 42
    lsh_rows: int = 3
    keep: KeepPolicy = "first"

    def __post_init__(self) -> None:
        _check(self.num_perm >= 16, "num_perm must be at least 16")
        _check(0 <= self.seed < 2**32, "seed must be in [0, 2**32)")
        for name in ("shingle_size", "headline_ngram", "paragraph_ngram"):
            _check(getattr(self, name) >= 1, f"{name} must be at least 1")
        for name in (
            "headline_threshold",
            "paragraph_threshold",
            "paragraph_containment",
            "story_threshold",
            "document_threshold",
            "document_containment",
        ):
            value = getattr(self, name)
            _check(0.0 < value <= 1.0, f"{name} must be in (0, 1], got {value!r}")
        for name in ("boilerplate_min_share", "weak_min_share"):
            value = getattr(self, name)
            _check(0.0 <= value <= 1.0, f"{name} must be in [0, 1], got {value!r}")
        _check(self.boilerplate_min_docs >= 2, "boilerplate_min_docs must be at least 2")
        _check(
            self.paragraph_separator is None or bool(self.paragraph_separator.strip()),
            "paragraph_separator must hold a visible character",
        )
        for name in ("paragraph_min_words", "document_min_words"):
            _check(getattr(self, name) >= 1, f"{name} must be at least 1")
        _check(self.lsh_bands >= 1 and self.lsh_rows >= 1, "lsh_bands and lsh_rows must be >= 1")
        _check(
            self.lsh_bands * self.lsh_rows <= self.num_perm,
            f"lsh_bands * lsh_rows ({self.lsh_bands * self.lsh_rows}) exceeds num_perm "
            f"({self.num_perm})",
        )
        _check(
            self.keep in ("first", "longest"),
            f"keep must be 'first' or 'longest', got {self.keep!r}",
        )

    def replace(self, **changes: Any) -> CleanerConfig:
        """A copy with some settings changed (validated again)."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as exc:  # unknown field name
            raise ConfigError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
