"""The fingerprint kernel (`dedupe.kernel`): both backends give bit-identical results.

Every test that takes ``name`` runs on both backends, ``compiled`` (dedupe/_speedups.c)
and ``numpy`` (the twins in normalize/minhash/index/rules.paragraph). Each compares the
backend's output array by array, dtype and shape included, with the numpy twin and with
a slow pure-Python reference written from the definitions below (so the numpy run
checks something too), on real text (BBC, Reuters-21578) and on hypothesis-generated
input. MinHash is also checked against ``datasketch.MinHash`` itself.

The compiled backend is skipped where the extension is not built, unless
``DEDUPE_REQUIRE_COMPILED=1`` (set by .ci/run), which turns that into a failure.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import xxhash
from click.testing import CliRunner
from datasketch import MinHash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe import Article, CleanerConfig, kernel
from dedupe.cli import cli
from dedupe.fingerprint import EXACT_MAX_WORDS, bodies, fingerprint_batch
from dedupe.fingerprint import distinct_words as numpy_distinct_words
from dedupe.index import band_keys as numpy_band_keys
from dedupe.minhash import Hasher as NumpyHasher
from dedupe.minhash import permutations
from dedupe.normalize import SEP, Tokens, normalize_many
from dedupe.normalize import fmix64 as numpy_fmix64
from dedupe.normalize import ngrams as numpy_ngrams
from dedupe.normalize import segment_keys as numpy_segment_keys
from dedupe.normalize import sequence_digest as numpy_sequence_digest
from dedupe.normalize import tokenize as numpy_tokenize
from dedupe.rules.paragraph import _MAX_GROUP, MAX_NEAR_WORDS
from dedupe.rules.paragraph import repeated_pairs as numpy_repeated_pairs
from dedupe.segment import segment

from .data import DATA, bbc_articles

REPO = Path(__file__).resolve().parents[1]
REQUIRE_COMPILED = os.environ.get("DEDUPE_REQUIRE_COMPILED", "") not in ("", "0")
CONFIG = CleanerConfig()
M64 = 2**64
M32 = 2**32

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_compiled_kernel_is_built_when_required() -> None:
    """CI sets DEDUPE_REQUIRE_COMPILED=1: there the extension must have been built."""
    if not REQUIRE_COMPILED:
        pytest.skip("DEDUPE_REQUIRE_COMPILED is not set")
    assert "compiled" in kernel.available()
    assert ("numpy" if os.environ.get("DEDUPE_PURE_PYTHON") else "compiled") == kernel.ACTIVE


@pytest.fixture(params=["compiled", "numpy"])
def name(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    if value not in kernel.available() and not REQUIRE_COMPILED:
        pytest.skip("the compiled kernel is not built here")
    return value


# -- pure-Python references, written from the definitions -------------------------------

_WORD = re.compile(rb"[0-9A-Za-z_\x80-\xff]+")
_P = 0x100000001B3
_MIX = [0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646D]
_MIX += [0xFD7046C5, 0xB55A4F09]
_GOLDEN = 0x9E3779B97F4A7C15


def ref_fmix64(h: int) -> int:
    h ^= h >> 33
    h = h * 0xFF51AFD7ED558CCD % M64
    h ^= h >> 33
    h = h * 0xC4CEB9FE1A85EC53 % M64
    return h ^ (h >> 33)


def ref_tokenize(segments: Sequence[str]) -> Tokens:
    """A word is a maximal run of ASCII letters, digits, ``_`` and bytes >= 0x80 of the
    UTF-8 text; its hash is fmix64(sum of byte * P**position + length) mod 2**64."""
    hashes: list[int] = []
    owner: list[int] = []
    numeric: list[bool] = []
    counts = [0] * len(segments)
    lettered = [0] * len(segments)
    for s, text in enumerate(segments):
        for m in _WORD.finditer(text.encode("utf-8", "surrogatepass")):
            w = m.group()
            poly = sum(c * pow(_P, k, M64) for k, c in enumerate(w))
            hashes.append(ref_fmix64((poly + len(w)) % M64))
            owner.append(s)
            counts[s] += 1
            lettered[s] += any(chr(c).isalpha() or c >= 0x80 for c in w)
            numeric.append(any(0x30 <= c <= 0x39 for c in w))  # ASCII digits only
    return Tokens(
        np.array(hashes, dtype=np.uint64),
        np.array(owner, dtype=np.intp),
        np.array(counts, dtype=np.intp),
        np.array(lettered, dtype=np.intp),
        np.array(numeric, dtype=np.bool_),
    )


def _ngram_hash(words: Sequence[int]) -> int:
    h = 0
    for k, w in enumerate(words):
        h = (h * _MIX[k % 8] + w + k) % M32
    return h


def ref_ngrams(
    tokens: Tokens, n: int, include: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per segment in order: the hash of each window of n words (high 32 bits of the word
    hashes), or one hash of all its words when it has fewer than n."""
    words = [int(h) >> 32 for h in tokens.hashes]
    out: list[int] = []
    owner: list[int] = []
    pos = 0
    for s, c in enumerate(tokens.counts.tolist()):
        mine = words[pos : pos + c]
        pos += c
        if include is not None and not include[s]:
            continue
        windows = [mine[p : p + n] for p in range(c - n + 1)] if c >= n else [mine] if c else []
        for window in windows:
            out.append(_ngram_hash(window))
            owner.append(s)
    return np.array(out, dtype=np.uint32), np.array(owner, dtype=np.intp)


def ref_segment_keys(tokens: Tokens, normalized: Sequence[str]) -> np.ndarray:
    """Sum of fmix64(word hash + position * golden ratio) plus the word count; the xxh3 of
    the text for a segment without words."""
    keys = []
    pos = 0
    for s, c in enumerate(tokens.counts.tolist()):
        mine = [int(h) for h in tokens.hashes[pos : pos + c]]
        pos += c
        if c:
            keys.append(sum(ref_fmix64((h + p * _GOLDEN) % M64) for p, h in enumerate(mine)) + c)
        else:
            keys.append(xxhash.xxh3_64_intdigest(normalized[s].encode("utf-8", "surrogatepass")))
    return np.array([k % M64 for k in keys], dtype=np.uint64)


def ref_sequence_digest(hashes: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """Per group: fmix64(sum of fmix64(hash + position * golden) + length) with the low bit
    set; 0 for a group without words."""
    out = [0] * count
    groups: dict[int, list[int]] = defaultdict(list)
    for h, g in zip(hashes.tolist(), owner.tolist()):
        groups[g].append(h)
    for g, hs in groups.items():
        total = sum(ref_fmix64((h + p * _GOLDEN) % M64) for p, h in enumerate(hs))
        out[g] = ref_fmix64((total + len(hs)) % M64) | 1
    return np.array(out, dtype=np.uint64)


def ref_distinct_words(tokens: Tokens) -> np.ndarray:
    starts = np.concatenate(([0], np.cumsum(tokens.counts))).tolist()
    hashes = tokens.hashes.tolist()
    return np.array([len(set(hashes[a:b])) for a, b in itertools.pairwise(starts)], dtype=np.intp)


def ref_band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    out = np.zeros((len(signatures), bands), dtype=np.uint32)
    for i, sig in enumerate(signatures.tolist()):
        for band in range(bands):
            h = band
            for r in range(rows):
                h = ((h ^ sig[band * rows + r]) * _GOLDEN) % M64
                h ^= h >> 29
            out[i, band] = h >> 32
    return out


def ref_repeated_pairs(
    tokens: Tokens,
    article_of: np.ndarray,
    config: CleanerConfig,
    judged: np.ndarray | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Judged segments (by default: with enough lettered words) of at most MAX_NEAR_WORDS
    words, per article: for each bigram, the segments holding it in order; pairs of them at
    most _MAX_GROUP - 1 places apart share it."""
    if judged is None:
        judged = tokens.lettered >= config.paragraph_min_words
    eligible = judged & (tokens.counts <= MAX_NEAR_WORDS)
    grams, seg = ref_ngrams(tokens, config.paragraph_ngram, eligible)
    holders: dict[tuple[int, int], list[int]] = defaultdict(list)
    size: dict[int, int] = defaultdict(int)
    for g, s in zip(grams.tolist(), seg.tolist()):
        key = (int(article_of[s]), g)
        if not holders[key] or holders[key][-1] != s:
            holders[key].append(s)
            size[s] += 1
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for segs in holders.values():
        for p in range(len(segs)):
            for q in range(p + 1, min(len(segs), p + _MAX_GROUP)):
                shared[segs[p], segs[q]] += 1
    out: dict[int, list[tuple[int, float]]] = {}
    for (i, j), inter in sorted(shared.items()):
        jac = inter / (size[i] + size[j] - inter)
        inside = inter / size[j]
        if jac >= config.paragraph_threshold or inside >= config.paragraph_containment:
            out.setdefault(j, []).append((i, max(jac, inside)))
    return out


# -- comparing -----------------------------------------------------------------------------


def same(got: np.ndarray, want: np.ndarray, what: str = "") -> None:
    """Bit for bit: dtype, shape and every value."""
    assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert got.tobytes() == want.tobytes(), what


def same_tokens(got: Tokens, want: Tokens) -> None:
    for field in ("hashes", "owner", "counts", "lettered", "numeric"):
        same(getattr(got, field), getattr(want, field), field)


def check_all(name: str, segments: list[str], reference: bool = True) -> None:
    """Every primitive of backend ``name`` on these segments against the numpy twin (and the
    pure-Python reference when ``reference``)."""
    k = kernel.backend(name)
    tokens = k.tokenize(segments)
    want = numpy_tokenize(segments)
    same_tokens(tokens, want)
    if reference:
        same_tokens(tokens, ref_tokenize(segments))
    same(k.segment_keys(tokens, segments), numpy_segment_keys(want, segments), "keys")
    if reference:
        same(k.segment_keys(tokens, segments), ref_segment_keys(want, segments), "keys")
    same(k.distinct_words(tokens), numpy_distinct_words(want), "distinct")
    owner = tokens.owner // 3  # groups of three segments, some of them empty
    for mask in (np.ones(len(owner), dtype=bool), want.numeric):
        got = k.sequence_digest(tokens.hashes[mask], owner[mask], len(segments))
        same(got, numpy_sequence_digest(want.hashes[mask], owner[mask], len(segments)), "digest")
        if reference:
            same(got, ref_sequence_digest(want.hashes[mask], owner[mask], len(segments)))
    if reference:
        same(k.distinct_words(tokens), ref_distinct_words(want), "distinct")
    include = np.arange(len(segments)) % 3 != 1
    for n in (1, 2, 5):
        for inc in (None, include):
            got = k.ngrams(tokens, n, inc)
            expected = numpy_ngrams(want, n, inc)
            same(got[0], expected[0], "shingles")
            same(got[1], expected[1], "owner")
            if reference:
                r = ref_ngrams(want, n, inc)
                same(got[0], r[0], "shingles")
                same(got[1], r[1], "owner")
    shingles, owner = k.ngrams(tokens, 5)
    sigs = k.Hasher(128, 1).signatures(shingles, owner, len(segments))
    same(sigs, NumpyHasher(128, 1).signatures(shingles, owner, len(segments)), "signatures")
    same(k.band_keys(sigs, 42, 3), numpy_band_keys(sigs, 42, 3), "bands")
    if reference:
        same(k.band_keys(sigs, 42, 3), ref_band_keys(sigs, 42, 3), "bands")
    article_of = np.arange(len(segments), dtype=np.intp) // 4
    pairs = k.repeated_pairs(tokens, article_of, CONFIG)
    assert pairs == numpy_repeated_pairs(want, article_of, CONFIG)
    if reference:
        assert pairs == ref_repeated_pairs(want, article_of, CONFIG)
    judged = np.minimum(want.lettered, numpy_distinct_words(want)) >= 3
    pairs = k.repeated_pairs(tokens, article_of, CONFIG, judged)
    assert pairs == numpy_repeated_pairs(want, article_of, CONFIG, judged)
    if reference:
        assert pairs == ref_repeated_pairs(want, article_of, CONFIG, judged)


# -- real text -----------------------------------------------------------------------------


def _reuters_bodies(count: int) -> list[str]:
    path = DATA / "reuters21578" / "reut2-000.sgm"
    if not path.exists():
        pytest.skip(f"test data not found: {path}")
    spec = importlib.util.spec_from_file_location("r2j", REPO / "scripts" / "reuters_to_jsonl.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    sgml = path.read_text(encoding="latin-1")
    bodies = [module.body_text(m.group(1)) for m in module.BODY_RE.finditer(sgml)]
    return [str(b) for b in bodies[:count]]


def _segments(texts: Sequence[str]) -> list[str]:
    return [s.text.replace(SEP, " ") for t in texts for s in segment(t)]


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    texts = bbc_articles("business", 60) + bbc_articles("tech", 60) + _reuters_bodies(250)
    # a few articles whose paragraphs repeat, nearly or exactly, so that pairs are found
    for t in texts[:40:4]:
        paras = [p for p in t.split("\n\n") if p.strip()]
        if len(paras) > 3:
            edited = paras[2].replace(" the ", " a ", 1)
            texts.append("\n\n".join([*paras, edited, paras[1], paras[2][: len(paras[2]) // 2]]))
    return texts


def test_every_primitive_on_real_text(name: str, real_texts: list[str]) -> None:
    raw = _segments(real_texts)
    norms = normalize_many(raw)
    check_all(name, norms, reference=False)
    check_all(name, raw[:300])  # not normalised: upper case, curly quotes, dashes


def test_reference_on_real_text(name: str, real_texts: list[str]) -> None:
    check_all(name, normalize_many(_segments(real_texts[::7])))


def test_fingerprint_arrays_end_to_end(name: str, real_texts: list[str]) -> None:
    """The kernel's share of fingerprinting a batch of real articles, on each backend,
    equals what `fingerprint_batch` and `bodies` (the numpy pipeline the cleaner runs)
    compute, array by array."""
    got = kernel.fingerprint_arrays(real_texts, CONFIG, kernel.backend(name))
    batch = fingerprint_batch([Article(str(i), t) for i, t in enumerate(real_texts)], CONFIG)
    keep = np.ones(len(batch.norms), dtype=bool)
    want = bodies(batch, keep, CONFIG, NumpyHasher(CONFIG.num_perm, CONFIG.seed))
    same(got.first, batch.first, "first")
    assert got.norms == list(batch.norms)
    same_tokens(got.tokens, batch.tokens)
    words = got.tokens.counts > EXACT_MAX_WORDS  # shorter segments get exact keys there
    same(got.keys[words], batch.keys[words], "keys")
    same(got.judged, batch.judged, "judged")
    assert got.repeats == batch.repeats
    assert len(got.repeats) >= 10  # the edited repeats were found
    same(got.signatures, want.signatures, "signatures")
    for field in ("sizes", "words"):
        same(getattr(got, field).astype(np.int64), getattr(want, field), field)
    same(got.exact, want.exact, "exact")
    same(got.bands, numpy_band_keys(want.signatures, CONFIG.lsh_bands, CONFIG.lsh_rows))


# -- generated input -----------------------------------------------------------------------

_PIECES = ["\r\n", "\n\n", "\ufeff", " ", "\t", "_", "0", "9", "é", "ß", "İ", "ﬁ", "\u00ad"]
_PIECES += ["–", "’", "“", "\u200b", "\ud800", "\udfff", "a", "Z", "the", "The", "of", "x" * 70]
_PIECES += ["€", "日本語", "\U0001f600", ".", ",", "don't", "2024", "\x7f", "\x01"]
_SEGMENT = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.characters(exclude_characters="\x00")), max_size=40
).map("".join)
_LONG = st.tuples(_SEGMENT, st.integers(1, 150)).map(lambda t: t[0] * t[1])
segments_strategy = st.lists(
    st.one_of(_SEGMENT, _SEGMENT, _SEGMENT, st.just(""), _LONG, st.sampled_from(_PIECES)),
    max_size=24,
)


@PROPERTY
@given(segments=segments_strategy)
def test_every_primitive_on_generated_text(name: str, segments: list[str]) -> None:
    check_all(name, segments)
    check_all(name, normalize_many([s.replace(SEP, " ") for s in segments]))


def test_huge_and_one_word_segments(name: str) -> None:
    """Segments over MAX_NEAR_WORDS words (repeated only exactly), one-word segments,
    empty ones, all in one article."""
    huge = " ".join(f"w{i % 997} said" for i in range(MAX_NEAR_WORDS))
    longer = huge + " and more words at the end of it"
    segments = [huge, "one", "", longer, "one", huge[: len(huge) // 2], "two", ""]
    check_all(name, segments, reference=False)
    tokens = kernel.backend(name).tokenize(segments)
    assert tokens.counts[0] > MAX_NEAR_WORDS
    one = np.zeros(len(segments), dtype=np.intp)
    config = CleanerConfig(paragraph_min_words=1)
    got = kernel.backend(name).repeated_pairs(tokens, one, config)
    assert got == numpy_repeated_pairs(tokens, one, config)
    assert got == ref_repeated_pairs(tokens, one, config)
    assert got[4] == [(1, 1.0)]  # "one" again
    assert 3 not in got and 0 not in {i for pairs in got.values() for i, _ in pairs}


@pytest.mark.parametrize("total", [1, 2, 63, 64, 65, 127, 128, 129, 200, 256])
def test_tokenize_around_64_byte_blocks(name: str, total: int) -> None:
    """The compiled tokenizer reads 64 bytes at a time: words crossing a block edge, ending
    exactly at the end of the data, 64 bytes or longer, NULs at the edges."""
    cases: list[list[str]] = []
    for word in (1, 2, 7, 8, 9, 63, 64, 65, 70):
        for lead in range(max(0, total - word - 3), max(1, total - word + 1)):
            text = ("." * lead + "é" * (word // 2) + "x" * (word % 2))[:total]
            cases.append([text])
            cases.append([text[: total // 2], text[total // 2 :]])
            cases.append(["9" * (total - 1), ""])  # a figure, then a NUL at the end
    for segments in cases:
        got = kernel.backend(name).tokenize(segments)
        same_tokens(got, numpy_tokenize(segments))
        same_tokens(got, ref_tokenize(segments))


@PROPERTY
@given(words=st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "x1"]), max_size=60))
def test_repeated_pairs_on_repetitive_segments(name: str, words: list[str]) -> None:
    """Few distinct words in many segments: long gram lists (the 31-place window) and many
    pairs; the article sizes exercise both the dense table and the sorted path."""
    lines = [" ".join(words[i:] + words[:i]) for i in range(0, len(words), 3)] * 3
    tokens = kernel.backend(name).tokenize(lines)
    config = CleanerConfig(paragraph_min_words=1, paragraph_threshold=0.3)
    for per_article in (1, 4, 1000):
        article_of = np.arange(len(lines), dtype=np.intp) // per_article
        want = numpy_repeated_pairs(tokens, article_of, config)
        assert kernel.backend(name).repeated_pairs(tokens, article_of, config) == want
        assert ref_repeated_pairs(tokens, article_of, config) == want


def test_repeated_pairs_sorted_path(real_texts: list[str]) -> None:
    """The compiled kernel counts pairs by sorting in articles with more than DENSE_MAX
    segments (by a table below that)."""
    if "compiled" not in kernel.available():
        pytest.skip("the compiled kernel is not built here")
    name = "compiled"
    norms = normalize_many(_segments(real_texts))
    tokens = kernel.tokenize(norms)
    one_article = np.zeros(len(norms), dtype=np.intp)  # > DENSE_MAX segments in one
    assert len(norms) > kernel.DENSE_MAX
    config = CleanerConfig(paragraph_threshold=0.5)
    want = numpy_repeated_pairs(tokens, one_article, config)
    assert len(want) > 10
    assert kernel.backend(name).repeated_pairs(tokens, one_article, config) == want


def test_outside_the_contract_goes_to_numpy(name: str) -> None:
    """A NUL inside a segment, unsorted or foreign-dtype input: the numpy twin decides."""
    k = kernel.backend(name)
    segments = ["one two", "three\x00four five", "", "six"]
    same_tokens(k.tokenize(segments), numpy_tokenize(segments))
    tokens = numpy_tokenize(["a b c d e f", "g h i"])
    shingles, owner = numpy_ngrams(tokens, 2)
    unsorted = owner[::-1].copy()
    h = k.Hasher(16, 3)
    same(h.signatures(shingles, unsorted, 2), NumpyHasher(16, 3).signatures(shingles, unsorted, 2))
    same(k.fmix64(np.arange(5, dtype=np.uint64)), numpy_fmix64(np.arange(5, dtype=np.uint64)))
    sigs = NumpyHasher(16, 3).signatures(shingles, owner, 2)
    same(k.band_keys(sigs, 8, 2), numpy_band_keys(sigs, 8, 2))
    same(k.band_keys(sigs.astype(np.uint64), 8, 2), numpy_band_keys(sigs.astype(np.uint64), 8, 2))
    interleaved = np.array([1, 0], dtype=np.intp)
    config = CleanerConfig(paragraph_min_words=1, paragraph_threshold=0.1)
    assert k.repeated_pairs(tokens, interleaved, config) == numpy_repeated_pairs(
        tokens, interleaved, config
    )


# -- MinHash -------------------------------------------------------------------------------


@pytest.mark.parametrize(("num_perm", "seed"), [(1, 0), (16, 1), (128, 1), (128, 42), (256, 7)])
def test_permutations_equal_datasketch(num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed)
    want = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    same(a, np.asarray(want[0]))
    same(b, np.asarray(want[1]))
    same(permutations(130, 2**32 - 1)[0], np.asarray(MinHash(130, 2**32 - 1).permutations[0]))


def _datasketch_signature(values: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda v: v)
    if len(values):
        m.update_batch(values.tolist())
    return np.asarray(m.hashvalues)


@settings(PROPERTY, max_examples=60)
@given(
    sizes=st.lists(st.integers(0, 700), max_size=5),
    num_perm=st.sampled_from([1, 7, 8, 9, 64, 65, 128, 130]),
    seed=st.integers(0, 2**32 - 1),
    values=st.integers(0, 2**32 - 1),
)
def test_signatures_equal_datasketch(
    name: str, sizes: list[int], num_perm: int, seed: int, values: int
) -> None:
    """Sets of any size (0, 1, more than a 256-shingle chunk), any num_perm (the AVX2 loop
    takes 64 and 8 at a time), any seed: datasketch's own MinHash, bit for bit."""
    rng = np.random.default_rng(values)
    shingles = rng.integers(0, M32, sum(sizes), dtype=np.uint64).astype(np.uint32)
    if len(shingles):
        shingles[rng.integers(0, len(shingles))] = rng.choice([0, M32 - 1])  # the extremes
    groups = np.repeat(np.arange(len(sizes), dtype=np.intp), sizes)
    sigs = kernel.backend(name).Hasher(num_perm, seed).signatures(shingles, groups, len(sizes))
    same(sigs, NumpyHasher(num_perm, seed).signatures(shingles, groups, len(sizes)))
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(int)
    for g in range(len(sizes)):
        mine = shingles[offsets[g] : offsets[g + 1]]
        same(sigs[g], _datasketch_signature(mine, num_perm, seed), f"set {g}")


def test_minhash_variants_agree() -> None:
    """The generic and the AVX2 MinHash loops give the same signatures."""
    if "compiled" not in kernel.available():
        pytest.skip("the compiled kernel is not built here")
    from dedupe import _speedups

    rng = np.random.default_rng(5)
    shingles = rng.integers(0, M32, 20000, dtype=np.uint64).astype(np.uint32)
    groups = np.sort(rng.integers(0, 300, 20000)).astype(np.intp)
    for num_perm in (1, 13, 64, 128, 200):
        a, b = permutations(num_perm, 9)
        outs = []
        variants = [1, 2] if _speedups.HAVE_AVX2 else [1]
        for variant in variants:
            out = np.empty((300, num_perm), dtype=np.uint32)
            assert _speedups.signatures(shingles, groups, a, b, out, variant)
            outs.append(out)
        same(outs[0], NumpyHasher(num_perm, 9).signatures(shingles, groups, 300))
        for out in outs[1:]:
            same(out, outs[0])


# -- threads -------------------------------------------------------------------------------


def test_two_threads_give_the_same_results(name: str, real_texts: list[str]) -> None:
    """Batches fingerprinted by two threads at once equal those computed one after another
    (no shared mutable state in the kernel)."""
    k = kernel.backend(name)
    batches = [real_texts[i::4] for i in range(4)]
    alone = [kernel.fingerprint_arrays(b, CONFIG, k) for b in batches]
    results: dict[int, kernel.FingerprintArrays] = {}

    def work(which: list[int]) -> None:
        for _ in range(3):
            for i in which:
                results[i] = kernel.fingerprint_arrays(batches[i], CONFIG, k)

    threads = [threading.Thread(target=work, args=(which,)) for which in ([0, 1], [2, 3])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, want in enumerate(alone):
        got = results[i]
        same_tokens(got.tokens, want.tokens)
        for field in ("first", "keys", "judged", "signatures", "sizes", "exact", "bands"):
            same(getattr(got, field), getattr(want, field), field)
        assert got.repeats == want.repeats


def test_the_kernel_releases_the_gil() -> None:
    """While one thread is inside a long kernel call, another thread runs Python code."""
    if "compiled" not in kernel.available():
        pytest.skip("the compiled kernel is not built here")
    from dedupe import _speedups

    rng = np.random.default_rng(1)
    shingles = rng.integers(0, M32, 400_000, dtype=np.uint64).astype(np.uint32)
    groups = np.zeros(len(shingles), dtype=np.intp)
    a, b = permutations(512, 1)
    out = np.empty((1, 512), dtype=np.uint32)
    span: list[float] = []
    ticks: list[float] = []
    started = threading.Event()
    done = threading.Event()

    def call() -> None:
        started.wait()
        span.append(time.perf_counter())
        _speedups.signatures(shingles, groups, a, b, out, 1)
        span.append(time.perf_counter())
        done.set()

    def count() -> None:
        started.set()
        while not done.is_set():
            ticks.append(time.perf_counter())

    threads = [threading.Thread(target=call), threading.Thread(target=count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inside = [t for t in ticks if span[0] < t < span[1]]
    assert span[1] - span[0] > 0.02  # long enough for the other thread to run
    assert len(inside) > 10


# -- which path is active ------------------------------------------------------------------


def _python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "DEDUPE_PURE_PYTHON"}
    environ.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True
    )
    return proc.stdout.strip()


def test_pure_python_env_forces_numpy() -> None:
    code = "import dedupe.kernel as k; print(k.ACTIVE, k.Hasher.__name__, k.describe())"
    assert _python(code, DEDUPE_PURE_PYTHON="1") == ("numpy Hasher numpy (DEDUPE_PURE_PYTHON=1)")
    if "compiled" in kernel.available():
        assert _python(code, DEDUPE_PURE_PYTHON="0").startswith("compiled CompiledHasher")


def test_missing_extension_falls_back_to_numpy() -> None:
    code = "import sys; sys.modules['dedupe._speedups'] = None\n" + (
        "import dedupe.kernel as k; print(k.ACTIVE, k.available(), k.describe())"
    )
    assert _python(code) == "numpy ['numpy'] numpy (compiled kernel not built)"


def test_importing_the_kernel_does_not_import_datasketch() -> None:
    code = "import sys, dedupe.kernel, dedupe.cli; print('datasketch' in sys.modules)"
    assert _python(code) == "False"


def test_version_names_the_kernel() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"dedupe 0.1.0 (kernel: {kernel.describe()})"


def test_build_without_a_compiler_warns_and_succeeds(tmp_path: Path) -> None:
    """``pip install .`` where no C compiler works: a warning, no extension, no failure."""
    env = {k: v for k, v in os.environ.items() if k != "DEDUPE_PURE_PYTHON"}
    env.update(CC="false", LDSHARED="false")
    args = ["build_ext", "--build-lib", str(tmp_path / "lib"), "--build-temp", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "setup.py", "-q", *args], cwd=REPO, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "could not be built" in proc.stderr
    assert not list((tmp_path / "lib").rglob("_speedups*"))


def test_bench_kernel_script_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/kernel.py on a few real articles, one run: the table and the README block."""
    if not (DATA / "reuters21578").exists() or not (DATA / "bbc_news_fulltext").exists():
        pytest.skip("shared data not found")
    spec = importlib.util.spec_from_file_location("bench_kernel", REPO / "bench" / "kernel.py")
    assert spec is not None and spec.loader is not None
    bench: ModuleType = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look it up there
    spec.loader.exec_module(bench)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.MARK_START}\nold\n{bench.MARK_END}\n\nafter\n", "utf-8")
    args = ["--runs", "1", "--bbc", "40", "--reuters", "30", "--readme", str(readme)]
    assert bench.main(args) == 0
    text = readme.read_text("utf-8")
    assert "old" not in text and text.endswith("after\n")
    assert (
        "| body MinHash, 128 permutations |" in text and "70 articles (40 BBC, 30 Reuters" in text
    )
    assert capsys.readouterr().out.strip() in text
