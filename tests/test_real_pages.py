"""The phenomena of real scraped pages (issue 8), each with what must go and what
must stay: the headline wherever it stands and every variant of it, one-line texts,
boilerplate as a crawl shows it (rare, varying, per site), short content lines that
look like navigation, tables, quoted tweets and template reports.

Article bodies are real BBC texts from ../shared/data (read at test time); the
injected lines are short excerpts of real pages (L3S-GN1, Google News 2008;
Reuters-21578) or the shapes the issue names.
"""

from __future__ import annotations

from typing import Any

import pytest

from dedupe import Cleaner, CleanerConfig, Result
from dedupe.segment import segment, unsplice

from .data import EXAMPLE, bbc, bbc_articles, need, paragraphs


def run(records: list[dict[str, Any]], **settings: Any) -> list[Result]:
    results = list(Cleaner(CleanerConfig(**settings), jobs=1).clean(records))
    for record, result in zip(records, results):  # kept text is byte for byte
        if not result.dropped:
            cuts = [(r.cut_start, r.cut_text) for r in result.removals]
            assert unsplice(result.text, cuts) == record["text"]
    return results


def removed(result: Result, rule: str | None = None) -> list[str]:
    return [r.text for r in result.removals if rule is None or r.rule == rule]


def body(topic: str, number: int) -> tuple[str, list[str]]:
    """A BBC article's title and paragraphs."""
    text = bbc(topic, number)
    title, rest = text.split("\n", 1)
    return title.strip(), [p.strip() for p in paragraphs(rest)]


# -- the title, wherever it stands ------------------------------------------------------


def test_headline_below_timestamp_byline_and_breadcrumb() -> None:
    title, paras = body("business", 1)
    top = [
        "Home > Business > Markets",
        "Published 10:49 p.m. ET June 17, 2019",
        "By Jane Doe, Staff Writer",
    ]
    text = "\n\n".join([*top, title, *paras[:3], title.upper(), *paras[3:]]) + "\n"
    [result] = run([{"id": "a", "text": text}])
    assert result.title is not None and result.title.text == title
    assert removed(result) == [title.upper()]
    assert all(line in result.text for line in top)  # a one-off byline or stamp is content


@pytest.mark.parametrize(
    ("tag", "variant"),
    [
        ("{h} - Soccer - Sport - Breaking News - Belfast Telegraph", "affix"),
        ("{h}_English_Xinhua", "affix"),
        ("{h} : US World", "affix"),
        ("{h} - ABC News (Australian Broadcasting Corporation)", "affix"),
        ("SignOnSanDiego.com > Sports -- {h}", "affix"),
        ("BREAKING: {h}", "label"),
        ("UPDATE 2-{h}", "label"),
        ("EXCLUSIVE-{h}", "label"),
        ("{h} (VIDEO)", "label"),
        ("{h} - video", "label"),
    ],
)
def test_title_tag_line_is_the_repeat_and_the_plain_headline_stays(tag: str, variant: str) -> None:
    title, paras = body("politics", 5)
    line = tag.format(h=title)
    text = "\n".join([line, "Skip to content", "Menu", title, *paras]) + "\n"
    [result] = run([{"id": "a", "text": text}])
    assert result.title is not None and result.title.text == title
    assert [(r.text, r.details["variant"]) for r in result.removals] == [(line, variant)]


def test_a_site_name_line_is_never_taken_for_the_headline() -> None:
    title, paras = body("tech", 2)
    line = f"{title} - Los Angeles Times"
    text = "\n".join([line, *paras, "Los Angeles Times"]) + "\n"
    [result] = run([{"id": "a", "text": text}])
    assert result.text == text  # the title tag (the only copy of the headline) stays


def test_long_site_slogan_is_an_affix_once_the_site_shows_it() -> None:
    slogan = "Daily Star: Simply The Best 7 Days A Week :: Celeb News :: {h}"
    records = []
    for k, (title, paras) in enumerate(body("entertainment", n) for n in range(1, 7)):
        line = slogan.format(h=title)
        text = "\n".join([line, "Showbiz", title, *paras[:3]]) + "\n"
        records.append({"id": k, "text": text, "url": f"http://www.dailystar.co.uk/{k}"})
    results = run(records)
    for record, result in zip(records, results):
        tag = record["text"].split("\n")[0]
        assert result.title is not None and result.title.text == tag.rsplit(" :: ", 1)[1]
        assert tag in removed(result, "headline")


def test_teaser_and_case_copy_further_down_are_repeats() -> None:
    title, paras = body("sport", 3)
    words = title.split()
    teaser = " ".join(words[:4]) + "…"
    text = "\n\n".join([title, *paras, "Related stories", teaser, title.upper()]) + "\n"
    [result] = run([{"id": "a", "text": text}])
    kinds = {r.text: r.details.get("variant") for r in result.removals}
    assert kinds == {teaser: "teaser", title.upper(): "case"}


def test_a_repeated_paragraph_is_never_taken_for_the_title() -> None:
    title, paras = body("business", 19)
    lede = paras[0].rstrip(".")  # a copy without its full stop
    text = "\n\n".join([title, *paras, lede]) + "\n"
    [result] = run([{"id": "a", "text": text}])
    assert result.title is not None and result.title.text == title
    assert paras[0] in result.text and removed(result) == [lede]


# -- one-line texts ---------------------------------------------------------------------


def test_one_line_text_loses_its_repeated_headline() -> None:
    text = " ".join(need(EXAMPLE).read_text(encoding="utf-8").split())
    [result] = run([{"id": "s400", "text": text}])
    title = "Giving up on S-400s ‘out of question,’ says defense minister"
    assert result.text.startswith(title + " The Turkish defense minister")
    assert result.text.count(title) == 1


def test_collapsed_and_marked_texts_drop_the_same_duplicates_as_line_breaks() -> None:
    texts = bbc_articles("politics", 12)
    texts.append(texts[3])  # an exact repeat
    texts.append(texts[5].replace(" the ", " a ", 3))  # a near one
    layouts = {
        "lines": texts,
        "collapsed": [" ".join(t.split()) for t in texts],
        "marked": [" ### ".join(" ".join(p.split()) for p in paragraphs(t)) for t in texts],
    }
    dropped = {}
    for name, variant in layouts.items():
        results = run([{"id": k, "text": t} for k, t in enumerate(variant)])
        dropped[name] = [k for k, r in enumerate(results) if r.dropped]
    assert dropped["lines"] == dropped["collapsed"] == dropped["marked"] == [12, 13]


def test_marked_paragraphs_are_segments_with_byte_exact_cuts() -> None:
    title, paras = body("tech", 7)
    text = " ### ".join([title, title, *paras[:3], paras[1]])
    assert [s.kind for s in segment(text)] == ["piece"] * 6
    [result] = run([{"id": "a", "text": text}])
    assert removed(result) == [title, paras[1]]
    assert result.text == " ### ".join([title, *paras[:3]])


# -- boilerplate as a crawl shows it ------------------------------------------------------


def _corpus(n: int, extra: dict[int, list[str]] | None = None, top: str = "") -> list[str]:
    texts = []
    for k, text in enumerate(bbc_articles("business", n, start=20)):
        title, rest = text.split("\n", 1)
        lines = [title, *([top.format(k=k)] if top else []), *paragraphs(rest)]
        lines += (extra or {}).get(k, [])
        texts.append("\n\n".join(lines) + "\n")
    return texts


def test_a_rare_site_line_is_removed_at_min_docs_without_a_share_floor() -> None:
    prompt = "Sign up for our FREE newsletter"
    texts = _corpus(60, {k: [prompt] for k in range(0, 60, 10)})  # 6 of 60 stories
    results = run([{"id": k, "text": t} for k, t in enumerate(texts)])
    assert sum(prompt in removed(r, "boilerplate") for r in results) == 6
    rows = [x for r in results for x in r.removals if x.text == prompt]
    assert {x.details["stories"] for x in rows} == {6}
    assert all(x.matched_doc != x.doc for x in rows)  # never its own article as the match


def test_varying_timestamps_are_removed_by_their_shape() -> None:
    stamp = "Updated {k} hours ago"
    texts = _corpus(12, top="Posted January {k}, 2008 {k}:10 a.m. ET")
    texts = [
        t.replace("\n\n", f"\n\n{stamp.format(k=k % 9 + 1)}\n\n", 1) for k, t in enumerate(texts)
    ]
    results = run([{"id": k, "text": t} for k, t in enumerate(texts)])
    for k, r in enumerate(results):
        gone = {x.text: x.details["match"] for x in r.removals if x.rule == "boilerplate"}
        assert gone == {
            stamp.format(k=k % 9 + 1): "shape",
            f"Posted January {k}, 2008 {k}:10 a.m. ET": "shape",
        }


def test_a_dated_line_in_a_few_stories_is_theirs() -> None:
    texts = _corpus(40, {k: [f"Tuesday, {k + 1} March"] for k in range(5)})  # 5 of 40 stories
    records = [{"id": k, "text": t} for k, t in enumerate(texts)]
    results = run(records, weak_min_share=0.2)  # 12.5% of the stories: theirs, not a stamp
    assert not any(r.removals for r in results)
    results = run(records, weak_min_share=0.1)
    assert [len(r.removals) for r in results[:6]] == [1, 1, 1, 1, 1, 0]


# -- content that looks like boilerplate ----------------------------------------------------


def test_short_content_lines_are_compared_exactly() -> None:
    nav = ["Contact", "London", "Yes", "Photos"]
    texts = _corpus(10, {k: nav for k in range(10)})
    title, paras = body("politics", 9)
    release = "\n\n".join(
        [title, paras[0], "CONTACT:", "Jane Doe, press office", "LONDON --", paras[1],
         "Did you expect this?", "Yes.", paras[2]]
    ) + "\n"  # fmt: skip
    results = run([{"id": k, "text": t} for k, t in enumerate([*texts, release])])
    assert all(set(removed(r)) == set(nav) for r in results[:10])
    assert results[10].removals == []


def test_quoted_tweets_stay_in_each_story_that_quotes_them() -> None:
    tweet = "Thank you to everyone who came out to support the team tonight!"
    attribution = "— Donald J. Trump (@realDonaldTrump) July 16, 2018"
    texts = []
    for text in bbc_articles("sport", 8, start=30):
        paras = paragraphs(text)
        texts.append("\n\n".join([*paras[:2], tweet, attribution, *paras[2:]]) + "\n")
    results = run([{"id": k, "text": t} for k, t in enumerate(texts)])
    assert not any(r.removals for r in results)


def test_earnings_tables_and_template_reports_stay() -> None:
    table = (
        "Shr 19 cts vs 38 cts\n    Net 397,000 vs 788,000\n    Nine mths\n"
        "    Shr 80 cts vs 1.19 dlrs\n    Net 1,674,000 vs 2,455,000\n Reuter\n"
    )
    tables = [table.replace("19", str(19 + k)).replace("397", str(397 + k)) for k in range(8)]
    wheat = (
        "MINNEAPOLIS WHEAT   OPEN    HIGH    LOW     CLOSE\n"
        "May                 {a}     2.9400  2.9075  2.9250\n"
        "Jul                 2.8100  2.8175  {b}     2.8050\n"
    )
    reports = [wheat.format(a="2.9150", b="2.7925"), wheat.format(a="2.9550", b="2.8025")]
    results = run([{"id": k, "text": t} for k, t in enumerate([*tables, *reports])])
    assert not any(r.dropped for r in results)
    assert all(removed(r) == [" Reuter"] for r in results[:8])  # only the wire's sign-off


def test_exact_repeats_are_dropped_however_short() -> None:
    brief = "Qtly div 25 cts vs 25 cts prior\nPay April 15\nRecord March 20\n"
    other = "Qtly div 30 cts vs 30 cts prior\nPay April 15\nRecord March 20\n"
    results = run([{"id": k, "text": t} for k, t in enumerate([brief, other, brief])])
    assert [r.dropped for r in results] == [False, False, True]
    assert results[2].removals[0].details["exact"] is True


# -- tables laid out in columns (Reuters-21578 commodity reports) ---------------------------

# Short excerpts of Reuters-21578 bodies (reut2-000.sgm NEWID 5, reut2-014.sgm): each table
# of a multi-table report repeats its header row, or its caption and footnote.
RESERVE = (
    "The U.S. Agriculture Department\n"
    "reported the farmer-owned reserve national five-day average\n"
    "price through April 6 as follows (Dlrs/Bu-Sorghum Cwt) -\n"
    "         Natl   Loan           Release   Call\n"
    "         Avge   Rate-X  Level    Price  Price\n"
    " Wheat   2.64   2.40       IV     4.65     --\n"
    "                            V     4.65     --\n"
    " X - 1986 Rates.\n"
    "          Natl   Loan          Release   Call\n"
    "          Avge   Rate-X  Level   Price  Price\n"
    " Oats     1.57   0.99        V    1.65    -- \n"
    " Barley   1.49   1.56       IV    2.55   2.55\n"
    " Reuter\n"
)
BASIS = (
    "Brokers reported the following\n"
    "Brazilian soybean and product basis levels.\n"
    "    SHIPMENT    BASIS      CBT MONTH    PREV\n"
    "    Soybean (cents per bushel)\n"
    "    Fob Paranagua\n"
    "    May         2/1 D      May          unch\n"
    "    Jun/Jly     2/1 D      Jly          unch\n"
    "    Fob Rio Grande\n"
    "    May         9/7 D      May          unch\n"
    "    SHIPMENT    BASIS      CBT MONTH    PREV\n"
    "    Soybean Meal (dlrs per short ton 45/46 pct profat)\n"
    "    Fob Rio Grande\n"
    "    May         4.5 PB     May          3 PB\n"
    " REUTER\n"
)
COTTON = (
    "The U.S. Agriculture Department\n"
    "detailed world supply/demand data for major importers and\n"
    "exporters of cotton, by country, as follows, in mln 480-lb\n"
    "bales --\n"
    "    CHINA COTTON --\n"
    "               1986/87           1985/86\n"
    "          04/09/87 03/09/87  04/09/87 03/09/87\n"
    " Start Stcks 16.00  18.30      19.40  19.80\n"
    " End Stocks   9.05  14.55      16.00  18.30\n"
    " X - Less than 5,000 bales\n"
    "    PAKISTAN COTTON, in mln 480 bales --\n"
    "               1986/87           1985/86\n"
    "          04/09/87 03/09/87  04/09/87 03/09/87\n"
    " Start Stocks 1.07   1.07      1.05   1.05\n"
    " End Stocks   1.51   1.51      1.07   1.07\n"
    " X - Less than 5,000 bales.\n"
    " Reuter\n"
)


@pytest.mark.parametrize("text", [RESERVE, BASIS, COTTON], ids=["header", "basis", "footnote"])
def test_a_table_header_repeated_over_each_table_is_the_articles(text: str) -> None:
    [result] = run([{"id": "a", "text": text}])
    assert result.text == text  # nothing of the tables is a headline or a repeat of one


@pytest.mark.parametrize("table", [RESERVE, BASIS])
def test_an_all_caps_wire_headline_repeated_around_tables_still_goes(table: str) -> None:
    # paragraphs joined by ' ### ' (as in asprout's scrapes), the body hard-wrapped wire copy
    title = "NATIONAL AVERAGE PRICES FOR FARMER-OWNED RESERVE"
    text = f"{title} ### {table.rstrip()} ### {title}"
    [result] = run([{"id": "a", "text": text}], paragraph_separator=" ### ")
    assert result.title is not None and result.title.text == title
    assert removed(result) == [title]
    assert result.text == f"{title} ### {table.rstrip()}"  # the header rows all stay


def test_an_all_caps_wire_headline_repeated_in_prose_still_goes() -> None:
    title = "TREASURY BALANCES AT FED ROSE ON FEB 25"
    story = (
        "Treasury balances at the Federal\n"
        "Reserve rose on Feb 25 to 4.151 billion dlrs from 2.727 billion\n"
        "dlrs the previous business day, the Treasury said in its latest\n"
        "budget statement.\n\n"
        "Balances in tax and loan note accounts fell to 25.137\n"
        "billion dlrs from 25.780 billion dlrs on the same respective\n"
        "days.\n"
    )
    text = f"{title}\n\n{story}\n{title}\n"
    [result] = run([{"id": "a", "text": text}])
    assert result.title is not None and result.title.text == title
    assert removed(result) == [title]


def test_a_text_with_every_space_doubled_is_no_table() -> None:
    # some extractions turn each space into two (&nbsp; and a space): words line up by chance
    title, paras = body("business", 7)
    lines = [title, *paras[:4], title]
    text = "\n".join(line.replace(" ", "  ") for line in lines) + "\n"
    [result] = run([{"id": "a", "text": text}])
    assert removed(result) == [title.replace(" ", "  ")]
