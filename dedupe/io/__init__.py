"""Readers and writers: the only part of dedupe that touches files."""

from __future__ import annotations

from .paths import Fields, InputFile, discover, plan_outputs
from .readers import ON_ERROR, Corpus, OnError, Problem
from .writers import OutputWriter, ReportWriter, atomic_write

__all__ = [
    "ON_ERROR",
    "Corpus",
    "Fields",
    "InputFile",
    "OnError",
    "OutputWriter",
    "Problem",
    "ReportWriter",
    "atomic_write",
    "discover",
    "plan_outputs",
]
