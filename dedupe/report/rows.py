"""Read a removal report back: its rows grouped by article, and the texts behind them.

A report (``dedupe clean --report``) holds one JSON row per removal, written
article by article; ``error`` rows for bad input; ``title`` rows naming the
title chosen for an article; and a last ``summary`` row. `read_report` groups
the rows into one `Entry` per article (keyed by its file and line, since ids
may repeat), keeping rows of rules it does not know aside, so a newer report
still reads. Every field beyond ``rule`` and ``doc`` is optional here.

The report holds the whole text of a dropped article but only the removed
segments of a cleaned one; `attach_inputs` reads the run's inputs again (with
the `dedupe.io` readers) to add the original texts, and the articles that
removals matched (the kept copy of a dropped duplicate).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DedupeError
from ..io import Corpus, Fields, discover
from ..io.readers import pieces
from ..records import RULES
from .summary import group_key

Row = dict[str, Any]
REMOVAL_RULES: tuple[str, ...] = RULES
_RESTORE_ONLY = ("raw_line", "raw_text", "text_json")


class ReportError(DedupeError):
    """A report that cannot be read, or an article it does not name."""


@dataclass
class Entry:
    """One article named in a report (or, from the inputs, one that a removal matched)."""

    index: int
    doc: str
    file: str | None
    line: int | None
    removals: list[Row] = field(default_factory=list)
    title: Row | None = None  # the ``title`` row, if the report has one
    text: str | None = None  # the original text, when known
    title_text: str | None = None  # the title field of the input record, if any
    site: str | None = None
    in_report: bool = True  # False: read from the inputs because something matched it
    dropped: Row | None = None  # the ``document`` row, when dropped as a near duplicate

    @property
    def where(self) -> str:
        if self.file is None:
            return "?"
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def counts(self) -> Counter[str]:
        return Counter(str(r.get("rule")) for r in self.removals)

    def removed_characters(self) -> int:
        return sum(cut_length(r) for r in self.removals)

    def headline(self) -> str | None:
        """The article's title: the title row's text, the input's title, or a headline
        removal's text."""
        if self.title is not None and isinstance(self.title.get("text"), str):
            return str(self.title["text"])
        if self.title_text:
            return self.title_text
        return None


def cut_length(row: Row) -> int:
    """Characters a removal cut (its segment and one separator)."""
    if isinstance(row.get("cut_length"), int):
        return int(row["cut_length"])
    if isinstance(row.get("cut_text"), str):
        return len(row["cut_text"])
    start, end = row.get("cut_start", row.get("start")), row.get("cut_end", row.get("end"))
    if isinstance(start, int) and isinstance(end, int):
        return max(0, end - start)
    return len(str(row.get("text", "")))


@dataclass
class Cluster:
    """A kept article and the near duplicates of it that were dropped."""

    kept: str  # the kept article's id
    entry: Entry | None  # the kept article, if the report or the inputs name it
    members: list[Entry]  # dropped, in input order


@dataclass
class Group:
    """Removed segments with the same words (e.g. every spelling of a wire's sign-off)."""

    rule: str
    words: str
    count: int = 0
    spellings: Counter[str] = field(default_factory=Counter)
    docs: list[int] = field(default_factory=list)  # entry indexes, first few
    stories: int | None = None
    sites: int | None = None
    characters: int = 0

    @property
    def text(self) -> str:
        return self.spellings.most_common(1)[0][0] if self.spellings else self.words


@dataclass
class Report:
    """The rows of one report, grouped by article, in report order."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    summary: Row | None = None
    errors: list[Row] = field(default_factory=list)
    unknown: int = 0  # rows of rules this version does not know
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _by_doc: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _by_place: dict[tuple[str | None, int | None, str], int] = field(
        default_factory=dict, repr=False
    )

    # -- building -------------------------------------------------------------

    def _entry(self, doc: str, file: str | None, line: int | None) -> Entry:
        key = (file, line, doc)
        at = self._by_place.get(key)
        if at is not None:
            return self.entries[at]
        entry = Entry(len(self.entries), doc, file, line)
        self.entries.append(entry)
        self._by_place[key] = entry.index
        self._by_doc.setdefault(doc, []).append(entry.index)
        return entry

    def add(self, row: Row) -> None:
        rule = row.get("rule")
        if rule == "summary":
            self.summary = row
            return
        if rule == "error":
            self.errors.append(row)
            return
        if rule not in REMOVAL_RULES and rule != "title":
            self.unknown += 1
            return
        doc = row.get("doc")
        if doc is None:
            self.unknown += 1
            return
        for name in _RESTORE_ONLY:  # what only `dedupe restore` needs: not kept in memory
            row.pop(name, None)
        cut = row.pop("cut_text", None)  # the segment and a separator: only its length
        if isinstance(cut, str):
            row["cut_length"] = len(cut)
            if rule == "document" and not isinstance(row.get("text"), str):
                row["text"] = cut
        line = row.get("line")
        entry = self._entry(str(doc), row.get("file"), line if isinstance(line, int) else None)
        if rule == "title":
            entry.title = row
        else:
            entry.removals.append(row)
            if rule == "document":
                entry.dropped = row

    def finish(self) -> None:
        for entry in self.entries:
            entry.removals.sort(key=lambda r: (_int(r.get("start")), _int(r.get("segment"))))
            if entry.text is None and (row := entry.dropped) is not None:
                text = row.get("text")
                entry.text = text if isinstance(text, str) else None

    # -- queries --------------------------------------------------------------

    def find(self, ref: str) -> list[Entry]:
        """The articles with id ``ref``, or at ``file:line`` or ``file``."""
        hits = [self.entries[i] for i in self._by_doc.get(ref, [])]
        if hits:
            return hits
        return [e for e in self.entries if ref in (e.where, e.file)]

    def first(self, doc: str | None) -> Entry | None:
        """The first article with this id (what a ``matched_doc`` names)."""
        if doc is None:
            return None
        found = self._by_doc.get(str(doc))
        return self.entries[found[0]] if found else None

    def ids(self) -> list[str]:
        return list(self._by_doc)

    def removals(self) -> Iterator[tuple[Entry, Row]]:
        for entry in self.entries:
            for row in entry.removals:
                yield entry, row

    def clusters(self) -> list[Cluster]:
        """Dropped near duplicates grouped by the article kept in their place, largest
        first (then in order of the kept article's first appearance)."""
        key = ("clusters", len(self.entries))
        if key not in self._memo:
            self._memo[key] = self._clusters()
        clusters: list[Cluster] = self._memo[key]
        return clusters

    def _clusters(self) -> list[Cluster]:
        by_kept: dict[str, list[Entry]] = {}
        for entry in self.entries:
            row = entry.dropped
            if row is not None:
                by_kept.setdefault(str(row.get("matched_doc")), []).append(entry)
        clusters = [Cluster(k, self.first(k), members) for k, members in by_kept.items()]
        clusters.sort(key=lambda c: -len(c.members))
        return clusters

    def groups(self, rules: Sequence[str] = ("boilerplate",)) -> list[Group]:
        """Removed segments of these rules grouped by their words, most frequent first."""
        key = ("groups", tuple(rules))
        if key not in self._memo:
            self._memo[key] = self._groups(rules)
        groups: list[Group] = self._memo[key]
        return groups

    def _groups(self, rules: Sequence[str]) -> list[Group]:
        groups: dict[tuple[str, str], Group] = {}
        for entry, row in self.removals():
            rule = str(row.get("rule"))
            if rule not in rules:
                continue
            text = str(row.get("text", ""))
            key = (rule, group_key(text))
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(rule, key[1])
            group.count += 1
            group.characters += cut_length(row)
            group.spellings[text] += 1
            if len(group.docs) < 20:
                group.docs.append(entry.index)
            for name in ("stories", "sites"):
                value = row.get(name)
                if isinstance(value, int) and value > (getattr(group, name) or 0):
                    setattr(group, name, value)
        return sorted(groups.values(), key=lambda g: (-g.count, g.rule, g.words))

    def rule_counts(self) -> dict[str, dict[str, int]]:
        """Per rule: removals, characters cut and articles touched."""
        out = {r: {"removals": 0, "characters": 0, "articles": 0} for r in REMOVAL_RULES}
        for entry in self.entries:
            seen = set()
            for row in entry.removals:
                rule = str(row.get("rule"))
                out[rule]["removals"] += 1
                out[rule]["characters"] += cut_length(row)
                seen.add(rule)
            for rule in seen:
                out[rule]["articles"] += 1
        return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) else -1


def read_report(path: str | Path) -> Report:
    """Read a report written by ``dedupe clean --report``."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ReportError(f"{name}: {exc.strerror or exc}") from None
    report = Report(name)
    for number, raw in pieces(data):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError as exc:
            raise ReportError(f"{name}:{number}: not a JSON line ({exc})") from None
        if not isinstance(row, dict) or not isinstance(row.get("rule"), str):
            raise ReportError(f"{name}:{number}: not a report row (no 'rule')")
        report.add(row)
    report.finish()
    return report


# -- the texts, from the inputs ---------------------------------------------------


@dataclass
class InputsRead:
    """What `attach_inputs` found."""

    articles: int = 0  # read from the inputs
    attached: int = 0  # report articles that got their text
    added: int = 0  # articles added because a removal matched them
    mismatched: list[str] = field(default_factory=list)  # texts that do not fit the rows
    missing: int = 0  # report articles not found in the inputs


def _fits(entry: Entry, text: str) -> bool:
    """Whether ``text`` is the text the report's rows were cut from."""
    if entry.dropped is not None and entry.text is not None:
        return text == entry.text
    for row in entry.removals:
        start, end, seg = row.get("start"), row.get("end"), row.get("text")
        known = isinstance(start, int) and isinstance(end, int) and isinstance(seg, str)
        if known and text[start:end] != seg:
            return False
    return True


def attach_inputs(
    report: Report,
    inputs: Sequence[str],
    fields: Fields | None = None,
    site_field: str | None = None,
) -> InputsRead:
    """Read the run's inputs again and attach each report article's original text (and
    title and site); add the articles that removals matched but the report does not
    name (the kept copy of a dropped duplicate). Bad input is passed over: the clean
    run reported it."""
    fields = fields or Fields()
    files, _ = discover(list(inputs))
    rel = {f.path: f.rel for f in files}
    wanted = {
        str(row["matched_doc"])
        for _, row in report.removals()
        if row.get("matched_doc") is not None
    }
    wanted -= set(report.ids())
    found = InputsRead()
    for article in Corpus(files, fields, on_error="skip"):
        found.articles += 1
        source = article.source
        place = (rel.get(source.path) if source else None, source.line if source else None)
        at = report._by_place.get((*place, article.id))
        if at is None:  # inputs named otherwise than in the clean run: go by id
            ids = report._by_doc.get(article.id, [])
            at = ids[0] if len(ids) == 1 else None
        site = None
        if site_field is not None and article.extra.get(site_field) is not None:
            site = str(article.extra[site_field])
        if at is not None:
            entry = report.entries[at]
            if not _fits(entry, article.text):
                found.mismatched.append(entry.where)
                continue
            entry.text = article.text
            entry.title_text = article.title
            entry.site = site
            found.attached += 1
        elif article.id in wanted:
            wanted.discard(article.id)
            entry = report._entry(article.id, place[0], place[1])
            entry.in_report = False
            entry.text, entry.title_text, entry.site = article.text, article.title, site
            found.added += 1
    found.missing = sum(1 for e in report.entries if e.in_report and e.text is None)
    return found
