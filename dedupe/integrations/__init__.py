"""The cleaner for the containers pipelines use most: a pandas DataFrame in, a
DataFrame out (`clean_dataframe`); a Hugging Face ``datasets.Dataset`` in, a
``Dataset`` out (`clean_dataset`).

Each row is one article (id, optional title and text columns, named by the
caller). The result has every input column and row, with the cleaned text in
the text column (or in ``cleaned_column``), a ``dropped`` column (near
duplicates) and one ``removed_<rule>`` column per rule with the number of
segments it removed (headline, paragraph, boilerplate); ``drop=True`` leaves
dropped rows out instead. pandas and datasets are optional extras, imported only
when these functions are called (``pip install 'news-dedupe[pandas]'`` or
``'news-dedupe[datasets]'``); importing `dedupe.integrations` needs neither.
"""

from __future__ import annotations

from .datasets import clean_dataset
from .pandas import clean_dataframe

__all__ = ["clean_dataframe", "clean_dataset"]
