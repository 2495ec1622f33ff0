"""Shared by the performance scripts (`speed_real.py`, `memory.py`, `profile_stages.py`):
run a child process and measure it, describe the machine, regenerate a README block.

`measure` runs a child and returns its wall time, CPU time, peak RSS, exit code and the
1-minute load average at its start and end: the machine these figures come from is
shared, so every figure carries its load.

Peak RSS is ``ru_maxrss`` from ``os.wait4``. Linux starts a new program's ``ru_maxrss``
at the high-water mark of the process that exec'd it, so a child spawned (even with
``posix_spawn``/vfork) straight from a benchmark that has grown to 300 MiB reports at
least 300 MiB. The child is therefore started through a small launcher (``python -S``,
about 10 MiB), which forks and execs it and reports the child's own ``wait4`` usage: the
floor of every peak RSS here is the launcher's, not the benchmark's.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """One child process: what it cost and how it ended."""

    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss_mib: float  # peak resident memory of the child (ru_maxrss)
    code: int  # exit code; -9 when killed at the timeout
    timed_out: bool
    over_limit: bool  # killed because its resident memory passed ``rss_limit_mib``
    load_start: float  # 1-minute load average when it started ...
    load_end: float  # ... and when it ended
    stderr: str  # the end of its stderr

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load1() -> float:
    """The 1-minute load average."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def child_env(extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for a child: this one, the repo first on PYTHONPATH, ``extra`` set
    and the names in ``drop`` removed."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


# The launcher: fork, exec the command in its own process group, wait4 it (killing the
# group at the deadline, or when the child's resident memory passes a limit) and write
# its usage as JSON to the file named in argv[1].
LAUNCHER = r"""
import json, os, signal, sys, time
out, timeout, limit, cmd = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
deadline = time.monotonic() + timeout
timed_out = over = False
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    over = limit > 0 and rss_kib(pid) > limit
    if over or time.monotonic() > deadline:
        timed_out = not over
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        done, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.005)
wall = time.perf_counter() - t0
try:
    os.killpg(pid, signal.SIGKILL)  # anything the child left running
except OSError:
    pass
with open(out, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "timed_out": timed_out, "wall": wall,
               "over_limit": over,
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}, fh)
"""


def measure(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
    timeout: float = 3600.0,
    rss_limit_mib: float = 0,
) -> Run:
    """Run ``cmd`` with stdin/stdout from/to files (default: /dev/null), kill it (and its
    process group) after ``timeout`` seconds or when its own resident memory passes
    ``rss_limit_mib`` (0: no limit; polled every 5 ms), and measure it."""
    scratch = Path(tempfile.mkdtemp(prefix="dedupe-bench-"))
    err_path, usage_path = scratch / "stderr", scratch / "usage.json"
    fd_err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, str(stdin or os.devnull), os.O_RDONLY, 0),
        (
            os.POSIX_SPAWN_OPEN,
            1,
            str(stdout or os.devnull),
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
            0o644,
        ),
        (os.POSIX_SPAWN_DUP2, fd_err, 2),
    ]
    limit = str(int(rss_limit_mib * 1024))
    launcher = [sys.executable, "-S", "-c", LAUNCHER, str(usage_path), str(timeout), limit, *cmd]
    load_start = load1()
    t0 = time.perf_counter()
    pid = os.posix_spawn(
        launcher[0], launcher, env if env is not None else child_env(), file_actions=actions
    )
    os.close(fd_err)
    _, status = os.waitpid(pid, 0)
    outer = time.perf_counter() - t0
    text = err_path.read_text("utf-8", errors="replace")
    try:
        usage = json.loads(usage_path.read_text("utf-8"))
    except (OSError, ValueError):  # the launcher itself failed
        usage = {"code": os.waitstatus_to_exitcode(status), "timed_out": False, "cpu": 0.0,
                 "maxrss_kib": 0, "wall": outer, "over_limit": False}  # fmt: skip
    shutil.rmtree(scratch, ignore_errors=True)
    return Run(
        wall=usage["wall"],
        cpu=usage["cpu"],
        rss_mib=usage["maxrss_kib"] / 1024,
        code=usage["code"],
        timed_out=usage["timed_out"],
        over_limit=usage["over_limit"],
        load_start=load_start,
        load_end=load1(),
        stderr=text[-2000:],
    )


def dedupe_cmd(*args: str) -> list[str]:
    """``python -m dedupe ARGS`` with this interpreter."""
    return [sys.executable, "-m", "dedupe", *args]


def kernel_path(env: dict[str, str]) -> str:
    """What ``python -m dedupe --version`` says about the kernel under ``env``, e.g.
    ``compiled, avx2`` or ``numpy (DEDUPE_PURE_PYTHON=1)``."""
    out = subprocess.run(
        dedupe_cmd("--version"), env=env, capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\(kernel: (.*)\)\s*$", out.strip())
    return found.group(1) if found else "unknown (no kernel in --version)"


def git_head() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out[:90]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def machine() -> dict[str, Any]:
    """CPU, cores, memory, versions, the commit measured."""
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    except OSError:
        pass
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory": mem,
        "versions": versions("news-dedupe", "datasketch", "rensa", "numpy"),
        "commit": git_head(),
    }


def machine_line(info: dict[str, Any]) -> str:
    v = info["versions"]
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} (shared with other "
        f"work: see the load averages); Python {v['python']}, numpy {v['numpy']}, "
        f"datasketch {v['datasketch']}, rensa {v['rensa']}; dedupe at `{info['commit']}`."
    )


def replace_block(path: Path, name: str, script: str, body: str, heading: str) -> None:
    """Put ``body`` between the ``<!-- NAME:start ... -->`` / ``<!-- NAME:end -->`` markers
    of ``path``; without them, append ``heading`` and the block at the end."""
    start = f"<!-- {name}:start (generated by {script}; do not edit) -->"
    end = f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(f"<!-- {name}:start") + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + f"\n\n{heading}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"
