# Types of the compiled kernel (dedupe/_speedups.c); use it through dedupe.kernel.
from typing_extensions import Buffer

SIMD: str
SSIZE: int
HAVE_AVX2: int

def tokenize(
    data: Buffer,
    segments: int,
    hashes: Buffer,
    owner: Buffer,
    numeric: Buffer,
    counts: Buffer,
    lettered: Buffer,
) -> int | None: ...
def ngram_count(counts: Buffer, n: int, include: Buffer | None) -> int: ...
def ngrams(
    hashes: Buffer, counts: Buffer, n: int, include: Buffer | None, shingles: Buffer, owner: Buffer
) -> None: ...
def segment_keys(hashes: Buffer, counts: Buffer, keys: Buffer) -> None: ...
def sequence_digest(hashes: Buffer, owner: Buffer, out: Buffer) -> bool: ...
def distinct_words(hashes: Buffer, counts: Buffer, out: Buffer) -> None: ...
def fmix64(values: Buffer, out: Buffer) -> None: ...
def signatures(
    shingles: Buffer, groups: Buffer, a: Buffer, b: Buffer, out: Buffer, variant: int = 0
) -> bool: ...
def band_keys(signatures: Buffer, num_perm: int, bands: int, rows: int, out: Buffer) -> None: ...
def repeated_pairs(
    grams: Buffer,
    seg: Buffer,
    article_of: Buffer,
    threshold: float,
    containment: float,
    window: int,
    dense_max: int,
) -> tuple[bytes, bytes, bytes] | None: ...
