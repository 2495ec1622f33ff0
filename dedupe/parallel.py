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
STOP_TIMEOUT = 5.0  # seconds a killed worker is given to go
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


def _light(article: Article, config: CleanerConfig) -> Article:
    """What a stage needs of an article: not its raw input line, its record or the fields
    that name no site (which may be nested data that pickles badly or slowly), so that
    what crosses to a worker is small and the result never depends on the number of jobs."""
    names = (config.site_field, config.url_field)
    extra = {k: v for k, v in article.extra.items() if k in names and isinstance(v, str)}
    return Article(article.id, article.text, article.title, extra)


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
            light = [_light(a, config) for a in batch]
            pending.append((batch, pool.submit(_run, stage, light)))
            if len(pending) >= 2 * jobs:
                done, result = pending.popleft()
                yield done, _get(result)
        while pending:
            done, result = pending.popleft()
            yield done, _get(result)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once (on an error or an interrupt) without ever blocking: kill its
    workers, and let its queues go without flushing, so that neither this call nor the
    interpreter's exit waits on a pipe that a dead worker will never read."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for process in workers:
        with suppress(Exception):
            process.terminate()
    for queue in (getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None)):
        with suppress(Exception):
            queue.cancel_join_thread()  # type: ignore[union-attr]
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        with suppress(Exception):
            process.join(timeout=STOP_TIMEOUT)
            if process.is_alive():
                process.kill()


def _get(result: Future[T]) -> T:
    try:
        return result.result()
    except BrokenProcessPool:
        raise DedupeError("a worker process died (out of memory?); try fewer --jobs") from None
