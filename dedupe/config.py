"""One validated, frozen settings object for the whole cleaner.

Every threshold, size and seed that changes what is removed lives here, so that
a run is reproducible from its config alone. Each setting also carries its
user-facing name (the ``dedupe clean`` option, the key in a config file), its
help and its range: `SETTINGS` lists them, and validation, the command line,
config files and environment variables are all driven by it (`dedupe.settings`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ConfigError

KeepPolicy = Literal["first", "longest"]
KEEP_POLICIES: tuple[KeepPolicy, ...] = ("first", "longest")


@dataclass(frozen=True)
class Setting:
    """How one config field is named, explained and bounded for users."""

    name: str  # the field of CleanerConfig
    option: str  # the user-facing name: "--min-docs" on the command line, min-docs in files
    help: str
    kind: type  # bool, int, float or str
    low: float | None = None  # range; None: unbounded
    high: float | None = None
    low_open: bool = False  # (low, ...] rather than [low, ...]
    choices: tuple[str, ...] = ()
    optional: bool = False  # may be None (an empty string in files and on the command line)

    @property
    def key(self) -> str:
        """The name in config files and the click parameter: ``min_docs``."""
        return self.option.removeprefix("--").replace("-", "_")

    def range_text(self) -> str:
        if self.low is None and self.high is None:
            return ""
        if self.high is None:
            return f"at least {self.low:g}" if not self.low_open else f"more than {self.low:g}"
        left = "(" if self.low_open else "["
        return f"in {left}{self.low:g}, {self.high:g}]"

    def check(self, value: Any) -> None:
        """Raise `ConfigError`, naming the option, if ``value`` is out of range."""
        if value is None and self.optional:
            return
        if self.choices and value not in self.choices:
            raise ConfigError(
                f"{self.option} must be one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.kind in (int, float):
            bad_type = isinstance(value, bool) or not isinstance(value, (int, float))
            if bad_type or (self.kind is int and not isinstance(value, int)):
                raise ConfigError(f"{self.option} must be a number, got {value!r}")
            too_low = self.low is not None and (
                value <= self.low if self.low_open else value < self.low
            )
            too_high = self.high is not None and value > self.high
            if too_low or too_high:
                raise ConfigError(f"{self.option} must be {self.range_text()}, got {value!r}")
        elif self.kind is str and not isinstance(value, str):
            raise ConfigError(f"{self.option} must be a string, got {value!r}")
        elif self.kind is bool and not isinstance(value, bool):
            raise ConfigError(f"{self.option} must be true or false, got {value!r}")


def _setting(default: Any, option: str, help: str, **spec: Any) -> Any:
    return field(default=default, metadata={"option": option, "help": help, **spec})


SHARE = {"low": 0.0, "high": 1.0}
UNIT = {"low": 0.0, "high": 1.0, "low_open": True}

# The version of everything that turns text into fingerprints: segmenting, normalising,
# word hashing, segment keys and shapes, title-tag parts, shingles, MinHash, figures and
# paragraph anchors. A persistent index (`dedupe.store`) refuses runs of another version.
# Bump it with every change that changes a fingerprint of some text.
FINGERPRINT_VERSION = 1


@dataclass(frozen=True)
class CleanerConfig:
    """Settings of a `Cleaner`. Defaults are the documented behaviour of `dedupe clean`.

    Rules (each on by default):
      headlines    -- drop segments that repeat the article's title.
      paragraphs   -- drop segments that repeat an earlier segment of the same article.
      boilerplate  -- drop segments that recur in many different stories of the corpus.
      documents    -- drop articles whose cleaned body duplicates an article kept earlier.
    """

    headlines: bool = _setting(True, "--headlines", "Remove repeated headlines.")
    paragraphs: bool = _setting(True, "--paragraphs", "Remove repeated paragraphs.")
    boilerplate: bool = _setting(True, "--boilerplate", "Remove corpus boilerplate.")
    documents: bool = _setting(True, "--documents", "Drop near-duplicate articles.")

    # Boilerplate across the corpus.
    boilerplate_min_docs: int = _setting(
        5, "--min-docs",
        "Distinct stories a segment must recur in to be boilerplate (near-identical "
        "articles count as one story). The only floor unless --min-share is set.",
        low=2,
    )  # fmt: skip
    boilerplate_min_share: float = _setting(
        0.0, "--min-share",
        "Share of the stories of its site (or corpus) a segment must also recur in.", **SHARE,
    )  # fmt: skip
    weak_min_share: float = _setting(
        0.01, "--weak-share",
        "Share of its site's stories that weaker evidence needs as well: a line that reads "
        "as article text, or a line matched only by its shape (a timestamp, a counter).",
        **SHARE,
    )  # fmt: skip
    site_field: str | None = _setting(
        None, "--site-field",
        "Record field naming each article's site: boilerplate is counted per site.",
        optional=True,
    )  # fmt: skip
    url_field: str | None = _setting(
        "url", "--url-field",
        "Without --site-field, the host of this record field's URL names the site "
        "('' for none).",
        optional=True,
    )  # fmt: skip
    story_threshold: float = _setting(
        0.5, "--story-threshold", "Jaccard at which raw articles count as one story.", **UNIT
    )

    # Headlines: word sequences after label, affix and teaser variants; near: char n-grams.
    headline_threshold: float = _setting(
        0.85, "--headline-threshold",
        "Character 3-gram Jaccard at which a line nearly repeats the headline.", **UNIT,
    )  # fmt: skip
    headline_ngram: int = _setting(3, "--headline-ngram", "Characters per headline n-gram.", low=1)

    # Repeated paragraphs within one article.
    paragraph_threshold: float = _setting(
        0.8, "--paragraph-threshold",
        "Jaccard (word bigrams) at which a paragraph repeats an earlier one.", **UNIT,
    )  # fmt: skip
    paragraph_containment: float = _setting(
        0.85, "--paragraph-containment",
        "Share of a paragraph found in an earlier one at which it repeats it.", **UNIT,
    )  # fmt: skip
    paragraph_min_words: int = _setting(
        8, "--paragraph-min-words",
        "Distinct words a paragraph needs to be judged as a repeat.", low=1,
    )  # fmt: skip
    paragraph_ngram: int = _setting(2, "--paragraph-ngram", "Words per paragraph n-gram.", low=1)
    paragraph_separator: str | None = _setting(
        None, "--paragraph-separator",
        "A string joining paragraphs on one line (' ### '); a run of #*=~_+- is found "
        "in one-line texts without it.",
        optional=True,
    )  # fmt: skip

    # Near-duplicate articles.
    document_threshold: float = _setting(
        0.5, "--document-threshold",
        "Estimated Jaccard (word 5-grams) at which an article duplicates a kept one.", **UNIT,
    )  # fmt: skip
    document_containment: float = _setting(
        0.8, "--document-containment",
        "Estimated share of one body inside the other at which they are duplicates.", **UNIT,
    )  # fmt: skip
    document_min_words: int = _setting(
        20, "--document-min-words",
        "Words a body needs to be dropped as a near duplicate (exact repeats: any).", low=1,
    )  # fmt: skip
    keep: KeepPolicy = _setting(  # noqa: RUF009 (a field() with metadata)
        "first", "--keep", "Which article of a group of near duplicates to keep.",
        choices=KEEP_POLICIES,
    )  # fmt: skip

    # MinHash (datasketch 2.x "affine32" permutations) and LSH banding.
    seed: int = _setting(1, "--seed", "MinHash seed.", low=0, high=2**32 - 1)
    num_perm: int = _setting(128, "--num-perm", "MinHash permutations.", low=16)
    shingle_size: int = _setting(5, "--shingle-size", "Words per article shingle.", low=1)
    lsh_bands: int = _setting(42, "--lsh-bands", "LSH bands.", low=1)
    lsh_rows: int = _setting(3, "--lsh-rows", "LSH rows per band.", low=1)

    def __post_init__(self) -> None:
        for setting in SETTINGS:
            setting.check(getattr(self, setting.name))
        _check(
            self.paragraph_separator is None or bool(self.paragraph_separator.strip()),
            "--paragraph-separator must hold a visible character",
        )
        _check(
            self.lsh_bands * self.lsh_rows <= self.num_perm,
            f"--lsh-bands x --lsh-rows ({self.lsh_bands * self.lsh_rows}) exceeds --num-perm "
            f"({self.num_perm})",
        )

    def replace(self, **changes: Any) -> CleanerConfig:
        """A copy with some settings changed (validated again)."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as exc:  # unknown field name
            raise ConfigError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _kind(annotation: str) -> type:
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if annotation.startswith(name):
            return kind
    return str  # Literal choices


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(
        name=f.name,
        kind=_kind(str(f.type)),
        **{k: v for k, v in f.metadata.items()},
    )
    for f in dataclasses.fields(CleanerConfig)
)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
