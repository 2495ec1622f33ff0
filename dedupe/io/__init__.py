"""Readers and writers: the only part of dedupe that touches files."""

from __future__ import annotations

from .paths import Fields, InputFile, discover, plan_outputs
from .readers import Corpus
from .writers import OutputWriter, ReportWriter, atomic_write

__all__ = [
    "Corpus",
    "Fields",
    "InputFile",
    "OutputWriter",
    "ReportWriter",
    "atomic_write",
    "discover",
    "plan_outputs",
]
