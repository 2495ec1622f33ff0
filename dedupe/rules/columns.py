"""Rows of a plain-text table: lines laid out in columns.

Wire copy and exported reports print tables as text: cells separated by runs of
spaces (or tabs) so that they line up under a header row::

        SHIPMENT    BASIS      CBT MONTH    PREV
        Soybean (cents per bushel)
        May         2/1 D      May          unch

A multi-table report prints the header row again over each table, so a header
row is often repeated within one article; it is part of the article, never its
headline. A headline is a phrase read left to right: it is never split into
three or more cells that line up with the lines next to it.

A line is a *table row* when it holds at least ``MIN_CELLS`` cells of at most
``CELL_WORDS`` words each, separated by runs of two or more spaces or by tabs,
and a line within ``REACH`` lines above or below it is another such line that

* lines up with it: at least ``MIN_SHARED`` cell edges in common (cells
  starting or ending at the same column, tabs expanded; left-, right- and
  mixed-aligned columns all share edges), with a gap of three or more spaces in
  one of the two (text whose spaces are all doubled is not a table); or
* is a row of figures (`dedupe.segment.is_figures`), such as the
  ``Wheat   2.55   2.40   IV   4.65   --`` under a two-line header.

A segment is *part of a table* (`Layout.part_of_table`) when it holds a table
row, or when it stands inside a table: a table row or a row of figures (two
different ones in a row, not dates, as the segmenter joins them) among the
``REACH`` lines above it and among those below it, as a caption, a footnote or
a row label between two tables does (``X - Less than 5,000 bales.``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..normalize import is_date_line
from ..segment import is_figures

MIN_CELLS = 3  # a line split into fewer cells is a phrase with a wide space in it
CELL_WORDS = 5  # a longer cell is running text, not a table cell
REACH = 3  # how many lines above and below a row its table is looked for
MIN_SHARED = 2  # cell edges two rows of one table have in common
TAB = 8

_GAP = re.compile(r"\S(?: {2,}|\t)")  # a cell boundary: two spaces or a tab after text
_WIDE = re.compile(r"  (?<=\S  )")  # two spaces after text (a literal first: fast to find)
_TAB = re.compile(r"\S\t")
_CELL_GAP = re.compile(r" {2,}")
_CELL = re.compile(r"\S+(?: \S+)*")


def _expand(line: str) -> str:
    """``line`` with each tab replaced by spaces up to the next tab stop, and by at least
    two spaces, so that a tab always separates cells."""
    if "\t" not in line:
        return line
    out: list[str] = []
    width = 0
    for ch in line:
        if ch == "\t":
            pad = TAB - width % TAB
            if pad < 2:
                pad += TAB
            out.append(" " * pad)
            width += pad
        else:
            out.append(ch)
            width += 1
    return "".join(out)


class Row:
    """The cells of one line: their (start, end) columns and widest gap."""

    __slots__ = ("cells", "gap")

    def __init__(self, line: str) -> None:
        text = _expand(line.rstrip())
        self.cells = [(m.start(), m.end()) for m in _CELL.finditer(text)]
        if any(text[a:b].count(" ") >= CELL_WORDS for a, b in self.cells):
            self.cells = []  # a cell of running text: not a row
        self.gap = max((len(m.group()) for m in _CELL_GAP.finditer(text.strip())), default=0)

    @property
    def columnar(self) -> bool:
        return len(self.cells) >= MIN_CELLS

    def lines_up(self, other: Row) -> bool:
        """Whether the two rows share at least ``MIN_SHARED`` cell edges (the first cell's
        start, the indentation, does not count)."""
        if max(self.gap, other.gap) < 3:
            return False
        starts = {a for a, _ in self.cells[1:]} & {a for a, _ in other.cells[1:]}
        ends = {b for _, b in self.cells} & {b for _, b in other.cells}
        return len(starts) + len(ends) >= MIN_SHARED


def maybe_row(line: str) -> bool:
    """Cheap test: whether ``line`` has two or more cell boundaries (runs of two spaces or
    tabs between text); nearly every line of prose fails it."""
    gaps = _GAP.findall(line.strip())
    return len(gaps) >= MIN_CELLS - 1


def table_row(lines: Sequence[str], at: int) -> bool:
    """Whether ``lines[at]`` is a row of a table laid out in columns (see the module
    docstring); ``lines`` are the article's lines in order (blank ones are skipped)."""
    if not maybe_row(lines[at]):
        return False
    row = Row(lines[at])
    if not row.columnar:
        return False
    for step in (1, -1):
        seen = 0
        j = at + step
        while 0 <= j < len(lines) and seen < REACH:
            line = lines[j]
            j += step
            if not line.strip():
                continue
            seen += 1
            if not maybe_row(line):
                continue
            other = Row(line)
            if other.columnar and (row.lines_up(other) or is_figures(line)):
                return True
    return False


Line = tuple[int, int]  # (segment, line within the segment)


class Layout:
    """The lines of an article's segments, to ask which segments belong to a table.

    Only the segments near those asked about are split into lines (a huge article is
    never copied whole)."""

    def __init__(self, segments: Sequence[str]) -> None:
        self.segments = segments
        self._split: dict[int, list[str]] = {}
        self._rows: dict[Line, bool] = {}  # whether a line is a table row
        self._tabular: dict[Line, bool] = {}  # ... a table row or a row of figures

    def _lines(self, i: int) -> list[str]:
        if i not in self._split:
            self._split[i] = self.segments[i].splitlines() or [""]
        return self._split[i]

    def _text(self, at: Line) -> str:
        return self._lines(at[0])[at[1]]

    def _walk(self, at: Line, step: int, count: int) -> list[Line]:
        """The first ``count`` lines that are not blank after (``step`` 1) or before (-1)
        line ``at``, across segments."""
        found: list[Line] = []
        i, k = at
        k += step
        while len(found) < count:
            if not 0 <= k < len(self._lines(i)):
                i += step
                if not 0 <= i < len(self.segments):
                    break
                k = 0 if step > 0 else len(self._lines(i)) - 1
                continue
            if self._lines(i)[k].strip():
                found.append((i, k))
            k += step
        return found

    def _row(self, at: Line) -> bool:
        if at not in self._rows:
            window = [*reversed(self._walk(at, -1, REACH)), at, *self._walk(at, 1, REACH)]
            texts = [self._text(w) for w in window]
            self._rows[at] = table_row(texts, window.index(at))
        return self._rows[at]

    def _figures(self, at: Line) -> bool:
        line = self._text(at)
        return is_figures(line) and not is_date_line(line.casefold())

    def _table_line(self, at: Line) -> bool:
        """A table row, or one of two different rows of figures in a row (not dates):
        ``16.00  130p  unch`` above ``17.00  135pn unch``."""
        if at not in self._tabular:
            found = self._row(at)
            if not found and self._figures(at):
                text = self._text(at).strip()
                found = any(
                    self._text(near).strip() != text and self._figures(near)
                    for step in (1, -1)
                    for near in self._walk(at, step, 1)
                )
            self._tabular[at] = found
        return self._tabular[at]

    def part_of_table(self, i: int) -> bool:
        """Whether segment ``i`` holds a table row or stands inside a table."""
        return self.holds_row(i) or self.in_table(i)

    def holds_row(self, i: int) -> bool:
        """Whether segment ``i`` holds a row of a table laid out in columns (a header
        row included)."""
        text = self.segments[i]
        if not _WIDE.search(text) and not ("\t" in text and _TAB.search(text)):
            return False  # no wide space after text (nearly always: cheap)
        return any(self._row((i, k)) for k in range(len(self._lines(i))))

    def in_table(self, i: int) -> bool:
        """Whether segment ``i`` stands inside a table: a table line (`_table_line`) is
        among the ``REACH`` lines above it and among the ``REACH`` lines below it (a
        caption or footnote between two tables, a label between rows)."""
        if not any(self._table_line(at) for at in self._walk((i, 0), -1, REACH)):
            return False
        last = (i, len(self._lines(i)) - 1)
        return any(self._table_line(at) for at in self._walk(last, 1, REACH))
