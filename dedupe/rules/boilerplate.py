"""Rule 3: segments that recur across many different stories of the corpus.

Counting is by *story*, not by article: syndicated copies of one wire story
share their paragraphs, and those paragraphs are the story, not boilerplate.
A segment is boilerplate when it recurs in at least ``min_docs`` stories and
in at least ``min_share`` of all stories: template sentences of the content
("Terms were not disclosed.") recur too, but in a small share of a corpus,
while a site's boilerplate is on most of its pages.

When articles say which site they come from (``CleanerConfig.site_field``),
segments are counted per site, so text that many sites quote (a tweet, a
statement) is not mistaken for any one site's boilerplate.
"""

from __future__ import annotations

import xxhash


class BoilerplateCounter:
    """Distinct stories per normalised segment key, and where each key was first seen."""

    def __init__(self, min_docs: int, min_share: float) -> None:
        self.min_docs = min_docs
        self.min_share = min_share
        self._stories: dict[int, set[int] | int] = {}  # one story as an int, more as a set
        self._first: dict[int, tuple[int, int]] = {}
        self._site_stories: dict[str, set[int]] = {}
        self._cutoffs: dict[str, float] = {}

    @staticmethod
    def site_key(key: int, site: str) -> int:
        """The counting key of a segment key on a site ("" when sites are not known)."""
        return key if not site else hash_pair(key, site)

    def add(self, key: int, story: int, doc: int, segment: int, site: str = "") -> None:
        self._site_stories.setdefault(site, set()).add(story)
        self._cutoffs.clear()
        key = self.site_key(key, site)
        seen = self._stories.get(key)
        if seen is None:
            self._stories[key] = story
            self._first[key] = (doc, segment)
        elif isinstance(seen, set):
            seen.add(story)
        elif seen != story:
            self._stories[key] = {seen, story}

    def stories(self, key: int, site: str = "") -> int:
        seen = self._stories.get(self.site_key(key, site))
        if seen is None:
            return 0
        return len(seen) if isinstance(seen, set) else 1

    def cutoff(self, site: str = "") -> float:
        """Stories a key must recur in on ``site`` to be boilerplate."""
        if site not in self._cutoffs:
            total = len(self._site_stories.get(site, ()))
            self._cutoffs[site] = max(float(self.min_docs), self.min_share * total)
        return self._cutoffs[site]

    def is_boilerplate(self, key: int, site: str = "") -> bool:
        return self.stories(key, site) >= self.cutoff(site)

    def first(self, key: int, site: str = "") -> tuple[int, int] | None:
        """(document number, segment index) where the key was first seen."""
        return self._first.get(self.site_key(key, site))


def hash_pair(key: int, site: str) -> int:
    return xxhash.xxh3_64_intdigest(
        key.to_bytes(8, "little") + site.encode("utf-8", "surrogatepass")
    )
