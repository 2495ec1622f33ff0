"""The progress bar of `dedupe clean`: drawn on stderr when that is a terminal (a real
pseudo-terminal here), absent when stderr is a pipe, with --quiet or --no-progress."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .data import bbc_articles

pty = pytest.importorskip("pty")  # POSIX only

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ARTICLES = 40


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "in.jsonl"
    texts = bbc_articles("sport", ARTICLES)
    path.write_text(
        "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in enumerate(texts)),
        encoding="utf-8",
    )
    return path


def command(corpus: Path, *options: str) -> list[str]:
    out = corpus.parent / f"out{len(options)}{'-'.join(options)}"
    return [
        sys.executable,
        "-m",
        "dedupe",
        "clean",
        str(corpus),
        "-o",
        str(out),
        "--force",
        *options,
    ]


def environment() -> dict[str, str]:
    env = dict(os.environ, TERM="xterm", COLUMNS="120")
    for name in ("NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):  # rich's overrides
        env.pop(name, None)
    return env


def on_terminal(args: list[str]) -> str:
    """stderr of ``args`` run with stderr on a pseudo-terminal (as text, escapes removed)."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
            env=environment(),
        )  # fmt: skip
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.wait(timeout=120) == 0, b"".join(chunks)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_bar_on_a_terminal_over_both_passes(corpus: Path) -> None:
    shown = on_terminal(command(corpus))
    assert "reading (1/2)" in shown  # pass 1: count and rate, no total
    assert "cleaning (2/2)" in shown  # pass 2: the total is known
    assert f"{ARTICLES}/{ARTICLES}" in shown
    assert "articles/s" in shown and "eta" in shown
    assert "documents: 40 read" in shown  # the summary follows


def test_no_bar_when_piped_quiet_or_disabled(corpus: Path) -> None:
    piped = subprocess.run(
        command(corpus), capture_output=True, text=True, env=environment(), timeout=120
    )
    assert piped.returncode == 0, piped.stderr
    assert "documents: 40 read" in piped.stderr
    assert "reading (1/2)" not in piped.stderr and "cleaning (2/2)" not in piped.stderr
    for option in ("--quiet", "--no-progress"):
        shown = on_terminal(command(corpus, option))
        assert "reading (1/2)" not in shown and "cleaning (2/2)" not in shown
    forced = subprocess.run(
        command(corpus, "--progress"), capture_output=True, text=True, env=environment(),
        timeout=120,
    )  # fmt: skip
    assert "cleaning (2/2)" in forced.stderr  # --progress: drawn even into a pipe
