"""Rule 3: segments that recur across many different stories of the corpus.

Counting is by *story*, not by article: syndicated copies of one wire story
share their paragraphs, and those paragraphs are the story, not boilerplate.
The counter keeps at most ``min_docs`` story numbers per segment key, so its
memory is bounded per distinct segment.
"""

from __future__ import annotations


class BoilerplateCounter:
    """Distinct stories per normalised segment key, and where each key was first seen."""

    def __init__(self, min_docs: int) -> None:
        self.min_docs = min_docs
        self._stories: dict[int, set[int] | int] = {}
        self._first: dict[int, tuple[int, int]] = {}

    def add(self, key: int, story: int, doc: int, segment: int) -> None:
        seen = self._stories.get(key)
        if seen is None:
            self._stories[key] = {story}
            self._first[key] = (doc, segment)
        elif isinstance(seen, set):
            seen.add(story)
            if len(seen) >= self.min_docs:
                self._stories[key] = len(seen)  # saturated: no need to remember which

    def stories(self, key: int) -> int:
        seen = self._stories.get(key)
        if seen is None:
            return 0
        return seen if isinstance(seen, int) else len(seen)

    def is_boilerplate(self, key: int) -> bool:
        return self.stories(key) >= self.min_docs

    def first(self, key: int) -> tuple[int, int] | None:
        """(document number, segment index) where the key was first seen."""
        return self._first.get(key)
