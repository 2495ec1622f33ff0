"""The records given to `Cleaner.clean`, as articles, for each of its passes.

A `Feed` checks every record (a mapping with ``id``, ``text`` and an optional
``title``, or an `Article`) and names a bad one by its 1-based position in the
input (``<input>:record 12: field 'text' must be a string, got float``). What
happens to a bad record follows ``on_error``, as in ``dedupe clean``:

    fail   raise `InputError` in the first pass, before any result is out;
    skip   leave it out of the results; it is listed in `Feed.problems`;
    keep   the same, and hand it back at its place as a `Result` with no
           removals and ``error`` set (see `Feed.kept_until`).

Input that can be iterated again (a list, a `dedupe.io.Corpus`, a
``datasets.Dataset``) is read afresh in each pass. A one-shot iterator (a
generator, a file object's lines, a cursor) is read once: the first pass writes
each record to a `RecordSpool` on disk as it goes, and later passes replay it.
The feed also tells a `Progress` how many articles each pass has read.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sized
from typing import Any, Literal, cast

from .errors import InputError
from .progress import Progress
from .records import Article, Result
from .spool import RecordSpool, SpoolError

OnError = Literal["fail", "skip", "keep"]
ON_ERROR: tuple[OnError, ...] = ("fail", "skip", "keep")
INPUT = "<input>"

_FIELDS = ("id", "text", "title", "extra", "source", "record", "raw", "carry", "int_id")


class Feed:
    """The good records of an input as articles, in order, any number of times."""

    def __init__(
        self,
        records: Iterable[Any],
        on_error: OnError = "fail",
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        if hasattr(records, "iterrows") and hasattr(records, "columns"):  # pandas
            raise TypeError(
                "a DataFrame iterates over its column names; clean it with "
                "dedupe.integrations.clean_dataframe(df), or pass df.to_dict('records')"
            )
        self._records = records
        self._spool = RecordSpool() if iter(records) is records else None
        self._head: list[Any] = []  # the first records of a one-shot iterator, peeked at
        self.on_error = on_error
        self.name = name or INPUT
        self.progress = progress
        self.problems: list[InputError] = []  # bad records (skip, keep), in input order
        self.count = 0  # good records, as counted by the first pass
        self.counting = True  # whether this pass tells `progress` what it reads
        self.final = False  # whether this pass hands kept bad records out
        self._kept: deque[tuple[int, Result]] = deque()  # (good records before it, result)
        self._passes = 0

    def at_most(self, n: int) -> bool:
        """Whether the input has at most ``n`` records (a one-shot iterator is peeked
        at: up to ``n + 1`` records are read ahead and held)."""
        if isinstance(self._records, Sized):
            return len(self._records) <= n
        if self._spool is None or self._passes:
            return False
        self._head = list(itertools.islice(cast(Iterator[Any], self._records), n + 1))
        return len(self._head) <= n

    @property
    def spooled(self) -> bool:
        """Whether the input is a one-shot iterator kept on disk between passes."""
        return self._spool is not None

    def __iter__(self) -> Iterator[Article]:
        self._passes += 1
        self._kept.clear()
        if self._passes == 1:
            return self._first()
        if self._spool is not None:
            return self._replay(self._spool)
        return self._again()

    def kept_until(self, emitted: int | None = None) -> Iterator[Result]:
        """In the final pass: the kept bad records that come before good record number
        ``emitted`` (0-based), or, with ``emitted`` None, all that are left."""
        while self._kept and (emitted is None or self._kept[0][0] <= emitted):
            yield self._kept.popleft()[1]

    def close(self) -> None:
        """Remove the spool, if any (idempotent)."""
        if self._spool is not None:
            self._spool.close()

    # -- passes ---------------------------------------------------------------

    def _first(self) -> Iterator[Article]:
        spool = self._spool
        records = itertools.chain(self._head, self._records) if self._head else self._records
        self._head = []
        for position, record in enumerate(records, start=1):
            article = self._check(record, position)
            if isinstance(article, InputError):
                self.problems.append(article)
                if spool is not None and self.on_error == "keep":
                    self._write(spool, (None, record, article), position)
                continue
            if spool is not None:
                self._write(spool, tuple(getattr(article, f) for f in _FIELDS), position)
            self.count += 1
            self._advance()
            yield article

    def _again(self) -> Iterator[Article]:
        good = 0
        for position, record in enumerate(self._records, start=1):
            article = self._check(record, position)
            if isinstance(article, InputError):
                self._keep(good, record, article)
                continue
            good += 1
            self._advance()
            yield article
        if good != self.count:
            raise InputError(
                f"the input gave {self.count} good records in the first pass and {good} "
                "in a later one; pass a list or a one-shot iterator",
                self.name,
            )

    def _replay(self, spool: RecordSpool) -> Iterator[Article]:
        good = 0
        for item in spool.replay():
            if item[0] is None:  # a bad record, kept
                self._keep(good, item[1], item[2])
                continue
            good += 1
            self._advance()
            yield Article(**dict(zip(_FIELDS, item)))

    # -- records --------------------------------------------------------------

    def _check(self, record: Any, position: int) -> Article | InputError:
        """The record as an article, or why it is bad (raised under ``fail``)."""
        try:
            return _article(record)
        except InputError as exc:
            error = InputError(exc.reason, self.name, record=position)
        if self.on_error == "fail":
            raise error
        return error

    def _keep(self, good: int, record: Any, error: InputError) -> None:
        """Under ``keep``, in the final pass: queue a bad record that follows ``good``
        good ones, to be handed out at its place."""
        if self.final and self.on_error == "keep":
            self._kept.append((good, _kept(record, error)))

    def _write(self, spool: RecordSpool, item: tuple[Any, ...], position: int) -> None:
        try:
            spool.write(item)
        except SpoolError as exc:
            raise SpoolError(f"{self.name}:record {position}: {exc}") from None

    def _advance(self) -> None:
        if self.counting and self.progress is not None:
            self.progress.advance()


def _article(record: Any) -> Article:
    """An article from a record given to `Cleaner.clean`, checked."""
    if isinstance(record, Article):
        return _checked(record)
    if not isinstance(record, Mapping):
        raise InputError(f"expected a mapping or an Article, got {type(record).__name__}")
    return Article.from_dict(record)


def _checked(article: Article) -> Article:
    """An `Article` made by the caller, its fields checked (an integer id is taken as
    ``from_dict`` takes it)."""
    if not isinstance(article.text, str):
        raise InputError(f"field 'text' must be a string, got {type(article.text).__name__}")
    if article.title is not None and not isinstance(article.title, str):
        raise InputError(f"field 'title' must be a string, got {type(article.title).__name__}")
    ident: Any = article.id
    if isinstance(ident, str):
        return article
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise InputError(f"field 'id' must be a string or integer, got {type(ident).__name__}")
    try:
        name = str(ident)
    except ValueError:  # an integer beyond Python's digit limit for str()
        raise InputError("field 'id' is an integer too long to use as an id") from None
    fields = {f: getattr(article, f) for f in _FIELDS}
    return Article(**{**fields, "id": name, "int_id": ident})


def _kept(record: Any, error: InputError) -> Result:
    """A bad record handed back unchanged under ``on_error="keep"``."""
    if isinstance(record, Article):
        values: Mapping[str, Any] = {"id": record.id, "text": record.text, "title": record.title}
        extra = record.extra
        original = None
    elif isinstance(record, Mapping):
        values = record
        extra = {k: v for k, v in record.items() if k not in ("id", "title", "text")}
        original = dict(record)
    else:
        values, extra, original = {}, {}, None
    ident, text, title = values.get("id"), values.get("text"), values.get("title")
    good_id = isinstance(ident, (str, int)) and not isinstance(ident, bool)
    article = Article(
        id=str(ident) if good_id else "",
        text=text if isinstance(text, str) else "",
        title=title if isinstance(title, str) else None,
        extra=extra,
        record=original,
        int_id=ident if good_id and isinstance(ident, int) else None,
    )
    return Result(article, article.text, [], error=error)
