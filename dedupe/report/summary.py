"""The run summary: counts printed to stderr, and the report's last row.

`Summary` is filled by the cleaner, one `add` per result. It counts articles,
segments and characters, read and removed per rule, times the run, and groups
the removed segments by their words (``" Reuter"``, ``"REUTER"`` and
``"  reuter"`` are one group), so that the most frequent removals can be listed
without reading the whole report. `summary_row` turns it, with the settings of
the run, into the ``{"rule": "summary", ...}`` row written last in the report.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..config import CleanerConfig
from ..normalize import normalize, words
from ..records import RULES, Result, Rule

TOP_GROUPS = 20  # most frequent removed segments listed in the summary row
MAX_GROUPS = 100_000  # groups held while counting; past this, the rarer half is dropped
MAX_SPELLINGS = 50  # distinct spellings counted per group
SUMMARY_RULE = "summary"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``; thousands separated by commas."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@functools.lru_cache(maxsize=1 << 16)  # removed segments repeat (boilerplate above all)
def group_key(text: str) -> str:
    """The words of a segment, normalised: segments with the same key are one group."""
    found = words(normalize(text))
    return " ".join(found) if found else normalize(text)


@dataclass
class _Group:
    rule: Rule
    count: int = 0
    spellings: Counter[str] = field(default_factory=Counter)


@dataclass
class Summary:
    """Counts for one run of the cleaner."""

    documents_read: int = 0
    documents_written: int = 0
    documents_dropped: int = 0
    segments_read: int = 0
    segments_removed: dict[Rule, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    characters_read: int = 0
    # characters cut per rule (a segment with its separator; a dropped article whole)
    characters_removed: dict[Rule, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    started: float = field(default_factory=time.perf_counter, compare=False, repr=False)
    finished: float | None = field(default=None, compare=False, repr=False)
    _groups: dict[tuple[Rule, str], _Group] = field(default_factory=dict, compare=False, repr=False)

    def add(self, result: Result, segments: int) -> None:
        self.documents_read += 1
        self.segments_read += segments
        self.characters_read += len(result.article.text)
        self.finished = time.perf_counter()
        if result.dropped:
            self.documents_dropped += 1
            self.segments_removed["document"] += 1
            self.characters_removed["document"] += len(result.article.text)
            return
        self.documents_written += 1
        for removal in result.removals:
            self.segments_removed[removal.rule] += 1
            self.characters_removed[removal.rule] += removal.cut_end - removal.cut_start
            self._group(removal.rule, removal.text)

    def _group(self, rule: Rule, text: str) -> None:
        key = (rule, group_key(text))
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= MAX_GROUPS:
                self._forget_rare()
            group = self._groups[key] = _Group(rule)
        group.count += 1
        if text in group.spellings or len(group.spellings) < MAX_SPELLINGS:
            group.spellings[text] += 1

    def _forget_rare(self) -> None:
        """Keep memory bounded: keep only the groups counted more often than the one at
        the middle of the counts (at most half of them), so that the next prune is at
        least ``MAX_GROUPS // 2`` new groups away. (Keeping every group seen twice or
        more, as before, left the table full when most were: a prune at every new group,
        a quadratic run on a million articles.)"""
        counts = sorted((g.count for g in self._groups.values()), reverse=True)
        floor = counts[min(MAX_GROUPS // 2, len(counts) - 1)]
        self._groups = {k: g for k, g in self._groups.items() if g.count > floor}

    # -- derived figures -------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds from the start of the run to its last result (or to now)."""
        end = self.finished if self.finished is not None else time.perf_counter()
        return max(0.0, end - self.started)

    @property
    def articles_per_second(self) -> float:
        elapsed = self.elapsed
        return self.documents_read / elapsed if elapsed > 0 else 0.0

    @property
    def characters_removed_total(self) -> int:
        return sum(self.characters_removed.values())

    def top(self, n: int = TOP_GROUPS) -> list[dict[str, Any]]:
        """The ``n`` most frequent removed segments, grouped by rule and words."""
        ranked = sorted(self._groups.items(), key=lambda kv: (-kv[1].count, kv[0]))
        out = []
        for (rule, key), group in ranked[:n]:
            spelling, _ = group.spellings.most_common(1)[0]
            out.append(
                {
                    "rule": rule,
                    "words": key,
                    "text": spelling,
                    "count": group.count,
                    "spellings": len(group.spellings),
                }
            )
        return out

    def lines(self) -> list[str]:
        removed = self.segments_removed
        total = self.characters_read

        def chars(rule: Rule) -> str:
            n = self.characters_removed[rule]
            return f"{n:,} ({share(n, total):.1%})" if n else "0"

        cut = self.characters_removed_total
        return [
            f"documents: {self.documents_read} read, {self.documents_written} written, "
            f"{self.documents_dropped} dropped as near duplicates",
            f"segments: {self.segments_read} read, "
            + ", ".join(f"{removed[r]} {r}" for r in RULES if r != "document")
            + " removed",
            f"characters: {total:,} read, {cut:,} ({share(cut, total):.1%}) removed: "
            + ", ".join(f"{chars(r)} {r}" for r in RULES if r != "document")
            + f", {chars('document')} in dropped duplicates",
            f"time: {self.elapsed:.2f} s ({self.articles_per_second:,.0f} articles/s)",
        ]


def summary_row(
    summary: Summary,
    config: CleanerConfig,
    bad_files: int = 0,
    bad_lines: int = 0,
    *,
    top: int = TOP_GROUPS,
) -> dict[str, Any]:
    """The report's last row: the settings, the counts per rule and the most frequent
    removals of a run. Everything in it but ``elapsed`` and ``articles_per_second``
    is the same for the same input and settings."""
    from .. import __version__

    s = summary
    removed = {}
    for rule in RULES:
        read = s.documents_read if rule == "document" else s.segments_read
        count = s.segments_removed[rule]
        removed[rule] = {
            "segments" if rule != "document" else "articles": count,
            "share": round(share(count, read), 6),
            "characters": s.characters_removed[rule],
            "character_share": round(share(s.characters_removed[rule], s.characters_read), 6),
        }
    return {
        "rule": SUMMARY_RULE,
        "version": __version__,
        "config": config.to_dict(),
        "articles": {
            "read": s.documents_read,
            "written": s.documents_written,
            "dropped": s.documents_dropped,
        },
        "segments": {"read": s.segments_read},
        "characters": {"read": s.characters_read, "removed": s.characters_removed_total},
        "removed": removed,
        "bad_input": {"files": bad_files, "lines": bad_lines},
        "top": s.top(top),
        "elapsed": round(s.elapsed, 3),
        "articles_per_second": round(s.articles_per_second, 1),
    }
