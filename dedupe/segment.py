"""Split an article into segments with offsets, and cut segments out of it.

Two layouts occur in scraped text:

* blank-line separated paragraphs (any article with a blank line between two
  text lines): a segment is a run of non-blank lines;
* one paragraph per line: a segment is a line, except that hard-wrapped text
  (wire copy wrapped at a fixed width, like Reuters) is re-joined into its
  paragraphs, and the rows of a table into one block, so that a wrapped
  fragment such as ``said.`` or a row label such as ``Year`` is never judged
  on its own.

A segment spans whole lines without their final line break, so leading
indentation and trailing spaces belong to it and the separators in between
are pure line breaks and blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .records import Segment

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# A line ending in one of these closes a sentence, so a wrapped paragraph ends there.
_CLOSERS = tuple(".!?:;\"'”’)]»…")
WRAP_MAX_WIDTH = 100  # hard-wrapped text is wrapped at no more than this many characters
WRAP_MIN_WIDTH = 40
TABLE_MAX_WIDTH = 60  # longest line that can be a table row


_TEXT = re.compile(r"[^\s" + _INVISIBLE + r"]")  # a character that is not blank


def _is_blank(line: str) -> bool:
    """Only whitespace and invisible characters."""
    return _TEXT.search(line) is None


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of each line; ``end`` excludes the line break."""
    out = []
    for m in _LINE.finditer(text):
        start, end = m.span()
        if text[end - 1 : end] == "\n":
            end -= 1
            if text[end - 1 : end] == "\r" and end > start:
                end -= 1
        out.append((start, end, text[start:end]))
    return out


def _is_hard_wrapped(contents: list[str]) -> tuple[bool, int]:
    widths = [len(c.rstrip()) for c in contents]
    width = max(widths, default=0)
    if len(contents) < 3 or not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return False, width
    open_full = sum(
        1
        for c, w in zip(contents, widths)
        if w >= 0.6 * width and not c.rstrip().endswith(_CLOSERS)
    )
    return open_full >= 0.4 * len(contents), width


def _wrapped_joins(contents: list[str]) -> set[int]:
    """Hard-wrapped text: a line continues its paragraph unless the line before ends a sentence."""
    return {
        pos for pos in range(1, len(contents)) if not contents[pos - 1].rstrip().endswith(_CLOSERS)
    }


def _is_figures(line: str) -> bool:
    """A short line made largely of figures: ``Shr 1.23 dlrs vs 1.10 dlrs``, ``Pay April 30``."""
    tokens = line.split()
    if not tokens or len(line.strip()) > TABLE_MAX_WIDTH:
        return False
    numeric = sum(1 for t in tokens if any(ch.isdigit() for ch in t))
    return numeric >= 0.3 * len(tokens)


def _table_joins(contents: list[str]) -> set[int]:
    """Rows of a table (short lines made largely of figures, with their labels) form one
    segment.

    A row is a short line of which at least 30% of the words hold digits; a short
    line just above a row is its label (``Year``, ``Nine mths``). A run of two or
    more such lines holding at least two rows is joined. A headline or a
    copyright line with a year in it is not a row.
    """
    n = len(contents)
    figures = [_is_figures(c) for c in contents]
    short = [0 < len(c.strip()) <= TABLE_MAX_WIDTH for c in contents]
    member = [figures[p] or (short[p] and p + 1 < n and figures[p + 1]) for p in range(n)]
    joins: set[int] = set()
    p = 0
    while p < n:
        if not member[p]:
            p += 1
            continue
        end = p
        while end + 1 < n and member[end + 1]:
            end += 1
        if end > p and sum(figures[p : end + 1]) >= 2:
            joins.update(range(p + 1, end + 1))
        p = end + 1
    return joins


def segment(text: str) -> list[Segment]:
    """The segments of ``text`` in order, with character offsets."""
    lines = _lines(text)
    blank = [_is_blank(c) for _, _, c in lines]
    text_rows = [i for i, b in enumerate(blank) if not b]
    if not text_rows:
        return []
    paragraph_layout = any(blank[text_rows[0] : text_rows[-1]])
    groups: list[list[int]] = []
    if paragraph_layout:
        previous = -2
        for i in text_rows:
            if i == previous + 1:
                groups[-1].append(i)
            else:
                groups.append([i])
            previous = i
    else:
        contents = [lines[i][2] for i in text_rows]
        wrapped, _ = _is_hard_wrapped(contents)
        joins = _wrapped_joins(contents) if wrapped else _table_joins(contents)
        for pos, i in enumerate(text_rows):
            if pos in joins:
                groups[-1].append(i)
            else:
                groups.append([i])
    segments = []
    for index, group in enumerate(groups):
        start, end = lines[group[0]][0], lines[group[-1]][1]
        segments.append(Segment(index, start, end, text[start:end]))
    return segments


def cuts(text: str, segments: list[Segment], removed: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The span cut out of ``text`` for each removed segment index.

    A removed segment takes the separator that follows it, or, when no kept
    segment follows, the separator before it; so the kept segments keep their
    own separators and the text keeps its leading and trailing whitespace.
    The spans never overlap.
    """
    return cut_spans([s.start for s in segments], [s.end for s in segments], removed)


def cut_spans(
    starts: Sequence[int], ends: Sequence[int], removed: Iterable[int]
) -> dict[int, tuple[int, int]]:
    """`cuts`, given the segments' start and end offsets."""
    gone = set(removed)
    spans: dict[int, tuple[int, int]] = {}
    if not gone:
        return spans
    kept_after = False
    for i in range(len(starts) - 1, -1, -1):
        if i not in gone:
            kept_after = True
            continue
        if kept_after:
            spans[i] = (starts[i], starts[i + 1])
        elif i > 0:
            spans[i] = (ends[i - 1], ends[i])
        else:
            spans[i] = (starts[i], ends[i])
    return spans


def splice(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the given non-overlapping spans."""
    parts = []
    pos = 0
    for start, end in sorted(spans):
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def unsplice(cleaned: str, pieces: Iterable[tuple[int, str]]) -> str:
    """Undo `splice`: re-insert each cut text at its offset in the original."""
    parts = []
    pos = 0  # position in cleaned
    out_len = 0  # length of the original rebuilt so far
    for start, piece in sorted(pieces):
        take = start - out_len
        parts.append(cleaned[pos : pos + take])
        parts.append(piece)
        pos += take
        out_len = start + len(piece)
    parts.append(cleaned[pos:])
    return "".join(parts)
