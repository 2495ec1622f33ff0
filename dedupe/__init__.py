"""dedupe: remove repeated headlines, paragraphs, boilerplate and near-duplicate articles
from scraped news text, writing cleaned copies and a report of every removal."""

from __future__ import annotations

from .cleaner import Cleaner
from .config import FINGERPRINT_VERSION, CleanerConfig
from .errors import ConfigError, DedupeError, InputError, OutputError
from .records import Article, Removal, Result, Segment, Source
from .report import Summary

__version__ = "0.1.0"

__all__ = [
    "FINGERPRINT_VERSION",
    "Article",
    "Cleaner",
    "CleanerConfig",
    "ConfigError",
    "DedupeError",
    "InputError",
    "OutputError",
    "Removal",
    "Result",
    "Segment",
    "Source",
    "Summary",
    "__version__",
]
