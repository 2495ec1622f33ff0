"""Text → comparison form, and shingles of it.

Normalisation is only ever used to compare text; what is written is always the
original bytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable
from collections.abc import Set as AbstractSet

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
_WORD = re.compile(r"\w+")

# Odd 32-bit multipliers that combine word hashes into n-gram hashes.
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


def normalize(text: str) -> str:
    """Case-folded NFKC text; quotes, dashes and spaces unified; invisible characters dropped."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
    return _SPACE.sub(" ", text).strip()


def words(normalized: str) -> list[str]:
    """The words of normalised text (runs of letters, digits and underscores)."""
    return _WORD.findall(normalized)


def text_key(normalized: str) -> int:
    """A 64-bit key equal for texts that differ only in case, punctuation and spacing."""
    ws = words(normalized)
    return xxhash.xxh3_64_intdigest(
        (" ".join(ws) if ws else normalized).encode("utf-8", "surrogatepass")
    )


def word_hashes(ws: list[str]) -> np.ndarray:
    """32-bit hash of each word (xxh32, seed 0)."""
    return np.fromiter(
        (xxhash.xxh32_intdigest(w.encode("utf-8", "surrogatepass")) for w in ws),
        dtype=np.uint32,
        count=len(ws),
    )


def ngram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """32-bit hashes of the word n-grams of a sequence of word hashes.

    A sequence shorter than ``n`` gives a single shingle of all its words; an
    empty one gives none.
    """
    count = len(hashes)
    if count == 0:
        return np.empty(0, dtype=np.uint32)
    n = min(n, count)
    width = count - n + 1
    out = np.zeros(width, dtype=np.uint32)
    for k in range(n):
        out = out * _MIX[k % len(_MIX)] + hashes[k : k + width] + np.uint32(k)
    return out


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
