"""`dedupe explain`: one article's removals in the terminal, each with what it matched.

For every removal: its rule, score and segment, the removed text, and what it
matched -- the title a headline repeats, the earlier segment a paragraph
repeats, the stories and first other article of a boilerplate line, the kept
copy of a dropped duplicate (with a word diff when its text is known). With the
run's inputs the article's text follows, removals struck through and coloured
by rule. Colours only on a terminal; piped output marks removals as
``[-text-]{rule}`` instead, so it stays readable (and greppable) as plain text.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from ..io import Fields
from ..normalize import normalize
from .rows import Entry, Report, ReportError, Row, attach_inputs, read_report
from .summary import group_key, plural

STYLES = {
    "headline": "bold dark_orange",
    "paragraph": "bold magenta",
    "boilerplate": "bold blue",
    "document": "bold red",
    "title": "bold green",
}
MAX_QUOTE = 300  # characters of a matched text quoted
MAX_HUNKS = 12  # differing passages shown for a dropped duplicate
CONTEXT = 6  # words of context around each


@dataclass
class _View:
    console: Console
    styled: bool
    groups: Counter[str]  # boilerplate removals in the report, by group

    def rule_text(self, rule: str) -> Text:
        return Text(rule, style=STYLES.get(rule, "bold")) if self.styled else Text(rule)

    def removed(self, text: str, rule: str) -> Text:
        if self.styled:
            return Text(text, style=f"strike {STYLES.get(rule, '').replace('bold ', '')}")
        return Text(f"[-{text}-]{{{rule}}}")


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _segment_text(entry: Entry, index: int) -> str | None:
    """The text of segment ``index`` of an article whose text is known (when segmenting
    it again gives the report's segments)."""
    if entry.text is None:
        return None
    from ..segment import segment

    segments = segment(entry.text)
    for row in entry.removals:
        i = row.get("segment")
        if isinstance(i, int) and (
            i >= len(segments) or (segments[i].start, segments[i].end) != (row["start"], row["end"])
        ):
            return None
    return segments[index].text if 0 <= index < len(segments) else None


def _title(entry: Entry, seg: int | None) -> str | None:
    if entry.headline():
        return entry.headline()
    return _segment_text(entry, seg) if seg is not None else None


def _matched(view: _View, report: Report, entry: Entry, row: Row) -> list[Text]:
    """What a removal matched, as lines."""
    rule = row.get("rule")
    matched = row.get("matched_doc")
    seg = row.get("matched_segment")
    seg = seg if isinstance(seg, int) else None
    other = report.first(str(matched)) if matched is not None else None
    out: list[Text] = []
    if rule == "headline":
        title = _title(entry, seg)
        label = "the title" + (f" (segment {seg})" if seg is not None else "")
        variant = f", matched as {row['variant']}" if row.get("variant") else ""
        out.append(Text(f"repeats {label}{variant}: " + (f"“{_quote(title)}”" if title else "")))
    elif rule == "paragraph":
        earlier = _segment_text(entry, seg) if seg is not None else None
        line = f"repeats segment {seg}" if seg is not None else "repeats an earlier segment"
        out.append(Text(line + (f": “{_quote(earlier)}”" if earlier else "")))
    elif rule == "boilerplate":
        facts = []
        if isinstance(row.get("stories"), int):
            facts.append(f"in {plural(row['stories'], 'story', 'stories')}")
        if isinstance(row.get("sites"), int):
            facts.append(f"on {plural(row['sites'], 'site')}")
        if row.get("match"):
            facts.append(f"{row['match']} match")
        key = group_key(str(row.get("text", "")))
        mine = sum(
            1
            for r in entry.removals
            if r.get("rule") == "boilerplate" and group_key(str(r.get("text", ""))) == key
        )
        elsewhere = view.groups[key] - mine
        facts.append(f"removed {plural(elsewhere, 'other time')} in this report")
        out.append(Text("boilerplate: " + ", ".join(facts)))
        place = f" ({other.where})" if other is not None else ""
        first = row.get("first_doc")
        if first is not None and str(first) == entry.doc:  # matched_doc: the next one
            after = f"; the next one: {matched}{place}" if matched is not None else ""
            out.append(Text("this is the first article with it" + after))
        elif matched is not None and str(matched) != entry.doc:
            at = f", segment {seg}" if seg is not None else ""
            out.append(Text(f"first other article with it: {matched}{place}{at}"))
        else:
            out.append(Text("this is the first article with it"))
    elif rule == "document":
        score = row.get("similarity")
        facts = [f"score {score:.2f}" if isinstance(score, (int, float)) else ""]
        if isinstance(row.get("containment"), (int, float)):
            facts.append(f"containment {row['containment']:.2f}")
        where: str | None = other.where if other is not None else None
        if row.get("matched_file"):
            where = str(row["matched_file"])
            if row.get("matched_line") is not None:
                where = f"{where}:{row['matched_line']}"
        out.append(
            Text(
                f"dropped as a near duplicate of {matched}"
                + (f" ({where})" if where else "")
                + ": "
                + ", ".join(f for f in facts if f)
            )
        )
    return out


def _hunks(view: _View, kept: str, dropped: str) -> list[Text]:
    """The passages where a dropped copy differs from the kept one, word by word."""
    a, b = kept.split(), dropped.split()
    na = [normalize(w) for w in a]
    nb = [normalize(w) for w in b]
    matcher = difflib.SequenceMatcher(None, na, nb, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    out = [
        Text(
            f"word diff with the kept copy: {plural(same, 'word')} the same, "
            f"{plural(len(a) - same, 'word')} only in the kept one, "
            f"{plural(len(b) - same, 'word')} only in the dropped one"
        )
    ]
    shown = 0
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if shown == MAX_HUNKS:
            out.append(Text("…"))
            break
        line = Text("  … ")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                line.append(" ".join(a[i1:i2]) + " ")
                continue
            if i2 > i1:
                gone = " ".join(a[i1:i2])
                line.append_text(
                    Text(gone, style="strike red") if view.styled else Text(f"[-{gone}-]")
                )
                line.append(" ")
            if j2 > j1:
                new = " ".join(b[j1:j2])
                line.append_text(Text(new, style="green") if view.styled else Text(f"{{+{new}+}}"))
                line.append(" ")
        line.append("…")
        out.append(line)
        shown += 1
    return out


def _article_text(view: _View, entry: Entry) -> Text:
    assert entry.text is not None
    text = entry.text
    out = Text()
    pos = 0
    marks = [r for r in entry.removals if r.get("rule") != "document"]
    for row in sorted(marks, key=lambda r: int(r.get("start", 0))):
        start, end = row.get("start"), row.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or start < pos:
            continue
        out.append(text[pos:start])
        out.append_text(view.removed(text[start:end], str(row.get("rule"))))
        pos = end
    out.append(text[pos:])
    return out


def _show(view: _View, report: Report, entry: Entry, show_text: bool) -> None:
    c = view.console
    head = Text(entry.doc, style="bold" if view.styled else "")
    head.append(f"  {entry.where}")
    if entry.site:
        head.append(f" · site {entry.site}")
    c.print(head)
    title = entry.headline()
    if title:
        c.print(Text(f"title: {_quote(title)}"))
    counts = entry.counts()
    if entry.dropped is not None:
        c.print(Text(f"dropped whole ({plural(len(entry.text or ''), 'character')})"))
    elif entry.removals:
        per = ", ".join(f"{n} {rule}" for rule, n in counts.items())
        c.print(
            Text(
                f"{plural(len(entry.removals), 'removal')} ({per}), "
                f"{plural(entry.removed_characters(), 'character')} cut"
            )
        )
    else:
        c.print(Text("kept whole: nothing was removed from it"))
    for n, row in enumerate(entry.removals, 1):
        rule = str(row.get("rule"))
        line = Text(f"\n{n:>3}  ")
        line.append_text(view.rule_text(rule))
        if isinstance(row.get("segment"), int):
            line.append(f"  segment {row['segment']}")
        if isinstance(row.get("start"), int) and rule != "document":
            line.append(f"  chars {row['start']}–{row['end']}")
        if isinstance(row.get("similarity"), (int, float)) and rule != "document":
            line.append(f"  score {row['similarity']:.2f}")
        c.print(line)
        if rule != "document":
            removed = Text("     removed: ")
            removed.append_text(view.removed(_quote(str(row.get("text", ""))), rule))
            c.print(removed)
        for matched in _matched(view, report, entry, row):
            c.print(Text("     ") + matched)
        if rule == "document":
            kept = report.first(str(row.get("matched_doc")))
            if kept is not None and kept.text is not None and entry.text is not None:
                for hunk in _hunks(view, kept.text, entry.text):
                    c.print(Text("     ") + hunk)
            elif entry.text is not None:
                c.print(
                    Text("     (pass the run's inputs with --input to compare it word by word)")
                )
    dropped_here = [
        e
        for e in report.entries
        if (r := e.dropped) is not None and r.get("matched_doc") == entry.doc
    ]
    if dropped_here:
        names = ", ".join(e.doc for e in dropped_here[:10])
        more = f" and {len(dropped_here) - 10} more" if len(dropped_here) > 10 else ""
        c.print(
            Text(f"\nkept in place of {plural(len(dropped_here), 'near duplicate')}: {names}{more}")
        )
    if show_text and entry.text is not None and entry.dropped is None:
        c.print(Text("\ntext (removals struck through):" if view.styled else "\ntext:"))
        c.print(_article_text(view, entry))
    elif show_text and entry.text is None and entry.removals and entry.dropped is None:
        c.print(Text("\n(pass the run's inputs with --input to see the whole text)"))


def explain(
    report_path: str,
    ref: str,
    console: Console,
    inputs: Sequence[str] = (),
    fields: Fields | None = None,
    site_field: str | None = None,
    *,
    show_text: bool = True,
) -> int:
    """Print what was removed from article ``ref`` (an id, or ``file:line``) and why.
    Returns the number of articles shown (ids may repeat); raises `ReportError` when
    the report names no such article."""
    report = read_report(report_path)
    if inputs:
        config = (report.summary or {}).get("config") or {}
        site = site_field if site_field is not None else config.get("site_field")
        attach_inputs(report, inputs, fields, site if isinstance(site, str) else None)
    entries = report.find(ref)
    if not entries:
        kept_for = [
            e
            for e in report.entries
            if (r := e.dropped) is not None and r.get("matched_doc") == ref
        ]
        if kept_for:  # kept whole, but near duplicates were dropped in its place
            entries = [Entry(-1, ref, None, None)]
        else:
            close = difflib.get_close_matches(ref, report.ids(), n=3)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise ReportError(
                f"{report_path} names no article {ref!r}: nothing was removed from it, "
                f"or the id is wrong{hint}"
            )
    groups = Counter(
        group_key(str(r.get("text", "")))
        for _, r in report.removals()
        if r.get("rule") == "boilerplate"
    )
    view = _View(console, console.color_system is not None, groups)
    for k, entry in enumerate(entries):
        if k:
            console.print(Text("\n" + "─" * 40 + "\n"))
        _show(view, report, entry, show_text)
    return len(entries)
