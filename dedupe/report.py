"""Run summary (to stderr) and report rows (JSONL, one per removal)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import RULES, Result, Rule


@dataclass
class Summary:
    """Counts for one run of the cleaner."""

    documents_read: int = 0
    documents_written: int = 0
    documents_dropped: int = 0
    segments_read: int = 0
    segments_removed: dict[Rule, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))

    def add(self, result: Result, segments: int) -> None:
        self.documents_read += 1
        self.segments_read += segments
        if result.dropped:
            self.documents_dropped += 1
            self.segments_removed["document"] += 1
            return
        self.documents_written += 1
        for removal in result.removals:
            self.segments_removed[removal.rule] += 1

    def lines(self) -> list[str]:
        removed = self.segments_removed
        return [
            f"documents: {self.documents_read} read, {self.documents_written} written, "
            f"{self.documents_dropped} dropped as near duplicates",
            f"segments: {self.segments_read} read, "
            + ", ".join(f"{removed[r]} {r}" for r in RULES if r != "document")
            + " removed",
        ]
