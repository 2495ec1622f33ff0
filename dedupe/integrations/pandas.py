"""`clean_dataframe`: a pandas DataFrame in, the same DataFrame cleaned out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..cleaner import Cleaner
from ._common import CHUNK, Columns, Rows, collect, require


def clean_dataframe(
    df: Any,
    cleaner: Cleaner | None = None,
    *,
    id_column: str | None = "id",
    title_column: str | None = "title",
    text_column: str = "text",
    cleaned_column: str | None = None,
    drop: bool = False,
    dropped_column: str = "dropped",
    count_prefix: str = "removed_",
) -> Any:
    """``df`` cleaned: a new DataFrame with the same index, columns and rows, the
    cleaned text in ``text_column`` (or in a new ``cleaned_column``), a bool
    ``dropped`` column (near duplicates) and ``removed_headline``,
    ``removed_paragraph`` and ``removed_boilerplate`` (segments removed). With
    ``drop=True`` dropped rows are left out. ``df`` itself is not changed.

    ``cleaner`` sets the config, jobs and ``on_error`` (default ``Cleaner()``); its
    `~dedupe.Cleaner.summary` and `~dedupe.Cleaner.problems` describe the run
    afterwards. A bad row (a text that is not a string, e.g. NaN) is named by its
    1-based position (``<DataFrame>:record 12: field 'text' must be a string, got
    float``, i.e. ``df.iloc[11]``); under ``on_error="skip"`` it is left out, under
    ``"keep"`` it is in the output unchanged (not dropped, no removals). A missing
    title (None, NaN) is no title; the title column is used if it exists.
    ``id_column=None`` takes the row numbers (0, 1, ...) as ids.
    """
    pd = require("pandas", "pandas")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    cleaner = cleaner or Cleaner()
    columns = Columns(
        id_column, title_column, text_column, cleaned_column, dropped_column, count_prefix
    )
    titled = columns.check(list(df.columns), "DataFrame")
    n = len(df)

    def chunks() -> Iterator[dict[str, list[Any]]]:
        for lo in range(0, n, CHUNK):
            part = df.iloc[lo : lo + CHUNK]
            chunk: dict[str, list[Any]] = {
                "id": list(range(lo, lo + len(part)))
                if id_column is None
                else part[id_column].tolist(),
                "text": part[text_column].tolist(),
            }
            if titled:
                chunk["title"] = [_title(t, pd) for t in part[title_column].tolist()]
            yield chunk

    outcome = collect(cleaner, Rows(n, chunks), "<DataFrame>", drop)
    added: dict[str, Any] = {cleaned_column or text_column: outcome.cleaned}
    added[dropped_column] = outcome.dropped
    for rule, name in columns.counts().items():
        added[name] = outcome.counts[rule]
    out = df.assign(**added)
    if not outcome.keep.all():
        out = out.iloc[np.flatnonzero(outcome.keep)]
    return out


def _title(value: Any, pd: Any) -> Any:
    """A missing title (None, NaN, NA) is no title; anything else is checked as given."""
    if value is None or isinstance(value, str):
        return value
    return None if pd.api.types.is_scalar(value) and pd.isna(value) else value
