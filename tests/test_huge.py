"""Huge articles (issue 10): the memory-bounding paths give the results of the plain ones.

`fingerprint.bodies` shingles and hashes bodies in blocks of ``BODY_BLOCK`` words, an
article with more in pieces; `normalize.normalize_many` normalises in groups and
collapses the spaces of a long text with a regex. Each is checked here against the
same computation with the bound out of reach (one block, one group, ``str.split``), on
real articles (BBC) joined into long ones and with random segments removed, on both
kernel backends.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import fields

import numpy as np
import pytest

from dedupe import Article, Cleaner, CleanerConfig, fingerprint, kernel, normalize
from dedupe.fingerprint import bodies, fingerprint_batch

from .data import EXAMPLE, bbc_articles, need

CONFIG = CleanerConfig()


def _articles() -> list[Article]:
    texts = bbc_articles("business", 12)
    long = "\n\n".join(bbc_articles("sport", 20))  # one article of many words
    flat = " ".join(" ".join(bbc_articles("tech", 6)).split())  # one line: sentences
    texts = [texts[0], long, *texts[1:6], flat, "", "One two.", *texts[6:]]
    return [Article(str(i), t) for i, t in enumerate(texts)]


def _same(a: object, b: object) -> None:
    for f in fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        assert np.array_equal(x, y), f.name


@pytest.mark.parametrize("name", kernel.available())
@pytest.mark.parametrize("block", [1, 2, 5, 64, 1000])
def test_bodies_do_not_depend_on_the_block(
    name: str, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = _articles()
    on = kernel.backend(name)
    for attr in ("ngrams", "sequence_digest", "fmix64", "tokenize", "segment_keys"):
        monkeypatch.setattr(fingerprint, attr, getattr(on, attr))
    hasher = on.Hasher(CONFIG.num_perm, CONFIG.seed)
    batch = fingerprint_batch(articles, CONFIG)
    rng = np.random.default_rng(block)
    for keep in (
        np.ones(len(batch.norms), dtype=bool),
        rng.random(len(batch.norms)) < 0.7,
        rng.random(len(batch.norms)) < 0.05,
    ):
        whole = bodies(batch, keep, CONFIG, hasher)
        monkeypatch.setattr(fingerprint, "BODY_BLOCK", block)
        monkeypatch.setattr(fingerprint, "LONG_PIECE", max(1, block // 2))
        _same(bodies(batch, keep, CONFIG, hasher), whole)
        monkeypatch.setattr(fingerprint, "BODY_BLOCK", 1 << 20)
        monkeypatch.setattr(fingerprint, "LONG_PIECE", 1 << 16)
    assert int(np.diff(batch.first).max()) > 100  # the long article was cut into pieces


def _reference(texts: list[str]) -> list[str]:
    """`normalize_many` as it was before groups: one join, ``str.split`` for spaces."""
    fixed = [unicodedata.normalize("NFKC", t) for t in texts]
    big = normalize._SPECIAL.sub(normalize._unify, normalize.SEP.join(fixed))
    return [" ".join(part.split()) for part in big.casefold().split(normalize.SEP)]


def test_normalize_groups_and_long_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    alphabet = "aB1 \t\n\x1c\x85\xa0\u2003\u3000’“—\u200bÉé\ufb01ß_-."
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))) for _ in range(300)]
    texts += [" ".join(bbc_articles("politics", 3))]
    plain = normalize.normalize_many(texts)
    assert plain == _reference(texts)
    monkeypatch.setattr(normalize, "GROUP_CHARS", 50)
    monkeypatch.setattr(normalize, "LONG_CHARS", 1)
    assert normalize.normalize_many(texts) == plain
    assert normalize.normalize_many([]) == []


@pytest.mark.parametrize("name", kernel.available())
def test_distinct_words_of_long_segments(name: str) -> None:
    """The compiled table grows with a segment's distinct words (it starts small)."""
    rng = np.random.default_rng(5)
    counts = np.array([3, 20_000, 0, 1, 150_000, 9_000, 2], dtype=np.intp)
    pools = [2, 20_000, 1, 1, 40_000, 3, 5]  # distinct values each segment draws from
    hashes = np.concatenate(
        [
            rng.integers(0, p, c, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            for c, p in zip(counts, pools)
        ]
    )
    tokens = normalize.Tokens(
        hashes, np.repeat(np.arange(len(counts)), counts), counts, counts, hashes > 0
    )
    expected = [
        len(set(hashes[a:b].tolist()))
        for a, b in zip(np.r_[0, np.cumsum(counts)[:-1]], np.cumsum(counts))
    ]
    assert kernel.backend(name).distinct_words(tokens).tolist() == expected
    assert expected[4] > 30_000  # the table had to grow several times


@pytest.mark.parametrize("name", kernel.available())
def test_long_segments_are_hashed_in_pieces(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A segment longer than ``LONG_SEGMENT`` is normalised and hashed a piece at a time and
    its normalised text not kept: every fingerprint is the same as with the whole text."""
    on = kernel.backend(name)
    for attr in ("tokenize", "segment_keys", "ngrams", "sequence_digest", "fmix64"):
        monkeypatch.setattr(fingerprint, attr, getattr(on, attr))
    articles = _articles()
    odd = "Ünïcödé — “quoted” ﬁne Straße\x00NUL " * 40  # NFKC, unified quotes, NUL
    articles += [
        Article(
            "t", "Big news | Section | The Site\n\n" + "word " * 300 + "\n\nUpdated 3 hours ago"
        ),
        Article(
            "u", odd + "\n\n" + odd.upper() + "\n\n" + "Shr 1.23 dlrs vs 1.10 dlrs\nYear 1986\n"
        ),
        Article("v", "x" * 500 + " " + "y" * 500),  # long, two words, one space
    ]

    def prints() -> dict[str, object]:
        b = fingerprint_batch(articles, CONFIG)
        out: dict[str, object] = {"norms": list(b.norms), "repeats": b.repeats}
        for key in ("keys", "shapes", "first", "judged", "part_keys", "part_segment"):
            out[key] = getattr(b, key).tolist()
        for f in fields(b.tokens):
            out[f.name] = getattr(b.tokens, f.name).tolist()
        return out

    whole = prints()
    monkeypatch.setattr(fingerprint, "WORDS_GROUP", 300)
    assert prints() == whole  # in groups of segments
    monkeypatch.setattr(fingerprint, "KEPT_NORMS", 1)
    assert prints() == whole  # later segments normalised again when asked for
    monkeypatch.setattr(fingerprint, "KEPT_NORMS", 2000)
    monkeypatch.setattr(fingerprint, "LONG_SEGMENT", 40)
    monkeypatch.setattr(normalize, "LONG_CHARS", 7)
    assert prints() == whole  # long segments in pieces too
    batch = fingerprint_batch(articles, CONFIG)
    not_kept = [i for i in range(len(batch.norms)) if batch.norms._kept.get(i) is None]
    assert len(not_kept) > 50  # long ones were not kept


def test_an_article_keeps_the_normalised_text_of_its_first_segments_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past an article's first ``KEPT_NORMS`` segments, the normalised texts are made again
    when a rule asks for them: the same cleaning (titles, repeats, boilerplate)."""
    page = need(EXAMPLE).read_text(encoding="utf-8")
    texts = [page, *bbc_articles("politics", 30)]
    texts += [f"Footer line of the site\n\n{t}\n\nUpdated 3 hours ago" for t in texts[1:8]]
    head = texts[1].split("\n")[0]
    texts.append(f"{head}\n\n{texts[2]}\n\n{head}\n\n{texts[3]}")  # a late repeat of it
    para = texts[4].split("\n\n")[2]
    texts.append(f"{texts[4]}\n\n{para}\n\n{para.replace(' the ', ' a ', 1)}")  # a copy, a near one
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts)]

    def cleaned() -> list[tuple[str, bool, list[object], object]]:
        results = Cleaner(CleanerConfig(boilerplate_min_docs=3, documents=False)).clean(
            iter(records)
        )
        return [(r.text, r.dropped, r.removals, r.title) for r in results]

    whole = cleaned()
    rules = {row.rule for r in whole for row in r[2]}  # type: ignore[attr-defined]
    assert rules == {"headline", "paragraph", "boilerplate"}
    monkeypatch.setattr(fingerprint, "KEPT_NORMS", 1)
    assert cleaned() == whole
    batch = fingerprint_batch([Article("x", t) for t in texts[:3]], CONFIG)
    assert batch.norms._kept.get(0) is not None
    assert batch.norms._kept.get(1) is None and batch.norms[1] == normalize.normalize(batch.text(1))


def test_boilerplate_counts_do_not_depend_on_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pass counts a batch's segment keys a chunk at a time (bounded temporaries
    for a huge article): the same boilerplate, by site and across sites, for any chunk."""
    from dedupe import cleaner

    footer = "Follow us on Twitter for more news"
    share = "Share this with Email, Facebook, Messenger"  # twice on each of two sites
    records = [
        {
            "id": str(i),
            "text": f"{t}\n\n{footer}\n\n{share if i % 12 < 2 else ''}\n\nUpdated {i % 7 + 1}h ago",
            "site": s,
        }
        for i, (t, s) in enumerate(
            zip(bbc_articles("tech", 24), ["a.com", "b.com", "c.com"] * 8, strict=True)
        )
    ]

    def cleaned() -> list[tuple[str, list[object]]]:
        config = CleanerConfig(boilerplate_min_docs=3, site_field="site")
        return [(r.text, r.removals) for r in Cleaner(config).clean(iter(records))]

    whole = cleaned()
    scopes = {row.details.get("scope") for r in whole for row in r[1]}  # type: ignore[attr-defined]
    assert {"site", "sites"} <= scopes
    monkeypatch.setattr(cleaner, "COUNT_CHUNK", 5)
    assert cleaned() == whole
