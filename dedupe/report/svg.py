"""Small inline SVG plots (bars, histograms, lines) for the HTML pages: no library, no
network, readable at a glance: every bar carries its value, every axis its label."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).
RULE_COLOURS = {
    "headline": "#E69F00",
    "paragraph": "#CC79A7",
    "boilerplate": "#0072B2",
    "document": "#D55E00",
    "title": "#009E73",
}
INK = "#222"
GRID = "#ddd"
FONT = 'font-family="system-ui, sans-serif"'


def _num(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="4" y="14" font-size="13" font-weight="600" fill="{INK}">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def nice_max(value: float) -> float:
    """A round number at or above ``value`` for an axis end."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value:
            return step * power
    return 10.0 * power


def hbars(
    items: Sequence[tuple[str, float, str]],
    title: str,
    *,
    labels: Sequence[str] | None = None,
    width: int = 480,
) -> str:
    """Horizontal bars: (label, value, colour) each, with its value (or ``labels``) beside."""
    row, left, top = 24, 90, 26
    height = top + row * len(items) + 8
    top_value = max((v for _, v, _ in items), default=0) or 1
    span = width - left - 130
    body = []
    for i, (label, value, colour) in enumerate(items):
        y = top + i * row
        w = span * value / top_value
        text = labels[i] if labels is not None else _num(value)
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="12" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    return _svg(width, height, title, body)


def columns(
    items: Sequence[tuple[str, float]],
    title: str,
    *,
    xlabel: str,
    ylabel: str,
    colour: str = "#0072B2",
    marker: float | None = None,
    marker_label: str = "",
    width: int = 460,
    height: int = 220,
    edges: tuple[float, float] | None = None,
) -> str:
    """Vertical bars over categories (or histogram bins when ``edges`` gives the x range of
    the first and last bin edge; ``marker`` then marks an x value with a dashed line)."""
    left, right, top, bottom = 48, 12, 26, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(items))
    ymax = nice_max(max((v for _, v in items), default=0))
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    ]
    for k in range(5):
        value = ymax * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{INK}">{_num(value)}</text>'
        )
    slot = plot_w / n
    every = max(1, math.ceil(n / 12))  # x labels that fit
    for i, (label, value) in enumerate(items):
        h = plot_h * value / ymax
        x = left + i * slot
        body.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {_num(value)}</title></rect>'
        )
        if edges is None and (i % every == 0 or i == n - 1):
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{top + plot_h + 13}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
            )
    if edges is not None:  # histogram: label the bin edges
        ticks = 5 if n % 5 == 0 else 4 if n % 4 == 0 else 2
        for k in range(ticks + 1):
            x = left + plot_w * k / ticks
            value = edges[0] + (edges[1] - edges[0]) * k / ticks
            body.append(
                f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" '
                f'stroke="{INK}"/><text x="{x:.1f}" y="{top + plot_h + 15}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{value:g}</text>'
            )
    if marker is not None and edges is not None and edges[1] > edges[0]:
        x = left + plot_w * (marker - edges[0]) / (edges[1] - edges[0])
        body.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="{INK}" '
            f'stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{top + 10}" font-size="10" '
            f'fill="{INK}">{escape(marker_label)}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="11" '
        f'text-anchor="middle" fill="{INK}">{escape(xlabel)}</text>'
        f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
        f'fill="{INK}" transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(ylabel)}</text>'
    )
    return _svg(width, height, title, body)


def histogram(
    values: Sequence[float],
    title: str,
    *,
    lo: float = 0.0,
    hi: float = 1.0,
    bins: int = 20,
    xlabel: str,
    ylabel: str = "count",
    colour: str = "#D55E00",
    marker: float | None = None,
    marker_label: str = "",
    width: int = 460,
) -> str:
    """A histogram of ``values`` in [lo, hi] (values outside are clamped to the end bins)."""
    counts = [0] * bins
    for v in values:
        k = int((min(max(v, lo), hi) - lo) / (hi - lo) * bins)
        counts[min(k, bins - 1)] += 1
    step = (hi - lo) / bins
    items = [(f"{lo + k * step:.2f}", float(c)) for k, c in enumerate(counts)]
    return columns(
        items, title, xlabel=xlabel, ylabel=ylabel, colour=colour, marker=marker,
        marker_label=marker_label, width=width, edges=(lo, hi),
    )  # fmt: skip


def lines(
    series: Sequence[tuple[str, Sequence[float], Sequence[float], str]],
    title: str,
    *,
    xlabel: str,
    ylabel: str,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    marker: float | None = None,
    marker_label: str = "",
    width: int = 460,
    height: int = 240,
) -> str:
    """Line plots with points: (name, xs, ys, colour) each, a legend, optional x marker."""
    left, right, top, bottom = 52, 12, 26, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    xs_all = [x for _, xs, _, _ in series for x in xs] or [0.0, 1.0]
    ys_all = [y for _, _, ys, _ in series for y in ys] or [0.0, 1.0]
    x0, x1 = xlim or (min(xs_all), max(xs_all))
    y0, y1 = ylim or (0.0, nice_max(max(ys_all)))
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def px(x: float) -> float:
        return left + plot_w * (x - x0) / (x1 - x0)

    def py(y: float) -> float:
        return top + plot_h - plot_h * (y - y0) / (y1 - y0)

    body = []
    for k in range(5):
        yv = y0 + (y1 - y0) * k / 4
        xv = x0 + (x1 - x0) * k / 4
        body.append(
            f'<line x1="{left}" y1="{py(yv):.1f}" x2="{left + plot_w}" y2="{py(yv):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 4}" y="{py(yv) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="{INK}">{_num(round(yv, 2))}</text>'
            f'<text x="{px(xv):.1f}" y="{top + plot_h + 13}" font-size="10" '
            f'text-anchor="middle" fill="{INK}">{_num(round(xv, 2))}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    )
    if marker is not None:
        body.append(
            f'<line x1="{px(marker):.1f}" y1="{top}" x2="{px(marker):.1f}" y2="{top + plot_h}" '
            f'stroke="{INK}" stroke-dasharray="4 3"/><text x="{px(marker) + 3:.1f}" '
            f'y="{top + 10}" font-size="10" fill="{INK}">{escape(marker_label)}</text>'
        )
    for i, (name, xs, ys, colour) in enumerate(series):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in zip(xs, ys):
            body.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)}: {_num(x)} → {_num(y)}</title></circle>"
            )
        if len(series) > 1:
            ly = top + 4 + 14 * i
            body.append(
                f'<rect x="{left + plot_w - 110}" y="{ly}" width="10" height="10" '
                f'fill="{colour}"/><text x="{left + plot_w - 96}" y="{ly + 9}" font-size="10" '
                f'fill="{INK}">{escape(name)}</text>'
            )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="11" '
        f'text-anchor="middle" fill="{INK}">{escape(xlabel)}</text>'
        f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
        f'fill="{INK}" transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(ylabel)}</text>'
    )
    return _svg(width, height, title, body)
