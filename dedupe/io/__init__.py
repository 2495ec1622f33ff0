"""Readers and writers: the only part of dedupe that touches files.

| module           | what                                                           |
|------------------|----------------------------------------------------------------|
| `paths.py`       | which files a run reads; where outputs and the report may go   |
| `formats/`       | one reader/writer per format: txt, jsonl, csv/tsv, parquet     |
| `compression.py` | .gz, .zst, .bz2, .xz streams                                   |
| `encoding.py`    | ``--encoding``: decoding, detection, transcoding to UTF-8      |
| `content.py`     | a file's content: stdin spooled, decompressed, in UTF-8        |
| `readers.py`     | `Corpus`: the articles of the inputs, any number of passes     |
| `writers.py`     | `OutputWriter` (cleaned copies), `ReportWriter` (the report)   |
| `atomic.py`      | files written under a temporary name, renamed when complete    |
"""

from __future__ import annotations

from .atomic import atomic_write
from .content import Spool
from .formats import FORMATS, Format
from .paths import Fields, InputFile, discover, plan_outputs
from .readers import ON_ERROR, Corpus, OnError, Problem
from .writers import OutputWriter, ReportWriter

__all__ = [
    "FORMATS",
    "ON_ERROR",
    "Corpus",
    "Fields",
    "Format",
    "InputFile",
    "OnError",
    "OutputWriter",
    "Problem",
    "ReportWriter",
    "Spool",
    "atomic_write",
    "discover",
    "plan_outputs",
]
