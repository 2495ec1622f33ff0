from hypothesis import given
from hypothesis import strategies as st

from dedupe.segment import cuts, segment, splice, unsplice

from .data import EXAMPLE, need


def test_blank_line_paragraphs_with_offsets() -> None:
    text = "Title\n\nFirst para\nstill first.\n\n\nSecond.\n"
    segs = segment(text)
    assert [s.text for s in segs] == ["Title", "First para\nstill first.", "Second."]
    for s in segs:
        assert text[s.start : s.end] == s.text


def test_one_paragraph_per_line() -> None:
    text = "Home\nWorld\nA headline here\nThe body paragraph is here, and it ends.\n"
    assert [s.text for s in segment(text)] == [
        "Home",
        "World",
        "A headline here",
        "The body paragraph is here, and it ends.",
    ]


def test_crlf_and_whitespace_only_lines() -> None:
    text = "Title\r\n \t\r\nBody line.\r\n"
    segs = segment(text)
    assert [s.text for s in segs] == ["Title", "Body line."]


def test_hard_wrapped_wire_text_is_rejoined() -> None:
    # Reuters-style: wrapped at ~65 columns, paragraphs start indented.
    text = (
        "Showers continued throughout the week in the Bahia cocoa\n"
        "zone, alleviating the drought since early January, the\n"
        "agriculture department said.\n"
        "    The dry period means the temporao will be late this year\n"
        "and arrivals will be lower than expected, dealers and the\n"
        "ministry said.\n"
        " Reuter\n"
    )
    segs = [s.text for s in segment(text)]
    assert len(segs) == 3
    assert segs[0].endswith("agriculture department said.")
    assert segs[2] == " Reuter"
    assert all(s.strip() != "said." for s in segs)


def test_table_rows_form_one_segment() -> None:
    text = (
        "Shr 1.23 dlrs vs 1.10 dlrs\n"
        "Net 5.6 mln vs 4.3 mln\n"
        "Year\n"
        "Shr 4.10 dlrs vs 3.90 dlrs\n"
        "Net 20.1 mln vs 18.7 mln\n"
        "Reuter\n"
    )
    segs = [s.text for s in segment(text)]
    assert segs == [text.split("\nReuter")[0], "Reuter"]


def test_example_article() -> None:
    text = need(EXAMPLE).read_text(encoding="utf-8")
    segs = segment(text)
    assert segs[0].text == segs[1].text == segs[2].text
    assert len(segs) == 20


def test_cuts_keep_separators_of_kept_text() -> None:
    text = "A\n\nB\n\nC\n"
    segs = segment(text)
    assert splice(text, cuts(text, segs, [1]).values()) == "A\n\nC\n"
    assert splice(text, cuts(text, segs, [2]).values()) == "A\n\nB\n"
    assert splice(text, cuts(text, segs, [0]).values()) == "B\n\nC\n"
    assert splice(text, cuts(text, segs, [1, 2]).values()) == "A\n"
    assert splice(text, cuts(text, segs, [0, 1, 2]).values()) == "\n"


lines = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=12
)


@given(lines, st.sampled_from(["\n", "\n\n", "\r\n", "\n \n"]), st.data())
def test_splice_then_unsplice_restores(parts: list[str], sep: str, data: st.DataObject) -> None:
    text = sep.join(parts)
    segs = segment(text)
    for s in segs:
        assert text[s.start : s.end] == s.text
    removed = data.draw(st.sets(st.sampled_from(range(len(segs))))) if segs else set()
    spans = cuts(text, segs, removed)
    cleaned = splice(text, spans.values())
    for i, s in enumerate(segs):
        if i not in removed:
            assert s.text in cleaned
    assert unsplice(cleaned, [(a, text[a:b]) for a, b in spans.values()]) == text


def test_headline_or_copyright_with_a_year_is_not_a_table_row() -> None:
    text = (
        "Sign in\n"
        "Tsunami to cost Sri Lanka $1.3bn\n"
        "Tsunami to cost Sri Lanka $1.3bn | The Courier\n"
        "The body paragraph is here, and it ends.\n"
        "SHARE THIS ARTICLE\n"
        "© 2019 The Daily Courier. All rights reserved.\n"
    )
    assert len(segment(text)) == 6
