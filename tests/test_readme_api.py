"""The README's Python API examples (its ```pycon blocks) run as doctests, against the
real pandas and datasets."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_python_api_examples_run_as_shown() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("datasets")
    blocks = re.findall(r"```pycon\n(.*?)```", section("Python API"), re.S)
    assert len(blocks) == 3
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, "README.md: Python API", str(README), 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
