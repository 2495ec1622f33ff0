"""Rule 3: segments that recur across many different stories of the corpus.

Counting is by *story*, not by article: syndicated copies of one wire story
share their paragraphs, and those paragraphs are the story, not boilerplate.
A segment is boilerplate when it recurs in at least ``min_docs`` stories and
in at least ``min_share`` of all stories: template sentences of the content
("Terms were not disclosed.") recur too, but in a small share of a corpus,
while a site's boilerplate is on most of its pages.
"""

from __future__ import annotations


class BoilerplateCounter:
    """Distinct stories per normalised segment key, and where each key was first seen."""

    def __init__(self, min_docs: int, min_share: float) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self._stories: dict[int, set[int] | int] = {}  # one story as an int, more as a set
        self._first: dict[int, tuple[int, int]] = {}
        self._all: set[int] = set()
        self._cutoff: float | None = None

    def add(self, key: int, story: int, doc: int, segment: int) -> None:
        self._all.add(story)
        self._cutoff = None
        seen = self._stories.get(key)
        if seen is None:
            self._stories[key] = story
            self._first[key] = (doc, segment)
        elif isinstance(seen, set):
            seen.add(story)
        elif seen != story:
            self._stories[key] = {seen, story}

    def stories(self, key: int) -> int:
        seen = self._stories.get(key)
        if seen is None:
            return 0
        return len(seen) if isinstance(seen, set) else 1

    @property
    def cutoff(self) -> float:
        """Stories a key must recur in to be boilerplate."""
        if self._cutoff is None:
            self._cutoff = max(float(self.min_docs), self.min_share * len(self._all))
        return self._cutoff

    def is_boilerplate(self, key: int) -> bool:
        return self.stories(key) >= self.cutoff

    def first(self, key: int) -> tuple[int, int] | None:
        """(document number, segment index) where the key was first seen."""
        return self._first.get(key)
