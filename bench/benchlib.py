"""Shared pieces of the benchmark harness: real base articles, tokens, corpus I/O.

Everything here is deterministic: no Python ``hash()``, no set iteration order
leaks into output, every random choice goes through a seeded ``random.Random``.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
CACHE = REPO / "bench" / ".cache"

WORD_RE = re.compile(r"\w+", re.UNICODE)
SENTENCE_END = (".", "?", "!", '"', "”", "’", "'", ")")


@dataclass(frozen=True)
class Base:
    """A clean real article: a title and its paragraphs, each a single line."""

    id: str
    title: str
    paragraphs: tuple[str, ...]


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def shingles(text: str, n: int = 5) -> set[str]:
    w = words(text)
    if len(w) < n:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}


def _clean_line(text: str) -> str:
    return " ".join(text.split())


def _tidy_paragraphs(title: str, paras: list[str], min_words: int) -> list[str]:
    """Drop paragraphs that repeat the title or an earlier paragraph, and short junk."""
    tnorm = " ".join(words(title))
    seen: list[set[str]] = []
    out: list[str] = []
    for p in paras:
        p = _clean_line(p)
        w = words(p)
        if len(w) < min_words:
            continue
        pnorm = " ".join(w)
        if tnorm and (tnorm in pnorm or pnorm in tnorm):
            continue
        sh = shingles(p, 3)
        if any(len(sh & s) >= 0.5 * min(len(sh), len(s)) for s in seen if s):
            continue
        seen.append(sh)
        out.append(p)
    return out


def load_bbc(data: Path) -> list[Base]:
    root = data / "bbc_news_fulltext" / "bbc"
    out: list[Base] = []
    for topic in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(topic.glob("*.txt")):
            raw = f.read_bytes().decode("utf-8", errors="replace")
            lines = raw.splitlines()
            if not lines:
                continue
            title = _clean_line(lines[0])
            body = "\n".join(lines[1:])
            paras = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
            paras = _tidy_paragraphs(title, paras, min_words=6)
            if title and len(paras) >= 3:
                out.append(Base(f"bbc-{topic.name}-{f.stem}", title, tuple(paras)))
    return out


_DATE_RE = re.compile(
    r"^(by |updated |published |(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d)",
    re.IGNORECASE,
)


def _looks_like_title(title: str) -> bool:
    alpha = [w for w in title.split() if any(c.isalpha() for c in w)]
    return 4 <= len(alpha) <= 25 and not _DATE_RE.match(title) and not title.endswith(":")


def load_asprout(data: Path) -> list[Base]:
    """asprout scrapes: `` ### ``-joined chunks; keep only sentence-like paragraphs.

    The first chunk is the title; bylines, captions, "More", subheads and title
    repeats are existing damage and are left out so that the truth stays exact.
    """
    root = data / "asprout_article_comparisons" / "data"
    csv.field_size_limit(1 << 30)
    out: list[Base] = []
    for name in ("census", "helsinki", "spotify"):
        path = root / f"{name}_articles.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                chunks = [c.strip() for c in row["text"].split(" ### ")]
                if len(chunks) < 4:
                    continue
                title = _clean_line(chunks[0])
                if not _looks_like_title(title):
                    continue
                paras = [c for c in chunks[1:] if c.rstrip().endswith(SENTENCE_END)]
                paras = _tidy_paragraphs(title, paras, min_words=10)
                if len(paras) >= 3:
                    out.append(Base(f"asp-{name}-{row['id']}", title, tuple(paras)))
    return out


def remove_overlaps(bases: list[Base], containment: float = 0.05) -> list[Base]:
    """Keep bases that share (almost) nothing with an earlier kept base.

    Dropped: same title; any identical paragraph; or word 5-gram containment of
    at least ``containment`` of the smaller shingle set.  Also drops paragraphs
    that recur across bases by leaving out the later base entirely.
    """
    index: dict[str, list[int]] = {}
    para_seen: set[str] = set()
    title_seen: set[str] = set()
    sizes: list[int] = []
    kept: list[Base] = []
    for b in bases:
        tkey = " ".join(words(b.title))
        pkeys = [" ".join(words(p)) for p in b.paragraphs]
        if tkey in title_seen or any(k in para_seen for k in pkeys):
            continue
        sh = shingles("\n".join(b.paragraphs), 5)
        counts: Counter[int] = Counter()
        for s in sh:
            for owner in index.get(s, ()):
                counts[owner] += 1
        if any(c >= containment * min(len(sh), sizes[o]) for o, c in counts.items()):
            continue
        k = len(kept)
        kept.append(b)
        sizes.append(len(sh))
        title_seen.add(tkey)
        para_seen.update(pkeys)
        for s in sh:
            index.setdefault(s, []).append(k)
    return kept


def load_bases(data: Path, sources: tuple[str, ...] = ("bbc", "asprout")) -> list[Base]:
    """The base articles (a fresh list; the loading is done once per process)."""
    return list(_load_bases(data, sources))


@functools.lru_cache(maxsize=4)
def _load_bases(data: Path, sources: tuple[str, ...]) -> tuple[Base, ...]:
    raw: list[Base] = []
    if "bbc" in sources:
        raw += load_bbc(data)
    if "asprout" in sources:
        raw += load_asprout(data)
    return tuple(remove_overlaps(raw))


@dataclass(frozen=True)
class Wire:
    """A Reuters-21578 story: ``title`` (None when it has none) and its raw ``body``
    (hard-wrapped lines, indented paragraph starts, the `` Reuter`` sign-off)."""

    id: str
    title: str | None
    body: str


def _reuters_module() -> ModuleType:
    path = REPO / "scripts" / "reuters_to_jsonl.py"
    spec = importlib.util.spec_from_file_location("reuters_to_jsonl", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=2)
def load_reuters(data: Path) -> tuple[Wire, ...]:
    """Every Reuters-21578 story with a body, in file order (via scripts/reuters_to_jsonl.py)."""
    if not (data / "reuters21578").is_dir():
        return ()
    mod = _reuters_module()
    out = []
    for rec in mod.iter_records(data, True, mod.Counts()):
        out.append(Wire(str(rec["id"]), rec.get("title"), str(rec["text"])))
    return tuple(out)


# ---------------------------------------------------------------- corpus output readers


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def norm_line(line: str) -> str:
    return line.strip(" \t\r")


def text_lines(text: str) -> list[str]:
    """Non-empty lines of a text, trimmed of spaces/tabs/CR at the ends."""
    return [s for s in (norm_line(x) for x in text.split("\n")) if s]
