"""L3S-GN1 annotated pages dumped as a "get all text" scraper would, with a label per line.

The annotated HTML wraps every text block in ``<span class="x-nc-selN">``
(0 not content, 1 headline, 2 full text, 3 supplemental, 4 related content,
5 comments).  A *block* is, as in the data set's definition, a run of text not
interrupted by a tag other than ``<a>`` (the annotation spans themselves are
transparent); ``<script>``, ``<style>`` and elements marked ``x-nc-invisible``
are skipped.  A page becomes: its ``<title>`` text, then one line per block, each
with whitespace runs collapsed to one space; empty blocks are left out.  A
block's label is the label carrying most of its non-space characters (the
innermost annotation span around each piece of text; text outside every
annotation span is 0); the first line's label is ``TITLE``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

TITLE = -1  # label of the <title> line
LABELS = {
    TITLE: "title tag",
    0: "not content",
    1: "headline",
    2: "full text",
    3: "supplemental",
    4: "related",
    5: "comments",
}
_SEL = re.compile(r"x-nc-sel(\d)")
_SKIP = frozenset({"script", "style"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"}
    | {"track", "wbr"}
)
_INLINE = frozenset({"a"})


@dataclass
class Page:
    title: str | None
    blocks: list[tuple[str, int]] = field(default_factory=list)
    mixed: int = 0  # blocks whose text carried more than one label

    def lines(self) -> list[tuple[str, int]]:
        head = [(self.title, TITLE)] if self.title else []
        return head + self.blocks


class _Dumper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page(None)
        self._parts: list[str] = []
        self._chars: Counter[int] = Counter()
        self._spans: list[int | None] = []  # open <span>s: annotation label or None
        self._skip: str | None = None  # tag whose content is being skipped
        self._skip_depth = 0
        self._title: list[str] | None = None

    def _label(self) -> int:
        for lab in reversed(self._spans):
            if lab is not None:
                return lab
        return 0

    def flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            label = min(self._chars, key=lambda k: (-self._chars[k], k))
            self.page.blocks.append((text, label))
            self.page.mixed += len(self._chars) > 1
        self._parts = []
        self._chars = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth += 1
            return
        classes = " ".join(v or "" for k, v in attrs if k == "class").split()
        if tag in _SKIP or "x-nc-invisible" in classes:
            if tag not in _VOID:
                self.flush()
                self._skip, self._skip_depth = tag, 1
            return
        if tag == "title":
            self._title = []
            return
        if tag == "span":
            sel = [int(m.group(1)) for c in classes if (m := _SEL.fullmatch(c))]
            self._spans.append(sel[0] if sel else None)
            if sel:
                return  # annotation spans do not break blocks
        if tag not in _INLINE:
            self.flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is None and tag not in _INLINE and tag != "span":
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip = None
            return
        if tag == "title" and self._title is not None:
            if self.page.title is None:
                self.page.title = " ".join("".join(self._title).split()) or None
            self._title = None
            return
        if tag == "span" and self._spans and self._spans.pop() is not None:
            return
        if tag not in _INLINE:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self._skip is not None:
            return
        if self._title is not None:
            self._title.append(data)
            return
        self._parts.append(data)
        n = sum(1 for c in data if not c.isspace())
        if n:
            self._chars[self._label()] += n


def dump(html: str) -> Page:
    """The page's title and labelled blocks, in document order."""
    parser = _Dumper()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.page
