"""The fingerprint kernel: compiled primitives, with the numpy path as the fallback.

The per-article hot path (word hashing, segment keys, word n-gram shingles, MinHash
signatures, LSH band keys, repeated-paragraph candidates) exists twice, with
bit-identical results:

* **compiled**: ``dedupe/_speedups.c``, a small CPython extension built by
  ``pip install .`` where a C compiler is present (the "optional speed-ups" pattern of
  msgpack and PyYAML). It releases the GIL for all its work and keeps no state between
  calls, so threads can fingerprint batches in parallel; MinHash uses AVX2 when the CPU
  has it (chosen at run time; the result is the same without it).
* **numpy**: the functions of `dedupe.normalize`, `dedupe.minhash`, `dedupe.index` and
  `dedupe.rules.paragraph`, always available.

The functions here have the signatures and return types of their numpy twins and run
on the active backend: ``ACTIVE`` is ``"compiled"`` when the extension is importable and
``DEDUPE_PURE_PYTHON`` is unset (or ``0``), else ``"numpy"``. `backend` gives either one
by name (the tests run both). Input outside a function's contract (a NUL inside a
segment, an unexpected dtype, unsorted groups) goes to the numpy twin, so results never
depend on the backend.

`fingerprint_arrays` runs the whole per-batch fingerprint computation of
`dedupe.fingerprint.fingerprint_batch` on a backend and returns its flat arrays. To put
the kernel under the cleaner, import ``tokenize``, ``segment_keys``, ``ngrams``,
``repeated_pairs``, ``band_keys`` and ``Hasher`` from here instead of from their numpy
modules (nothing else changes: same arguments, same results), and fingerprint batches
in threads rather than processes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import xxhash

from . import index as _index
from . import minhash as _minhash
from . import normalize as _normalize
from .config import CleanerConfig
from .minhash import containment, permutations, similarity
from .normalize import SEP, Tokens

# rules.paragraph and fingerprint hold twins too; they are imported where used, since they
# may well import this module once the kernel is wired in (no import cycle at start-up).


__all__ = [
    "ACTIVE",
    "SIMD",
    "Backend",
    "CompiledHasher",
    "FingerprintArrays",
    "Hasher",
    "available",
    "backend",
    "band_keys",
    "containment",
    "describe",
    "distinct_words",
    "fingerprint_arrays",
    "fmix64",
    "ngrams",
    "permutations",
    "repeated_pairs",
    "segment_keys",
    "sequence_digest",
    "similarity",
    "tokenize",
]

_speedups: ModuleType | None
try:
    from . import _speedups
except ImportError:  # built without a C compiler: the numpy path only
    _speedups = None

if _speedups is not None and np.dtype(np.intp).itemsize != _speedups.SSIZE:
    _speedups = None  # a platform where intp is not Py_ssize_t: never seen, but be safe

_FORCED = os.environ.get("DEDUPE_PURE_PYTHON", "") not in ("", "0")
DENSE_MAX = 256  # repeated_pairs counts pairs in an s x s table up to s segments per article


class Backend:
    """The primitives of the numpy path (the reference); `_Compiled` overrides each."""

    name = "numpy"
    Hasher: type[_minhash.Hasher] = _minhash.Hasher

    def tokenize(self, normalized: Sequence[str]) -> Tokens:
        """`dedupe.normalize.tokenize`."""
        return _normalize.tokenize(normalized)

    def ngrams(
        self, tokens: Tokens, n: int, include: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`dedupe.normalize.ngrams`."""
        return _normalize.ngrams(tokens, n, include)

    def segment_keys(self, tokens: Tokens, normalized: Sequence[str]) -> np.ndarray:
        """`dedupe.normalize.segment_keys`."""
        return _normalize.segment_keys(tokens, normalized)

    def fmix64(self, h: np.ndarray) -> np.ndarray:
        """`dedupe.normalize.fmix64`."""
        return _normalize.fmix64(h)

    def sequence_digest(self, hashes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
        """`dedupe.normalize.sequence_digest`."""
        return _normalize.sequence_digest(hashes, owner, count)

    def distinct_words(self, tokens: Tokens) -> np.ndarray:
        """`dedupe.fingerprint.distinct_words`."""
        from .fingerprint import distinct_words

        return distinct_words(tokens)

    def band_keys(self, signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
        """`dedupe.index.band_keys`."""
        return _index.band_keys(signatures, bands, rows)

    def repeated_pairs(
        self,
        tokens: Tokens,
        article_of: np.ndarray,
        config: CleanerConfig,
        eligible: np.ndarray | None = None,
    ) -> dict[int, list[tuple[int, float]]]:
        """`dedupe.rules.paragraph.repeated_pairs`."""
        from .rules.paragraph import repeated_pairs

        return repeated_pairs(tokens, article_of, config, eligible)


class CompiledHasher(_minhash.Hasher):
    """`dedupe.minhash.Hasher` whose signatures come from the compiled kernel."""

    def signatures(self, shingles: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
        assert _speedups is not None
        sh = np.ascontiguousarray(shingles.astype(np.uint32, copy=False))
        gr = np.ascontiguousarray(groups, dtype=np.intp)
        if len(sh) != len(gr) or self.num_perm < 1 or count < 0:
            return super().signatures(shingles, groups, count)
        out = np.empty((count, self.num_perm), dtype=np.uint32)
        if not _speedups.signatures(sh, gr, self.a, self.b, out):
            # groups decreasing or out of range: outside the contract, numpy decides
            return super().signatures(shingles, groups, count)
        return out


class _Compiled(Backend):
    name = "compiled"
    Hasher = CompiledHasher

    def __init__(self, speedups: ModuleType) -> None:
        self._c = speedups

    def tokenize(self, normalized: Sequence[str]) -> Tokens:
        data = SEP.join(normalized).encode("utf-8", "surrogatepass")
        count = len(normalized)
        if not data:
            return super().tokenize(normalized)  # no words: nothing to compute
        room = (len(data) + 1) // 2  # the most words data can hold
        hashes = np.empty(room, dtype=np.uint64)
        owner = np.empty(room, dtype=np.intp)
        numeric = np.empty(room, dtype=np.bool_)
        counts = np.empty(count, dtype=np.intp)
        lettered = np.empty(count, dtype=np.intp)
        words = self._c.tokenize(data, count, hashes, owner, numeric, counts, lettered)
        if words is None:  # a segment holding NUL (outside the contract)
            return super().tokenize(normalized)
        for array in (hashes, owner, numeric):  # shrink in place; the rest was never touched
            array.resize(words, refcheck=False)
        return Tokens(hashes, owner, counts, lettered, numeric)

    def ngrams(
        self, tokens: Tokens, n: int, include: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        counts, hashes = tokens.counts, tokens.hashes
        if (
            n < 1
            or counts.dtype != np.intp
            or hashes.dtype != np.uint64
            or counts.ndim != 1
            or hashes.ndim != 1
            or (
                include is not None
                and (include.dtype != np.bool_ or include.ndim != 1 or len(include) < len(counts))
            )
        ):
            return super().ngrams(tokens, n, include)
        counts = np.ascontiguousarray(counts)
        hashes = np.ascontiguousarray(hashes)
        inc = None if include is None else np.ascontiguousarray(include)
        total = self._c.ngram_count(counts, n, inc)
        shingles = np.empty(total, dtype=np.uint32)
        owner = np.empty(total, dtype=np.intp)
        self._c.ngrams(hashes, counts, n, inc, shingles, owner)
        return shingles, owner

    def segment_keys(self, tokens: Tokens, normalized: Sequence[str]) -> np.ndarray:
        counts, hashes = tokens.counts, tokens.hashes
        if counts.dtype != np.intp or hashes.dtype != np.uint64 or counts.ndim != 1:
            return super().segment_keys(tokens, normalized)
        counts = np.ascontiguousarray(counts)
        keys = np.empty(len(counts), dtype=np.uint64)
        self._c.segment_keys(np.ascontiguousarray(hashes), counts, keys)
        for i in np.flatnonzero(counts == 0).tolist():  # no words: the text itself ("***")
            keys[i] = xxhash.xxh3_64_intdigest(normalized[i].encode("utf-8", "surrogatepass"))
        return keys

    def fmix64(self, h: np.ndarray) -> np.ndarray:
        if not isinstance(h, np.ndarray) or h.dtype != np.uint64 or h.ndim == 0:
            return super().fmix64(h)
        out = np.empty(h.shape, dtype=np.uint64)
        self._c.fmix64(np.ascontiguousarray(h), out)
        return out

    def sequence_digest(self, hashes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
        if hashes.dtype != np.uint64 or hashes.ndim != 1 or len(owner) != len(hashes):
            return super().sequence_digest(hashes, owner, count)
        out = np.empty(max(count, 0), dtype=np.uint64)
        owner = np.ascontiguousarray(owner, dtype=np.intp)
        if count < 0 or not self._c.sequence_digest(np.ascontiguousarray(hashes), owner, out):
            return super().sequence_digest(hashes, owner, count)  # unsorted or out of range
        return out

    def distinct_words(self, tokens: Tokens) -> np.ndarray:
        counts, hashes = tokens.counts, tokens.hashes
        if counts.dtype != np.intp or hashes.dtype != np.uint64 or counts.ndim != 1:
            return super().distinct_words(tokens)
        out = np.empty(len(counts), dtype=np.intp)
        self._c.distinct_words(np.ascontiguousarray(hashes), np.ascontiguousarray(counts), out)
        return out

    def band_keys(self, signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
        if (
            signatures.dtype != np.uint32
            or signatures.ndim != 2
            or signatures.shape[1] < 1
            or bands < 0
            or rows < 0
            or bands * rows > signatures.shape[1]
        ):
            return super().band_keys(signatures, bands, rows)
        out = np.empty((len(signatures), bands), dtype=np.uint32)
        sigs = np.ascontiguousarray(signatures)
        self._c.band_keys(sigs, sigs.shape[1], bands, rows, out)
        return out

    def repeated_pairs(
        self,
        tokens: Tokens,
        article_of: np.ndarray,
        config: CleanerConfig,
        eligible: np.ndarray | None = None,
    ) -> dict[int, list[tuple[int, float]]]:
        from .rules.paragraph import _MAX_GROUP, MAX_NEAR_WORDS

        if (
            len(article_of) < len(tokens.counts)
            or article_of.dtype.kind not in "iu"
            or (
                eligible is not None
                and (eligible.dtype != np.bool_ or eligible.shape != tokens.counts.shape)
            )
        ):
            return super().repeated_pairs(tokens, article_of, config, eligible)
        if eligible is None:
            eligible = tokens.lettered >= config.paragraph_min_words
        include = eligible & (tokens.counts <= MAX_NEAR_WORDS)
        grams, seg = self.ngrams(tokens, config.paragraph_ngram, include=include)
        if not len(grams):
            return {}
        found = self._c.repeated_pairs(
            grams,
            seg,
            np.ascontiguousarray(article_of, dtype=np.intp),
            config.paragraph_threshold,
            config.paragraph_containment,
            _MAX_GROUP - 1,
            DENSE_MAX,
        )
        if found is None:  # segments of an article not contiguous: numpy decides
            return super().repeated_pairs(tokens, article_of, config, eligible)
        i = np.frombuffer(found[0], dtype=np.intp).tolist()
        j = np.frombuffer(found[1], dtype=np.intp).tolist()
        score = np.frombuffer(found[2], dtype=np.float64).tolist()
        out: dict[int, list[tuple[int, float]]] = {}
        for a, b, s in zip(i, j, score):
            out.setdefault(b, []).append((a, s))
        return out


_BACKENDS: dict[str, Backend] = {"numpy": Backend()}
if _speedups is not None:
    _BACKENDS["compiled"] = _Compiled(_speedups)

ACTIVE: str = "compiled" if "compiled" in _BACKENDS and not _FORCED else "numpy"
SIMD: str = _speedups.SIMD if _speedups is not None else ""  # the compiled MinHash variant
_active = _BACKENDS[ACTIVE]
Hasher: type[_minhash.Hasher] = _active.Hasher


def backend(name: str | None = None) -> Backend:
    """The backend called ``name`` (``"compiled"`` or ``"numpy"``), or the active one.
    Raises `KeyError` for ``"compiled"`` when the extension is not built."""
    return _active if name is None else _BACKENDS[name]


def available() -> list[str]:
    """Names of the backends this installation has."""
    return list(_BACKENDS)


def describe() -> str:
    """The active path in a few words, e.g. ``compiled, avx2`` or ``numpy (not built)``."""
    if ACTIVE == "compiled":
        return f"compiled, {SIMD}"
    return "numpy (DEDUPE_PURE_PYTHON=1)" if _FORCED else "numpy (compiled kernel not built)"


def tokenize(normalized: Sequence[str]) -> Tokens:
    """Hash every word of every (normalised) segment: `dedupe.normalize.tokenize`."""
    return _active.tokenize(normalized)


def ngrams(
    tokens: Tokens, n: int, include: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Word n-gram shingles per segment: `dedupe.normalize.ngrams`."""
    return _active.ngrams(tokens, n, include)


def segment_keys(tokens: Tokens, normalized: Sequence[str]) -> np.ndarray:
    """A 64-bit key per segment: `dedupe.normalize.segment_keys`."""
    return _active.segment_keys(tokens, normalized)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer on a uint64 array: `dedupe.normalize.fmix64`."""
    return _active.fmix64(h)


def sequence_digest(hashes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """A digest per group of its word hashes in order: `dedupe.normalize.sequence_digest`."""
    return _active.sequence_digest(hashes, owner, count)


def distinct_words(tokens: Tokens) -> np.ndarray:
    """Distinct words per segment: `dedupe.fingerprint.distinct_words`."""
    return _active.distinct_words(tokens)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys of signatures: `dedupe.index.band_keys`."""
    return _active.band_keys(signatures, bands, rows)


def repeated_pairs(
    tokens: Tokens,
    article_of: np.ndarray,
    config: CleanerConfig,
    eligible: np.ndarray | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Similar segment pairs within one article: `dedupe.rules.paragraph.repeated_pairs`."""
    return _active.repeated_pairs(tokens, article_of, config, eligible)


# -- the whole per-batch computation ------------------------------------------------------


@dataclass
class FingerprintArrays:
    """The kernel's share of `fingerprint_batch` and `bodies` for a batch, as flat arrays
    over all its segments (those of the first article first) and over its articles."""

    first: np.ndarray  # intp, each article's first segment, and the total at the end
    norms: list[str]  # normalised text per segment
    tokens: Tokens  # the words of all segments
    keys: np.ndarray  # uint64 word key per segment (before short lines get exact keys)
    judged: np.ndarray  # bool per segment: long enough for the paragraph rule
    repeats: dict[int, list[tuple[int, float]]]  # later segment -> [(earlier, score)]
    signatures: np.ndarray  # (articles, num_perm) uint32: whole bodies (every segment)
    sizes: np.ndarray  # intp, shingles per body
    words: np.ndarray  # intp, words per body
    exact: np.ndarray  # uint64 per body: digest of its words in order
    bands: np.ndarray  # (articles, bands) uint32 LSH band keys of the signatures


def fingerprint_arrays(
    texts: Sequence[str],
    config: CleanerConfig,
    on: Backend | None = None,
    hasher: _minhash.Hasher | None = None,
) -> FingerprintArrays:
    """What `dedupe.fingerprint.fingerprint_batch` and `bodies` (with every segment kept)
    compute with the kernel's primitives, on backend ``on`` (default: the active one):
    segment, normalise, hash words, key segments, find repeated paragraphs, and shingle,
    MinHash and digest each article's words. ``hasher`` defaults to the backend's `Hasher`
    for the config. The rule-specific extras of `fingerprint_batch` (exact keys of short
    lines, date-line shapes, title-tag parts) and the figures of `bodies` are left out."""
    from .normalize import normalize_many
    from .segment import segment

    kernel = on or _active
    hasher = hasher or kernel.Hasher(config.num_perm, config.seed)
    n = len(texts)
    segs = [segment(t) for t in texts]
    norms = normalize_many([s.text.replace(SEP, " ") for ss in segs for s in ss])
    tokens = kernel.tokenize(norms)
    keys = kernel.segment_keys(tokens, norms)
    first = np.zeros(n + 1, dtype=np.intp)
    np.cumsum([len(ss) for ss in segs], out=first[1:])
    article_of = np.repeat(np.arange(n, dtype=np.intp), np.diff(first))
    judged = np.minimum(tokens.lettered, kernel.distinct_words(tokens)) >= (
        config.paragraph_min_words
    )
    pairs: dict[int, list[tuple[int, float]]] = {}
    if config.paragraphs and len(norms):
        pairs = kernel.repeated_pairs(tokens, article_of, config, judged)
    owner = article_of[tokens.owner]
    hashes, numeric = tokens.hashes, tokens.numeric
    words = np.bincount(owner, minlength=n).astype(np.intp)
    sequence = Tokens(hashes, owner, words, words, numeric)
    shingles, shingle_owner = kernel.ngrams(sequence, config.shingle_size)
    signatures = hasher.signatures(shingles, shingle_owner, n)
    return FingerprintArrays(
        first=first,
        norms=norms,
        tokens=tokens,
        keys=keys,
        judged=judged,
        repeats=pairs,
        signatures=signatures,
        sizes=np.bincount(shingle_owner, minlength=n).astype(np.intp),
        words=words,
        exact=kernel.sequence_digest(hashes, owner, n),
        bands=kernel.band_keys(signatures, config.lsh_bands, config.lsh_rows),
    )
