"""Text → comparison form, and shingles of it.

Normalisation is only ever used to compare text; what is written is always the
original bytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import xxhash

_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    }
)
_SPACE = re.compile(r"\s+")
_WORD_AND_SPACES = re.compile(r"\S*\s*")  # to the end of a word and of the spaces after it
_WORD = re.compile(r"\w+")


_SPECIAL = re.compile("[" + "".join(chr(c) for c in _TRANSLATE) + "]")


def _unify(m: re.Match[str]) -> str:
    return str(_TRANSLATE[ord(m.group())] or "")


def normalize(text: str) -> str:
    """Case-folded NFKC text; quotes, dashes and spaces unified; invisible characters dropped."""
    return normalize_many([text])[0]


GROUP_CHARS = 1 << 20  # texts normalised per join: bounds the temporary copies of a batch
LONG_CHARS = 1 << 16  # a text longer than this (alone in its group) is normalised in pieces


def normalize_many(texts: Iterable[str]) -> list[str]:
    """`normalize` each text, in bulk (texts must not contain NUL).

    Texts are joined and normalised in groups of about ``GROUP_CHARS`` characters (each
    text whole), so the temporary copies stay small however large the batch; a text too
    long for a group is normalised in pieces (`_normalize_long`). Every text's result
    is the same as on its own."""
    out: list[str] = []
    group: list[str] = []
    size = 0
    for text in texts:
        if group and size + len(text) > GROUP_CHARS:
            out += _normalize_group(group)
            group, size = [], 0
        group.append(text)
        size += len(text)
    if group:
        out += _normalize_group(group)
    return out


def _normalize_group(texts: Sequence[str]) -> list[str]:
    if len(texts) == 1 and len(texts[0]) > LONG_CHARS:
        return [_normalize_long(texts[0])]
    big = SEP.join(_nfkc(t) for t in texts)
    if not big.isascii():
        big = _SPECIAL.sub(_unify, big)
    return [" ".join(part.split()) for part in big.casefold().split(SEP)]


def _nfkc(text: str) -> str:
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def _normalize_long(text: str) -> str:
    """`normalize` of a long text, in pieces (`normalized_pieces`)."""
    return " ".join(normalized_pieces(text))


def normalized_pieces(text: str, start: int = 0, end: int | None = None) -> Iterator[str]:
    """`normalize` of ``text[start:end]`` (NUL read as a space) in non-empty pieces that,
    joined by single spaces, make the whole; about ``LONG_CHARS`` characters at a time,
    each piece cut after a run of whitespace. Every step after NFKC maps characters one
    by one and keeps whitespace whitespace (or drops an invisible character), so the
    words of the whole are the words of the pieces, and no list of all of them is made."""
    end = len(text) if end is None else end
    if not text.isascii():
        text = _nfkc(text[start:end])
        start, end = 0, len(text)
    pos = start
    while pos < end:
        cut = _WORD_AND_SPACES.match(text, min(pos + LONG_CHARS, end), end).end()  # type: ignore[union-attr]
        piece = text[pos:cut].replace(SEP, " ")
        if not piece.isascii():
            piece = _SPECIAL.sub(_unify, piece)
        piece = " ".join(piece.casefold().split())
        if piece:
            yield piece
        pos = cut


def words(normalized: str) -> list[str]:
    """The words of normalised text (runs of letters, digits and underscores)."""
    return _WORD.findall(normalized)


def char_ngrams(normalized: str, n: int) -> set[str]:
    """Character n-grams of normalised text (the whole text if shorter than ``n``)."""
    if len(normalized) <= n:
        return {normalized} if normalized else set()
    return {normalized[i : i + n] for i in range(len(normalized) - n + 1)}


def jaccard(a: AbstractSet[Hashable], b: AbstractSet[Hashable]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


# -- bulk tokenising and hashing ------------------------------------------------

SEP = "\x00"  # joins the segments of a batch; never inside a (cleaned) segment
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_":
    _WORD_BYTE[_c] = True
_WORD_BYTE[0x80:] = True
_LETTER_BYTE = _WORD_BYTE.copy()
_LETTER_BYTE[list(b"0123456789_")] = False
_DIGIT_BYTE = np.zeros(256, dtype=bool)
_DIGIT_BYTE[list(b"0123456789")] = True
_P = np.uint64(0x100000001B3)  # odd: invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_MIX = np.array(
    [
        0x9E3779B1,
        0x85EBCA77,
        0xC2B2AE3D,
        0x27D4EB2F,
        0x165667B1,
        0xD3A2646D,
        0xFD7046C5,
        0xB55A4F09,
    ],
    dtype=np.uint32,
)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: a fast avalanching bijection on uint64 arrays."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    out: np.ndarray = h ^ (h >> np.uint64(33))
    return out


_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _pow_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i modulo 2**64 for i < n (grown on demand, kept between batches)."""
    global _powers
    if len(_powers[0]) < n:
        size = max(n, 2 * len(_powers[0]))
        up = np.full(size, _P, dtype=np.uint64)
        up[0] = 1
        down = np.full(size, _P_INV, dtype=np.uint64)
        down[0] = 1
        _powers = (np.cumprod(up), np.cumprod(down))
    return _powers[0][:n], _powers[1][:n]


@dataclass(frozen=True)
class Tokens:
    """The words of a batch of segments: 64-bit hashes and the segment of each word."""

    hashes: np.ndarray  # uint64, one per word
    owner: np.ndarray  # intp or int32, segment number of each word (non-decreasing)
    counts: np.ndarray  # intp, words per segment
    lettered: np.ndarray  # intp, words with a letter per segment (figures excluded)
    numeric: np.ndarray  # bool, one per word: the word holds a digit


def tokenize(normalized: Sequence[str]) -> Tokens:
    """Hash every word of every (normalised) segment, in one pass over the bytes."""
    data = SEP.join(normalized).encode("utf-8", "surrogatepass")
    b = np.frombuffer(data, dtype=np.uint8)
    count = len(normalized)
    if not len(b):
        empty = np.empty(0, dtype=np.uint64)
        none = np.zeros(count, np.intp)
        return Tokens(empty, np.empty(0, np.intp), none, none, np.empty(0, bool))
    word = _WORD_BYTE[b]
    edges = np.flatnonzero(np.diff(np.concatenate(([False], word, [False])).astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    up, down = _pow_tables(len(b) + 1)
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(b.astype(np.uint64) * up[: len(b)])))
    hashes = fmix64(
        (prefix[ends] - prefix[starts]) * down[starts] + (ends - starts).astype(np.uint64)
    )
    owner = np.cumsum(b == 0)[starts].astype(np.intp)
    counts = np.bincount(owner, minlength=count).astype(np.intp)
    letter = np.concatenate(([0], np.cumsum(_LETTER_BYTE[b])))
    has_letter = (letter[ends] - letter[starts]) > 0
    lettered = np.bincount(owner, weights=has_letter, minlength=count).astype(np.intp)
    digit = np.concatenate(([0], np.cumsum(_DIGIT_BYTE[b])))
    numeric = (digit[ends] - digit[starts]) > 0
    return Tokens(hashes, owner, counts, lettered, numeric)


def ngrams(
    tokens: Tokens, n: int, include: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of the word n-grams inside each segment, and the segment of each.

    A segment with fewer than ``n`` words gives one shingle of all its words;
    one with none gives none. ``include`` (bool per segment) limits the segments.
    """
    w = (tokens.hashes >> np.uint64(32)).astype(np.uint32)
    owner, counts = tokens.owner, tokens.counts
    total = len(w)
    parts_h: list[np.ndarray] = []
    parts_o: list[np.ndarray] = []
    if total >= n:
        width = total - n + 1
        h = np.zeros(width, dtype=np.uint32)
        for k in range(n):
            h = h * _MIX[k % len(_MIX)] + w[k : k + width] + np.uint32(k)
        valid = owner[:width] == owner[n - 1 :]
        parts_h.append(h[valid])
        parts_o.append(owner[:width][valid])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
    for m in range(1, n):  # short segments: one shingle of all m words
        segs = np.flatnonzero(counts == m)
        if not len(segs):
            continue
        h = np.zeros(len(segs), dtype=np.uint32)
        for k in range(m):
            h = h * _MIX[k % len(_MIX)] + w[starts[segs] + k] + np.uint32(k)
        parts_h.append(h)
        parts_o.append(segs)
    if not parts_h:
        return np.empty(0, np.uint32), np.empty(0, np.intp)
    hs, os_ = np.concatenate(parts_h), np.concatenate(parts_o)
    if include is not None:
        keep = include[os_]
        hs, os_ = hs[keep], os_[keep]
    order = np.argsort(os_, kind="stable")
    return hs[order], os_[order]


def segment_keys(tokens: Tokens, normalized: Sequence[str]) -> np.ndarray:
    """A 64-bit key per segment, equal for segments with the same words in the same order."""
    counts = tokens.counts
    keys = np.zeros(len(counts), dtype=np.uint64)
    if len(tokens.hashes):
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
        position = np.arange(len(tokens.hashes), dtype=np.uint64) - starts[tokens.owner].astype(
            np.uint64
        )
        mixed = fmix64(tokens.hashes + position * np.uint64(0x9E3779B97F4A7C15))
        has = counts > 0
        keys[has] = np.add.reduceat(mixed, starts[has]) + counts[has].astype(np.uint64)
    for i in np.flatnonzero(counts == 0).tolist():  # no words: the text itself ("***")
        keys[i] = xxhash.xxh3_64_intdigest(normalized[i].encode("utf-8", "surrogatepass"))
    return keys


def sequence_digest(hashes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """A 64-bit digest per group of the sequence of word hashes in it (order matters),
    0 for an empty group. ``owner`` (non-decreasing) gives each word's group."""
    out = np.zeros(count, dtype=np.uint64)
    if not len(hashes):
        return out
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    position = np.arange(len(hashes), dtype=np.uint64) - np.repeat(
        starts, np.diff(np.r_[starts, len(hashes)])
    ).astype(np.uint64)
    mixed = fmix64(hashes + position * np.uint64(0x9E3779B97F4A7C15))
    sums = np.add.reduceat(mixed, starts)
    lengths = np.diff(np.r_[starts, len(hashes)]).astype(np.uint64)
    out[owner[starts]] = fmix64(sums + lengths) | np.uint64(1)
    return out


# -- exact and shape keys for short lines ---------------------------------------

_LIGHT = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("\u00a0\u2007\u202f", " "),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    }
)
_MONTHS = frozenset(
    [
        "jan",
        "january",
        "feb",
        "february",
        "mar",
        "march",
        "apr",
        "april",
        "may",
        "jun",
        "june",
        "jul",
        "july",
        "aug",
        "august",
        "sep",
        "sept",
        "september",
        "oct",
        "october",
        "nov",
        "november",
        "dec",
        "december",
    ]
)
_WEEKDAYS = frozenset(
    [
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
    ]
)
_SHAPE_TOKEN = re.compile(r"\d+|[^\W\d_]+")
EXACT_SALT = 0x5DEECE66D  # keys of short lines compared exactly
SHAPE_SALT = 0x2545F4914F6CDD1D  # keys of line shapes


def exact_key(text: str) -> int:
    """A key of a short line compared exactly: case and punctuation kept; only whitespace,
    quotes, no-break and invisible characters normalised (``CONTACT:`` is not ``Contact``)."""
    light = " ".join(text.translate(_LIGHT).split())
    return xxhash.xxh3_64_intdigest(light.encode("utf-8", "surrogatepass"), EXACT_SALT)


def keys_of(texts: Sequence[str], salt: int) -> np.ndarray:
    """A salted 64-bit key per text (uint64 array)."""
    return np.array(
        [xxhash.xxh3_64_intdigest(t.encode("utf-8", "surrogatepass"), salt) for t in texts],
        dtype=np.uint64,
    )


def shape(normalized: str) -> str:
    """The shape of a line: figures, month and weekday names masked
    (``updated 3 hours ago`` -> ``updated # hours ago``)."""
    if "\n" in normalized:
        return "\n".join(shape(line) for line in normalized.split("\n"))
    out = []
    for token in _SHAPE_TOKEN.findall(normalized):
        if token[0].isdigit():
            out.append("#")
        elif token in _MONTHS:
            out.append("<m>")
        elif token in _WEEKDAYS:
            out.append("<d>")
        else:
            out.append(token)
    return " ".join(out)


def shape_key(normalized: str) -> int:
    return xxhash.xxh3_64_intdigest(shape(normalized).encode("utf-8", "surrogatepass"), SHAPE_SALT)


# -- date, time and counter lines ----------------------------------------------

_MONTH_NAMES = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|"
    "september|oct|october|nov|november|dec|december"
)
_DAYS = (
    "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|"
    "saturday|sun|sunday"
)
_STAMP_WORDS = "published|updated|update|posted|modified|created|edited|yesterday|today"
_TIME_WORDS = (
    "last|on|at|am|pm|a|m|p|et|est|edt|ct|cst|cdt|pt|pst|pdt|mt|gmt|bst|utc|cet|cest|ist|"
    "aest|aedt|sast|hkt|jst|ago|hours|hour|hrs|hr|minutes|minute|mins|min|seconds|secs|days|"
    "day|weeks|week|months|month|now|just|th|st|nd|rd|of|and|the|time|date|by|us|uk|eastern|"
    "pacific|central|mountain|local|atlantic"
)
# A token that makes a line a stamp (a figure, a month or weekday, "updated") ...
_STRONG_TOKEN = re.compile(rf"^(?:\d\w*|{_MONTH_NAMES}|{_DAYS}|{_STAMP_WORDS})$")
# ... and the tokens a stamp is made of (those, and "on", "at", "p.m.", "ago", "us/eastern").
_DATE_TOKEN = re.compile(
    rf"^(?:\d+(?:st|nd|rd|th|h|am|pm)?|{_MONTH_NAMES}|{_DAYS}|{_STAMP_WORDS}|{_TIME_WORDS})$"
)
_FLAT_WORD = re.compile(r"[^\W_]+")


def is_date_line(normalized: str) -> bool:
    """A date, time or update stamp: ``published 10:49 p.m. et june 17, 2019``; a figure
    or a month, weekday or stamp word among the first three words, and at most one word
    that is none of those or a time word."""
    tokens = _FLAT_WORD.findall(normalized)
    if not tokens or not any(_STRONG_TOKEN.match(t) for t in tokens[:3]):
        return False
    other = 0
    for token in tokens:
        if not _DATE_TOKEN.match(token):
            other += 1
            if other > 1:
                return False
    return True
