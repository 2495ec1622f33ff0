"""Batched MinHash signatures, bit-compatible with datasketch 2.x.

A signature here equals ``datasketch.MinHash(num_perm, seed, scheme="affine32",
hashfunc=<identity>)`` updated with the same 32-bit shingle hashes, but is
computed for many sets at once with one numpy operation per block of shingles.
The permutations are generated here exactly as datasketch generates them, so that
importing this module does not import datasketch (and scipy, about a second); only
`Hasher.lean`, which builds datasketch objects, imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import LeanMinHash

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)
_BLOCK = 1 << 14  # shingles per numpy block: bounds memory at num_perm * 64 KiB


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    out: np.ndarray = h ^ (h >> np.uint32(16))
    return out


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``affine32`` permutations ``(a, b)`` (uint32 each) of ``datasketch.MinHash(num_perm,
    seed, scheme="affine32")``: odd multipliers, then offsets, from ``RandomState(seed)``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


class Hasher:
    """Computes MinHash signatures with datasketch's permutations for one (num_perm, seed)."""

    def __init__(self, num_perm: int, seed: int) -> None:
        self.num_perm = num_perm
        self.seed = seed
        self.a, self.b = permutations(num_perm, seed)  # uint32, one per permutation
        self._a = self.a[:, None]
        self._b = self.b[:, None]

    def signatures(self, shingles: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
        """Signatures of ``count`` sets, shape (count, num_perm), dtype uint32.

        ``shingles`` holds 32-bit shingle hashes and ``groups`` the (non-decreasing)
        set number of each; a set with no shingles gets the empty signature.
        """
        out = np.full((count, self.num_perm), EMPTY, dtype=np.uint32)
        for lo in range(0, len(shingles), _BLOCK):
            hv = fmix32(shingles[lo : lo + _BLOCK].astype(np.uint32, copy=False))
            gid = groups[lo : lo + _BLOCK]
            phv = self._a * hv[None, :] + self._b
            starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
            mins = np.minimum.reduceat(phv, starts, axis=1).T
            ids = gid[starts]
            out[ids] = np.minimum(out[ids], mins)
        return out

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """The signature of one set."""
        sig: np.ndarray = self.signatures(shingles, np.zeros(len(shingles), dtype=np.intp), 1)[0]
        return sig

    def lean(self, signature: np.ndarray) -> LeanMinHash:
        """A datasketch ``LeanMinHash`` holding ``signature``."""
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signatures, row by row (the last axis)."""
    out: np.ndarray = (a == b).mean(axis=-1)
    return out


def containment(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Estimated share of set A inside set B, from their Jaccard similarity and sizes
    (0 where A is empty)."""
    inter = jaccard * (size_a + size_b) / (1.0 + jaccard)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(size_a > 0, inter / np.maximum(size_a, 1), 0.0)
    out: np.ndarray = np.minimum(share, 1.0)
    return out
