import numpy as np
from datasketch import MinHash, MinHashLSH

from dedupe.minhash import Hasher, containment, similarity


def test_signatures_equal_datasketch_affine32() -> None:
    rng = np.random.default_rng(7)
    shingles = rng.integers(0, 2**32, size=3000, dtype=np.uint64).astype(np.uint32)
    groups = np.repeat(np.arange(3), [1000, 1, 1999])
    hasher = Hasher(128, 42)
    sigs = hasher.signatures(shingles, groups, 4)
    for g in range(3):
        m = MinHash(num_perm=128, seed=42, scheme="affine32", hashfunc=lambda v: v)
        m.update_batch([int(v) for v in shingles[groups == g]])
        assert np.array_equal(m.hashvalues, sigs[g])
    assert (sigs[3] == 0xFFFFFFFF).all()  # a set with no shingles


def test_lean_minhash_works_in_datasketch_lsh() -> None:
    hasher = Hasher(128, 1)
    a = np.arange(500, dtype=np.uint32)
    b = np.arange(50, 550, dtype=np.uint32)
    lsh = MinHashLSH(num_perm=128, params=(42, 3))
    lsh.insert("a", hasher.lean(hasher.signature(a)))
    assert lsh.query(hasher.lean(hasher.signature(b))) == ["a"]
    assert abs(float(similarity(hasher.signature(a), hasher.signature(b))) - 450 / 550) < 0.1


def test_containment_estimate() -> None:
    got = containment(np.array([1.0, 0.25, 0.0, 0.5]), np.array([100, 100, 100, 0]), 400)
    assert got[0] == 1.0  # contained
    assert abs(got[1] - 1.0) < 1e-9  # 100 of 100 inside 400: J = 0.25
    assert got[2] == 0.0 and got[3] == 0.0  # disjoint; empty A
