"""CLI-level fuzz: random small input folders through `dedupe clean` with ``-j 1`` and
``-j 2``, then `dedupe restore`.

Each example writes 1-4 files (JSONL with random escaping: ``ensure_ascii`` on or
off, ``\\u`` escapes in either hex case, surrogate pairs, ``\\/``; random spacing,
duplicate keys, a nested ``text``, deep nesting, a BOM, LF/CRLF, blank lines, a
missing final line break, and bad lines of every kind; ``.txt`` with CR/CRLF/LF and
bad ones; sometimes gzip-compressed, sometimes truncated), texts drawn from a small
pool of sentences so that headlines, paragraphs, boilerplate and whole articles
repeat. Random options (``--on-error``, ``--min-docs``, ``--paragraph-separator``,
``--no-documents``, ``--keep longest``). It asserts:

* no traceback, and the same exit code, output tree, report and messages for
  ``-j 1`` and ``-j 2``; the inputs are not modified;
* ``--on-error fail`` with bad input: exit 1, one line naming a bad file, nothing
  written; ``skip``/``keep``: exit 0, every bad file and line named once and counted;
* `dedupe restore` gives every input back (byte for byte; decompressed content for
  a ``.gz`` with removals) under ``keep`` and ``fail``; under ``skip`` it gives back
  everything but the bad files and lines, lists exactly those and exits 1 (README,
  "Restore"); a file with no removal or error comes back byte for byte.

The default example count keeps the suite fast; for the long run:

    DEDUPE_CLI_FUZZ_EXAMPLES=1000 python -m pytest tests/test_cli_fuzz.py -q
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dedupe.io.readers import pieces

from .test_cli import clean, files_under, removal_rows, sentence, untimed
from .test_restore import run, tree

EXAMPLES = int(os.environ.get("DEDUPE_CLI_FUZZ_EXAMPLES", "0")) or 15

# A small pool, so repeats are common: headlines, body paragraphs (long enough to be
# judged as repeats, and articles long enough to be dropped as duplicates), and
# boilerplate lines that recur across articles.
HEADLINES = [
    "Storm closes the coast road for a week",
    "Council approves the new harbour budget",
    "Élections: le maire répond / réponse ½",
]
PARAGRAPHS = [sentence(n) for n in range(1, 6)] + [
    "Le conseil a voté le budget du port, « enfin » dit le maire — 中文 naïve café / x.",
]
BOILERPLATE = [
    "Share this article on Facebook, Twitter or by email",
    "Follow us for more local news and weather updates",
    "© 2024 The Daily Example. All rights reserved.",
]
SEPARATORS = ["\n\n", "\n", "\r\n\r\n", "\r\n", "\r", "\r\r", "\n\n\n", "\n \n"]
# Extra characters mixed into texts: any Unicode scalar value but NUL (a NUL makes a
# .txt file binary, which is tested as a bad file of its own).
noise = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=4)

GOOD = "good"
BAD_KINDS = [
    "truncated", "raw-control", "missing-text", "missing-id", "text-not-string",
    "last-text-not-string", "title-not-string", "not-an-object", "bad-utf8", "id-bool",
    "huge-int",
]  # fmt: skip


@dataclass
class Options:
    on_error: str
    min_docs: int
    separator: bool  # --paragraph-separator ' ### '
    no_documents: bool
    longest: bool

    def args(self) -> list[str]:
        out = ["--on-error", self.on_error, "--min-docs", str(self.min_docs)]
        if self.separator:
            out += ["--paragraph-separator", " ### "]
        if self.no_documents:
            out.append("--no-documents")
        if self.longest:
            out += ["--keep", "longest"]
        return out


@dataclass
class InputTree:
    files: dict[str, bytes] = field(default_factory=dict)  # as written (compressed)
    plain: dict[str, bytes] = field(default_factory=dict)  # decompressed content
    bad_files: set[str] = field(default_factory=set)
    bad_lines: dict[str, set[int]] = field(default_factory=dict)

    def any_bad(self) -> bool:
        return bool(self.bad_files) or any(self.bad_lines.values())


# -- texts ---------------------------------------------------------------------------


@st.composite
def texts(draw: st.DrawFn, separator: bool) -> str:
    headline = draw(st.sampled_from(HEADLINES))
    body = draw(
        st.lists(st.sampled_from(PARAGRAPHS + BOILERPLATE + HEADLINES), min_size=0, max_size=5)
    )
    parts = [headline, *body]
    if draw(st.booleans()):  # a repeated headline
        parts.insert(draw(st.integers(1, len(parts))), headline)
    for i in range(len(parts)):
        if draw(st.integers(0, 4)) == 0:
            parts[i] = parts[i] + draw(noise)
    sep = draw(st.sampled_from(SEPARATORS))
    if separator and draw(st.booleans()):
        sep = " ### "
    text = sep.join(parts)
    text = draw(st.sampled_from(["", "", "\ufeff", "\n", " ", "\r\n"])) + text
    return text + draw(st.sampled_from(["", "\n", "\r\n", "\r", "\n\n"]))


# -- JSON with random escaping --------------------------------------------------------

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b"}
_SHORT["\f"] = "\\f"


def _u(code: int, rng: random.Random) -> str:
    hexed = f"{code:04x}"
    return "\\u" + (hexed.upper() if rng.random() < 0.5 else hexed)


def json_string(s: str, rng: random.Random, style: str, slash: bool) -> str:
    """``s`` as a JSON string literal: ``unicode``/``ascii`` as json.dumps writes it
    (``\\/`` for every slash if ``slash``), or ``mixed``: random ``\\u`` escapes
    (surrogate pairs beyond the BMP) and short escapes, either hex case."""
    if style != "mixed":
        token = json.dumps(s, ensure_ascii=style == "ascii")
        return token.replace("/", "\\/") if slash else token
    out = ['"']
    for c in s:
        code = ord(c)
        if c in _SHORT and rng.random() < 0.7:
            out.append(_SHORT[c])
        elif c == "/":
            out.append("\\/" if slash or rng.random() < 0.5 else "/")
        elif c in _SHORT or code < 0x20 or rng.random() < 0.3:
            if code > 0xFFFF:
                code -= 0x10000
                out.append(_u(0xD800 + (code >> 10), rng) + _u(0xDC00 + (code & 0x3FF), rng))
            else:
                out.append(_u(code, rng))
        else:
            out.append(c)
    return "".join(out) + '"'


def json_value(value: Any, rng: random.Random, style: str, slash: bool) -> str:
    def ws() -> str:
        return rng.choice(["", "", " ", "  ", "\t"])

    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, str):
        return json_string(value, rng, style, slash)
    if isinstance(value, Pairs):
        items = [
            ws() + json_string(k, rng, style, slash) + ws() + ":" + ws()
            + json_value(v, rng, style, slash) + ws()
            for k, v in value
        ]  # fmt: skip
        return "{" + ",".join(items) + "}" if items else "{" + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + json_value(v, rng, style, slash) for v in value) + "]"
    return json.dumps(value)


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its key-value pairs, in order, keys possibly repeated."""


class Raw(str):
    """JSON text written as it is (a number of any length, deep nesting)."""


@st.composite
def jsonl_line(draw: st.DrawFn, kind: str, ident: object, text: str) -> bytes:
    rng = random.Random(draw(st.integers(0, 2**32)))
    pairs = Pairs([("id", ident), ("text", text)])
    if draw(st.booleans()):
        pairs.append(("title", draw(st.sampled_from(HEADLINES))))
    if draw(st.booleans()):
        pairs.append(("url", f"https://news.example/{ident}/a-b?x=1&y=2"))
    if draw(st.booleans()):  # a nested "text" that is not the record's
        pairs.append(("meta", Pairs([("text", 5), ("tags", ["a/b", 1.5, None, True])])))
    if draw(st.integers(0, 5)) == 0:  # deep nesting (fine for json.loads, hard to pickle)
        depth = draw(st.sampled_from([50, 400, 700]))
        pairs.append(("deep", Raw("[" * depth + "1" + "]" * depth)))
    rng.shuffle(pairs)
    if draw(st.booleans()):  # duplicate keys: json.loads takes the last
        keys = ["id", "text"] + (["title"] if any(k == "title" for k, _ in pairs) else [])
        decoy = draw(st.sampled_from(keys))
        value = draw(st.sampled_from(["decoy / text", 7, None, ["x"]]))
        pairs.insert(0, (decoy, value))
    if kind == "missing-text":
        pairs = Pairs((k, v) for k, v in pairs if k != "text")
    elif kind == "missing-id":
        pairs = Pairs((k, v) for k, v in pairs if k != "id")
    elif kind == "text-not-string":
        pairs = Pairs((k, draw(st.sampled_from([1, None, ["t"], 2.5])) if k == "text" else v)
                      for k, v in pairs)  # fmt: skip
    elif kind == "last-text-not-string":
        pairs.append(("text", draw(st.sampled_from([0, None, False]))))
    elif kind == "title-not-string":
        pairs.append(("title", 12))
    elif kind == "id-bool":
        pairs.append(("id", True))
    elif kind == "huge-int":  # more digits than Python converts
        where = draw(st.sampled_from(["id", "n"]))
        pairs.insert(draw(st.integers(0, len(pairs))), (where, Raw("9" * 5000)))
    style = draw(st.sampled_from(["unicode", "ascii", "mixed"]))
    line = json_value(pairs, rng, style, slash=draw(st.booleans()))
    line = rng.choice(["", " "]) + line + rng.choice(["", "", " ", "\t"])
    if kind == "truncated":
        line = line[: draw(st.integers(line.index("{") + 1, line.rindex("}")))]
    elif kind == "raw-control":  # a raw control character inside a string
        at = line.index('"', line.index(":")) + 1
        line = line[:at] + draw(st.sampled_from(["\r", "\t", "\x01"])) + line[at:]
    elif kind == "not-an-object":
        line = draw(st.sampled_from(["[1, 2]", '"text"', "5", "null", "[]"]))
    data = line.encode("utf-8")
    if kind == "bad-utf8":
        at = data.index(b":") + 1
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + data[at:]
    return data


# -- files ---------------------------------------------------------------------------


@st.composite
def jsonl_file(draw: st.DrawFn, separator: bool, start: int) -> tuple[bytes, set[int], bool]:
    """A JSONL file's bytes, its bad line numbers, and whether the whole file is bad."""
    n = draw(st.integers(1, 5))
    lines: list[bytes] = []
    bad: set[int] = set()
    records = 0
    for k in range(n):
        kind = draw(st.sampled_from([GOOD] * 4 + ["blank", "bad"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from([b"", b" ", b"\t", b" \r"])))
            continue
        if kind == "bad":
            kind = draw(st.sampled_from(BAD_KINDS))
            bad.add(k + 1)
        records += 1
        ident = draw(st.sampled_from([start + k, str(start + k), "same-id", f"x/{k}"]))
        lines.append(draw(jsonl_line(kind, ident, draw(texts(separator)))))
    if lines and lines[0].strip() and draw(st.booleans()):
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    crlf = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    data = b""
    for k, line in enumerate(lines):
        end = b"\r\n" if crlf == "crlf" or (crlf == "mixed" and draw(st.booleans())) else b"\n"
        if k == len(lines) - 1 and draw(st.booleans()):
            end = b""  # no final line break
        data += line + end
    return data, bad, records == 0  # a file of blank lines only is "empty"


@st.composite
def txt_file(draw: st.DrawFn, separator: bool) -> tuple[bytes, bool]:
    """A .txt file's bytes and whether it is bad."""
    kind = draw(st.sampled_from([GOOD] * 8 + ["empty", "nul", "bad-utf8"]))
    if kind == "empty":
        return b"", True
    data = draw(texts(separator)).encode("utf-8")
    if kind == "nul":
        return data + b"\x00", True
    if kind == "bad-utf8":
        return b"\xff" + data, True
    return data, False


@st.composite
def input_trees(draw: st.DrawFn, separator: bool) -> InputTree:
    tree = InputTree()
    for n in range(draw(st.integers(1, 4))):
        suffix = draw(st.sampled_from([".jsonl", ".jsonl", ".ndjson", ".txt", ".txt"]))
        gz = draw(st.integers(0, 4)) == 0
        rel = draw(st.sampled_from(["", "sub/", "sub/deeper/"])) + f"f{n}{suffix}"
        rel += ".gz" if gz else ""
        if suffix == ".txt":
            data, whole = draw(txt_file(separator))
        else:
            data, lines, whole = draw(jsonl_file(separator, 10 * n))
            tree.bad_lines[rel] = set() if whole else lines
        tree.plain[rel] = data
        tree.files[rel] = gzip.compress(data, mtime=0) if gz else data
        if gz and draw(st.integers(0, 5)) == 0:  # a truncated gzip stream: a bad file
            tree.files[rel] = tree.files[rel][: len(tree.files[rel]) // 2]
            whole = True
        if whole:
            tree.bad_files.add(rel)
            tree.bad_lines.pop(rel, None)
    return tree


@st.composite
def cases(draw: st.DrawFn) -> tuple[InputTree, Options]:
    options = Options(
        on_error=draw(st.sampled_from(["skip", "keep", "skip", "keep", "fail"])),
        min_docs=draw(st.integers(2, 4)),
        separator=draw(st.booleans()),
        no_documents=draw(st.booleans()),
        longest=draw(st.booleans()),
    )
    return draw(input_trees(options.separator)), options


# -- the property --------------------------------------------------------------------


def _no_crash(result: Result, what: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        what,
        result.exception,
        result.stderr,
    )
    assert "Traceback" not in result.output + result.stderr, (what, result.stderr)


def _expected_after_skip(inputs: InputTree) -> dict[str, bytes]:
    """What restore can give back of a ``--on-error skip`` run: every input but the bad
    files, and the bad files' content without their bad lines (decompressed)."""
    out = {}
    for rel, data in inputs.plain.items():
        if rel in inputs.bad_files:
            continue
        bad = inputs.bad_lines.get(rel, set())
        out[rel] = b"".join(raw for number, raw in pieces(data) if number not in bad)
    return out


def _as_tree(plain: dict[str, bytes]) -> dict[str, bytes]:
    """``plain`` as `tree` reads it back (a .gz file's content tagged ``gunzipped:``)."""
    return {rel: (b"gunzipped:" if rel.endswith(".gz") else b"") + data
            for rel, data in sorted(plain.items())}  # fmt: skip


_SKIPPED = re.compile(r"^(.+?)(?::(\d+))?: skipped by clean \(")


def check(root: Path, inputs: InputTree, options: Options) -> None:
    src = root / "in"
    for rel, data in inputs.files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    results = {}
    for jobs in ("1", "2"):
        out, report = root / f"out{jobs}", root / f"report{jobs}.jsonl"
        result = clean(src, "-o", out, "--report", report, "-j", jobs, *options.args())
        _no_crash(result, f"clean -j {jobs}")
        results[jobs] = result
    one, two = results["1"], results["2"]
    assert one.exit_code == two.exit_code, (one.stderr, two.stderr)
    assert files_under(root / "out1") == files_under(root / "out2")
    reports = [root / f"report{j}.jsonl" for j in ("1", "2")]
    assert [r.exists() for r in reports] == [reports[0].exists()] * 2
    if reports[0].exists():
        assert untimed(reports[0].read_bytes()) == untimed(reports[1].read_bytes())
        rules = {r["rule"] for r in removal_rows(reports[0].read_bytes())}
        event("removed: " + (", ".join(sorted(rules - {"error"})) or "nothing"))
    event(f"--on-error {options.on_error}, bad input: {inputs.any_bad()}")
    messages = [untimed(r.stderr.replace(f"out{j}", "OUT").replace(f"report{j}", "REPORT"))
                for j, r in results.items()]  # fmt: skip
    assert messages[0] == messages[1]
    assert tree(src, unzip=False) == dict(sorted(inputs.files.items()))  # inputs untouched

    if options.on_error == "fail" and inputs.any_bad():
        assert one.exit_code == 1, one.stderr
        assert not (root / "out1").exists() and not reports[0].exists()
        (line,) = one.stderr.strip().splitlines()  # one line, naming a bad file
        assert any(line.startswith(f"Error: {src / rel}:") for rel in inputs.files), line
        return
    assert one.exit_code == 0, (one.stderr, one.exception)
    # Every bad file and line is named once in clean's messages, and counted.
    named = [f"{src / rel}:" for rel in inputs.bad_files]  # some name a line too
    named += [f"{src / rel}:{n}: " for rel, lines in inputs.bad_lines.items() for n in lines]
    for where in named:
        assert sum(line.startswith(where) for line in one.stderr.splitlines()) == 1, where
    if inputs.any_bad():
        done = "skipped" if options.on_error == "skip" else "copied unchanged"
        lines = sum(len(v) for v in inputs.bad_lines.values())
        counts = f"bad input: {len(inputs.bad_files)} files and {lines} lines {done}"
        assert counts in one.stderr, one.stderr
    else:
        assert "bad input" not in one.stderr, one.stderr

    restored = root / "restored"
    back = run("restore", root / "out1", "--report", reports[0], "-o", restored)
    _no_crash(back, "restore")
    if options.on_error == "skip" and inputs.any_bad():
        assert back.exit_code == 1, back.stderr
        missing = set()
        for line in back.stderr.splitlines():
            if m := _SKIPPED.match(line):
                missing.add((m[1], int(m[2]) if m[2] else None))
        expected = {(rel, None) for rel in inputs.bad_files}
        expected |= {(rel, n) for rel, lines in inputs.bad_lines.items() for n in lines}
        assert missing == expected, back.stderr
        assert tree(restored) == _as_tree(_expected_after_skip(inputs))
    else:
        assert back.exit_code == 0, (back.stderr, back.exception)
        assert tree(restored) == tree(src)
        good = {rel: data for rel, data in inputs.plain.items() if rel not in inputs.bad_files}
        assert {rel: tree(restored)[rel] for rel in good} == _as_tree(good)
    # A file the report names no removal or error in comes back as it was, byte for byte.
    changed = {row["file"] for row in removal_rows(reports[0].read_bytes())}
    raw = tree(restored, unzip=False)
    for rel, data in inputs.files.items():
        if rel not in changed and rel in raw:
            assert raw[rel] == data, rel


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(case=cases())
def test_clean_jobs_agree_and_restore_gives_the_inputs_back(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[InputTree, Options]
) -> None:
    inputs, options = case
    check(tmp_path_factory.mktemp("cli-fuzz"), inputs, options)
