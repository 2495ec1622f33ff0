"""Split an article into segments with offsets, and cut segments out of it.

Four layouts occur in scraped text:

* blank-line separated paragraphs (any article with a blank line between two
  text lines): a segment is a run of non-blank lines;
* one paragraph per line: a segment is a line, except that hard-wrapped text
  (wire copy wrapped at a fixed width, like Reuters) is re-joined into its
  paragraphs (at indented lines when paragraphs are indented, else after lines
  that end a sentence), and the rows of a table into one block, so that a
  wrapped fragment such as ``said.`` or a row label such as ``Year`` is never
  judged on its own;
* paragraphs joined by a marker on one line (`` ### `` in some dumps): given as
  ``separator``, or, in a text of one line, found when a run of three or more
  ``#*=~-_+`` characters between spaces joins it three times or more: a
  segment is a piece;
* no line break at all (one-paragraph extractions, text whose whitespace was
  collapsed): a segment is a sentence, and a headline printed several times
  at the start (``Title Title Body...``) is split off as one segment per copy.

A segment spans whole lines without their final line break, so leading
indentation and trailing spaces belong to it and the separators in between
are pure line breaks and blank lines.
"""

from __future__ import annotations

import array
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

from .normalize import is_date_line
from .records import Segment

if TYPE_CHECKING:
    import numpy as np

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# A line ending in one of these closes a sentence, so a wrapped paragraph ends there.
_CLOSERS = tuple(".!?:;\"'”’)]»…")
WRAP_MAX_WIDTH = 100  # hard-wrapped text is wrapped at no more than this many characters
WRAP_MIN_WIDTH = 40
TABLE_MAX_WIDTH = 60  # longest line that can be a table row
FIGURES_SHARE = 0.25  # a table row has at least this share of figures among its words
MARKER_MIN_COUNT = 3  # a marker joining at least this many pieces is a paragraph separator
HEADLINE_MAX_WORDS = 40  # longest headline split off the start of a one-line text
# How a segment was found (`Segment.kind`); `Spans` holds the index into this.
KINDS = ("paragraph", "line", "wrapped", "table", "piece", "sentence", "headline")
_CODE = {kind: code for code, kind in enumerate(KINDS)}

_TEXT_START = re.compile(r"\S")  # the first character that is not whitespace
_TEXT = re.compile(r"[^\s" + _INVISIBLE + r"]")  # a character that is not blank
_MARKER = re.compile(r" ([#*=~_+-])\1{2,} ")
# A sentence ends at . ! ? or … (with closing quotes or brackets), before spaces and a
# capital letter, a digit or an opening quote or bracket.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[\"'”’)\]]*(?P<gap>\s+)(?=[\"'“‘(\[]?[^\W\d_a-z]|\d)", re.UNICODE
)
# Words before a full stop that does not end a sentence: titles, months, initials.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "pres",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "nos",
        "vs",
        "v",
        "etc",
        "inc",
        "corp",
        "co",
        "ltd",
        "bros",
        "ave",
        "blvd",
        "rd",
        "dept",
        "univ",
        "est",
        "approx",
        "fig",
        "vol",
        "op",
        "ed",
    ]
)
_WORD_SPAN = re.compile(r"\w+")
_FIGURE_HINT = re.compile(
    r"\d|\b(?:vs|nil|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty)\b",
    re.IGNORECASE,
)
# A whitespace-separated token that holds a digit or is a number word (or "vs").
_FIGURE_TOKEN = re.compile(
    r"(?<!\S)(?:\S*\d\S*|(?:vs|nil|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty)"
    r"[^\w\s]*)(?!\S)",
    re.IGNORECASE,
)


_DROP_INVISIBLE = str.maketrans(dict.fromkeys(_INVISIBLE))


def _is_blank(line: str) -> bool:
    """Only whitespace and invisible characters."""
    stripped = line.strip()
    if not stripped:
        return True
    return stripped[0] in _INVISIBLE and not stripped.translate(_DROP_INVISIBLE).strip()


class Spans:
    """The segments of a text as columns: start and end offsets and a kind code (an
    index into `KINDS`) each, in compact arrays (a huge text has millions)."""

    __slots__ = ("ends", "kinds", "starts")

    def __init__(self) -> None:
        self.starts = array.array("q")
        self.ends = array.array("q")
        self.kinds = bytearray()

    def add(self, start: int, end: int, kind: str) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.kinds.append(_CODE[kind])

    def __len__(self) -> int:
        return len(self.starts)


class Texts(Sequence[str]):
    """The texts of a text's segments, sliced from it when asked for (never all kept)."""

    def __init__(
        self, text: str, starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray
    ) -> None:
        self.text, self.starts, self.ends = text, starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.text[int(self.starts[i]) : int(self.ends[i])]


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text[start:end]``; ``end`` excludes the line break
    (and a ``\r`` before it); after the last line break, a line only if not empty."""
    pos = start
    while True:
        cut = text.find("\n", pos, end)
        if cut < 0:
            if pos < end:
                yield pos, end
            return
        yield pos, (cut - 1 if cut > pos and text[cut - 1] == "\r" else cut)
        pos = cut + 1


class _Rows:
    """What the layout rules need of each text line (a non-blank line) of a block
    without blank lines, one column each, computed line by line."""

    def __init__(self, text: str, starts: Sequence[int], ends: Sequence[int]) -> None:
        self.widths = array.array("q")  # without trailing spaces
        self.closed = bytearray()  # ends a sentence
        self.indented = bytearray()
        self.figures = bytearray()  # a row of figures (`is_figures`)
        self.dates = bytearray()  # a row of figures that is a date line
        self.short = bytearray()  # 1 to TABLE_MAX_WIDTH characters without outer spaces
        for a, b in zip(starts, ends):
            line = text[a:b]
            trimmed = line.rstrip()
            figures = is_figures(line)
            self.widths.append(len(trimmed))
            self.closed.append(trimmed.endswith(_CLOSERS))
            self.indented.append(line[:1].isspace())
            self.figures.append(figures)
            self.dates.append(figures and is_date_line(line.casefold()))
            self.short.append(0 < len(line.strip()) <= TABLE_MAX_WIDTH)

    def __len__(self) -> int:
        return len(self.widths)


def _is_hard_wrapped(rows: _Rows) -> bool:
    """Whether lines were wrapped at a fixed width: many long lines that do not end a
    sentence, or paragraphs that start with an indented line and continue unindented."""
    width = max(rows.widths, default=0)
    if len(rows) < 3 or not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return False
    if _indented_paragraphs(rows):
        return True
    open_full = sum(1 for w, c in zip(rows.widths, rows.closed) if w >= 0.6 * width and not c)
    return open_full >= 0.4 * len(rows)


def _indented_paragraphs(rows: _Rows) -> bool:
    """Wire copy: paragraphs start with an indented line and continue unindented after a
    line that does not end a sentence."""
    indented = rows.indented
    if sum(indented[1:]) < 2:
        return False
    return any(not indented[p] and not rows.closed[p - 1] for p in range(1, len(rows)))


def _wrapped_joins(rows: _Rows) -> bytearray:
    """Hard-wrapped text: when paragraphs start with an indented line (wire copy), a line
    continues its paragraph unless it is indented; otherwise unless the line before
    ends a sentence. One flag per line: it continues the line before."""
    joins = bytearray(len(rows))
    indented = _indented_paragraphs(rows)
    for pos in range(1, len(rows)):
        joins[pos] = not rows.indented[pos] if indented else not rows.closed[pos - 1]
    return joins


def is_figures(line: str) -> bool:
    """A short line made largely of figures (a quarter of its words or more, counting
    number words and the ``vs`` of comparisons): ``Shr 1.23 dlrs vs 1.10 dlrs``,
    ``Pay April 30``, ``Record March nine``, ``Revs nil vs nil``."""
    if len(line) > TABLE_MAX_WIDTH and len(line.strip()) > TABLE_MAX_WIDTH:
        return False
    if not _FIGURE_HINT.search(line):
        return False  # no digit and no number word: the common case, decided cheaply
    tokens = line.split()
    return bool(tokens) and len(_FIGURE_TOKEN.findall(line)) >= FIGURES_SHARE * len(tokens)


def _table_joins(text: str, starts: Sequence[int], ends: Sequence[int], rows: _Rows) -> bytearray:
    """Rows of a table (short lines made largely of figures, with their labels) form one
    segment. One flag per line: it continues the line before in a table.

    A row is a short line of which at least a quarter of the words are figures; a
    short line just above a row is its label (``Year``, ``Nine mths``), unless that
    row is a date (a headline above ``Posted January 1, 2008 16:10``). A run of two
    or more such lines holding at least two different rows is joined. A headline or a
    copyright line with a year in it is not a row.
    """
    n = len(rows)
    joins = bytearray(n)
    p = 0
    while p < n:
        if not _member(rows, p):
            p += 1
            continue
        end = p
        while end + 1 < n and _member(rows, end + 1):
            end += 1
        found = {
            text[starts[q] : ends[q]].strip().casefold()
            for q in range(p, end + 1)
            if rows.figures[q]
        }
        if end > p and len(found) >= 2:  # a headline with a score printed twice is no table
            joins[p + 1 : end + 1] = b"\x01" * (end - p)
        p = end + 1
    return joins


def _member(rows: _Rows, p: int) -> bool:
    """A row of a table, or a short line just above one that is not a date."""
    return bool(
        rows.figures[p]
        or (rows.short[p] and p + 1 < len(rows) and rows.figures[p + 1] and not rows.dates[p + 1])
    )


def _blank_char(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved inwards past whitespace and invisible characters."""
    while start < end and _blank_char(text[start]):
        start += 1
    while end > start and _blank_char(text[end - 1]):
        end -= 1
    return start, end


def _word_before(text: str, start: int, end: int) -> str:
    """The last word of ``text[start:end]``, skipping the punctuation after it."""
    j = end
    while j > start and not text[j - 1].isalnum():
        j -= 1
    i = j
    while i > start and text[i - 1].isalnum():
        i -= 1
    return text[i:j]


def _line_spans(text: str, start: int, end: int, out: Spans, piece: bool = False) -> None:
    """Segments of ``text[start:end]`` by blank lines, lines, wrapped paragraphs and tables,
    added to ``out``; ``piece``: a piece between separators (trimmed, kind "piece" for a
    line)."""
    starts = array.array("q")  # of the text lines (the non-blank ones) ...
    ends = array.array("q")
    follows = bytearray()  # ... and whether each follows the one before with no blank line
    blank = False
    for a, b in _lines(text, start, end):
        if _is_blank(text[a:b]):
            blank = True
            continue
        starts.append(a)
        ends.append(b)
        follows.append(not blank)
        blank = False
    if not starts:
        return
    follows[0] = 1
    if not all(follows):  # blank-line paragraphs: runs of lines without a blank between
        follows[0] = 0
        _groups(text, starts, ends, follows, bytearray(len(starts)), "paragraph", out, piece)
        return
    rows = _Rows(text, starts, ends)
    table = _table_joins(text, starts, ends, rows)  # a table stays together in wrapped text too
    if _is_hard_wrapped(rows):
        joins = _wrapped_joins(rows)
        for pos in range(len(joins)):
            joins[pos] |= table[pos]
    else:
        joins = table
    del rows
    _groups(text, starts, ends, joins, table, "line", out, piece)


def _groups(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    joins: bytearray,
    table: bytearray,
    kind: str,
    out: Spans,
    piece: bool,
) -> None:
    """Add the segments made of lines joined to the line before (``joins``) to ``out``: of
    ``kind`` for a single line, else "table" when a join is a table's, else "wrapped"."""
    first, group_kind = 0, kind
    for pos in range(1, len(starts) + 1):
        if pos < len(starts) and joins[pos]:
            if group_kind != "table" and kind == "line":
                group_kind = "table" if table[pos] else "wrapped"
            continue
        a, b = starts[first], ends[pos - 1]
        if piece:
            a, b = _trim(text, a, b)
            out.add(a, b, "piece" if group_kind == "line" else group_kind)
        else:
            out.add(a, b, group_kind)
        first, group_kind = pos, kind


def _sentence_spans(text: str, start: int, end: int, out: Spans) -> None:
    """Segments of a text without line breaks, added to ``out``: copies of a headline
    repeated at its start, then sentences."""
    start, end = _trim(text, start, end)
    for a, b in _leading_repeats(text, start, end):
        out.add(a, b, "headline")
        start = b
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        cut = m.start("gap")
        word = _word_before(text, pos, cut).lower()
        if word == "no" and not text[m.end("gap") : m.end("gap") + 1].isdigit():
            word = ""  # "He said no." ends a sentence; "No. 1" does not
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue  # "Mr. Smith", "Dec. 8", "J. Smith", "U.S. Treasury"
        a, b = _trim(text, pos, cut)
        if b > a:
            out.add(a, b, "sentence")
        pos = m.end("gap")
    a, b = _trim(text, pos, end)
    if b > a:
        out.add(a, b, "sentence")


def _leading_repeats(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of a run of words at the start of ``text[start:end]`` printed two or more
    times in a row (same words, any case): all copies but the text after them."""
    window = " ".join(text[start : start + 40 * HEADLINE_MAX_WORDS].split()).casefold()
    head = window[:12]
    if len(head) < 12 or window.find(head, 1) < 0:
        return []  # the start is not printed again nearby (nearly always: cheap)
    words = [
        (m.start(), m.end(), m.group().casefold())
        for m, _ in zip(_WORD_SPAN.finditer(text, start, end), range(3 * HEADLINE_MAX_WORDS))
    ]
    flat = [w for _, _, w in words]
    for k in range(3, min(HEADLINE_MAX_WORDS, len(words) // 2) + 1):
        if flat[:k] != flat[k : 2 * k]:
            continue
        copies = 2
        while flat[:k] == flat[copies * k : (copies + 1) * k]:
            copies += 1
        spans = []
        for c in range(copies):
            a = start if c == 0 else words[c * k][0]
            b = words[(c + 1) * k][0] if (c + 1) * k < len(words) else end
            spans.append(_trim(text, a, b))
        return spans
    return []


def find_separator(text: str) -> str | None:
    """A marker that joins paragraphs on one line (`` ### ``), if the text has one."""
    found: dict[str, int] = {}
    for m in _MARKER.finditer(text):
        found[m.group()] = found.get(m.group(), 0) + 1
    best = max(found.items(), key=lambda kv: (kv[1], kv[0]), default=None)
    return best[0] if best is not None and best[1] >= MARKER_MIN_COUNT - 1 else None


def segment(text: str, separator: str | None = None) -> list[Segment]:
    """The segments of ``text`` in order, with character offsets.

    ``separator`` is a string that joins paragraphs (such as `` ### ``); when
    None and the text is one line, one is looked for (`find_separator`).
    """
    spans = segment_spans(text, separator)
    return [
        Segment(i, a, b, text[a:b], KINDS[k])
        for i, (a, b, k) in enumerate(zip(spans.starts, spans.ends, spans.kinds))
    ]


def segment_spans(text: str, separator: str | None = None) -> Spans:
    """`segment` as columns (`Spans`): offsets and kinds, no text copied."""
    if separator is None and _one_line(text):
        separator = find_separator(text)  # only a one-line text is looked into
    out = Spans()
    if separator and separator in text:
        pos = 0
        while pos <= len(text):
            cut = text.find(separator, pos)
            stop = len(text) if cut < 0 else cut
            _line_spans(text, pos, stop, out, piece=True)
            if cut < 0:
                break
            pos = cut + len(separator)
    else:
        _line_spans(text, 0, len(text), out)
        if len(out) == 1 and text.find("\n", out.starts[0], out.ends[0]) < 0:
            start, end = out.starts[0], out.ends[0]
            out = Spans()
            _sentence_spans(text, start, end, out)
    return out


def _one_line(text: str) -> bool:
    """No line break inside the text (``"\\n" not in text.strip()``, without the copy)."""
    first = _TEXT_START.search(text)
    if first is None:
        return True
    end = len(text)
    while end > first.start() and text[end - 1].isspace():
        end -= 1
    return text.find("\n", first.start(), end) < 0


def cuts(text: str, segments: list[Segment], removed: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The span cut out of ``text`` for each removed segment index.

    A removed segment takes the separator that follows it, or, when no kept
    segment follows, the separator before it; so the kept segments keep their
    own separators and the text keeps its leading and trailing whitespace.
    The spans never overlap.
    """
    return cut_spans([s.start for s in segments], [s.end for s in segments], removed)


def cut_spans(
    starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray, removed: Iterable[int]
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
            spans[i] = (int(starts[i]), int(starts[i + 1]))
        elif i > 0:
            spans[i] = (int(ends[i - 1]), int(ends[i]))
        else:
            spans[i] = (int(starts[i]), int(ends[i]))
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
