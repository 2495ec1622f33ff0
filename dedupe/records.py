"""The records that flow through the cleaner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import InputError

Rule = Literal["headline", "paragraph", "boilerplate", "document"]
RULES: tuple[Rule, ...] = ("headline", "paragraph", "boilerplate", "document")


@dataclass(frozen=True)
class Source:
    """Where an article came from: a file, and for JSONL or CSV the 1-based (first)
    line, for CSV or Parquet the 1-based row (header not counted)."""

    path: str
    line: int | None = None
    row: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        return self.path if self.row is None else f"{self.path}:row {self.row}"


@dataclass
class Article:
    """One article: its id, optional title, text, and any other fields, carried untouched.

    ``id`` is always text (as in the report); an integer id given by the input is
    kept in ``int_id`` too, and `given_id` gives the id back with its type."""

    id: str
    text: str
    title: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: Source | None = None
    # The JSONL object the article was read from, if any: writers put the cleaned
    # text back into it, so every other field, its value and its order, is kept.
    record: dict[str, Any] | None = field(default=None, repr=False)
    # The exact bytes of the JSONL line (with its line break, if any) the article was
    # read from: written back verbatim when nothing is removed, and kept in the report
    # so that `dedupe restore` can rebuild the input byte for byte.
    raw: bytes | None = field(default=None, repr=False)
    # What the reader hands on to the writer of the same file with this article (the
    # lines before it that are no article, a reference to its Parquet row): opaque to
    # the cleaner, so that cleaned copies are written from the pass that made them.
    carry: Any = field(default=None, repr=False, compare=False)
    # The id when the input gave an integer (``id`` is then its decimal text).
    int_id: int | None = field(default=None, repr=False)

    @property
    def given_id(self) -> str | int:
        """The id as the input gave it: an integer stays an integer."""
        return self.id if self.int_id is None else self.int_id

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], source: Source | None = None) -> Article:
        """An article from a mapping with keys ``id``, ``text`` and optional ``title``."""
        where = str(source) if source else None
        if "text" not in record:
            raise InputError("missing field 'text'", where)
        text = record["text"]
        if not isinstance(text, str):
            raise InputError(f"field 'text' must be a string, got {type(text).__name__}", where)
        title = record.get("title")
        if title is not None and not isinstance(title, str):
            raise InputError(f"field 'title' must be a string, got {type(title).__name__}", where)
        if "id" not in record:
            raise InputError("missing field 'id'", where)
        ident = record["id"]
        if not isinstance(ident, (str, int)) or isinstance(ident, bool):
            raise InputError(
                f"field 'id' must be a string or integer, got {type(ident).__name__}", where
            )
        try:
            name = str(ident)
        except ValueError:  # an integer beyond Python's digit limit for str()
            raise InputError("field 'id' is an integer too long to use as an id", where) from None
        extra = {k: v for k, v in record.items() if k not in ("id", "title", "text")}
        int_id = ident if isinstance(ident, int) else None
        return cls(id=name, text=text, title=title, extra=extra, source=source, int_id=int_id)


@dataclass(frozen=True)
class Segment:
    """A paragraph (or line) of an article, with character offsets into the article text."""

    index: int
    start: int
    end: int
    text: str
    # How it was found: "paragraph" (blank-line block), "line", "wrapped" (re-joined
    # hard-wrapped lines), "table" (rows joined), "piece" (between separators),
    # "sentence" or "headline" (a copy of a headline at the start of a one-line text).
    kind: str = "paragraph"


@dataclass(frozen=True)
class Removal:
    """One removed segment (or a whole dropped article) and why.

    ``start``/``end`` locate the segment text in the original article;
    ``cut_start``/``cut_end`` locate what was actually cut (the segment plus one
    adjoining separator), so the original is ``cleaned[:p] + cut_text + cleaned[p:]``.
    """

    doc: str
    rule: Rule
    segment: int | None
    start: int
    end: int
    text: str
    cut_start: int
    cut_end: int
    cut_text: str
    matched_doc: str | None
    matched_segment: int | None
    similarity: float
    # Rule-specific facts for the report: for boilerplate the stories (and sites) the
    # segment occurs in and how it matched; for a headline the variant; for a document
    # the matched article's file and line and the containment.
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, where: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The report row: the fields above, then ``where`` (file and line), then the
        rule-specific details."""
        return {
            "doc": self.doc,
            "rule": self.rule,
            "segment": self.segment,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "matched_doc": self.matched_doc,
            "matched_segment": self.matched_segment,
            "similarity": round(self.similarity, 4),
            "cut_start": self.cut_start,
            "cut_end": self.cut_end,
            "cut_text": self.cut_text,
            **(where or {}),
            **self.details,
        }


@dataclass(frozen=True)
class Title:
    """The title chosen for an article: a segment of its text, or its title field."""

    source: Literal["text", "field"]
    segment: int | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = None

    def to_dict(self, doc: str) -> dict[str, Any]:
        return {
            "doc": doc,
            "rule": "title",
            "source": self.source,
            "segment": self.segment,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@dataclass
class Result:
    """What the cleaner says about one input article, in input order."""

    article: Article
    text: str  # the cleaned text ("" when dropped)
    removals: list[Removal]
    dropped: bool = False
    title: Title | None = None  # the title chosen (None when the article has none)
    # A bad input record passed through unchanged (``Cleaner(on_error="keep")``): why
    # it is bad. Its ``text`` is the input's text if that was a string, else "".
    error: InputError | None = None

    def to_record(self) -> dict[str, Any]:
        """The cleaned article as a plain record: ``id`` (an integer id stays one),
        ``title`` if any, ``text``, extras. A bad record kept under ``on_error="keep"``
        comes back as it was given."""
        if self.error is not None and self.article.record is not None:
            return dict(self.article.record)
        record: dict[str, Any] = {"id": self.article.given_id}
        if self.article.title is not None:
            record["title"] = self.article.title
        record["text"] = self.text
        record.update(self.article.extra)
        return record
