"""The four rules end to end through the Python API, on real BBC and example text."""

from __future__ import annotations

from typing import Any

import pytest

from dedupe import Cleaner, CleanerConfig, ConfigError, Result
from dedupe.segment import unsplice

from .data import EXAMPLE, bbc, bbc_articles, need, paragraphs


def run(records: list[dict[str, Any]], **settings: Any) -> list[Result]:
    return list(Cleaner(CleanerConfig(**settings)).clean(records))


def restored(result: Result) -> str:
    return unsplice(result.text, [(r.cut_start, r.cut_text) for r in result.removals])


def test_example_title_once_body_intact() -> None:
    text = need(EXAMPLE).read_text(encoding="utf-8")
    [result] = run([{"id": "s400", "text": text}])
    title = text.split("\n")[0]
    assert result.text.count(title) == 1
    assert [r.rule for r in result.removals] == ["headline", "headline"]
    body = text.split("\n\n")[3:]
    assert result.text == "\n\n".join([title, *body])
    assert restored(result) == text


def test_headline_variants_removed_but_not_across_articles() -> None:
    a, b = bbc("business", 1), bbc("tech", 1)
    title = a.split("\n")[0]
    damaged = a.replace("\n\n", f"\n\n{title.upper()} | BBC News\n\n", 1)
    damaged = damaged.replace(title + "\n\n", f"{title}\n\n“{title}” - BBC\n\n", 1)
    other = b.replace("\n\n", f"\n\n{title}\n\n", 1)  # headline of another article: content
    results = run([{"id": "a", "text": damaged}, {"id": "b", "text": other}])
    assert results[0].text == a
    assert [r.rule for r in results[0].removals] == ["headline", "headline"]
    assert results[1].text == other


def test_jsonl_title_field_is_the_first_occurrence() -> None:
    a = bbc("sport", 2)
    title, body = a.split("\n\n", 1)
    [result] = run([{"id": 1, "title": title, "text": f"{title}\n\n{body}"}])
    assert result.text == body
    assert result.to_record()["title"] == title


def test_repeated_paragraph_exact_and_edited() -> None:
    a = bbc("politics", 3)
    paras = [p.strip() for p in paragraphs(a)]
    edited = paras[2].replace(" the ", " a ", 1)
    damaged = "\n\n".join([*paras[:4], paras[1], *paras[4:], edited]) + "\n"
    [result] = run([{"id": "x", "text": damaged}])
    assert result.text == "\n\n".join(paras) + "\n"
    assert [(r.rule, r.matched_segment) for r in result.removals] == [
        ("paragraph", 1),
        ("paragraph", 2),
    ]


def test_short_line_recurring_inside_article_is_content() -> None:
    a = bbc("tech", 5)
    paras = paragraphs(a)
    text = "\n\n".join([paras[0], paras[1], "Buy now", paras[2], "Buy now", *paras[3:]])
    [result] = run([{"id": "x", "text": text}])
    assert result.text == text


def test_boilerplate_removed_from_every_article() -> None:
    bodies = bbc_articles("entertainment", 8)
    lines = ["Share this article", "Sign up for our newsletter for the latest news."]
    records = []
    for i, body in enumerate(bodies):
        title, rest = body.split("\n\n", 1)
        text = f"Menu\n\n{title}\n\n{rest.rstrip()}\n\n{lines[0]}\n\n{lines[1].upper()}\n"
        records.append({"id": i, "text": text})
    results = run(records)
    for body, result in zip(bodies, results):
        assert (
            result.text == "Menu\n\n" + body.rstrip() + "\n" or result.text == body.rstrip() + "\n"
        )
        assert "Share this" not in result.text
        assert {r.rule for r in result.removals} == {"boilerplate"}
        assert restored(result) == records[results.index(result)]["text"]


def test_syndicated_copies_are_not_boilerplate_but_duplicates() -> None:
    story = bbc("business", 10)
    others = bbc_articles("sport", 6, start=20)
    copies = [story.replace("\n\n", f"\n\nSITE {i} - dateline.\n\n", 1) for i in range(6)]
    records = [{"id": f"c{i}", "text": t} for i, t in enumerate(copies)]
    records += [{"id": f"o{i}", "text": t} for i, t in enumerate(others)]
    results = run(records)
    assert not results[0].dropped and results[0].text == copies[0]
    assert all(r.dropped for r in results[1:6])
    assert all(r.removals[0].matched_doc == "c0" for r in results[1:6])
    assert all(not r.dropped and r.text == t for r, t in zip(results[6:], others))


def test_near_duplicate_and_abridged_articles() -> None:
    story = bbc("politics", 20)
    paras = paragraphs(story)
    edited = "\n\n".join(p.replace(" said", " says") for p in paras if p != paras[3])
    abridged = "\n\n".join(paras[: max(3, len(paras) * 2 // 3)])
    unrelated = bbc("politics", 21)
    records = [
        {"id": "orig", "text": story},
        {"id": "edited", "text": edited},
        {"id": "abridged", "text": abridged},
        {"id": "other", "text": unrelated},
    ]
    results = run(records)
    assert [r.dropped for r in results] == [False, True, True, False]
    assert results[1].removals[0].rule == "document"
    assert results[1].removals[0].cut_text == edited  # the report holds the whole article
    longest = run(records[1:3] + records[:1], keep="longest")
    assert [r.dropped for r in longest] == [True, True, False]


def test_rules_can_be_switched_off() -> None:
    text = need(EXAMPLE).read_text(encoding="utf-8")
    [result] = run([{"id": "s400", "text": text}], headlines=False)
    assert [r.rule for r in result.removals] == ["paragraph", "paragraph"]  # still a repeat
    [result] = run([{"id": "s400", "text": text}], headlines=False, paragraphs=False)
    assert result.text == text


def test_iterator_input_and_deterministic_output() -> None:
    records = [{"id": i, "text": t} for i, t in enumerate(bbc_articles("tech", 30))]
    records.append({"id": "dup", "text": records[3]["text"]})
    first = [(r.text, r.dropped, r.removals) for r in run(records)]
    second = [(r.text, r.dropped, r.removals) for r in Cleaner().clean(iter(records))]
    assert first == second
    assert first[-1][1] is True


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError):
        CleanerConfig(document_threshold=1.5)
    with pytest.raises(ConfigError):
        CleanerConfig(lsh_bands=100, lsh_rows=2)
    with pytest.raises(ConfigError):
        CleanerConfig().replace(no_such_setting=1)
    assert CleanerConfig().replace(seed=7).seed == 7


def test_table_row_recurring_inside_article_is_content() -> None:
    text = (
        "Shr 1.23 dlrs vs 1.10 dlrs\n"
        "Net 5.6 mln vs 4.3 mln\n"
        "Avg shrs 65.6 mln vs 63.9 mln\n"
        "The company also said its board approved a new buyback plan.\n"
        "Nine mths\n"
        "Shr 3.10 dlrs vs 2.90 dlrs\n"
        "Net 15.2 mln vs 12.1 mln\n"
        "Avg shrs 65.6 mln vs 63.9 mln\n"
    )
    [result] = run([{"id": "x", "text": text}])
    assert result.text == text
