"""Access to the real news text in ../shared/data, read at test time (never copied here)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"
EXAMPLE = SHARED / "examples" / "s400-repeated-title.txt"
BBC = DATA / "bbc_news_fulltext" / "bbc"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"test data not found: {path}")
    return path


def bbc(topic: str, number: int) -> str:
    """A BBC article: first line the title, blank lines between paragraphs."""
    return need(BBC / topic / f"{number:03d}.txt").read_text(encoding="utf-8")


def bbc_articles(topic: str, count: int, start: int = 1) -> list[str]:
    return [bbc(topic, n) for n in range(start, start + count)]


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]
