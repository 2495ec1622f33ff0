"""`dedupe calibrate`: the S-curve against its closed form (and against real MinHash
bands), the sweeps against `dedupe clean` at the same settings, margins on the right
side of their thresholds; CliRunner on a run over BBC excerpts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from dedupe.config import CleanerConfig
from dedupe.index import band_keys
from dedupe.minhash import Hasher
from dedupe.report.calibrate import ISOLATE, calibrate, s_curve

from .report_corpus import Run, shared_run
from .test_cli import assert_ok, clean
from .test_report_html import invoke


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_run(tmp_path_factory)


@pytest.mark.parametrize(("bands", "rows"), [(42, 3), (20, 5), (9, 13), (1, 1)])
def test_s_curve_is_the_closed_form(bands: int, rows: int) -> None:
    points = [k / 40 for k in range(41)]
    for s, p in s_curve(bands, rows, points):
        assert p == pytest.approx(1 - (1 - s**rows) ** bands, abs=1e-12)
    values = [p for _, p in s_curve(bands, rows, points)]
    assert values[0] == 0.0 and values[-1] == 1.0
    assert values == sorted(values)


def test_s_curve_matches_the_bands_of_real_signatures() -> None:
    """Pairs of sets at Jaccard s share an LSH band (as `dedupe.index` keys them) as
    often as the curve says: within 4 standard deviations over 400 pairs."""
    config = CleanerConfig()
    hasher = Hasher(config.num_perm, config.seed)
    rng = np.random.default_rng(7)
    pairs = 400
    for s in (0.15, 0.3, 0.5):
        shared = round(200 * 2 * s / (1 + s))  # |A∩B| for |A|=|B|=200 and J = s
        hits = 0
        for _ in range(pairs):
            items = rng.choice(2**32, size=400 - shared, replace=False).astype(np.uint32)
            a = items[:200]
            b = np.concatenate([items[:shared], items[200:]])
            sigs = np.stack([hasher.signature(a), hasher.signature(b)])
            keys = band_keys(sigs, config.lsh_bands, config.lsh_rows)
            hits += bool((keys[0] == keys[1]).any())
        exact = shared / (400 - shared)
        (_, p), = s_curve(config.lsh_bands, config.lsh_rows, [exact])  # fmt: skip
        assert abs(hits / pairs - p) <= 4 * (p * (1 - p) / pairs) ** 0.5 + 1e-9, (s, hits, p)


def _table(out: str, title: str) -> list[list[str]]:
    """Rows of a rich table printed under ``title``."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


def test_calibrate_cli(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "calibration.html"
    result = invoke("calibrate", run.src, "-j", "1", "--html", page)
    assert_ok(result)
    out = result.stdout
    n = len(run.texts)
    assert out.startswith(f"calibrate: {n} articles of {n} (all); ")
    # the S-curve as printed is the closed form, the threshold marked
    curve = _table(out, "LSH S-curve: 42 bands × 3 rows")
    assert len(curve) == 21
    for s, p, mark in curve:
        assert float(p) == pytest.approx(1 - (1 - float(s) ** 3) ** 42, abs=5e-5)
        assert (mark == "◀ document threshold") == (s == "0.50")
    # each sweep's configured value removes what `dedupe clean` removes with those settings
    for setting, rule, flag_names in (
        ("document_threshold", "document", ()),
        ("boilerplate_min_docs", "boilerplate", ("--no-documents", "--no-headlines",
                                                 "--no-paragraphs")),
        ("paragraph_threshold", "paragraph", ("--no-documents",)),
    ):  # fmt: skip
        rows = _table(out, f"{rule}: {setting}")
        counts = [int(r[1].replace(",", "")) for r in rows]
        assert counts == sorted(counts, reverse=True)  # fewer removals as it gets stricter
        configured = next(int(r[1]) for r in rows if r[3] == "◀ configured")
        report = tmp_path / f"{rule}.jsonl"
        assert set(ISOLATE[setting]) == {f.removeprefix("--no-") for f in flag_names}
        assert_ok(clean(run.src, "--dry-run", "--report", report, *flag_names))
        got = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
        assert configured == sum(1 for r in got if r["rule"] == rule)
    # margins: each example on its side of the threshold
    for kind, t in (("document", 0.5), ("paragraph", 0.8), ("headline", 0.85)):
        for side in ("above", "below"):
            title = f"{kind} pairs just {side}"
            if f"{title} {kind}_threshold" not in out:
                assert re.search(rf"^{title} {t:g}: none within", out, re.M)
                continue
            for row in _table(out, title):
                if row[0]:
                    assert (float(row[0]) >= t) == (side == "above")
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 5 and "default-src 'none'" in html
    assert "http://" not in html and "https://" not in html
    assert f"wrote {page}" in result.stderr


def test_sample_is_seeded_and_jobs_do_not_matter(run: Run) -> None:
    args = ["calibrate", run.src, "--sample", "10", "--only", "document_threshold"]
    one = invoke(*args, "-j", "1")
    two = invoke(*args, "-j", "2")
    assert_ok(one)
    assert_ok(two)
    drop_time = re.compile(r"in [0-9.]+ s")
    assert drop_time.sub("", one.stdout) == drop_time.sub("", two.stdout)
    assert f"10 articles of {len(run.texts)} (a random sample, seed 1)" in one.stdout
    other = invoke(*args, "-j", "1", "--sample-seed", "2")
    assert drop_time.sub("", other.stdout) != drop_time.sub("", one.stdout)


def test_margins_sit_on_their_side(run: Run) -> None:
    cal = calibrate([str(run.src)], settings=("headline_threshold",), examples=20)
    for kind, sides in cal.margins.items():
        t = cal.threshold(kind)
        for e in sides["above"]:
            assert t <= e.score <= t + 0.15
        for e in sides["below"]:
            assert t - 0.15 <= e.score < t
    docs = cal.margins["document"]
    # the near-duplicate copies are at the top of the "above" side or beyond the margin
    assert all(e.exact is not None and 0 <= e.exact <= 1 for e in docs["above"] + docs["below"])


def test_bad_settings_are_usage_errors(run: Run) -> None:
    result = invoke("calibrate", run.src, "--document-threshold", "1.5")
    assert result.exit_code == 2
    assert "'--document-threshold': 1.5 is not in the range 0.0<x<=1.0" in result.stderr
    result = invoke("calibrate", run.src, "--only", "seed")
    assert result.exit_code == 2
