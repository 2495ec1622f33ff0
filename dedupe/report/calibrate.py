"""`dedupe calibrate`: how the removals change with the thresholds, on a sample.

The sample (``sample`` articles drawn uniformly with a fixed seed, kept in
input order; all of them when there are fewer) is cleaned with the public
`Cleaner` at several values of each rule's threshold, one setting changed at a
time, every other as configured. Each sweep switches off the rules that cannot
change its count, and dropping duplicates is off except in the document sweep,
so every article's headline, paragraph and boilerplate removals are counted.

It also gives the LSH S-curve of the configured bands and rows -- the chance
that a pair at Jaccard ``s`` becomes a candidate, ``1 - (1 - s**r)**b`` -- and
examples at the margin: article pairs just above and just below the document
threshold, paragraphs and headline repeats just above and below theirs. Those
scores are computed here from `dedupe.normalize` and `dedupe.minhash`, as the
rules compute them: MinHash estimated Jaccard of word 5-grams of the cleaned
bodies (with the exact Jaccard beside it), word-bigram Jaccard of paragraphs,
character 3-gram Jaccard of a headline and a segment (the rule also tries
variants without a label prefix or a site name).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from ..cleaner import Cleaner
from ..config import CleanerConfig
from ..errors import ConfigError
from ..io import Corpus, Fields, discover
from ..minhash import Hasher, containment, similarity
from ..normalize import char_ngrams, jaccard, ngrams, normalize, normalize_many, tokenize, words
from ..records import Article, Result
from . import svg
from .summary import plural

# The values tried for each setting (the configured value is always added).
GRIDS: dict[str, tuple[float, ...]] = {
    "headline_threshold": (0.7, 0.8, 0.85, 0.9, 0.95),
    "paragraph_threshold": (0.6, 0.7, 0.8, 0.9, 0.95),
    "boilerplate_min_docs": (2, 3, 5, 10, 20),
    "document_threshold": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
}
RULE_OF = {
    "headline_threshold": "headline",
    "paragraph_threshold": "paragraph",
    "boilerplate_min_docs": "boilerplate",
    "document_threshold": "document",
}
# Rules switched off in each sweep: they cannot change its count (a segment is
# judged boilerplate first, then headline, then paragraph).
ISOLATE: dict[str, dict[str, bool]] = {
    "headline_threshold": {"paragraphs": False, "documents": False},
    "paragraph_threshold": {"documents": False},
    "boilerplate_min_docs": {"headlines": False, "paragraphs": False, "documents": False},
    "document_threshold": {},
}
MARGIN = 0.15  # examples are taken within this distance of a threshold
MAX_SEGMENTS = 80  # segments of an article compared pairwise for paragraph examples


def s_curve(bands: int, rows: int, points: Sequence[float]) -> list[tuple[float, float]]:
    """(s, probability that a pair at Jaccard s shares at least one LSH band)."""
    return [(s, 1.0 - (1.0 - s**rows) ** bands) for s in points]


@dataclass
class Sweep:
    """Removals of one rule at several values of one setting."""

    setting: str
    rule: str
    configured: float
    values: list[float] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)  # segments (articles for documents)
    characters: list[int] = field(default_factory=list)


@dataclass
class Example:
    """A pair at the margin of a threshold."""

    kind: str  # "document", "paragraph" or "headline"
    doc: str
    score: float  # the score compared with the threshold
    removed: bool  # whether the rule removes it at the configured settings
    a: str  # the kept (earlier) text, shortened
    b: str  # the text that would go
    other: str | None = None  # the other article (document pairs)
    exact: float | None = None  # exact Jaccard of the shingle sets (document pairs)
    contained: float | None = None
    where: str = ""  # segments (paragraph and headline pairs)


@dataclass
class Calibration:
    config: CleanerConfig
    read: int  # articles read
    sampled: int
    seed: int
    sweeps: list[Sweep]
    curve: list[tuple[float, float]]
    margins: dict[str, dict[str, list[Example]]]  # kind -> "above"/"below" -> examples
    runs: int
    elapsed: float
    skipped: int = 0  # bad input passed over

    def threshold(self, kind: str) -> float:
        return float(getattr(self.config, f"{kind}_threshold"))


# -- sampling and sweeps ----------------------------------------------------------------


def sample_articles(
    inputs: Sequence[str], fields: Fields | None, size: int, seed: int
) -> tuple[list[Article], int, int]:
    """A uniform sample of ``size`` articles (reservoir sampling, fixed seed) in input
    order; the number read; the bad files and lines passed over."""
    files, _ = discover(list(inputs))
    bad: list[object] = []
    corpus = Corpus(files, fields or Fields(), on_error="skip", on_problem=bad.append)
    rng = random.Random(seed)
    kept: list[tuple[int, Article]] = []
    read = 0
    for article in corpus:
        if len(kept) < size:
            kept.append((read, article))
        else:
            k = rng.randrange(read + 1)
            if k < size:
                kept[k] = (read, article)
        read += 1
    kept.sort(key=lambda pair: pair[0])
    return [a for _, a in kept], read, len(bad)


def _count(results: list[Result], rule: str) -> tuple[int, int]:
    if rule == "document":
        dropped = [r for r in results if r.dropped]
        return len(dropped), sum(len(r.article.text) for r in dropped)
    removals = [m for r in results for m in r.removals if m.rule == rule]
    return len(removals), sum(m.cut_end - m.cut_start for m in removals)


_ARTICLES: list[Article] = []  # the sample, in the worker processes


def _init(articles: list[Article]) -> None:
    global _ARTICLES
    _ARTICLES = articles


def _run(task: tuple[CleanerConfig, str, bool]) -> tuple[int, int, list[str] | None]:
    """Clean the sample with one config: (removals of ``rule``, characters, the cleaned
    texts if asked)."""
    config, rule, keep_texts = task
    results = list(Cleaner(config).clean(_ARTICLES))
    count, chars = _count(results, rule)
    return count, chars, [r.text for r in results] if keep_texts else None


def _run_all(
    articles: list[Article], configs: list[CleanerConfig], rules: list[str], jobs: int
) -> list[tuple[int, int, list[str] | None]]:
    """Run every config on the sample, ``jobs`` runs at a time; results in order."""
    tasks = [(c, r, k == len(configs) - 1) for k, (c, r) in enumerate(zip(configs, rules))]
    if jobs <= 1 or len(tasks) < 2:
        _init(articles)
        try:
            return [_run(t) for t in tasks]
        finally:
            _init([])
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=context, initializer=_init,
        initargs=(articles,),
    ) as pool:  # fmt: skip
        return list(pool.map(_run, tasks))


def _values(setting: str, configured: float, grid: Sequence[float] | None) -> list[float]:
    values = set(grid if grid is not None else GRIDS[setting]) | {configured}
    return sorted(values)


# -- scores at the margin ------------------------------------------------------------


def _bodies(
    articles: list[Article], cleaned: list[str], config: CleanerConfig
) -> tuple[np.ndarray, np.ndarray, list[tuple[set[int], int]]]:
    """MinHash signatures and shingle counts of the cleaned bodies (the title left out),
    and each body's shingle set and word count."""
    texts = []
    for article, text in zip(articles, cleaned):
        if article.title is None:  # the title is the first segment: leave it out
            _, sep, rest = text.lstrip().partition("\n")
            text = rest if sep else ""
        texts.append(text)
    norms = normalize_many([t.replace("\x00", " ") for t in texts])
    tokens = tokenize(norms)
    shingles, owner = ngrams(tokens, config.shingle_size)
    hasher = Hasher(config.num_perm, config.seed)
    sigs = hasher.signatures(shingles, owner, len(texts))
    sets: list[set[int]] = [set() for _ in texts]
    for h, o in zip(shingles.tolist(), owner.tolist()):
        sets[o].add(h)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    return sigs, sizes, [(s, int(n)) for s, n in zip(sets, tokens.counts.tolist())]


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def document_margin(
    articles: list[Article], cleaned: list[str], config: CleanerConfig, examples: int
) -> dict[str, list[Example]]:
    """Article pairs whose estimated Jaccard (of their cleaned bodies) is closest to the
    document threshold, on each side (bodies too short to be dropped are left out)."""
    t = config.document_threshold
    sigs, sizes, sets = _bodies(articles, cleaned, config)
    eligible = np.array([n >= config.document_min_words for _, n in sets])
    idx = np.flatnonzero(eligible)
    pairs: list[tuple[float, int, int]] = []
    for lo in range(0, len(idx), 64):  # all pairs, a block of rows at a time
        rows = idx[lo : lo + 64]
        for k, i in enumerate(rows.tolist()):
            later = idx[lo + k + 1 :]
            if not len(later):
                continue
            jac = similarity(sigs[i][None, :], sigs[later])
            near = np.flatnonzero(np.abs(jac - t) <= MARGIN)
            pairs.extend((float(jac[m]), i, int(later[m])) for m in near.tolist())
    above = sorted((p for p in pairs if p[0] >= t), key=lambda p: (p[0], p[1], p[2]))
    below = sorted((p for p in pairs if p[0] < t), key=lambda p: (-p[0], p[1], p[2]))

    def example(p: tuple[float, int, int]) -> Example:
        jac, i, j = p
        a, b = articles[i], articles[j]
        inside = max(
            float(containment(np.array(jac), sizes[i], sizes[j])),
            float(containment(np.array(jac), sizes[j], sizes[i])),
        )
        return Example(
            "document", b.id, jac,
            removed=jac >= t or inside >= config.document_containment,
            a=_short(cleaned[i]), b=_short(cleaned[j]), other=a.id,
            exact=jaccard(sets[i][0], sets[j][0]), contained=inside,
        )  # fmt: skip

    return {
        "above": [example(p) for p in above[:examples]],
        "below": [example(p) for p in below[:examples]],
    }


def _segments(text: str) -> list[tuple[int, str]]:
    from ..segment import segment

    return [(s.index, s.text) for s in segment(text)]


def paragraph_margin(
    articles: list[Article], config: CleanerConfig, examples: int
) -> dict[str, list[Example]]:
    """Segment pairs within an article whose word-bigram Jaccard is closest to the
    paragraph threshold (pairs that the containment test removes anyway left out)."""
    t, n = config.paragraph_threshold, config.paragraph_ngram
    found: list[tuple[float, str, int, int, str, str]] = []
    for article in articles:
        segs = _segments(article.text)[:MAX_SEGMENTS]
        grams = []
        for index, text in segs:
            ws = words(normalize(text))
            if len([w for w in ws if not w.isdigit()]) < config.paragraph_min_words:
                continue
            grams.append((index, text, {tuple(ws[k : k + n]) for k in range(len(ws) - n + 1)}))
        for x in range(len(grams)):
            for y in range(x + 1, len(grams)):
                (i, ti, a), (j, tj, b) = grams[x], grams[y]
                score = jaccard(a, b)
                inside = len(a & b) / len(b) if b else 0.0
                if abs(score - t) <= MARGIN and inside < config.paragraph_containment:
                    found.append((score, article.id, i, j, ti, tj))
    return _split(found, t, examples, "paragraph")


def headline_margin(
    articles: list[Article], config: CleanerConfig, examples: int
) -> dict[str, list[Example]]:
    """Segments whose character 3-gram Jaccard with the article's title is closest to
    the headline threshold."""
    t, n = config.headline_threshold, config.headline_ngram
    found: list[tuple[float, str, int, int, str, str]] = []
    for article in articles:
        segs = _segments(article.text)
        if article.title is not None:
            title, first, rest = article.title, -1, segs
        elif segs:
            (first, title), rest = segs[0], segs[1:]
        else:
            continue
        flat = " ".join(words(normalize(title)))
        if len(flat.split()) < 2 or len(flat) > 500:
            continue
        grams = char_ngrams(flat, n)
        for index, text in rest:
            other = " ".join(words(normalize(text)))
            if not 0.5 * len(flat) <= len(other) <= 2 * len(flat):
                continue
            score = jaccard(grams, char_ngrams(other, n))
            if abs(score - t) <= MARGIN:
                found.append((score, article.id, first, index, title, text))
    return _split(found, t, examples, "headline")


def _split(
    found: list[tuple[float, str, int, int, str, str]], t: float, examples: int, kind: str
) -> dict[str, list[Example]]:
    above = sorted((f for f in found if f[0] >= t), key=lambda f: (f[0], f[1], f[2], f[3]))
    below = sorted((f for f in found if f[0] < t), key=lambda f: (-f[0], f[1], f[2], f[3]))

    def example(f: tuple[float, str, int, int, str, str]) -> Example:
        score, doc, i, j, a, b = f
        where = f"segment {j} vs " + ("the title field" if i < 0 else f"segment {i}")
        return Example(kind, doc, score, score >= t, _short(a), _short(b), where=where)

    return {
        "above": [example(f) for f in above[:examples]],
        "below": [example(f) for f in below[:examples]],
    }


# -- the whole calibration -----------------------------------------------------------


def calibrate(
    inputs: Sequence[str],
    config: CleanerConfig | None = None,
    *,
    sample: int = 1000,
    seed: int = 1,
    fields: Fields | None = None,
    jobs: int = 1,
    grids: dict[str, Sequence[float]] | None = None,
    examples: int = 5,
    settings: Sequence[str] = tuple(GRIDS),
) -> Calibration:
    """Sweep each setting in ``settings`` over its grid on a sample of the inputs."""
    config = config or CleanerConfig()
    if sample < 2:
        raise ConfigError("the sample must hold at least 2 articles")
    for name in settings:
        if name not in GRIDS:
            raise ConfigError(f"cannot calibrate {name!r}: choose from {', '.join(GRIDS)}")
    started = time.perf_counter()
    articles, read, skipped = sample_articles(inputs, fields, sample, seed)
    sweeps: list[Sweep] = []
    tasks: list[CleanerConfig] = []
    for name in settings:
        configured = float(getattr(config, name))
        sweep = Sweep(name, RULE_OF[name], configured)
        for value in _values(name, configured, (grids or {}).get(name)):
            changes: dict[str, Any] = {**ISOLATE[name], name: type(getattr(config, name))(value)}
            try:
                tasks.append(config.replace(**changes))
            except ConfigError as exc:
                raise ConfigError(f"{name}={value}: {exc}") from None
            sweep.values.append(value)
        sweeps.append(sweep)
    tasks.append(config.replace(documents=False))  # the cleaned bodies, for the examples
    rules = [s.rule for s in sweeps for _ in s.values] + ["document"]
    outcomes = _run_all(articles, tasks, rules, jobs)
    at = 0
    for sweep in sweeps:
        for _ in sweep.values:
            count, chars, _ = outcomes[at]
            sweep.removals.append(count)
            sweep.characters.append(chars)
            at += 1
    texts = outcomes[-1][2]
    assert texts is not None
    runs = len(tasks)
    grid = [k / 20 for k in range(21)]
    curve = s_curve(config.lsh_bands, config.lsh_rows, sorted({*grid, config.document_threshold}))
    margins = {
        "document": document_margin(articles, texts, config, examples),
        "paragraph": paragraph_margin(articles, config, examples),
        "headline": headline_margin(articles, config, examples),
    }
    return Calibration(
        config, read, len(articles), seed, sweeps, curve, margins, runs,
        time.perf_counter() - started, skipped,
    )  # fmt: skip


# -- output: terminal ------------------------------------------------------------------


def print_calibration(cal: Calibration, console: Any) -> None:
    """Tables for a rich ``Console``."""
    from rich.table import Table
    from rich.text import Text

    c = cal.config
    console.print(
        Text(
            f"calibrate: {plural(cal.sampled, 'article')} of {cal.read:,} "
            f"({'all' if cal.sampled == cal.read else f'a random sample, seed {cal.seed}'}); "
            f"{plural(cal.runs, 'run')} in {cal.elapsed:.1f} s"
            + (f"; {plural(cal.skipped, 'bad input')} passed over" if cal.skipped else "")
        )
    )
    for sweep in cal.sweeps:
        unit = "articles dropped" if sweep.rule == "document" else "segments removed"
        table = Table(title=f"{sweep.rule}: {sweep.setting}", title_justify="left")
        table.add_column(sweep.setting, justify="right")
        table.add_column(unit, justify="right")
        table.add_column("characters", justify="right")
        table.add_column("")
        for value, n, chars in zip(sweep.values, sweep.removals, sweep.characters):
            mark = "◀ configured" if value == sweep.configured else ""
            table.add_row(f"{value:g}", f"{n:,}", f"{chars:,}", mark)
        console.print(table)
    table = Table(
        title=f"LSH S-curve: {c.lsh_bands} bands × {c.lsh_rows} rows, "
        "P(candidate) = 1 − (1 − s^r)^b",
        title_justify="left",
    )
    table.add_column("Jaccard s", justify="right")
    table.add_column("P(candidate)", justify="right")
    table.add_column("")
    for s, p in cal.curve:
        mark = "◀ document threshold" if s == c.document_threshold else ""
        table.add_row(f"{s:.2f}", f"{p:.4f}", mark)
    console.print(table)
    for kind, label in (
        ("document", "document_threshold"),
        ("paragraph", "paragraph_threshold"),
        ("headline", "headline_threshold"),
    ):
        t = cal.threshold(kind)
        for side in ("above", "below"):
            found = cal.margins[kind][side]
            table = Table(title=f"{kind} pairs just {side} {label} {t:g}", title_justify="left")
            table.add_column("score", justify="right")
            if kind == "document":
                table.add_column("exact", justify="right")
                table.add_column("contained", justify="right")
                table.add_column("kept / dropped")
            else:
                table.add_column("article")
            table.add_column("removed")
            table.add_column("texts", overflow="fold")
            for e in found:
                texts = f"{e.a}\n— {e.b}"
                if kind == "document":
                    table.add_row(
                        f"{e.score:.3f}", f"{e.exact:.3f}", f"{e.contained:.2f}",
                        f"{e.other}\n{e.doc}", "yes" if e.removed else "no", texts,
                    )  # fmt: skip
                else:
                    table.add_row(
                        f"{e.score:.3f}", f"{e.doc}\n{e.where}", "yes" if e.removed else "no",
                        texts,
                    )  # fmt: skip
            if not found:
                console.print(Text(f"{kind} pairs just {side} {t:g}: none within {MARGIN}"))
            else:
                console.print(table)


# -- output: HTML ----------------------------------------------------------------------


def calibration_html(cal: Calibration) -> str:
    """A self-contained page with the sweeps and the S-curve as plots."""
    from .html import CSP, _asset

    c = cal.config
    parts = [
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        "<title>dedupe calibrate</title>",
        f"<style>{_asset('report.css')}</style></head><body>",
        "<header><h1>dedupe calibrate</h1></header><main>",
        f"<p class=note>{plural(cal.sampled, 'article')} of {cal.read:,} "
        f"({'all' if cal.sampled == cal.read else f'a random sample, seed {cal.seed}'}); "
        f"{plural(cal.runs, 'run')} in {cal.elapsed:.1f} s. Each sweep changes one setting; "
        "the dashed line marks the configured value.</p><div class=row>",
    ]
    for sweep in cal.sweeps:
        unit = "articles dropped" if sweep.rule == "document" else "segments removed"
        parts.append("<div>")
        parts.append(
            svg.lines(
                [
                    (
                        unit,
                        sweep.values,
                        [float(n) for n in sweep.removals],
                        svg.RULE_COLOURS[sweep.rule],
                    )
                ],
                f"{sweep.rule}: {unit} by {sweep.setting}",
                xlabel=sweep.setting,
                ylabel=unit,
                marker=sweep.configured,
                marker_label=f"configured {sweep.configured:g}",
            )  # fmt: skip
        )
        parts.append("</div>")
    xs = [s for s, _ in cal.curve]
    ys = [p for _, p in cal.curve]
    parts.append("<div>")
    parts.append(
        svg.lines(
            [("P(candidate)", xs, ys, "#0072B2")],
            f"LSH S-curve, {c.lsh_bands} bands × {c.lsh_rows} rows",
            xlabel="Jaccard similarity s",
            ylabel="P(candidate) = 1 − (1 − s^r)^b",
            xlim=(0.0, 1.0),
            ylim=(0.0, 1.0),
            marker=c.document_threshold,
            marker_label=f"document threshold {c.document_threshold:g}",
        )  # fmt: skip
    )
    parts.append("</div></div>")
    for kind in ("document", "paragraph", "headline"):
        t = cal.threshold(kind)
        for side in ("above", "below"):
            found = cal.margins[kind][side]
            parts.append(f"<h2>{kind} pairs just {side} the threshold {t:g}</h2>")
            if not found:
                parts.append(f"<p class=note>none within {MARGIN}</p>")
                continue
            parts.append(
                "<table><tr><th>score</th><th>details</th><th>removed</th><th>kept text</th>"
                "<th>text that goes</th></tr>"
            )
            for e in found:
                details = (
                    f"{escape(str(e.other))} / {escape(e.doc)}<br>exact {e.exact:.3f}, "
                    f"contained {e.contained:.2f}"
                    if kind == "document"
                    else f"{escape(e.doc)}<br>{escape(e.where)}"
                )
                parts.append(
                    f"<tr><td>{e.score:.3f}</td><td>{details}</td>"
                    f"<td>{'yes' if e.removed else 'no'}</td><td class=seg>{escape(e.a)}</td>"
                    f"<td class=seg>{escape(e.b)}</td></tr>"
                )
            parts.append("</table>")
    parts.append("</main></body></html>\n")
    return "".join(parts)
