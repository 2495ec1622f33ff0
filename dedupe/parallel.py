"""Run a per-batch stage in worker processes, results in input order.

The stages in `stages.py` are pure functions of a batch of articles, so any
number of workers gives the same results; everything corpus-wide stays in the
parent, in input order. At most ``2 * jobs`` batches are in flight, so memory
stays bounded whatever the corpus size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, TypeVar

from .config import CleanerConfig
from .minhash import Hasher
from .records import Article

T = TypeVar("T")
Stage = Callable[..., list[T]]

_state: tuple[Any, ...] = ()  # (config, hasher, *extra) in a worker


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init(config: CleanerConfig, extra: tuple[Any, ...]) -> None:
    global _state
    _state = (config, Hasher(config.num_perm, config.seed), *extra)


def _run(stage: Stage[T], articles: list[Article]) -> list[T]:
    return stage(articles, *_state)


def map_batches(
    stage: Stage[T],
    batches: Iterable[list[Article]],
    config: CleanerConfig,
    extra: tuple[Any, ...],
    jobs: int,
) -> Iterator[tuple[list[Article], list[T]]]:
    """``(batch, stage(batch, config, hasher, *extra))`` for each batch, in order."""
    if jobs <= 1:
        hasher = Hasher(config.num_perm, config.seed)
        for batch in batches:
            yield batch, stage(batch, config, hasher, *extra)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool: Pool = context.Pool(jobs, initializer=_init, initargs=(config, extra))
    pending: deque[tuple[list[Article], AsyncResult[list[T]]]] = deque()
    try:
        for batch in batches:
            pending.append((batch, pool.apply_async(_run, (stage, batch))))
            if len(pending) >= 2 * jobs:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
    finally:
        pool.terminate()
        pool.join()
