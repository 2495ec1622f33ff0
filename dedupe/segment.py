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

import re
from collections.abc import Iterable, Sequence

from .normalize import is_date_line
from .records import Segment

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# A line ending in one of these closes a sentence, so a wrapped paragraph ends there.
_CLOSERS = tuple(".!?:;\"'”’)]»…")
WRAP_MAX_WIDTH = 100  # hard-wrapped text is wrapped at no more than this many characters
WRAP_MIN_WIDTH = 40
TABLE_MAX_WIDTH = 60  # longest line that can be a table row
FIGURES_SHARE = 0.25  # a table row has at least this share of figures among its words
MARKER_MIN_COUNT = 3  # a marker joining at least this many pieces is a paragraph separator
HEADLINE_MAX_WORDS = 40  # longest headline split off the start of a one-line text

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


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of each line; ``end`` excludes the line break (and a
    ``\r`` before it)."""
    out = []
    pos = 0
    pieces = text.split("\n")
    last = pieces.pop()  # after the last line break: a line only if not empty
    for piece in pieces:
        end = pos + len(piece)
        content = piece[:-1] if piece.endswith("\r") else piece
        out.append((pos, pos + len(content), content))
        pos = end + 1
    if last:
        out.append((pos, pos + len(last), last))
    return out


def _is_hard_wrapped(contents: list[str]) -> tuple[bool, int]:
    """Whether lines were wrapped at a fixed width: many long lines that do not end a
    sentence, or paragraphs that start with an indented line and continue unindented."""
    widths = [len(c.rstrip()) for c in contents]
    width = max(widths, default=0)
    if len(contents) < 3 or not WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH:
        return False, width
    if _indented_paragraphs(contents):
        return True, width
    open_full = sum(
        1
        for c, w in zip(contents, widths)
        if w >= 0.6 * width and not c.rstrip().endswith(_CLOSERS)
    )
    return open_full >= 0.4 * len(contents), width


def _indented(line: str) -> bool:
    return line[:1].isspace()


def _indented_paragraphs(contents: list[str]) -> bool:
    """Wire copy: paragraphs start with an indented line and continue unindented after a
    line that does not end a sentence."""
    indented = [_indented(c) for c in contents]
    if sum(indented[1:]) < 2:
        return False
    return any(
        not indented[p] and not contents[p - 1].rstrip().endswith(_CLOSERS)
        for p in range(1, len(contents))
    )


def _wrapped_joins(contents: list[str]) -> set[int]:
    """Hard-wrapped text: when paragraphs start with an indented line (wire copy), a line
    continues its paragraph unless it is indented; otherwise unless the line before
    ends a sentence."""
    if _indented_paragraphs(contents):
        return {pos for pos in range(1, len(contents)) if not _indented(contents[pos])}
    return {
        pos for pos in range(1, len(contents)) if not contents[pos - 1].rstrip().endswith(_CLOSERS)
    }


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


def _table_joins(contents: list[str]) -> set[int]:
    """Rows of a table (short lines made largely of figures, with their labels) form one
    segment.

    A row is a short line of which at least a quarter of the words are figures; a
    short line just above a row is its label (``Year``, ``Nine mths``), unless that
    row is a date (a headline above ``Posted January 1, 2008 16:10``). A run of two
    or more such lines holding at least two different rows is joined. A headline or a
    copyright line with a year in it is not a row.
    """
    n = len(contents)
    figures = [is_figures(c) for c in contents]
    dates = [f and is_date_line(c.casefold()) for f, c in zip(figures, contents)]
    short = [0 < len(c.strip()) <= TABLE_MAX_WIDTH for c in contents]
    member = [
        figures[p] or (short[p] and p + 1 < n and figures[p + 1] and not dates[p + 1])
        for p in range(n)
    ]
    joins: set[int] = set()
    p = 0
    while p < n:
        if not member[p]:
            p += 1
            continue
        end = p
        while end + 1 < n and member[end + 1]:
            end += 1
        rows = {contents[q].strip().casefold() for q in range(p, end + 1) if figures[q]}
        if end > p and len(rows) >= 2:  # a headline with a score printed twice is no table
            joins.update(range(p + 1, end + 1))
        p = end + 1
    return joins


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


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Segments of ``text[start:end]`` by blank lines, lines, wrapped paragraphs and tables:
    (start, end, kind)."""
    lines = [(a + start, b + start, c) for a, b, c in _lines(text[start:end])]
    blank = [_is_blank(c) for _, _, c in lines]
    text_rows = [i for i, b in enumerate(blank) if not b]
    if not text_rows:
        return []
    groups: list[list[int]] = []
    kinds: list[str] = []
    if any(blank[text_rows[0] : text_rows[-1]]):  # blank-line paragraphs
        previous = -2
        for i in text_rows:
            if i == previous + 1:
                groups[-1].append(i)
            else:
                groups.append([i])
                kinds.append("paragraph")
            previous = i
    else:
        contents = [lines[i][2] for i in text_rows]
        wrapped, _ = _is_hard_wrapped(contents)
        table = _table_joins(contents)  # rows of a table stay together in wrapped text too
        joins = (_wrapped_joins(contents) | table) if wrapped else table
        for pos, i in enumerate(text_rows):
            if pos in joins:
                groups[-1].append(i)
                if kinds[-1] != "table":
                    kinds[-1] = "table" if pos in table else "wrapped"
            else:
                groups.append([i])
                kinds.append("line")
    return [(lines[g[0]][0], lines[g[-1]][1], k) for g, k in zip(groups, kinds)]


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Segments of a text without line breaks: copies of a headline repeated at its start,
    then sentences."""
    spans: list[tuple[int, int, str]] = []
    start, end = _trim(text, start, end)
    for a, b in _leading_repeats(text, start, end):
        spans.append((a, b, "headline"))
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
            spans.append((a, b, "sentence"))
        pos = m.end("gap")
    a, b = _trim(text, pos, end)
    if b > a:
        spans.append((a, b, "sentence"))
    return spans


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
    if separator is None and "\n" not in text.strip():
        separator = find_separator(text)  # only a one-line text is looked into
    spans: list[tuple[int, int, str]] = []
    if separator and separator in text:
        pos = 0
        while pos <= len(text):
            cut = text.find(separator, pos)
            stop = len(text) if cut < 0 else cut
            for a, b, kind in _line_spans(text, pos, stop):
                a, b = _trim(text, a, b)
                spans.append((a, b, "piece" if kind == "line" else kind))
            if cut < 0:
                break
            pos = cut + len(separator)
    else:
        spans = _line_spans(text, 0, len(text))
        if len(spans) == 1 and "\n" not in text[spans[0][0] : spans[0][1]]:
            spans = _sentence_spans(text, spans[0][0], spans[0][1])
    return [Segment(i, a, b, text[a:b], kind) for i, (a, b, kind) in enumerate(spans)]


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
