import pytest

from dedupe.normalize import normalize
from dedupe.rules.boilerplate import BoilerplateCounter
from dedupe.rules.headline import Headline
from dedupe.rules.paragraph import ParagraphIndex

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
    assert Headline(normalize(TITLE), 3, 0.85).match(normalize(variant)) > 0


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
    assert Headline(normalize(TITLE), 3, 0.85).match(normalize(other)) == 0


def _grams(text: str) -> set[int]:
    from dedupe.normalize import ngram_hashes, word_hashes, words

    return set(ngram_hashes(word_hashes(words(normalize(text))), 3).tolist())


def test_paragraph_exact_near_and_contained_repeats() -> None:
    paras = [p for p in bbc("business", 1).split("\n\n")[1:] if p.strip()]
    index = ParagraphIndex(0.8, 0.9)
    for i, p in enumerate(paras):
        index.add(i, hash(normalize(p)), _grams(p))
    edited = paras[1].replace("biggest", "largest")
    hit = index.match(-1, _grams(edited))
    assert hit is not None and hit[0] == 1 and hit[1] >= 0.8
    first_sentence = paras[2].split(". ")[0] + "."
    hit = index.match(-2, _grams(first_sentence))
    assert hit is not None and hit[0] == 2
    assert index.match(-3, _grams(bbc("sport", 1).split("\n\n")[1])) is None


def test_boilerplate_counts_stories_not_articles() -> None:
    counter = BoilerplateCounter(min_docs=3, min_share=0.0)
    for doc in range(5):
        counter.add(key=1, story=0, doc=doc, segment=4)  # five copies of one story
        counter.add(key=2, story=doc, doc=doc, segment=9)  # one line on five stories
    assert not counter.is_boilerplate(1)
    assert counter.is_boilerplate(2)
    assert counter.first(2) == (0, 9)


def test_boilerplate_share_and_sites() -> None:
    counter = BoilerplateCounter(min_docs=2, min_share=0.5)
    for doc in range(10):
        counter.add(key=doc, story=doc, doc=doc, segment=0, site="a")
    for doc in range(3):
        counter.add(key=100, story=doc, doc=doc, segment=1, site="a")
    assert counter.stories(100, "a") == 3
    assert not counter.is_boilerplate(100, "a")  # 3 of 10 stories < 50%
    assert counter.stories(100, "b") == 0
