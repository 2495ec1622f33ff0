import numpy as np
import pytest

from dedupe import CleanerConfig
from dedupe.normalize import normalize, tokenize
from dedupe.rules.boilerplate import BoilerplateCounter, recurring, site_hash, site_keys
from dedupe.rules.headline import Forms, Headline
from dedupe.rules.paragraph import repeated_pairs

from .data import bbc

TITLE = "Giving up on S-400s ‘out of question,’ says defense minister"


@pytest.mark.parametrize(
    "variant",
    [
        TITLE,
        TITLE.upper(),
        "Giving up on S-400s 'out of question,' says defense minister",  # straight quotes
        "Giving  up on S-400s\u00a0‘out of question,’ says defense minister ",
        TITLE + " | Hürriyet Daily News",
        TITLE + " - Hürriyet Daily News",
        "Hürriyet Daily News | " + TITLE,
        "BREAKING: " + TITLE,
        "Giving up on S-400s ‘out of question’, says defence minister",  # small edit
    ],
)
def test_headline_variants_match(variant: str) -> None:
    assert _headline(TITLE).match(_forms(variant)) is not None


def _forms(text: str) -> Forms:
    return Forms(text, normalize(text))


def _headline(text: str) -> Headline:
    return Headline(_forms(text), 3, 0.85)


@pytest.mark.parametrize(
    "other",
    [
        "Turkey will not give up on S-400s, says its defense minister in an interview",
        "Defense minister",
        "Hürriyet Daily News",
        "Giving up on S-500s ‘out of question,’ says defense minister",
        "The minister also said that Turkey continues its relationships with all parties.",
    ],
)
def test_headline_non_repeats_do_not_match(other: str) -> None:
    assert _headline(TITLE).match(_forms(other)) is None


def _pairs(texts: list[str]) -> dict[int, list[tuple[int, float]]]:
    """Near-repeat pairs among the segments of one article."""
    tokens = tokenize([normalize(t) for t in texts])
    return repeated_pairs(tokens, np.zeros(len(texts), dtype=np.intp), CleanerConfig())


def test_paragraph_near_and_contained_repeats() -> None:
    paras = [p for p in bbc("business", 1).split("\n\n")[1:] if p.strip()]
    edited = paras[1].replace("biggest", "largest")
    first_sentence = paras[2].split(". ")[0] + "."
    other = bbc("sport", 1).split("\n\n")[1]
    n = len(paras)
    pairs = _pairs([*paras, edited, first_sentence, other])
    assert [i for i, _ in pairs[n]] == [1] and pairs[n][0][1] >= 0.8
    assert [i for i, _ in pairs[n + 1]] == [2]
    assert n + 2 not in pairs
    assert all(j > i for j, found in pairs.items() for i, _ in found)


def test_boilerplate_counts_stories_not_articles() -> None:
    counter = BoilerplateCounter(min_docs=3, min_share=0.0)
    for doc in range(5):
        counter.add(key=1, story=0, doc=doc, segment=4)  # five copies of one story
        counter.add(key=2, story=doc, doc=doc, segment=9)  # one line on five stories
    counter.finish()
    assert not counter.is_boilerplate(1)
    recurring = counter.get(2)
    assert recurring is not None
    assert (recurring.first_doc, recurring.first_segment, recurring.second_doc) == (0, 9, 1)
    assert recurring.stories == 5 and recurring.total == 5
    assert recurring.other_than(0) == 1 and recurring.other_than(3) == 0


def test_boilerplate_share_is_per_site() -> None:
    counter = BoilerplateCounter(min_docs=2, min_share=0.5)
    a, b = site_hash("a.example"), site_hash("b.example")
    line = np.array([100], dtype=np.uint64)
    for doc in range(10):  # site 1: ten stories, the line on three of them
        counter.add(key=1000 + doc, story=doc, doc=doc, segment=0, site=1)
        if doc < 3:
            counter.add(key=int(site_keys(line, a)[0]), story=doc, doc=doc, segment=1, site=1)
    for doc in range(10, 14):  # site 2: four stories, the line on all of them
        counter.add(key=int(site_keys(line, b)[0]), story=doc, doc=doc, segment=1, site=2)
    counter.finish()
    assert not counter.is_boilerplate(int(site_keys(line, a)[0]))  # 3 of 10 < 50%
    on_b = counter.get(int(site_keys(line, b)[0]))  # 4 of 4
    assert on_b is not None and (on_b.stories, on_b.total, on_b.sites) == (4, 4, 1)


def _recurring_by_hand(
    rows: list[tuple[int, int, int, int, int]], site_total: list[int], min_docs: int, share: float
) -> dict[int, tuple[int, int, int, int, int, int]]:
    """`recurring`, row by row: each key's first (doc, segment), next other doc, distinct
    stories and sites, and its site's stories, if it is in enough stories."""
    out = {}
    for key in sorted({r[0] for r in rows}):
        mine = sorted((doc, seg, story, site) for k, story, doc, seg, site in rows if k == key)
        doc, seg, _, site = mine[0]
        second = next((d for d, *_ in mine if d != doc), -1)
        stories = len({m[2] for m in mine})
        total = site_total[site]
        if stories >= max(float(min_docs), share * total):
            out[key] = (doc, seg, second, stories, len({m[3] for m in mine}), total)
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ordered", [False, True])
def test_recurring_keys_match_a_count_by_hand(seed: int, ordered: bool) -> None:
    """Recurring keys (with the rows of keys too rare to recur dropped first) are those a
    row-by-row count finds, whether or not the rows come sorted."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    keys = rng.integers(1, 1 + int(rng.integers(1, 60)), n).astype(np.uint64)
    docs = rng.integers(0, 40, n).astype(np.uint32)
    stories = (docs // rng.integers(1, 4)).astype(np.uint32)
    segments = rng.integers(0, 30, n).astype(np.uint32)
    sites = rng.integers(0, 3, n).astype(np.uint32)
    site_total = [int(x) for x in rng.integers(1, 30, 3)]
    min_docs, share = int(rng.integers(1, 6)), float(rng.choice([0.0, 0.2]))
    rows = list(zip(*(a.tolist() for a in (keys, stories, docs, segments, sites)), strict=True))
    columns = (keys, stories, docs, segments, sites)
    if ordered:
        order = np.lexsort((segments, docs, keys))
        columns = tuple(a[order] for a in columns)  # type: ignore[assignment]
    found = recurring(
        *columns, np.array(site_total), min_docs, share, ordered=ordered
    )  # fmt: skip
    got = {
        k: (r.first_doc, r.first_segment, r.second_doc, r.stories, r.sites, r.total)
        for k, r in found.items()
    }
    assert got == _recurring_by_hand(rows, site_total, min_docs, share)


def test_a_boilerplate_line_is_embedded_between_body_paragraphs_as_counted_by_hand() -> None:
    """`_between_body`: the nearest segments before and after that are not boilerplate
    are both article text (a linear pass, not a scan per line)."""
    from dedupe.stages import _between_body

    def by_hand(i: int, body: list[bool], hits: set[int]) -> bool:
        before = next((j for j in range(i - 1, -1, -1) if j not in hits), None)
        after = next((j for j in range(i + 1, len(body)) if j not in hits), None)
        return before is not None and after is not None and body[before] and body[after]

    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(1, 30))
        hits = {i: None for i in range(n) if rng.random() < 0.4}
        body = [bool(rng.random() < 0.6) and i not in hits for i in range(n)]
        found = _between_body(np.array(body, dtype=bool), hits)
        assert [bool(found[i]) for i in hits] == [by_hand(i, body, set(hits)) for i in hits]
