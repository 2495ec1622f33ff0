"""Reliability under bad input, hostile names and sizes, and interruption: nothing lost,
nothing crashed, nothing overwritten, no half-written file under a final name."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dedupe.cleaner import Cleaner
from dedupe.cli import cli
from dedupe.io.lock import FolderLock
from dedupe.restore import restore_tree

from .test_cli import read_jsonl as _read_jsonl
from .test_cli import removal_rows
from .test_restore import tree

ROOT = Path(__file__).resolve().parents[1]
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "da", "gu", "fe", "zo", "bi"]
_WORDS = ["river", "harbour", "council", "budget", "minister", "school", "winter", "market"]


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told otherwise
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def clean(*args: object, stdin: bytes | None = None) -> Result:
    return _runner().invoke(cli, ["clean", *map(str, args)], input=stdin)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr


def story(seed: int, paragraphs: int = 4) -> str:
    """A title and paragraphs of random made-up words: different seeds, different stories."""
    rng = random.Random(seed)

    def words(n: int) -> str:
        return " ".join(
            "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)
        )

    body = [words(30).capitalize() + "." for _ in range(paragraphs)]
    return words(6).title() + "\n\n" + "\n\n".join(body) + "\n"


# -- names derived from ids never escape OUTPUT -----------------------------------------


def test_hostile_ids_change_nothing_outside_output(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    ids = [
        "../x",
        "../../y.txt",
        str(victim),
        "/etc/passwd",
        "a\x00b",
        "..",
        ".",
        "",
        "sub/../../z",
    ]
    records = [{"id": ident, "text": story(n)} for n, ident in enumerate(ids)]
    src = tmp_path / "in" / "ids.jsonl"
    src.parent.mkdir()
    src.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    before = tree(tmp_path)
    out, report = tmp_path / "out", tmp_path / "report.jsonl"
    assert_ok(clean(src.parent, "-o", out, "--report", report))
    after = tree(tmp_path)
    assert set(after) == set(before) | {"out/ids.jsonl", "report.jsonl"}
    assert {k: after[k] for k in before} == before
    assert not victim.exists()
    assert [json.loads(x)["id"] for x in after["out/ids.jsonl"].splitlines()] == ids
    assert after["out/ids.jsonl"] == before["in/ids.jsonl"]  # nothing removed: byte-exact
    rest = tmp_path / "rest"
    assert not restore_tree(str(out), str(report), str(rest)).missing
    assert tree(rest) == {"ids.jsonl": before["in/ids.jsonl"]}


def test_output_reached_through_a_symlink_outside_output_is_refused(tmp_path: Path) -> None:
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text(story(1), encoding="utf-8")
    out.mkdir()
    elsewhere.mkdir()
    (out / "sub").symlink_to(elsewhere)
    result = clean(src, "-o", out)
    assert result.exit_code == 2 and "outside OUTPUT" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_duplicate_ids_are_cleaned_and_reported_as_warnings(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    records = [{"id": 7, "text": story(1)}, {"id": "7", "text": story(2)}, {"id": 7, "text": ""}]
    src.write_bytes(b"\n".join(json.dumps(r).encode() for r in records))
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = clean(src, "-o", out, "--report", report)
    assert_ok(result)
    assert f"{src}:2: warning: duplicate id '7' (first at {src}:1)" in result.stderr
    assert f"{src}:3: warning: duplicate id '7'" in result.stderr
    assert "warnings: 2 duplicate ids" in result.stderr
    assert (out / "d.jsonl").read_bytes() == src.read_bytes()


# -- BOM, CRLF, invalid UTF-8 -------------------------------------------------------


def test_bom_and_crlf_are_kept_byte_for_byte_in_txt_and_jsonl(tmp_path: Path) -> None:
    text = story(3).replace("\n", "\r\n")
    title = text.split("\r\n")[0]
    other = story(6).replace("\n", "\r\n")
    other_title = other.split("\r\n")[0]
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(("\ufeff" + title + "\r\n\r\n" + text).encode())
    lines = [
        b"\xef\xbb\xbf" + json.dumps({"id": 1, "text": story(4)}).encode(),
        json.dumps({"id": 2, "text": other_title + "\r\n\r\n" + other}, ensure_ascii=True).encode(),
        b"",
        json.dumps({"id": 3, "text": story(5)}).encode(),
    ]
    (src / "b.jsonl").write_bytes(b"\r\n".join(lines) + b"\r\n")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    assert_ok(clean(src, "-o", out, "--report", report))
    assert (out / "a.txt").read_bytes() == ("\ufeff" + text).encode()
    got = (out / "b.jsonl").read_bytes().split(b"\r\n")
    assert got[0] == lines[0] and got[2:] == [b"", lines[3], b""]
    assert json.loads(got[1]) == {"id": 2, "text": other}
    assert got[1] == json.dumps({"id": 2, "text": other}, ensure_ascii=True).encode()  # same style
    rest = tmp_path / "rest"
    restore_tree(str(out), str(report), str(rest))
    assert tree(rest) == tree(src)


def test_invalid_utf8_fails_naming_file_line_and_offset(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(b"Title\n\nline two\ncaf\xe9\n")
    result = clean(src, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{src / 'a.txt'}:4: not valid UTF-8 (byte 0xe9 at offset 19)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_keep_to_stdout_passes_bad_lines_through(tmp_path: Path) -> None:
    good = json.dumps({"id": 1, "text": story(6)}).encode()
    data = good + b"\n{broken\n" + b'{"id": 2, "text": "caf\xe9"}\n'
    bad_txt = tmp_path / "bad.txt"
    bad_txt.write_bytes(b"caf\xe9\x00")
    result = _runner().invoke(
        cli, ["clean", "-", str(bad_txt), "-o", "-", "--on-error", "keep"], input=data
    )
    assert_ok(result)
    lines = result.stdout_bytes.split(b"\n")
    assert lines[1:3] == [b"{broken", b'{"id": 2, "text": "caf\xe9"}']
    assert json.loads(lines[0])["id"] == 1
    record = json.loads(lines[3])
    assert record["id"] == "bad.txt"
    assert record["text"].encode("utf-8", "surrogateescape") == b"caf\xe9\x00"
    assert "-:2: invalid JSON" in result.stderr and "-:3: not valid UTF-8" in result.stderr


# -- hostile sizes ----------------------------------------------------------------------


def _timed(seconds: float, *args: object) -> Result:
    """Clean in this process (one job) and check the CPU time it took: a generous bound
    that catches a quadratic blow-up, not a slow machine (other processes' load does not
    count)."""
    start = time.process_time()
    result = clean(*args, "--jobs", "1")
    assert_ok(result)
    took = time.process_time() - start
    assert took < seconds, took
    return result


def test_one_line_of_20_megabytes(tmp_path: Path) -> None:
    words = [f"{_WORDS[i % len(_WORDS)]}{i % 997}" for i in range(2_000_000)]
    text = " ".join(words)[:20_000_000] + "\n"
    src, out = tmp_path / "big.txt", tmp_path / "out"
    src.write_text(text, encoding="utf-8")
    _timed(30, src, "-o", out)
    assert (out / "big.txt").read_bytes() == text.encode()


def test_200_thousand_tiny_segments(tmp_path: Path) -> None:
    text = "".join(f"w{i}\n" for i in range(200_000))
    src, out, report = tmp_path / "many.txt", tmp_path / "out", tmp_path / "r.jsonl"
    src.write_text(text, encoding="utf-8")
    _timed(20, src, "-o", out, "--report", report)
    assert (out / "many.txt").read_text(encoding="utf-8") == text


def test_5000_identical_segments(tmp_path: Path) -> None:
    para = "The same paragraph of news text, repeated again and again by a broken scraper."
    text = "A title for the page\n\n" + "\n\n".join([para] * 5000) + "\n"
    src, out, report = tmp_path / "same.txt", tmp_path / "out", tmp_path / "r.jsonl"
    src.write_text(text, encoding="utf-8")
    _timed(20, src, "-o", out, "--report", report)
    assert (out / "same.txt").read_text(encoding="utf-8") == f"A title for the page\n\n{para}\n"
    assert len(removal_rows(report.read_bytes())) == 4999
    rest = tmp_path / "rest"
    restore_tree(str(out), str(report), str(rest))
    assert (rest / "same.txt").read_text(encoding="utf-8") == text


def test_empty_folder_is_a_warning_and_an_empty_output(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    result = clean(src, "-o", out, "--report", tmp_path / "r.jsonl")
    assert_ok(result)
    assert "warning: no articles found in the inputs" in result.stderr
    assert "documents: 0 read" in result.stderr
    assert out.is_dir() and list(out.iterdir()) == []
    assert removal_rows((tmp_path / "r.jsonl").read_bytes()) == []


def test_whitespace_only_file_is_copied_unchanged(tmp_path: Path) -> None:
    src, out = tmp_path / "ws.txt", tmp_path / "out"
    src.write_bytes(b" \n\n\t\r\n" + "\u3000\u200b".encode())
    assert_ok(clean(src, "-o", out))
    assert (out / "ws.txt").read_bytes() == src.read_bytes()


# -- interruption ------------------------------------------------------------------------


def _big_corpus(src: Path) -> None:
    (src / "a").mkdir(parents=True)
    for n in range(1500):
        (src / "a" / f"{n:05d}.txt").write_text(story(n), encoding="utf-8")
    lines = [json.dumps({"id": n, "text": story(n + 1500)}) for n in range(1500)]
    (src / "z.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _start(src: Path, out: Path, report: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dedupe",
            "clean",
            str(src),
            "-o",
            str(out),
            "--report",
            str(report),
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], float]:
    root = tmp_path_factory.mktemp("big")
    src = root / "in"
    _big_corpus(src)
    start = time.monotonic()
    proc = _start(src, root / "full", root / "full.jsonl")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return src, tree(root / "full"), time.monotonic() - start


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"]
)
def test_interrupted_run_leaves_no_partial_file(
    tmp_path: Path, big: tuple[Path, dict[str, bytes], float], sig: signal.Signals
) -> None:
    src, full, took = big
    assert took >= 1.0, took  # the run is long enough to be interrupted in the middle
    out, report = tmp_path / "out", tmp_path / "report.jsonl"
    # One process: a worker pool stopped while a worker sends its result can hang in
    # ProcessPoolExecutor.shutdown (issue 10, item 4: the pool is being replaced).
    proc = _start(src, out, report, "-j", "1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # pass 2 has begun writing
        if (out / "a").exists() and sum(1 for _ in (out / "a").iterdir()) >= 20:
            break
        time.sleep(0.005)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    message = err.decode("utf-8", "replace")
    got = tree(out)
    final = {rel: data for rel, data in got.items() if not Path(rel).name.startswith(".")}
    temps = sorted(set(got) - set(final))
    # Files are renamed into place only once the second pass is through: a run stopped
    # on its way leaves no file under a final name at all (and none half written).
    assert final == {}, (len(final), len(full), proc.returncode, message)
    assert len(temps) > 0 or sig != signal.SIGKILL  # it was stopped while writing
    assert not report.exists()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        # Temporary files (removed by the next run) and the lock file (which no longer
        # locks anything once its process is gone) may remain.
        assert all(t.endswith(".tmp") or t == ".dedupe.lock" for t in temps), temps
        return
    assert proc.returncode == 128 + sig, message
    assert temps == []  # temporary files removed
    assert "Traceback" not in message
    assert len(message.strip().splitlines()) == 1, message
    assert f"interrupted by {sig.name}" in message


# -- only regular files are read (issue 10, item 4) ---------------------------------------


def _special_files(src: Path) -> list[str]:
    """A FIFO, a socket, links to devices, a link loop and a link to a folder, all with
    names a reader would take; returns their names."""
    names = ["fifo.jsonl", "zero.txt", "random.jsonl", "loop.txt", "dangling.csv", "dir.txt"]
    os.mkfifo(src / "fifo.jsonl")
    (src / "zero.txt").symlink_to("/dev/zero")
    (src / "random.jsonl").symlink_to("/dev/urandom")
    (src / "loop.txt").symlink_to(src / "loop.txt")
    (src / "dangling.csv").symlink_to(src / "nowhere.csv")
    (src / "dir.txt").symlink_to(src / "sub")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(src / "s.jsonl"))
        names.append("s.jsonl")
    except OSError:  # a path too long for a socket: the other cases still run
        pass
    finally:
        sock.close()
    return names


def test_special_files_in_folders_are_skipped_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "good.txt").write_text(story(1), encoding="utf-8")
    (src / "good.jsonl").write_text(json.dumps({"id": 1, "text": story(2)}) + "\n")
    names = _special_files(src)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "dedupe", "clean", str(src), "-o", str(out), "-j", "1"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,  # a FIFO read or /dev/zero would hang or eat memory instead
        check=False,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"skipped {len(names)} files of other types" in err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "good.jsonl",
        "sub/good.txt",
    ]


@pytest.mark.parametrize("name", ["fifo.jsonl", "zero.txt", "random.jsonl", "loop.txt"])
def test_special_files_named_directly_are_refused(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    _special_files(src)
    result = clean(src / name, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {src / name}: not a regular file or folder"
    assert not (tmp_path / "out").exists()


# -- smaller items (issue 10, item 7) -----------------------------------------------------


def test_folders_are_walked_in_sorted_path_order(tmp_path: Path) -> None:
    """A subfolder's files come at the subfolder's place, not after the folder's files:
    of two identical articles the one first in that order is kept."""
    src = tmp_path / "in"
    (src / "b").mkdir(parents=True)
    text = story(7)
    (src / "a.txt").write_text(story(8), encoding="utf-8")
    (src / "b" / "x.txt").write_text(text, encoding="utf-8")
    (src / "c.txt").write_text(text, encoding="utf-8")
    result = clean(src, "-o", "-", "-j", "1")
    assert_ok(result)
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == ["a.txt", "b/x.txt"]  # c.txt repeats b/x.txt, which comes first


# -- one run per OUTPUT; reports that belong to their output (issue 10, item 1) ------------


def test_a_second_run_into_a_locked_output_fails_naming_the_holder(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(story(1), encoding="utf-8")
    lock = FolderLock(out)
    lock.acquire()  # a real flock, as another run holds it
    try:
        result = clean(src, "-o", out, "--report", tmp_path / "r.jsonl")
    finally:
        lock.release()
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: OUTPUT {out} is being written by another dedupe run (pid ")
    assert f"pid {os.getpid()}, started " in line and line.endswith("wait for it to finish")
    assert not (tmp_path / "r.jsonl").exists()
    assert list(out.iterdir()) == []  # released: the lock file is gone
    assert_ok(clean(src, "-o", out))  # and the next run goes ahead


def test_two_concurrent_runs_cannot_mix_their_files(tmp_path: Path) -> None:
    """The audit's case: two runs into one OUTPUT with different options."""
    src = tmp_path / "in"
    _big_corpus(src)
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dedupe",
                "clean",
                str(src),
                "-o",
                str(out),
                "-j",
                "1",
                "--report",
                str(tmp_path / f"{name}.jsonl"),
                *options,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for name, options in (("A", ["--min-docs", "2"]), ("B", ["--no-documents"]))
    ]
    codes = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        codes.append((proc.returncode, err.decode()))
    assert sorted(c for c, _ in codes) == [0, 2], codes  # one ran, the other was refused
    refused = next(err for c, err in codes if c == 2)
    assert "is being written by another dedupe run" in refused or "already exists" in refused
    winner = "A" if codes[0][0] == 0 else "B"
    rest = tmp_path / "rest"
    assert not restore_tree(str(out), str(tmp_path / f"{winner}.jsonl"), str(rest)).missing
    assert tree(rest) == tree(src)


def test_restore_refuses_a_report_of_another_run(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    title = story(3).split("\n", 1)[0]
    (src / "a.txt").write_text(f"{title}\n\n{story(3)}", encoding="utf-8")
    (src / "b.txt").write_text(story(4), encoding="utf-8")
    assert_ok(clean(src, "-o", out, "--report", tmp_path / "A.jsonl", "-j", "1"))
    assert_ok(clean(src, "-o", out, "--report", tmp_path / "B.jsonl", "--no-headlines", "--force"))
    runs = [r for r in _read_jsonl((tmp_path / "A.jsonl").read_bytes()) if r["rule"] == "run"]
    assert len(runs) == 1 and runs[0]["files"] == 2 and len(runs[0]["run"]) == 16
    result = _runner().invoke(
        cli, ["restore", str(out), "--report", str(tmp_path / "A.jsonl"), "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {out / 'a.txt'} is not the file the report {tmp_path / 'A.jsonl'} describes "
        "(another run wrote it, or it changed since); restore needs the report of the run "
        "that made it"
    )
    assert not (tmp_path / "r").exists()
    assert not restore_tree(str(out), str(tmp_path / "B.jsonl"), str(tmp_path / "r2")).missing
    assert tree(tmp_path / "r2") == tree(src)


def test_a_stale_lock_file_of_a_killed_run_does_not_block(tmp_path: Path) -> None:
    src, out = tmp_path / "a.txt", tmp_path / "out"
    src.write_text(story(5), encoding="utf-8")
    out.mkdir()
    (out / ".dedupe.lock").write_text("pid 1, started long ago\n")  # no process holds it
    assert_ok(clean(src, "-o", out))
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]


# -- leftovers of killed runs (issue 10, item 7) --------------------------------------------


def test_stale_temporary_files_of_this_runs_outputs_are_removed(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(story(1), encoding="utf-8")
    (src / "sub" / "b.jsonl").write_text(json.dumps({"id": 1, "text": story(2)}) + "\n")
    (out / "sub").mkdir(parents=True)
    stale = [out / ".a.txt.k3x_9qzp.tmp", out / "sub" / ".b.jsonl.0000aaaa.tmp"]
    kept = [
        out / ".other.txt.k3x_9qzp.tmp",  # not an output of this run
        out / ".a.txt.tmp",  # not the temporary pattern
        out / ".a.txt.K3X-9QZP.tmp",  # not characters mkstemp uses
        out / "notes.md",
    ]
    for path in stale + kept:
        path.write_text("left by a killed run\n")
    assert_ok(clean(src, "-o", out, "-j", "1"))
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert (out / "a.txt").read_text(encoding="utf-8") == story(1)


# -- restore covers what clean accepts (issue 10, item 5) -----------------------------------


@pytest.mark.parametrize(
    "name, options",
    [(".hidden.txt", []), ("notes.md", ["--format", "txt"]), ("README", ["--format", "txt"])],
)
def test_files_named_directly_are_restored_whatever_their_name(
    tmp_path: Path, name: str, options: list[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    title = story(6).split("\n", 1)[0]
    (src / name).write_text(f"{title}\n\n{story(6)}", encoding="utf-8")
    (src / "plain.txt").write_text(story(7), encoding="utf-8")
    out, report, rest = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "rest"
    assert_ok(
        clean(src / name, src / "plain.txt", "-o", out, "--report", report, "-j", "1", *options)
    )
    assert (out / name).read_text(encoding="utf-8") == story(6)
    outcome = restore_tree(str(out), str(report), str(rest))
    assert (outcome.files, outcome.changed, outcome.missing) == (2, 1, [])
    assert tree(rest) == tree(src)


def test_a_run_with_no_removals_restores_every_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(story(1), encoding="utf-8")
    (src / "sub" / "b.jsonl").write_text(json.dumps({"id": 1, "text": story(2)}) + "\n")
    out, report, rest = tmp_path / "out", tmp_path / "r.jsonl", tmp_path / "rest"
    assert_ok(clean(src, "-o", out, "--report", report, "-j", "1"))
    assert removal_rows(report.read_bytes()) == []
    outcome = restore_tree(str(out), str(report), str(rest))
    assert (outcome.files, outcome.changed) == (2, 0)
    assert tree(rest) == tree(src)


# -- write errors name the file; a late SIGTERM is answered (issue 10, item 7) --------------


def _records_jsonl(n: int) -> bytes:
    return b"".join(json.dumps({"id": k, "text": story(k)}).encode() + b"\n" for k in range(n))


def _dedupe(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dedupe", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_no_space_left_on_stdout_names_it(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        proc = _dedupe("clean", "-", "-o", "-", "-j", "1", stdout=full)
        _, err = proc.communicate(_records_jsonl(50), timeout=120)
    message = err.decode()
    assert proc.returncode == 1, message
    assert message.strip() == "Error: stdout: No space left on device"


def test_a_full_disk_names_the_output_file(tmp_path: Path) -> None:
    """A file-size limit makes the kernel refuse writes, as a full disk would."""
    import resource

    src, out = tmp_path / "big.txt", tmp_path / "out"
    src.write_text("".join(story(k) for k in range(200)), encoding="utf-8")  # 200 kB

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = subprocess.run(
        [sys.executable, "-m", "dedupe", "clean", str(src), "-o", str(out), "-j", "1"],
        cwd=ROOT, capture_output=True, timeout=120, preexec_fn=limit, check=False,
    )  # fmt: skip
    message = proc.stderr.decode()
    assert proc.returncode == 1, message
    assert message.strip() == f"Error: {out / 'big.txt'}: File too large"
    assert not out.exists()  # no partial file, no temporary file: the folder is gone too


def test_a_closed_pipe_on_stdout_is_one_line(tmp_path: Path) -> None:
    proc = _dedupe("clean", "-", "-o", "-", "-j", "1", stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader (`| head`) is gone
    _, err = proc.communicate(_records_jsonl(300), timeout=120)
    message = err.decode()
    assert proc.returncode == 1, message
    assert message.strip() == "Error: stdout: Broken pipe"


def test_sigterm_after_everything_is_written_is_answered(tmp_path: Path) -> None:
    """Signal the run as soon as its report (written last) is in place: the run still
    ends with one line and 128+15, never killed silently (-15)."""
    src = tmp_path / "a.txt"
    src.write_text(story(3), encoding="utf-8")
    for trial in range(8):
        out, report = tmp_path / f"out{trial}", tmp_path / f"r{trial}.jsonl"
        proc = _dedupe(
            "clean", str(src), "-o", str(out), "--report", str(report), "-j", "1",
            stdout=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        message = err.decode()
        assert "Traceback" not in message
        assert proc.returncode in (0, 143), (proc.returncode, message)
        if proc.returncode == 143:
            assert message.strip().splitlines()[-1].startswith("Error: interrupted by SIGTERM")
        assert (out / "a.txt").read_text(encoding="utf-8") == story(3)


# -- inputs that change during the run (issue 10, item 2) -----------------------------------


def _between_passes(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Run ``change`` (a real change on disk) right after the cleaner's first pass."""
    survey = Cleaner._survey

    def survey_then_change(self: Cleaner, records: Any) -> Any:
        table = survey(self, records)
        change()
        return table

    monkeypatch.setattr(Cleaner, "_survey", survey_then_change)


def _stable_corpus(src: Path) -> Path:
    src.mkdir()
    (src / "a.txt").write_text(story(1), encoding="utf-8")
    lines = [json.dumps({"id": n, "text": story(10 + n)}) for n in range(5)]
    (src / "b.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (src / "c.txt").write_text(story(2), encoding="utf-8")
    return src / "b.jsonl"


def _rewrite_same_size_and_time(path: Path) -> None:
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"a", b"o"))  # same length, other words
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("how", ["size", "content"])
def test_an_input_changed_between_passes_fails_and_commits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    changed = _stable_corpus(tmp_path / "in")
    if how == "size":
        _between_passes(monkeypatch, lambda: changed.write_text('{"id": 9}\n'))
    else:
        _between_passes(monkeypatch, lambda: _rewrite_same_size_and_time(changed))
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    result = clean(tmp_path / "in", "-o", out, "--report", report, "-j", "1")
    assert result.exit_code == 1
    why = "its size or modification time changed" if how == "size" else "its content is not"
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {changed}: changed during the run ({why}")
    assert not report.exists()
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


@pytest.mark.parametrize("mode", ["skip", "keep"])
@pytest.mark.parametrize("how", ["size", "content"])
def test_an_input_changed_between_passes_is_left_out_under_skip_and_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, how: str
) -> None:
    changed = _stable_corpus(tmp_path / "in")
    if how == "size":
        _between_passes(monkeypatch, lambda: changed.write_text('{"id": 9, "text": "x"}\n'))
    else:
        _between_passes(monkeypatch, lambda: _rewrite_same_size_and_time(changed))
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    args = ["--report", report, "--on-error", mode, "-j", "1", "--keep", "longest"]
    result = clean(tmp_path / "in", "-o", out, *args)
    assert_ok(result)
    assert f"{changed}: changed during the run" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "c.txt"]
    assert (out / "c.txt").read_text(encoding="utf-8") == story(2)
    (row,) = [r for r in removal_rows(report.read_bytes()) if r["rule"] == "error"]
    assert row["file"] == "b.jsonl" and "changed during the run" in row["message"]
    outcome = restore_tree(str(out), str(report), str(tmp_path / "rest"))
    assert [m.split(":")[0] for m in outcome.missing] == ["b.jsonl"]


# -- the worker pool: same result for any --jobs, never a hang -------------------------


def test_deeply_nested_extra_fields_give_the_same_result_for_any_jobs(tmp_path: Path) -> None:
    nest = "[" * 600 + "]" * 600  # deeper than pickle can follow, shallower than json's limit
    lines = [json.dumps({"id": k, "text": story(k)})[:-1] + f', "x": {nest}}}\n' for k in range(6)]
    src = tmp_path / "deep.jsonl"
    src.write_text("".join(lines), encoding="utf-8")
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert_ok(clean(src, "-o", out, "--jobs", jobs))
        outputs.append((out / "deep.jsonl").read_bytes())
    assert outputs[0] == outputs[1] == src.read_bytes()


def test_a_run_failing_on_its_last_input_with_two_jobs_never_hangs(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for k in range(40):
        (src / f"{k:03d}.txt").write_text(story(k, 6), encoding="utf-8")
    (src / "999.txt").write_bytes(b"caf\xe9 latin-1\n")  # the last file: not UTF-8
    for trial in range(8):
        proc = subprocess.run(
            [sys.executable, "-m", "dedupe", "clean", str(src), "-o", str(tmp_path / f"o{trial}"),
             "--jobs", "2"],
            capture_output=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        assert b"999.txt" in proc.stderr and b"Traceback" not in proc.stderr
