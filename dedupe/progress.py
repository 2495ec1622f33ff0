"""Progress of a run over its passes: the hook `Cleaner.clean` calls, and a rich bar.

`Cleaner.clean` calls a `Progress` as it goes: `Progress.start` at the start of
each pass (pass 1 does not know how many articles there are; later passes do),
`Progress.advance` for articles read (pass 1, and the ranking pass of
``keep="longest"``) or results handed out (the last pass), and `Progress.close`
at the end, however the run ends. `Bar` draws it on stderr with rich: the pass,
a bar once the total is known, the count, articles/s, elapsed time and the time
left. It is made only when wanted (``dedupe clean`` shows it when stderr is a
terminal; ``Cleaner(progress=True)`` likewise), and redraws at most ten times a
second from the caller's thread (no refresh thread, so worker processes forked
during the run inherit no lock held by one).
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import Task
    from rich.text import Text

REFRESH = 0.1  # seconds between redraws


class Progress(Protocol):
    """What `Cleaner.clean` tells about its progress."""

    def start(self, label: str, total: int | None) -> None:
        """A pass starts: ``label`` (e.g. ``pass 2/2 cleaning``), ``total`` articles if known."""

    def advance(self, count: int = 1) -> None:
        """``count`` more articles done in the current pass."""

    def close(self) -> None:
        """The run ended (finished, failed or abandoned)."""


class Bar:
    """A rich progress bar on ``file`` (stderr by default)."""

    def __init__(self, file: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            ProgressColumn,
            TextColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        class Count(ProgressColumn):
            def render(self, task: Task) -> Text:
                done = f"{int(task.completed):,}"
                return Text(done if task.total is None else f"{done}/{int(task.total):,}")

        class Rate(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{'-' if speed is None else f'{speed:,.0f}'} articles/s")

        run_start = time.monotonic()

        class Times(ProgressColumn):
            """Elapsed since the run started; the time left once the total is known."""

            def render(self, task: Task) -> Text:
                text = f"{_clock(time.monotonic() - run_start)}"
                if task.total is not None:
                    left = task.time_remaining
                    text += f" eta {'-:--:--' if left is None else _clock(left)}"
                return Text(text, style="progress.elapsed")

        self.console = Console(file=file or sys.stderr)
        self._rich: RichProgress = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=12),
            Count(),
            Rate(),
            Times(),
            console=self.console,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._rich.add_task("", total=None, start=False)
        self._pending = 0
        self._drawn = 0.0
        self._started = False

    def start(self, label: str, total: int | None) -> None:
        self._flush()
        self._rich.reset(self._task, total=total, description=label, start=True)
        if not self._started:
            self._rich.start()
            self._started = True
        self._draw()

    def advance(self, count: int = 1) -> None:
        self._pending += count
        if time.monotonic() - self._drawn >= REFRESH:
            self._draw()

    def echo(self, text: str) -> None:
        """A line above the bar (a bad input line found during the run)."""
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self._started:
            self._draw()
            self._rich.stop()
            self._started = False

    def _flush(self) -> None:
        if self._pending:
            self._rich.advance(self._task, self._pending)
            self._pending = 0

    def _draw(self) -> None:
        self._flush()
        self._drawn = time.monotonic()
        if self._started:
            self._rich.refresh()


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
