"""`clean_dataset`: a Hugging Face ``datasets.Dataset`` in, the same Dataset cleaned out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..cleaner import Cleaner
from ._common import CHUNK, Columns, Rows, collect, require


def clean_dataset(
    dataset: Any,
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
    """``dataset`` cleaned: a new Dataset with the same columns and rows, the cleaned
    text in ``text_column`` (or in a new ``cleaned_column``), a bool ``dropped``
    column (near duplicates) and ``removed_headline``, ``removed_paragraph`` and
    ``removed_boilerplate`` (segments removed). With ``drop=True`` dropped rows are
    left out.

    The rows are read in chunks, twice (no copy of the dataset is made); the new
    columns are held in memory (`Dataset.add_column`). ``cleaner``, bad rows (named
    ``<Dataset>:record 12: ...``, 1-based), titles and ``id_column=None``: as in
    `dedupe.integrations.clean_dataframe`.
    """
    datasets = require("datasets", "datasets")
    if not isinstance(dataset, datasets.Dataset):
        raise TypeError(f"expected a datasets.Dataset, got {type(dataset).__name__}")
    cleaner = cleaner or Cleaner()
    columns = Columns(
        id_column, title_column, text_column, cleaned_column, dropped_column, count_prefix
    )
    titled = columns.check(list(dataset.column_names), "Dataset")
    wanted = {"text": text_column}
    if id_column is not None:
        wanted["id"] = id_column
    if titled:
        assert title_column is not None
        wanted["title"] = title_column
    view = dataset.select_columns(list(dict.fromkeys(wanted.values())))
    n = len(dataset)

    def chunks() -> Iterator[dict[str, list[Any]]]:
        lo = 0
        for batch in view.iter(batch_size=CHUNK):
            chunk = {role: batch[column] for role, column in wanted.items()}
            size = len(chunk["text"])
            if id_column is None:
                chunk["id"] = list(range(lo, lo + size))
            lo += size
            yield chunk

    outcome = collect(cleaner, Rows(n, chunks), "<Dataset>", drop)
    out = dataset.add_column(dropped_column, outcome.dropped, feature=datasets.Value("bool"))
    added = [dropped_column]
    for rule, name in columns.counts().items():
        out = out.add_column(name, outcome.counts[rule], feature=datasets.Value("int64"))
        added.append(name)
    order = list(dataset.column_names)
    if cleaned_column is None:  # replaced (once other columns exist: a table has some)
        out = out.remove_columns(text_column)
    else:
        order.append(cleaned_column)
    text_type = dataset.features[text_column]
    out = out.add_column(cleaned_column or text_column, outcome.cleaned, feature=text_type)
    order += added
    out = out.select_columns(order)
    if not outcome.keep.all():
        out = out.select(np.flatnonzero(outcome.keep))
    return out
