"""`dedupe report`: one self-contained HTML page to audit a clean run.

The page has three views:

* **overview** -- counts per rule, the most frequent boilerplate (grouped by its
  words), histograms of duplicate similarities and removal scores, cluster sizes,
  the settings of the run and its bad input; drawn here as inline SVG;
* **articles** -- a searchable list, filtered by rule, site and file, paged; an
  article shows its text with each removed segment struck through, coloured by
  rule, with the rule and score on hover and a link to what it matched;
* **clusters** -- each kept article beside the near duplicates dropped for it,
  with a word-level diff.

The report's rows (and, with ``inputs``, the original texts) are embedded as
compact JSON and rendered by a small inlined script (`assets/report.js`), a page
of the list at a time, so that a run of 100k articles stays usable. The page
loads nothing: a Content-Security-Policy forbids every request, and all CSS and
JS are inlined. Article text is only ever inserted as text, never as HTML.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..io import Fields
from ..io.writers import atomic_write
from ..records import RULES
from . import svg
from .rows import Entry, InputsRead, Report, Row, attach_inputs, read_report
from .summary import group_key, plural, share

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
TOP_GROUPS = 50  # boilerplate groups listed in the overview
MAX_ERRORS = 200  # bad-input rows listed in the overview
COMPRESS_ABOVE = 1 << 20  # characters of JSON above which the data is embedded gzipped
MAX_TEXTS = 50_000  # whole texts from the inputs put on the page, by default


@dataclass
class HtmlOutcome:
    """What `write_report_html` wrote."""

    path: str
    size: int  # bytes
    articles: int  # articles in the report
    clusters: int
    texts: int  # articles whose whole text is on the page
    inputs: InputsRead | None


def _asset(name: str) -> str:
    return (
        resources.files("dedupe.report")
        .joinpath("assets")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element (no ``<``) and valid UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from undecodable input: escape them
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def _data_block(data: Any, compress: bool | None) -> str:
    """The data as a <script> element: JSON, or gzipped JSON in base64 (read back with the
    browser's own DecompressionStream) when larger than `COMPRESS_ABOVE` or asked."""
    text = _json_for_script(data)
    if compress is None:
        compress = len(text) > COMPRESS_ABOVE
    if not compress:
        return f'<script id="data" type="application/json">{text}</script>'
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode("ascii")
    return f'<script id="data" type="application/gzip-base64">{packed}</script>'


def _segment_spans(entry: Entry, text: str | None, wanted: set[int]) -> dict[str, list[int]]:
    """Offsets of the segments ``wanted`` (what a headline or paragraph removal matched,
    the title), when segmenting the text again gives the report's segments."""
    if text is None or not wanted:
        return {}
    from ..segment import segment

    segments = segment(text)
    for row in entry.removals:
        i = row.get("segment")
        if isinstance(i, int) and (
            i >= len(segments) or (segments[i].start, segments[i].end) != (row["start"], row["end"])
        ):
            return {}  # segmented otherwise than in the run: do not guess
    return {str(i): [segments[i].start, segments[i].end] for i in wanted if i < len(segments)}


def _info(row: Row) -> str:
    """The facts of a removal beyond its rule and score, as one short line."""
    parts = []
    if isinstance(row.get("stories"), int):
        parts.append(plural(row["stories"], "story", "stories"))
    if isinstance(row.get("sites"), int):
        parts.append(plural(row["sites"], "site"))
    if row.get("first_doc") is not None:
        parts.append(f"first in {row['first_doc']}")
    for name in ("match", "variant"):
        if row.get(name):
            parts.append(f"{name} {row[name]}")
    if isinstance(row.get("containment"), (int, float)):
        parts.append(f"containment {row['containment']:.2f}")
    if row.get("matched_file"):
        where = str(row["matched_file"])
        if row.get("matched_line") is not None:
            where += f":{row['matched_line']}"
        parts.append(f"matched at {where}")
    return " · ".join(parts)


class _Interned:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._at: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None:
            return -1
        at = self._at.get(value)
        if at is None:
            at = self._at[value] = len(self.items)
            self.items.append(value)
        return at


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _with_text(report: Report, limit: int | None) -> set[int]:
    """The articles whose whole text goes on the page: every dropped one (its text is in
    the report), then up to ``limit`` others, kept copies of dropped ones first, then
    those with headline or paragraph removals, then the rest in report order."""
    dropped = {e.index for e in report.entries if e.dropped is not None and e.text is not None}
    others = [e for e in report.entries if e.text is not None and e.index not in dropped]
    if limit is None or len(others) <= limit:
        return dropped | {e.index for e in others}
    heads = {c.entry.index for c in report.clusters() if c.entry is not None}

    def rank(e: Entry) -> tuple[int, int]:
        if e.index in heads:
            return (0, e.index)
        if any(r.get("rule") in ("headline", "paragraph") for r in e.removals):
            return (1, e.index)
        return (2, e.index)

    return dropped | {e.index for e in sorted(others, key=rank)[:limit]}


def payload(report: Report, max_texts: int | None = None) -> dict[str, Any]:
    """The data the page's script renders from: compact arrays, indexes into lists.
    ``max_texts`` bounds the whole texts from the inputs (see `_with_text`)."""
    allowed = _with_text(report, max_texts)
    rules = list(RULES)
    rule_ix: dict[str, int] = {r: i for i, r in enumerate(rules)}
    files, sites, strings = _Interned(), _Interned(), _Interned()
    groups = report.groups(("boilerplate",))
    group_ix = {(g.rule, g.words): i for i, g in enumerate(groups)}
    docs: list[list[Any]] = []
    removals: list[list[list[Any]]] = []
    texts: list[str | None] = []
    spans: dict[str, dict[str, list[int]]] = {}
    titles: dict[str, list[int]] = {}
    for entry in report.entries:
        text = entry.text if entry.index in allowed else None
        flags = (1 if entry.in_report else 0) | (2 if entry.dropped else 0)
        flags |= 4 if text is not None else 0
        title = entry.headline()
        if title is None:
            heads = [r for r in entry.removals if r.get("rule") == "headline"]
            if heads:
                title = str(heads[0].get("text", ""))
            elif text is not None:
                title = next((ln for ln in text.splitlines() if ln.strip()), "")
        docs.append(
            [
                entry.doc,
                files(entry.file),
                entry.line,
                sites(entry.site),
                _short(title) if title else None,
                flags,
                entry.removed_characters(),
            ]
        )
        items = []
        wanted: set[int] = set()
        for row in entry.removals:
            rule = str(row.get("rule"))
            matched = row.get("matched_doc")
            target = report.first(str(matched)) if matched is not None else None
            mseg = row.get("matched_segment")
            own = matched in (None, entry.doc)
            if rule in ("headline", "paragraph") and isinstance(mseg, int) and own:
                wanted.add(mseg)
            score = row.get("similarity")
            group = (
                group_ix.get((rule, group_key(str(row.get("text", "")))))
                if rule in ("boilerplate",)
                else None
            )
            item: list[Any] = [
                rule_ix.get(rule, -1),
                row.get("start"),
                row.get("end"),
                row.get("segment"),
                score if isinstance(score, (int, float)) else None,
                target.index if target is not None else -1,
                None if matched is None or target is not None else str(matched),
                mseg if isinstance(mseg, int) else None,
                strings(_info(row) or None),
                -1 if group is None else group,
            ]
            if text is None:
                item.append(strings(str(row.get("text", ""))))
            items.append(item)
        in_text = entry.title is not None and entry.title.get("source") != "field"
        if entry.title is not None and in_text and isinstance(entry.title.get("start"), int):
            titles[str(entry.index)] = [int(entry.title["start"]), int(entry.title["end"])]
        elif text is not None:
            heads = [r for r in entry.removals if r.get("rule") == "headline"]
            seg = heads[0].get("matched_segment") if heads else None
            if isinstance(seg, int):
                wanted.add(seg)
        found = _segment_spans(entry, text, wanted)
        if found:
            spans[str(entry.index)] = found
            if str(entry.index) not in titles and text is not None:
                heads = [r for r in entry.removals if r.get("rule") == "headline"]
                seg = heads[0].get("matched_segment") if heads else None
                if isinstance(seg, int) and str(seg) in found:
                    titles[str(entry.index)] = found[str(seg)]
        removals.append(items)
        texts.append(text)
    clusters = []
    for cluster in report.clusters():
        members = []
        for m in cluster.members:
            row = m.dropped or {}
            contained = row.get("containment")
            members.append([m.index, row.get("similarity"), contained])
        kept = cluster.entry
        clusters.append(
            [kept.index if kept is not None else -1, cluster.kept, members],
        )
    return {
        "rules": rules,
        "files": files.items,
        "sites": sites.items,
        "strs": strings.items,  # removed texts and details, each once
        "docs": docs,
        "rm": removals,
        "tx": texts,
        "seg": spans,
        "title": titles,
        "cl": clusters,
        "groups": [[g.text, g.count, len(g.spellings)] for g in groups],
        "threshold": _config(report).get("document_threshold"),
    }


def _config(report: Report) -> dict[str, Any]:
    config = (report.summary or {}).get("config")
    return config if isinstance(config, dict) else {}


# -- the overview, drawn here ---------------------------------------------------------


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _swatch(rule: str) -> str:
    return f'<i class="sw r-{escape(rule)}"></i>'


def overview(report: Report, inputs: InputsRead | None) -> str:
    summary = report.summary or {}
    config = _config(report)
    counts = report.rule_counts()
    clusters = report.clusters()
    out: list[str] = ['<div class="cards">']
    articles = summary.get("articles") if isinstance(summary.get("articles"), dict) else None
    in_report = sum(1 for e in report.entries if e.in_report)
    if articles:
        out.append(_card(f"{articles.get('read', 0):,}", "articles read"))
        out.append(_card(f"{articles.get('written', 0):,}", "written"))
        out.append(_card(f"{articles.get('dropped', 0):,}", "dropped as near duplicates"))
    out.append(_card(f"{in_report:,}", "articles with removals"))
    removals = sum(counts[r]["removals"] for r in RULES if r != "document")
    out.append(_card(f"{removals:,}", "segments removed"))
    out.append(_card(f"{len(clusters):,}", "duplicate clusters"))
    characters = summary.get("characters") if isinstance(summary.get("characters"), dict) else None
    if characters and characters.get("read"):
        cut = sum(counts[r]["characters"] for r in RULES)
        out.append(_card(f"{share(cut, characters['read']):.1%}", "of characters removed"))
    if summary.get("elapsed") is not None:
        out.append(_card(f"{summary['elapsed']:,.1f} s", "cleaning time"))
    out.append("</div>")

    # per rule
    total_chars = characters.get("read") if characters else None
    out.append('<div class="row"><div><h2>Removals per rule</h2><table class="num">')
    out.append(
        "<tr><th>rule</th><th>removals</th><th>articles</th><th>characters</th>"
        + ("<th>share of input</th>" if total_chars else "")
        + "</tr>"
    )
    for rule in RULES:
        c = counts[rule]
        link = f'<a href="#articles?rule={rule}">{_swatch(rule)}{rule}</a>'
        out.append(
            f"<tr><td>{link}</td><td>{c['removals']:,}</td><td>{c['articles']:,}</td>"
            f"<td>{c['characters']:,}</td>"
            + (f"<td>{share(c['characters'], total_chars):.2%}</td>" if total_chars else "")
            + "</tr>"
        )
    out.append("</table>")
    if config:
        out.append(
            "<p class=note>Thresholds: headline "
            f"{config.get('headline_threshold')}, paragraph {config.get('paragraph_threshold')}, "
            f"boilerplate in ≥ {config.get('boilerplate_min_docs')} stories and "
            f"{config.get('boilerplate_min_share', 0):.0%} of stories, document "
            f"{config.get('document_threshold')} (containment "
            f"{config.get('document_containment')}).</p>"
        )
    out.append("</div><div>")
    out.append(
        svg.hbars(
            [(r, counts[r]["characters"], svg.RULE_COLOURS[r]) for r in RULES],
            "Characters removed per rule",
            labels=[
                f"{counts[r]['characters']:,}"
                + (f" ({share(counts[r]['characters'], total_chars):.1%})" if total_chars else "")
                for r in RULES
            ],
        )
    )
    out.append("</div></div>")

    # plots
    threshold = config.get("document_threshold")
    sims = [
        float(r["similarity"])
        for e in report.entries
        if (r := e.dropped) is not None and isinstance(r.get("similarity"), (int, float))
    ]
    sizes = Counter(1 + len(c.members) for c in clusters)
    size_items = [(str(k), float(sizes[k])) for k in range(2, 11)]
    bigger = sum(v for k, v in sizes.items() if k > 10)
    if bigger:
        size_items.append(("11+", float(bigger)))
    out.append('<h2>Near-duplicate articles</h2><div class="row"><div>')
    out.append(
        svg.histogram(
            sims,
            f"Similarity of dropped articles to the kept one ({len(sims):,})",
            xlabel="estimated Jaccard (or containment, when that decided)",
            marker=threshold if isinstance(threshold, (int, float)) else None,
            marker_label=f"threshold {threshold}",
        )  # fmt: skip
    )
    out.append("</div><div>")
    out.append(
        svg.columns(
            size_items,
            f"Cluster sizes ({len(clusters):,} clusters)",
            xlabel="articles in the cluster (kept + dropped)",
            ylabel="clusters",
        )  # fmt: skip
    )
    out.append('</div></div><h2>Headline and paragraph scores</h2><div class="row">')
    for rule, key in (("headline", "headline_threshold"), ("paragraph", "paragraph_threshold")):
        scores = [
            float(r["similarity"])
            for _, r in report.removals()
            if r.get("rule") == rule and isinstance(r.get("similarity"), (int, float))
        ]
        mark = config.get(key)
        out.append("<div>")
        out.append(
            svg.histogram(
                scores,
                f"{rule.capitalize()} removals by score ({len(scores):,})",
                lo=0.5,
                bins=10,
                xlabel="similarity to what it repeats",
                colour=svg.RULE_COLOURS[rule],
                marker=mark if isinstance(mark, (int, float)) else None,
                marker_label=f"threshold {mark}",
            )  # fmt: skip
        )
        out.append("</div>")
    out.append("</div>")

    # boilerplate groups
    groups = report.groups(("boilerplate",))
    out.append(
        f"<h2>Most frequent boilerplate</h2><p class=note>{len(groups):,} distinct "
        "segments by their words (case, spacing and punctuation aside); "
        "a row lists the articles that lost it.</p>"
    )
    if groups:
        out.append(
            '<table class="groups"><tr><th>segment (most common spelling)</th><th>removed</th>'
            "<th>spellings</th><th>stories</th><th>sites</th><th>first article</th></tr>"
        )
        for i, g in enumerate(groups[:TOP_GROUPS]):
            first = report.entries[g.docs[0]] if g.docs else None
            first_link = f'<a href="#doc/{first.index}">{escape(first.doc)}</a>' if first else ""
            out.append(
                f'<tr><td><a href="#articles?group={i}" class="seg">{escape(_short(g.text, 90))}'
                f"</a></td><td>{g.count:,}</td><td>{len(g.spellings):,}</td>"
                f"<td>{'' if g.stories is None else f'{g.stories:,}'}</td>"
                f"<td>{'' if g.sites is None else f'{g.sites:,}'}</td><td>{first_link}</td></tr>"
            )
        out.append("</table>")
        if len(groups) > TOP_GROUPS:
            out.append(f"<p class=note>and {len(groups) - TOP_GROUPS:,} more.</p>")

    # bad input, settings, inputs
    if report.errors:
        out.append(f"<h2>Bad input ({len(report.errors):,})</h2><table>")
        out.append("<tr><th>file</th><th>line</th><th>problem</th><th>action</th></tr>")
        for row in report.errors[:MAX_ERRORS]:
            out.append(
                f"<tr><td>{escape(str(row.get('file')))}</td>"
                f"<td>{escape(str(row.get('at') or ''))}</td>"
                f"<td>{escape(str(row.get('message')))}</td>"
                f"<td>{escape(str(row.get('action')))}</td></tr>"
            )
        out.append("</table>")
    if config:
        out.append("<details><summary>Settings of the run</summary><table>")
        for key, value in config.items():
            out.append(f"<tr><td>{escape(key)}</td><td>{escape(json.dumps(value))}</td></tr>")
        out.append("</table></details>")
    if inputs is not None:
        out.append(
            f"<p class=note>Texts from the inputs: {plural(inputs.articles, 'article')} read, "
            f"{inputs.attached:,} matched to the report, {inputs.added:,} added as kept "
            f"copies; {inputs.missing:,} not found"
            + (f", {len(inputs.mismatched):,} changed since the run" if inputs.mismatched else "")
            + ".</p>"
        )
    elif any(e.text is None for e in report.entries):
        out.append(
            "<p class=note>Cleaned articles show only their removed segments: pass the run's "
            "inputs (<code>--input</code>) to see whole texts and compare duplicates.</p>"
        )
    if report.unknown:
        out.append(f"<p class=note>{plural(report.unknown, 'row')} of unknown rules skipped.</p>")
    return "".join(out)


def render(
    report: Report,
    inputs: InputsRead | None = None,
    title: str | None = None,
    compress: bool | None = None,
    max_texts: int | None = MAX_TEXTS,
) -> str:
    """The whole page (``compress``: gzip the embedded data; None: when it is large)."""
    name = title or Path(report.path).name
    data = _data_block(payload(report, max_texts), compress)
    articles = sum(1 for e in report.entries if e.in_report)
    clusters = len(report.clusters())
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>dedupe report: {escape(name)}</title>"
        f"<style>{_asset('report.css')}</style></head><body>"
        f"<header><h1>dedupe report <small>{escape(name)}</small></h1><nav>"
        '<a href="#overview" data-view="overview">Overview</a>'
        f'<a href="#articles" data-view="articles">Articles ({articles:,})</a>'
        f'<a href="#clusters" data-view="clusters">Duplicate clusters ({clusters:,})</a>'
        "</nav></header><main>"
        f'<section id="view-overview" class="view">{overview(report, inputs)}</section>'
        '<section id="view-articles" class="view" hidden>'
        '<div class="filters"><input id="q" type="search" placeholder="Search id, title, file…" '
        'aria-label="Search"><label><input id="qtext" type="checkbox"> in text</label>'
        '<select id="f-rule" aria-label="Rule"><option value="">any rule</option></select>'
        '<select id="f-site" aria-label="Site"><option value="">any site</option></select>'
        '<select id="f-file" aria-label="File"><option value="">any file</option></select>'
        '<select id="f-sort" aria-label="Order"><option value="">input order</option>'
        '<option value="n">most removals</option><option value="c">most characters removed'
        '</option></select><span id="group-filter"></span></div>'
        '<div class="split"><div><div id="count" class="note"></div><ol id="list"></ol>'
        '<div class="pager"><button id="prev">‹ previous</button><span id="page"></span>'
        '<button id="next">next ›</button></div></div><article id="doc"></article></div>'
        "</section>"
        '<section id="view-clusters" class="view" hidden><div class="split"><div>'
        '<div id="ccount" class="note"></div><ol id="clist"></ol><div class="pager">'
        '<button id="cprev">‹ previous</button><span id="cpage"></span>'
        '<button id="cnext">next ›</button></div></div><article id="cluster"></article></div>'
        "</section></main>"
        "<noscript><p>The article and cluster views need JavaScript; the overview does not."
        "</p></noscript>"
        f"{data}"
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )


def write_report_html(
    report_path: str,
    output: str,
    inputs: Sequence[str] = (),
    fields: Fields | None = None,
    site_field: str | None = None,
    *,
    force: bool = False,
    title: str | None = None,
    max_texts: int | None = MAX_TEXTS,
    compress: bool | None = None,
) -> HtmlOutcome:
    """Read a report (and the run's inputs, if given) and write the HTML page atomically.
    ``site_field`` defaults to the one the run used (from the report's summary row)."""
    target = Path(output)
    if target.exists() and not force:
        raise OutputError(f"{output} already exists (use --force to overwrite)")
    if target.exists() and target.is_dir():
        raise OutputError(f"{output} is a folder")
    report = read_report(report_path)
    found = None
    if inputs:
        site = site_field if site_field is not None else _config(report).get("site_field")
        found = attach_inputs(report, inputs, fields, site if isinstance(site, str) else None)
    page = render(report, found, title, compress, max_texts).encode("utf-8")
    atomic_write(target, page)
    return HtmlOutcome(
        path=output,
        size=len(page),
        articles=sum(1 for e in report.entries if e.in_report),
        clusters=len(report.clusters()),
        texts=len(_with_text(report, max_texts)),
        inputs=found,
    )
