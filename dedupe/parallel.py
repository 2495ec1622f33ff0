"""Run a per-batch stage in worker processes, results in input order.

The stages in `stages.py` are pure functions of a batch of articles, so any
number of workers gives the same results; everything corpus-wide stays in the
parent, in input order. At most ``2 * jobs`` batches are in flight, so memory
stays bounded whatever the corpus size.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from typing import Any, TypeVar

from .config import CleanerConfig
from .errors import DedupeError
from .kernel import Hasher
from .records import Article

T = TypeVar("T")
Stage = Callable[..., T]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_state: tuple[Any, ...] = ()  # (config, hasher, *extra) in a worker


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init(config: CleanerConfig, extra: tuple[Any, ...]) -> None:
    global _state
    # The parent handles Ctrl-C and ends the pool with SIGTERM: a worker just stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    _state = (config, Hasher(config.num_perm, config.seed), *extra)


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker if the parent dies (even by SIGKILL),
    so no orphan keeps running or holds the parent's output pipes open."""
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() == 1:  # the parent died before we asked
                os._exit(1)


def _light(article: Article) -> Article:
    """What a stage needs of an article (not its raw input line or JSON object)."""
    return Article(article.id, article.text, article.title, article.extra)


def _run(stage: Stage[T], articles: list[Article]) -> T:
    return stage(articles, *_state)


def map_batches(
    stage: Stage[T],
    batches: Iterable[list[Article]],
    config: CleanerConfig,
    extra: tuple[Any, ...],
    jobs: int,
) -> Iterator[tuple[list[Article], T]]:
    """``(batch, stage(batch, config, hasher, *extra))`` for each batch, in order."""
    if jobs <= 1:
        hasher = Hasher(config.num_perm, config.seed)
        for batch in batches:
            yield batch, stage(batch, config, hasher, *extra)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init, initargs=(config, extra)
    )
    pending: deque[tuple[list[Article], Future[T]]] = deque()
    finished = False
    try:
        for batch in batches:
            light = [_light(a) for a in batch]
            pending.append((batch, pool.submit(_run, stage, light)))
            if len(pending) >= 2 * jobs:
                done, result = pending.popleft()
                yield done, _get(result)
        while pending:
            done, result = pending.popleft()
            yield done, _get(result)
        finished = True
    finally:
        if not finished:  # interrupted or failed: stop the workers now
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def _get(result: Future[T]) -> T:
    try:
        return result.result()
    except BrokenProcessPool:
        raise DedupeError("a worker process died (out of memory?); try fewer --jobs") from None
